"""Where text stands apart, told by the geometry of its ink, not by spaces in the OCR string: the
recogniser drops or invents spaces (``859`` read as ``8 59``, seven figures of seven columns read as
``0 0000 0 0``), while the gap between two connected components of ink is measured in pixels. Gaps are
compared with the glyph height of the page, so the rules hold at any resolution.

Components are boxes (x0, y0, x1, y1) in pixels, one per connected component of text ink.
"""

from __future__ import annotations

import re
import unicodedata

import cv2
import numpy as np

_FIGURE_ONLY = re.compile(r"^[\d.,\s]*\d[\d.,\s]*$")


def components(ink: np.ndarray, least: float) -> np.ndarray:
    """Boxes of the connected components of ``ink`` (255 = ink), specks smaller than ``least`` pixels
    on their longer side left out; an (n, 4) int array."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return np.zeros((0, 4), np.int32)
    stats = stats[1:]
    keep = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) >= least
    x, y = stats[keep, cv2.CC_STAT_LEFT], stats[keep, cv2.CC_STAT_TOP]
    w, h = stats[keep, cv2.CC_STAT_WIDTH], stats[keep, cv2.CC_STAT_HEIGHT]
    return np.stack([x, y, x + w, y + h], axis=1).astype(np.int32)


def inside(boxes: np.ndarray, area: tuple[float, float, float, float]) -> np.ndarray:
    """The boxes whose centre lies in ``area``."""
    if not len(boxes):
        return boxes
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    return boxes[(cx >= area[0]) & (cx <= area[2]) & (cy >= area[1]) & (cy <= area[3])]


def union(boxes: np.ndarray) -> tuple[int, int, int, int]:
    return int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max())


def runs(boxes: np.ndarray, gap: float) -> list[np.ndarray]:
    """Components of one line cut into runs left to right wherever the blank between the ink so far
    and the next component is wider than ``gap`` pixels: the words or figures of the line."""
    if not len(boxes):
        return []
    boxes = boxes[np.argsort(boxes[:, 0], kind="stable")]
    out, start, right = [], 0, boxes[0, 2]
    for i in range(1, len(boxes)):
        if boxes[i, 0] - right > gap:
            out.append(boxes[start:i])
            start = i
        right = max(right, boxes[i, 2])
    out.append(boxes[start:])
    return out


def lines(boxes: np.ndarray, glyph: float) -> list[np.ndarray]:
    """Components cut into lines top to bottom at blank rows; a band thinner than half a glyph (the
    strokes of 二 or 三, a lone 、) joins its neighbour when both fit in one glyph height."""
    if not len(boxes):
        return []
    boxes = boxes[np.argsort(boxes[:, 1], kind="stable")]
    bands: list[list[int]] = []
    bottom = -1
    for i, box in enumerate(boxes):
        if bands and box[1] < bottom:
            bands[-1].append(i)
            bottom = max(bottom, box[3])
        else:
            bands.append([i])
            bottom = box[3]
    groups = [boxes[b] for b in bands]
    merged: list[np.ndarray] = []
    for group in groups:
        if merged:
            prev = merged[-1]
            top, low = int(prev[:, 1].min()), int(group[:, 3].max())
            thin = min(_height(prev), _height(group)) < 0.5 * glyph
            if thin and low - top <= 1.3 * glyph:
                merged[-1] = np.concatenate([prev, group])
                continue
        merged.append(group)
    return merged


def _height(boxes: np.ndarray) -> int:
    return int(boxes[:, 3].max() - boxes[:, 1].min())


def is_figures(text: str) -> bool:
    """Digits with nothing but separators and spaces between them."""
    return bool(_FIGURE_ONLY.match(text))


def one_figure(text: str) -> str:
    """A figure read from one run of ink: spaces the recogniser put between its digits dropped, and
    full-width digits (１203) written as ASCII."""
    if not is_figures(text):
        return text.strip()
    return unicodedata.normalize("NFKC", re.sub(r"\s+", "", text))
