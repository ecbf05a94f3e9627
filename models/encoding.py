"""Text ↔ token alignment by character offsets, so any fast tokenizer works (ours is one char per token)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from govreport.inference.normalize import to_simplified
from govreport.models.windows import window_starts

if TYPE_CHECKING:  # this module serves the torch-free ONNX path too: transformers only for the type hints
    from govreport.models.chars import CharTokenizer
    from transformers import PreTrainedTokenizerBase

IGNORE = -100  # label of special and padding tokens: the loss and metrics skip it


@dataclass(frozen=True)
class Encoded:
    """A text's tokens without special tokens: ids and ``[start, end)`` character offsets per token."""

    ids: np.ndarray
    offsets: np.ndarray


def encode(tokenizer: PreTrainedTokenizerBase, text: str) -> Encoded:
    """Tokenize ``text`` whole (no truncation); tokens covering no character are dropped. Traditional
    characters are read as their Simplified forms (same offsets): the vocabulary is GB2312."""
    enc = tokenizer(
        to_simplified(text), add_special_tokens=False, return_offsets_mapping=True, truncation=False
    )
    ids = np.asarray(enc["input_ids"], dtype=np.int64)
    offsets = np.asarray(enc["offset_mapping"], dtype=np.int64).reshape(-1, 2)
    keep = offsets[:, 1] > offsets[:, 0]
    return Encoded(ids[keep], offsets[keep])


def special_ids(tokenizer: PreTrainedTokenizerBase | CharTokenizer) -> tuple[list[int], list[int]]:
    """Ids put before and after each window ([CLS] … [SEP] for BERT-style tokenizers)."""
    head = [tokenizer.cls_token_id] if tokenizer.cls_token_id is not None else []
    tail = [tokenizer.sep_token_id] if tokenizer.sep_token_id is not None else []
    return head, tail


def content_size(tokenizer: PreTrainedTokenizerBase | CharTokenizer, max_length: int) -> int:
    """Text tokens per window once the special tokens are in."""
    head, tail = special_ids(tokenizer)
    return max_length - len(head) - len(tail)


def token_labels(offsets: np.ndarray, char_tags: Sequence[int]) -> np.ndarray:
    """A token's label is its first character's tag (exact for the char tokenizer)."""
    tags = np.asarray(char_tags, dtype=np.int64)
    return tags[offsets[:, 0]] if len(offsets) else np.zeros(0, dtype=np.int64)


def training_windows(
    tokenizer: PreTrainedTokenizerBase, text: str, char_tags: Sequence[int], max_length: int, stride: int
) -> list[tuple[list[int], list[int]]]:
    """(input_ids, labels) windows of one document, special tokens labelled IGNORE."""
    enc = encode(tokenizer, text)
    labels = token_labels(enc.offsets, char_tags)
    head, tail = special_ids(tokenizer)
    size = content_size(tokenizer, max_length)
    out = []
    for start in window_starts(len(enc.ids), size, stride):
        ids = enc.ids[start : start + size].tolist()
        lab = labels[start : start + size].tolist()
        out.append((head + ids + tail, [IGNORE] * len(head) + lab + [IGNORE] * len(tail)))
    return out


def char_probs(n_chars: int, enc: Encoded, token_probs: np.ndarray, tags: Sequence[str]) -> np.ndarray:
    """Per-character tag probabilities from per-token ones.

    A token's first character takes the token's distribution; its further characters take it with
    B-X mass moved to I-X. Characters no token covers (whitespace a stock tokenizer drops) are O.
    """
    out = np.zeros((n_chars, len(tags)), dtype=np.float32)
    out[:, tags.index("O")] = 1.0
    if not len(enc.ids):
        return out
    out[enc.offsets[:, 0]] = token_probs
    multi = np.nonzero(enc.offsets[:, 1] - enc.offsets[:, 0] > 1)[0]
    if len(multi):
        inside = token_probs[multi].copy()
        for i, tag in enumerate(tags):
            if tag.startswith("B-"):
                inside[:, tags.index("I-" + tag[2:])] += inside[:, i]
                inside[:, i] = 0.0
        for row, k in zip(inside, multi, strict=True):
            out[enc.offsets[k, 0] + 1 : enc.offsets[k, 1]] = row
    return out
