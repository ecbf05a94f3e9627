"""Ruled tables read cell by cell: each cell of the grid is looked at on its own, so its content cannot
drift into a neighbour. The rulings are taken out of the ink first; a cell with no ink left is empty (a
blank, not a figure lost), and a cell with ink has each of its lines recognised alone, without detection
(the recogniser reads a one-line crop; the detector, on a row of single digits, joins them or misses
some). A line that reads badly is read once more, binarised and at twice the size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from govreport.inference.readers.ocr.figures import inside, lines, one_figure, union
from govreport.inference.readers.ocr.runtime import PixelBox

CellKey = tuple[int, int, int]  # table, row, column


@dataclass
class CellLine:
    """One line of ink in a cell: its box in pixels, and what was read there."""

    key: CellKey
    box: PixelBox
    limit: PixelBox
    text: str = ""
    score: float = 0.0


@dataclass
class CellPlan:
    """The lines of every cell with ink; cells without ink are known blanks."""

    lines: list[CellLine] = field(default_factory=list)
    blank: set[CellKey] = field(default_factory=set)


def plan_cells(
    tables: list[Any], comps: np.ndarray, unit: float, origin: tuple[float, float], glyph: float, trim: float
) -> CellPlan:
    """For every cell of ``tables`` (pdfplumber tables in points), the lines of ink inside it, ``trim``
    pixels in from its rulings."""
    plan = CellPlan()
    ox, oy = origin
    for t, table in enumerate(tables):
        for i, row in enumerate(table.rows):
            for j, bbox in enumerate(row.cells):
                if bbox is None:
                    continue
                area = (
                    (bbox[0] - ox) / unit + trim,
                    (bbox[1] - oy) / unit + trim,
                    (bbox[2] - ox) / unit - trim,
                    (bbox[3] - oy) / unit - trim,
                )
                found = _off_rulings(inside(comps, area), area, glyph)
                if not len(found):
                    plan.blank.add((t, i, j))
                    continue
                for line in lines(found, glyph):
                    plan.lines.append(CellLine((t, i, j), union(line), area))
    return plan


def _off_rulings(found: np.ndarray, area: PixelBox, glyph: float) -> np.ndarray:
    """The cell's components less the slivers of a ruling its removal left behind (blur and JPEG widen a
    ruling past its mask): thin strokes longer than a glyph along a cell's edge, within half a glyph of
    it. A dash (—) in the middle of a cell and a 1 beside the edge (shorter than a glyph) stay."""
    if not len(found):
        return found
    width, height = found[:, 2] - found[:, 0], found[:, 3] - found[:, 1]
    thin, near = 0.2 * glyph, 0.5 * glyph
    upright = (width <= thin) & (height >= glyph) & (
        (found[:, 0] - area[0] <= near) | (area[2] - found[:, 2] <= near)
    )
    flat = (height <= thin) & (width >= glyph) & (
        (found[:, 1] - area[1] <= near) | (area[3] - found[:, 3] <= near)
    )
    return found[~(upright | flat)]


def crop(gray: np.ndarray, box: PixelBox, pad: float, limit: PixelBox | None = None) -> np.ndarray:
    """The pixels of ``box`` and ``pad`` around it, kept within ``limit`` (a cell's inside) and the image."""
    height, width = gray.shape[:2]
    x0, y0, x1, y1 = box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad
    if limit is not None:
        x0, y0, x1, y1 = max(x0, limit[0]), max(y0, limit[1]), min(x1, limit[2]), min(y1, limit[3])
    x0, y0 = max(int(x0), 0), max(int(y0), 0)
    x1, y1 = min(int(np.ceil(x1)), width), min(int(np.ceil(y1)), height)
    piece = gray[y0:y1, x0:x1]
    if piece.size == 0:
        return np.full((8, 8), 255, np.uint8)
    return np.ascontiguousarray(piece)


def cell_crop(gray: np.ndarray, line: CellLine, pad: float, paper: float) -> np.ndarray:
    """A cell line's crop with only its own ink: the margin around the line's ink box is painted paper
    (a speck the median filter left, a sliver of ruling there would be read as a 1); within the box all
    stays, the point of 7730.28 included."""
    piece = crop(gray, line.box, pad, line.limit).copy()
    x0 = max(int(max(line.box[0] - pad, line.limit[0])), 0)
    y0 = max(int(max(line.box[1] - pad, line.limit[1])), 0)
    a, b, c, d = (int(v) for v in line.box)
    keep = np.zeros(piece.shape[:2], bool)
    keep[max(b - y0 - 1, 0) : d - y0 + 1, max(a - x0 - 1, 0) : c - x0 + 1] = True
    piece[~keep] = int(paper)
    return piece


def sharpened(piece: np.ndarray, pad: int) -> np.ndarray:
    """A crop binarised (Otsu) and doubled in size, on a white margin: the second look at a line the
    first reading got nothing from."""
    big = cv2.resize(piece, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    _, binary = cv2.threshold(big, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return cv2.copyMakeBorder(binary, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


def cell_texts(plan: CellPlan) -> dict[CellKey, str]:
    """Each cell's text, lines top to bottom; a line read as a figure is one string."""
    out: dict[CellKey, list[str]] = {}
    for line in sorted(plan.lines, key=lambda ln: (ln.key, ln.box[1])):
        if line.text:
            out.setdefault(line.key, []).append(one_figure(line.text))
    return {key: "\n".join(parts) for key, parts in out.items()}
