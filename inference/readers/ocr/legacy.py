"""The page-level OCR path (issue 5), kept selectable (``ocr.cell_reading: false`` or
``GOVREPORT_OCR_CELL_READING=0``) so the cell-by-cell reader can be benchmarked against it side by side:
RapidOCR detects and recognises every text box of the page; rulings found with OpenCV rebuild table grids
and boxes are placed into cells by their centres.
"""

from __future__ import annotations

import itertools
import re
import statistics
from typing import Any

import cv2
import numpy as np
from govreport.configs import load
from govreport.inference.readers.grids import Edge, Word, edge, fill_grid, find_tables
from govreport.inference.readers.layout import Line, Page, Table, words_to_lines
from govreport.inference.readers.ocr.runtime import engine


def ocr_words(image: np.ndarray, unit: float, origin: tuple[float, float] = (0.0, 0.0)) -> list[Word]:
    """Text boxes of an RGB image, in points (``unit`` points per pixel; the image's top-left corner at
    ``origin`` on the page). The detector joins figures of neighbouring columns into one box when no
    ruling parts them; such a box is cut into words where its characters stand apart."""
    # engine flags persist between calls, so every call names the steps it runs
    result = engine()(image, use_det=True, use_cls=load("readers")["ocr"]["use_cls"], use_rec=True)
    if result.boxes is None or result.txts is None:
        return []
    min_score = load("readers")["ocr"]["min_score"]
    ox, oy = origin

    def box(points: Any) -> tuple[float, float, float, float]:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return ox + min(xs) * unit, oy + min(ys) * unit, ox + max(xs) * unit, oy + max(ys) * unit

    words = []
    tokens_of = result.word_results or [()] * len(result.txts)
    for quad, text, score, tokens in zip(result.boxes, result.txts, result.scores, tokens_of, strict=True):
        if score < min_score or not text.strip():
            continue
        if _FIGURES.match(text) and (pieces := _read_figures_apart(image, quad)):
            words += [Word(t, box(b)) for t, b in pieces]
            continue
        if not tokens or "".join(t[0] for t in tokens).replace(" ", "") != text.replace(" ", ""):
            words.append(Word(text.strip(), box(quad)))
            continue
        height = box(quad)[3] - box(quad)[1]
        group: list[tuple[str, tuple[float, float, float, float]]] = []
        for token, _, points in tokens:
            bbox = box(points)
            if group and bbox[0] - group[-1][1][2] > 0.6 * height:
                words.append(_join(group))
                group = []
            group.append((token, bbox))
        words.append(_join(group))
    return words


_FIGURES = re.compile(r"^[\d.,\s]*\d[\d.,\s]*\d[\d.,\s]*$")  # two or more digits, nothing else


def _read_figures_apart(image: np.ndarray, quad: Any) -> list[tuple[str, Any]]:
    """Figures of neighbouring columns detected as one box: the recogniser drops repeated digits across
    the gaps ("0 0 0" read as "00"). Cut the box at blank columns of ink and read each figure alone."""
    x0, y0 = max(int(min(p[0] for p in quad)), 0), max(int(min(p[1] for p in quad)), 0)
    x1, y1 = int(max(p[0] for p in quad)) + 1, int(max(p[1] for p in quad)) + 1
    crop = image[y0:y1, x0:x1]
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    ink = (gray < min(160, int(gray.mean()) - 30)).any(axis=0)
    height, pieces, start, blank = y1 - y0, [], None, 0
    for x, dark in enumerate([*ink, False]):
        if dark:
            start, blank = (x if start is None else start), 0
            end = x + 1
        elif start is not None:
            blank += 1
            if blank > 0.35 * height or x == len(ink):
                pieces.append((start, end))
                start = None
    if len(pieces) < 2:
        return []
    out = []
    for a, b in pieces:
        pad = height // 4
        piece = crop[:, max(a - pad, 0) : b + pad]
        text = "".join(engine()(np.ascontiguousarray(piece), use_det=False, use_cls=False, use_rec=True).txts)
        if text.strip():
            out.append((text.strip(), [[x0 + a, y0], [x0 + b, y0], [x0 + b, y1], [x0 + a, y1]]))
    return out


def _join(group: list[tuple[str, tuple[float, float, float, float]]]) -> Word:
    return Word(
        "".join(t for t, _ in group),
        (group[0][1][0], min(b[1] for _, b in group), group[-1][1][2], max(b[3] for _, b in group)),
    )


def image_rulings(
    image: np.ndarray, unit: float, text_height: float, origin: tuple[float, float] = (0.0, 0.0)
) -> list[Edge]:
    """Table rulings in an image: dark strokes that stay solid under a long thin opening, longer than
    any glyph stroke (``ruling_min_heights`` text heights)."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    ink = cv2.adaptiveThreshold(255 - gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, -2)
    length = max(int(load("readers")["layout"]["ruling_min_heights"] * text_height / unit), 10)
    edges = []
    for size in ((length, 1), (1, length)):
        mask = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            ox, oy = origin
            edges.append(edge(ox + x * unit, oy + y * unit, ox + (x + w) * unit, oy + (y + h) * unit))
    return edges


def _split_across_columns(words: list[Word], tables: list[Any]) -> list[Word]:
    """A recognised box that runs over a vertical ruling holds text of two cells: cut it where the
    ruling falls, sharing its width evenly between its characters."""
    out: list[Word] = []
    for word in words:
        cuts = sorted(
            {
                x
                for t in tables
                for col in t.columns
                for x in (col.bbox[0], col.bbox[2])
                if t.bbox[1] <= word.centre[1] <= t.bbox[3] and word.bbox[0] + 2 < x < word.bbox[2] - 2
            }
        )
        if not cuts or len(word.text) < 2:
            out.append(word)
            continue
        step = (word.bbox[2] - word.bbox[0]) / len(word.text)
        bounds = [word.bbox[0], *cuts, word.bbox[2]]
        for left, right in itertools.pairwise(bounds):
            chars = [c for i, c in enumerate(word.text) if left <= word.bbox[0] + (i + 0.5) * step < right]
            if "".join(chars).strip():
                out.append(Word("".join(chars).strip(), (left, word.bbox[1], right, word.bbox[3])))
    return out


def page_level(image: np.ndarray, number: int, unit: float, origin: tuple[float, float] = (0.0, 0.0)) -> Page:
    """One page image (or a picture on a page, its corner at ``origin``) as prose lines and table grids,
    in points."""
    height, width = image.shape[:2]
    words = ocr_words(image, unit, origin)
    page = Page(number, width * unit, height * unit)
    if not words:
        return page
    text_height = statistics.median(w.bbox[3] - w.bbox[1] for w in words)
    found = find_tables(image_rulings(image, unit, text_height, origin))
    words = _split_across_columns(words, found)
    tables = [Table(fill_grid(t, words, number), t.bbox, number) for t in found]
    rest = [w for w in words if not any(_in(w, t.bbox) for t in tables)]
    blocks: list[Line | Table] = [*words_to_lines(rest, number, load("readers")["ocr"]["tab_gap"]), *tables]
    blocks.sort(key=lambda b: (b.bbox[1], b.bbox[0]))
    page.blocks = blocks
    return page


def _in(word: Word, bbox: tuple[float, float, float, float]) -> bool:
    x, y = word.centre
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


