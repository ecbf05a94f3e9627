"""Batched sliding-window prediction: texts in, per-character tag probabilities out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from govreport.inference.spans import Span, bio_to_spans
from govreport.models.encoding import char_probs, content_size, encode, special_ids
from govreport.models.windows import merge_windows, window_starts
from transformers import PreTrainedModel, PreTrainedTokenizerBase


@torch.inference_mode()
def predict_probs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    max_length: int = 512,
    stride: int = 384,
    batch_size: int = 8,
) -> list[np.ndarray]:
    """Per-character probabilities ``[len(text), n_tags]`` for each text.

    Windows of all texts are batched together, longest first so padding stays small, then merged back
    per text keeping each token from the window where it sits farthest from a cut.
    """
    device = next(model.parameters()).device
    tags = [model.config.id2label[i] for i in range(model.config.num_labels)]
    head, tail = special_ids(tokenizer)
    size = content_size(tokenizer, max_length)
    encoded = [encode(tokenizer, t) for t in texts]
    jobs = [
        (d, s, head + enc.ids[s : s + size].tolist() + tail)
        for d, enc in enumerate(encoded)
        for s in window_starts(len(enc.ids), size, stride)
        if len(enc.ids)
    ]
    jobs.sort(key=lambda job: -len(job[2]))
    window_probs: dict[tuple[int, int], np.ndarray] = {}
    pad = tokenizer.pad_token_id or 0
    for b in range(0, len(jobs), batch_size):
        batch = jobs[b : b + batch_size]
        width = len(batch[0][2])
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (_, _, seq) in enumerate(batch):
            ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
        probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        for row, (d, s, seq) in enumerate(batch):
            window_probs[(d, s)] = probs[row, len(head) : len(seq) - len(tail)]
    out = []
    for d, (text, enc) in enumerate(zip(texts, encoded, strict=True)):
        starts = window_starts(len(enc.ids), size, stride) if len(enc.ids) else []
        merged = merge_windows(len(enc.ids), starts, [window_probs[(d, s)] for s in starts])
        out.append(char_probs(len(text), enc, merged, tags))
    return out


def probs_to_spans(probs: np.ndarray, tags: Sequence[str]) -> list[Span]:
    """Spans from the most likely tag per character; a span's score is the mean probability of its tags."""
    if not len(probs):
        return []
    best = probs.argmax(axis=1)
    return bio_to_spans([tags[i] for i in best], probs[np.arange(len(best)), best].tolist())
