"""Batched sliding-window prediction: texts in, per-character tag probabilities out.

Torch-free at import: the window batching and merging and the span decoding here serve both backends, ONNX
Runtime (``models.onnx_model``) and PyTorch (``predict_probs``, which imports torch when called).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING

import numpy as np
from govreport.inference.spans import Span, bio_to_spans
from govreport.models.encoding import Encoded, char_probs, encode, special_ids
from govreport.models.windows import merge_windows, window_starts

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

Runner = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""A backend's forward pass: (input_ids, attention_mask), int64 ``[batch, width]`` → tag probabilities
``[batch, width, n_tags]``."""


def windowed_probs(
    encoded: Sequence[Encoded],
    run: Runner,
    specials: tuple[list[int], list[int], int],
    max_length: int = 512,
    stride: int = 384,
    batch_size: int = 8,
    pool: Executor | None = None,
) -> list[np.ndarray]:
    """Per-token probabilities ``[n_tokens, n_tags]`` of each encoded text.

    ``specials`` are the ids put before and after each window and the padding id. Windows of all texts
    are batched together, longest first so padding stays small, then merged back per text keeping each
    token from the window where it sits farthest from a cut. With a thread ``pool`` the batches run
    concurrently (for a runner that releases the GIL, as ONNX Runtime does).
    """
    head, tail, pad = specials
    size = max_length - len(head) - len(tail)
    starts = [window_starts(len(enc.ids), size, stride) if len(enc.ids) else [] for enc in encoded]
    jobs = [(d, s, min(size, len(enc.ids) - s)) for d, enc in enumerate(encoded) for s in starts[d]]
    jobs.sort(key=lambda job: -job[2])
    batches = [jobs[b : b + batch_size] for b in range(0, len(jobs), batch_size)]

    def forward(batch: list[tuple[int, int, int]]) -> np.ndarray:
        width = len(head) + batch[0][2] + len(tail)
        ids = np.full((len(batch), width), pad, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, (d, s, n) in enumerate(batch):
            ids[row, : len(head)] = head
            ids[row, len(head) : len(head) + n] = encoded[d].ids[s : s + n]
            ids[row, len(head) + n : len(head) + n + len(tail)] = tail
            mask[row, : len(head) + n + len(tail)] = 1
        return run(ids, mask)

    window_probs: dict[tuple[int, int], np.ndarray] = {}
    for batch, probs in zip(batches, (pool.map if pool else map)(forward, batches), strict=True):
        for row, (d, s, n) in enumerate(batch):
            window_probs[(d, s)] = probs[row, len(head) : len(head) + n]
    return [
        merge_windows(len(enc.ids), starts[d], [window_probs[(d, s)] for s in starts[d]])
        for d, enc in enumerate(encoded)
    ]


def predict_probs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    max_length: int = 512,
    stride: int = 384,
    batch_size: int = 8,
) -> list[np.ndarray]:
    """Per-character probabilities ``[len(text), n_tags]`` for each text, with a transformers model."""
    import torch

    device = next(model.parameters()).device
    tags = [model.config.id2label[i] for i in range(model.config.num_labels)]

    @torch.inference_mode()
    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        logits = model(
            input_ids=torch.from_numpy(ids).to(device), attention_mask=torch.from_numpy(mask).to(device)
        ).logits
        return torch.softmax(logits.float(), dim=-1).cpu().numpy()

    head, tail = special_ids(tokenizer)
    encoded = [encode(tokenizer, t) for t in texts]
    merged = windowed_probs(encoded, run, (head, tail, tokenizer.pad_token_id or 0), max_length, stride, batch_size)
    return [char_probs(len(t), enc, m, tags) for t, enc, m in zip(texts, encoded, merged, strict=True)]


def probs_to_spans(probs: np.ndarray, tags: Sequence[str]) -> list[Span]:
    """Spans from the most likely tag per character; a span's score is the mean probability of its tags."""
    if not len(probs):
        return []
    best = probs.argmax(axis=1)
    return bio_to_spans([tags[i] for i in best], probs[np.arange(len(best)), best].tolist())
