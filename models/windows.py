"""Sliding windows over long token sequences, shared by training and inference.

A report is longer than the encoder's 512 positions, so it is cut into overlapping windows; at
inference each token's prediction is taken from the window where it sits farthest from a cut edge,
where it saw the most context on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def window_starts(n_tokens: int, size: int, stride: int) -> list[int]:
    """Start offsets of windows of ``size`` tokens every ``stride`` tokens; the last one ends at ``n_tokens``."""
    if size <= 0 or stride <= 0 or stride > size:
        raise ValueError(f"need 0 < stride <= size, got size={size} stride={stride}")
    if n_tokens <= size:
        return [0]
    starts = list(range(0, n_tokens - size, stride))
    return [*starts, n_tokens - size]


def merge_windows(n_tokens: int, starts: Sequence[int], values: Sequence[np.ndarray]) -> np.ndarray:
    """Per-token rows from overlapping windows: each token from the window where it is farthest from a cut.

    ``values[k]`` holds the rows for tokens ``starts[k] : starts[k] + len(values[k])``. A window edge
    that coincides with the document's start or end is no cut (no context is missing there). Ties go
    to the earlier window.
    """
    if not values:
        return np.zeros((n_tokens, 0), dtype=np.float32)
    out = np.zeros((n_tokens, values[0].shape[1]), dtype=values[0].dtype)
    best = np.full(n_tokens, -1.0)
    for start, rows in zip(starts, values, strict=True):
        length = len(rows)
        idx = np.arange(length, dtype=float)
        left = idx if start > 0 else np.full(length, np.inf)
        right = (length - 1 - idx) if start + length < n_tokens else np.full(length, np.inf)
        dist = np.minimum(left, right)
        span = slice(start, start + length)
        better = dist > best[span]
        out[span][better] = rows[better]
        best[span] = np.where(better, dist, best[span])
    return out
