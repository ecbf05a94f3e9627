"""The cell-by-cell page reader (``ocr.cell_reading: true``): clean the page, detect text lines once at a
coarse scale, find the ruled tables, then recognise in one batch every word outside the tables (cut at
the gaps of its ink) and every line of ink inside each cell. Ink that detection missed outside the tables
(a heading numeral under speckle) joins the box beside it or is read on its own at twice the size.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from govreport.configs import load
from govreport.inference.readers.grids import Edge, Word, edge, fill_grid, find_tables
from govreport.inference.readers.layout import Line, Page, Table, words_to_lines
from govreport.inference.readers.ocr.cells import CellLine, cell_crop, cell_texts, crop, plan_cells, sharpened
from govreport.inference.readers.ocr.clean import clean, rulings_masks, text_ink
from govreport.inference.readers.ocr.figures import (
    components,
    inside,
    is_figures,
    lines,
    one_figure,
    runs,
    union,
)
from govreport.inference.readers.ocr.runtime import PixelBox, detect, recognise, settings, stage


@dataclass
class Piece:
    """A stretch of text outside the tables to recognise: its box in pixels, and whether detection
    missed it (read binarised and enlarged)."""

    box: PixelBox
    missed: bool = False
    text: str = ""
    score: float = 0.0


def cell_level(image: np.ndarray, number: int, unit: float, origin: tuple[float, float] = (0.0, 0.0)) -> Page:
    """One page image (or a picture on a page, its corner at ``origin``) as prose lines and table grids,
    in points (``unit`` points per pixel)."""
    cfg = settings()
    cc = cfg["cells"]
    height, width = image.shape[:2]
    page = Page(number, width * unit, height * unit)
    with stage("clean"):
        cleaned = clean(image)
        gray = cleaned.gray
    with stage("layout"):
        # before detection, so detection can skip the tables: rulings longer than a few lines of text
        guess = cc["default_box_pt"] / unit
        length = max(int(load("readers")["layout"]["ruling_min_heights"] * guess), 10)
        across, down = rulings_masks(gray, length)
        found = find_tables(_edges(across, unit, origin) + _edges(down, unit, origin))
        ruled = cv2.dilate(across | down, np.ones((5, 5), np.uint8))
        comps = components(text_ink(cleaned, ruled), cc["speck"] * guess)

        def px(b: tuple[float, float, float, float]) -> PixelBox:
            return ((b[0] - origin[0]) / unit, (b[1] - origin[1]) / unit, (b[2] - origin[0]) / unit, (b[3] - origin[1]) / unit)

        table_areas = [px(t.bbox) for t in found]
        in_tables = np.zeros(len(comps), bool)
        for area in table_areas:
            in_tables |= _mask_inside(comps, area)
        free = comps[~in_tables]
    with stage("detect"):
        spans = _spans(free, guess, height) if cfg["det_bands"] else None
        boxes = detect(gray, min(1.0, cfg["det_dpi"] * unit / 72), spans)
    with stage("layout"):
        if not boxes and not len(comps):
            return page
        box_h = statistics.median(b[3] - b[1] for b in boxes) if boxes else guess
        glyph = _glyph(boxes, comps, box_h)
        clear = gray.copy()
        clear[ruled > 0] = 255  # cells are cut from the page without its rulings

        cell_areas = [px(c) for t in found for row in t.rows for c in row.cells if c is not None]
        outside, loose = [], []
        for b in boxes:
            centre = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
            if any(_holds(a, centre) for a in cell_areas):
                continue  # read with its cell
            (loose if any(_holds(a, centre) for a in table_areas) else outside).append(b)
        free = free[~_rules(free, glyph)]
        pieces = _pieces(outside, free, glyph, cc)
        # table print is often smaller than the prose: its glyphs are the taller of its components
        small = float(np.percentile(comps[in_tables, 3] - comps[in_tables, 1], 80)) if in_tables.any() else glyph
        cell_pad = cc["pad"] * small
        plan = plan_cells(found, comps, unit, origin, small, cc["trim"] * small)
        # ink in a table but in no cell (a ruling missing around it) goes to its row and column band
        in_cells = np.zeros(len(comps), bool)
        for area in cell_areas:
            in_cells |= _mask_inside(comps, area)
        stray = comps[in_tables & ~in_cells]
        for line in lines(stray, small):
            for run in runs(line, cc["word_gap"] * small):
                box = union(run)
                if max(box[2] - box[0], box[3] - box[1]) >= cc["min_word"] * small:
                    loose.append((box[0] - cell_pad, box[1] - cell_pad, box[2] + cell_pad, box[3] + cell_pad))
    pad = cc["pad"] * glyph
    with stage("recognise"):
        crops = [_piece_crop(gray, p, pad) for p in pieces]
        crops += [cell_crop(clear, ln, cell_pad, cleaned.paper) for ln in plan.lines]
        crops += [crop(gray, b, 0) for b in loose]
        read = recognise(crops)
        for p, (text, score) in zip(pieces, read, strict=False):
            p.text, p.score = text.strip(), score
        for ln, (text, score) in zip(plan.lines, read[len(pieces) :], strict=False):
            ln.text, ln.score = text.strip(), score
        loose_read = read[len(pieces) + len(plan.lines) :]
    with stage("second_pass"):
        words = _second_pass(gray, clear, pieces, plan.lines, free, glyph, pad, cell_pad, cleaned.paper, cfg["min_score"])
    to_pt = _to_points(unit, origin)
    words = [Word(text, to_pt(box)) for text, box in words]
    loose_words = [
        Word(text.strip(), to_pt(b))
        for b, (text, score) in zip(loose, loose_read, strict=True)
        if score >= cfg["min_score"] and text.strip()
    ]
    texts = cell_texts(plan)
    tables = []
    for t, table in enumerate(found):
        grid = fill_grid(table, loose_words, number)
        for i, row in enumerate(table.rows):
            for j, bbox in enumerate(row.cells):
                cell = grid[i][j]
                if bbox is not None and cell is not None and (t, i, j) in texts:
                    cell.text = texts[(t, i, j)]
        tables.append(Table(grid, table.bbox, number))
    blocks: list[Line | Table] = [*words_to_lines(words, number, cfg["tab_gap"]), *tables]
    blocks.sort(key=lambda b: (b.bbox[1], b.bbox[0]))
    page.blocks = blocks
    return page


def _spans(free: np.ndarray, box: float, height: int) -> list[tuple[int, int]]:
    """Bands of the page (rows y0..y1) that hold ink outside the tables, each with half a line of margin;
    bands closer than two lines are one."""
    if not len(free):
        return []
    order = np.argsort(free[:, 1])
    spans: list[list[float]] = []
    for y0, y1 in free[order][:, [1, 3]]:
        if spans and y0 - spans[-1][1] < 2 * box:
            spans[-1][1] = max(spans[-1][1], y1)
        else:
            spans.append([y0, y1])
    return [(max(int(a - box / 2), 0), min(int(b + box / 2), height)) for a, b in spans]


def _pieces(boxes: list[PixelBox], free: np.ndarray, glyph: float, cc: dict[str, Any]) -> list[Piece]:
    """Detected boxes outside the tables, widened over ink beside them that detection left out, then cut
    into words at the gaps of their ink; ink no box reaches becomes a piece of its own."""
    gap = cc["word_gap"] * glyph
    boxes = list(boxes)
    reach = 0.2 * glyph
    covered = np.zeros(len(free), bool)
    for b in boxes:
        covered |= _mask_inside(free, (b[0] - reach, b[1] - reach, b[2] + reach, b[3] + reach))
    missed = free[~covered]
    lone: list[PixelBox] = []
    for line in lines(missed, glyph):
        for run in runs(line, gap):
            x0, y0, x1, y1 = union(run)
            if not cc["missed_min"] * glyph <= y1 - y0 <= cc["missed_max"] * glyph:
                continue
            near = [
                k
                for k, b in enumerate(boxes)
                if abs((b[1] + b[3]) / 2 - (y0 + y1) / 2) <= 0.5 * (b[3] - b[1])
                and max(b[0] - x1, x0 - b[2]) <= gap
            ]
            if near:
                b = boxes[near[0]]
                boxes[near[0]] = (min(b[0], x0), b[1], max(b[2], x1), b[3])
            else:
                lone.append((x0, y0, x1, y1))
    owner = _owners(free, boxes, reach)
    out = []
    for k, b in enumerate(boxes):
        ink = free[owner == k]
        if not len(ink):
            out.append(Piece(b))
            continue
        for run in runs(ink, gap):
            x0, y0, x1, y1 = union(run)
            if max(x1 - x0, y1 - y0) < cc["min_word"] * glyph:
                continue  # a speck beside the text
            out.append(Piece((x0, min(b[1], y0), x1, max(b[3], y1))))
    out += [Piece(b, missed=True) for b in lone]
    return out


def _rules(comps: np.ndarray, glyph: float) -> np.ndarray:
    """Which components are lines, not text: a stroke thinner than a fifth of a glyph and taller than
    1.3 glyphs (the rulings of a table row too short to pass for a ruling: a one-row table carried over
    to the next page, whose verticals would read as 1), or flatter and wider than four glyphs."""
    if not len(comps):
        return np.zeros(0, bool)
    width, height = comps[:, 2] - comps[:, 0], comps[:, 3] - comps[:, 1]
    thin = 0.2 * glyph
    return ((width <= thin) & (height >= 1.3 * glyph)) | ((height <= thin) & (width >= 4 * glyph))


def _owners(comps: np.ndarray, boxes: list[PixelBox], reach: float) -> np.ndarray:
    """For each component, the box (index) that overlaps it most among those whose widened area holds
    its centre, or -1: detected boxes overlap, and ink read twice would be a figure twice."""
    owner = np.full(len(comps), -1)
    if not len(comps) or not boxes:
        return owner
    best = np.zeros(len(comps))
    for k, b in enumerate(boxes):
        held = _mask_inside(comps, (b[0] - reach, b[1] - reach, b[2] + reach, b[3] + reach))
        width = np.clip(np.minimum(comps[:, 2], b[2]) - np.maximum(comps[:, 0], b[0]), 0, None)
        height = np.clip(np.minimum(comps[:, 3], b[3]) - np.maximum(comps[:, 1], b[1]), 0, None)
        overlap = width * height + 1e-3  # a centre within reach but outside the box still counts
        better = held & (overlap > best)
        owner[better], best[better] = k, overlap[better]
    return owner


def _piece_crop(gray: np.ndarray, piece: Piece, pad: float) -> np.ndarray:
    if piece.missed:
        return sharpened(crop(gray, piece.box, pad), int(pad))
    x0, y0, x1, y1 = piece.box
    return crop(gray, (x0 - pad, y0, x1 + pad, y1), 0)  # a detected box has its margin above and below


def _second_pass(
    gray: np.ndarray,
    clear: np.ndarray,
    pieces: list[Piece],
    cell_lines: list[CellLine],
    free: np.ndarray,
    glyph: float,
    pad: float,
    cell_pad: float,
    paper: float,
    min_score: float,
) -> list[tuple[str, PixelBox]]:
    """Read again what the first pass read badly: a run of figures it put spaces into, cut at the
    figures' gaps; a cell line with ink but nothing read, binarised and doubled. Returns the words
    outside the tables (text, pixel box)."""
    gap = settings()["cells"]["figure_gap"] * glyph
    retry_cells = [ln for ln in cell_lines if ln.score < min_score or not ln.text]
    splits: list[tuple[Piece, list[PixelBox]]] = []
    for p in pieces:
        if p.score >= min_score and is_figures(p.text) and " " in p.text:
            parts = [union(r) for r in runs(inside(free, p.box), gap)]
            if len(parts) >= 2:
                splits.append((p, [(a[0], p.box[1], a[2], p.box[3]) for a in parts]))
    crops = [sharpened(cell_crop(clear, ln, cell_pad, paper), int(cell_pad)) for ln in retry_cells]
    crops += [crop(gray, box, pad) for _, parts in splits for box in parts]
    read = iter(recognise(crops))
    for ln in retry_cells:
        text, score = next(read)
        if text.strip() and score >= min_score and score > ln.score:
            ln.text, ln.score = text.strip(), score
        elif ln.score < min_score:
            ln.text = ""
    split_words: dict[int, list[tuple[str, PixelBox]]] = {}
    for p, parts in splits:
        got = [(next(read), box) for box in parts]
        split_words[id(p)] = [(one_figure(t), box) for (t, s), box in got if t.strip() and s >= min_score]
    words: list[tuple[str, PixelBox]] = []
    for p in pieces:
        if id(p) in split_words:
            words += split_words[id(p)]
        elif p.text and p.score >= min_score:
            words.append((one_figure(p.text), p.box))
    return words


def _glyph(boxes: list[PixelBox], comps: np.ndarray, box_h: float) -> float:
    """The height of the page's glyphs in pixels: the ink inside detected boxes, median over boxes."""
    heights = []
    for b in boxes:
        ink = inside(comps, b)
        if len(ink):
            heights.append(float(ink[:, 3].max() - ink[:, 1].min()))
    return statistics.median(heights) if heights else 0.7 * box_h


def _edges(mask: np.ndarray, unit: float, origin: tuple[float, float]) -> list[Edge]:
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    ox, oy = origin
    out = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        out.append(edge(ox + x * unit, oy + y * unit, ox + (x + w) * unit, oy + (y + h) * unit))
    return out


def _to_points(unit: float, origin: tuple[float, float]) -> Any:
    def convert(b: PixelBox) -> tuple[float, float, float, float]:
        return origin[0] + b[0] * unit, origin[1] + b[1] * unit, origin[0] + b[2] * unit, origin[1] + b[3] * unit

    return convert


def _holds(area: PixelBox, point: tuple[float, float]) -> bool:
    return area[0] <= point[0] <= area[2] and area[1] <= point[1] <= area[3]


def _mask_inside(boxes: np.ndarray, area: PixelBox) -> np.ndarray:
    if not len(boxes):
        return np.zeros(0, bool)
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    return (cx >= area[0]) & (cx <= area[2]) & (cy >= area[1]) & (cy <= area[3])
