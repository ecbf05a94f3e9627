"""Scanned pages and photos: RapidOCR (PP-OCR models inside the wheel, onnxruntime, offline) reads text
boxes; rulings found with OpenCV rebuild table grids exactly as for text-layer PDFs, and text outside
tables is grouped into lines by box alignment. Coordinates are converted to points (1/72 inch) so the
layout thresholds and the boxes mean the same as for PDF text layers.
"""

from __future__ import annotations

import io
import itertools
import os
import statistics
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from configs import load
from inference.document import Document, InputError
from inference.readers.builder import TextBuilder
from inference.readers.grids import Edge, Word, edge, fill_grid, find_tables
from inference.readers.layout import Line, Page, Table, drop_furniture, emit, stitch_tables, words_to_lines


@cache
def engine() -> Any:
    """One RapidOCR engine per process (loading the models takes seconds)."""
    from rapidocr import RapidOCR

    cfg = load("readers")["ocr"]
    threads = int(os.environ.get("GOVREPORT_OCR_THREADS", cfg["threads"])) or -1
    return RapidOCR(params={
        "Global.use_cls": cfg["use_cls"],
        "Global.max_side_len": cfg["max_side_len"],
        "Global.log_level": "warning",
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
    })


def ocr_words(image: np.ndarray, unit: float) -> list[Word]:
    """Text boxes of an RGB image, in points (``unit`` points per pixel)."""
    result = engine()(image)
    if result.boxes is None or result.txts is None:
        return []
    min_score = load("readers")["ocr"]["min_score"]
    words = []
    for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
        if score < min_score or not text.strip():
            continue
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        words.append(Word(text.strip(), (min(xs) * unit, min(ys) * unit, max(xs) * unit, max(ys) * unit)))
    return words


def image_rulings(image: np.ndarray, unit: float, text_height: float) -> list[Edge]:
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
            edges.append(edge(x * unit, y * unit, (x + w) * unit, (y + h) * unit))
    return edges


def _split_across_columns(words: list[Word], tables: list[Any]) -> list[Word]:
    """A recognised box that runs over a vertical ruling holds text of two cells: cut it where the
    ruling falls, sharing its width evenly between its characters."""
    out: list[Word] = []
    for word in words:
        cuts = sorted({
            x for t in tables for col in t.columns for x in (col.bbox[0], col.bbox[2])
            if t.bbox[1] <= word.centre[1] <= t.bbox[3] and word.bbox[0] + 2 < x < word.bbox[2] - 2
        })
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


def image_page(image: np.ndarray, number: int, unit: float) -> Page:
    """One page image as prose lines and table grids (sizes in points)."""
    height, width = image.shape[:2]
    words = ocr_words(image, unit)
    page = Page(number, width * unit, height * unit)
    if not words:
        return page
    text_height = statistics.median(w.bbox[3] - w.bbox[1] for w in words)
    found = find_tables(image_rulings(image, unit, text_height))
    words = _split_across_columns(words, found)
    tables = [Table(fill_grid(t, words, number), t.bbox, number) for t in found]
    rest = [w for w in words if not any(_in(w, t.bbox) for t in tables)]
    blocks: list[Line | Table] = [*words_to_lines(rest, number), *tables]
    blocks.sort(key=lambda b: (b.bbox[1], b.bbox[0]))
    page.blocks = blocks
    return page


def _in(word: Word, bbox: tuple[float, float, float, float]) -> bool:
    x, y = word.centre
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def ocr_pdf_pages(path: Path, data: bytes | None, numbers: list[int]) -> list[Page]:
    """Render the given PDF pages (pypdfium2) and read them by OCR."""
    import pypdfium2 as pdfium

    dpi = load("readers")["ocr"]["dpi"]
    pdf = pdfium.PdfDocument(data if data is not None else str(path))
    try:
        pages = []
        for number in numbers:
            bitmap = pdf[number].render(scale=dpi / 72)
            pages.append(image_page(bitmap.to_numpy()[:, :, :3].copy(), number, 72 / dpi))
        return pages
    finally:
        pdf.close()


def read_image(path: str | Path, data: bytes | None = None) -> Document:
    """A PNG/JPEG/TIFF (multi-page) photo or scan read by OCR."""
    path = Path(path)
    data = path.read_bytes() if data is None else data
    default_dpi = load("readers")["ocr"]["dpi"]
    try:
        picture = Image.open(io.BytesIO(data))
        frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(picture)]
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputError(str(path), "read-image", f"unreadable or truncated image ({exc})") from None
    pages = []
    for number, frame in enumerate(frames):
        dpi = float((frame.info.get("dpi") or picture.info.get("dpi") or (default_dpi,))[0]) or default_dpi
        pages.append(image_page(np.asarray(frame), number, 72 / dpi))
    builder = TextBuilder(str(path), "image")
    builder.pages = len(pages)
    drop_furniture(pages)
    stitch_tables(pages)
    emit(builder, pages)
    doc = builder.build()
    if not doc.text.strip():
        raise InputError(str(path), "ocr", "no text found in the image")
    return doc
