"""Scanned pages and photos: RapidOCR (PP-OCR models inside the wheel, onnxruntime, offline) reads text
boxes; rulings found with OpenCV rebuild table grids exactly as for text-layer PDFs, and text outside
tables is grouped into lines by box alignment. Coordinates are converted to points (1/72 inch) so the
layout thresholds and the boxes mean the same as for PDF text layers.

Memory stays bounded whatever the file claims: pages are decoded (TIFF frames) or rendered (PDF) one at
a time, a page is scaled down to ``limits.max_page_pixels`` before OCR, images over
``limits.max_image_pixels`` are refused before they are decoded, and blank pages never reach OCR.
"""

from __future__ import annotations

import io
import itertools
import math
import os
import re
import statistics
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from govreport.configs import load
from govreport.inference.document import Document, InputError
from govreport.inference.readers.builder import BBox, TextBuilder
from govreport.inference.readers.grids import Edge, Word, edge, fill_grid, find_tables
from govreport.inference.readers.layout import Line, Page, Table, finish, words_to_lines
from govreport.inference.readers.limits import limit
from PIL import Image, UnidentifiedImageError


@cache
def engine() -> Any:
    """One RapidOCR engine per process (loading the models takes seconds)."""
    from rapidocr import RapidOCR

    cfg = load("readers")["ocr"]
    threads = int(os.environ.get("GOVREPORT_OCR_THREADS", cfg["threads"])) or -1
    return RapidOCR(
        params={
            "Global.use_cls": cfg["use_cls"],
            "Global.max_side_len": cfg["max_side_len"],
            "Global.log_level": "warning",
            "Global.return_word_box": True,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        }
    )


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


def image_page(image: np.ndarray, number: int, unit: float, origin: tuple[float, float] = (0.0, 0.0)) -> Page:
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


def page_scale(width: float, height: float, scale: float) -> float:
    """``scale`` (pixels per unit of ``width``/``height``), lowered where needed so the page image has at
    most ``limits.max_page_pixels`` pixels: an oversized page is read at a coarser resolution instead of
    costing gigabytes."""
    pixels = width * height * scale * scale
    most = limit("max_page_pixels")
    return scale if pixels <= most else scale * math.sqrt(most / pixels)


def is_blank(image: np.ndarray) -> bool:
    """Whether a page image holds (almost) no ink: OCR would find nothing on it, slowly. Every other pixel
    of every other row is enough to tell."""
    sample = image[::2, ::2]
    gray = sample.min(axis=2) if sample.ndim == 3 else sample
    background = float(np.median(gray[::2, ::2]))
    ink = np.count_nonzero(gray < background - 60)
    return ink < load("readers")["ocr"]["blank_ink_share"] * gray.size


def _read_page(image: np.ndarray, number: int, unit: float) -> Page:
    if is_blank(image):
        return Page(number, image.shape[1] * unit, image.shape[0] * unit)
    return image_page(image, number, unit)


def ocr_pdf_pages(
    path: Path, data: bytes | None, numbers: list[int], pictures: dict[int, list[BBox]] | None = None
) -> list[Page]:
    """Render the given PDF pages (pypdfium2), one at a time, and read them by OCR; for pages in
    ``pictures`` only those regions (points) are read, into a page that holds just their blocks."""
    import pypdfium2 as pdfium

    dpi = load("readers")["ocr"]["dpi"]
    pictures = pictures or {}
    pdf = pdfium.PdfDocument(data if data is not None else str(path))
    try:
        pages = []
        for number in sorted({*numbers, *pictures}):
            page = pdf[number]
            if next(page.get_objects(), None) is None:  # nothing drawn at all: not even worth rendering
                pages.append(Page(number, *page.get_size()))
                page.close()
                continue
            scale = page_scale(*page.get_size(), dpi / 72)
            image = page.render(scale=scale).to_numpy()[:, :, :3].copy()
            page.close()
            if number not in pictures:
                pages.append(_read_page(image, number, 1 / scale))
                continue
            found = Page(number, image.shape[1] / scale, image.shape[0] / scale)
            for x0, top, x1, bottom in pictures[number]:
                crop = image[
                    round(top * scale) : round(bottom * scale), round(x0 * scale) : round(x1 * scale)
                ]
                if crop.size and not is_blank(crop):
                    found.blocks += image_page(crop.copy(), number, 1 / scale, (x0, top)).blocks
            pages.append(found)
        return pages
    finally:
        pdf.close()


def _frame_image(picture: Image.Image, path: Path, number: int) -> tuple[np.ndarray, float]:
    """The current frame as RGB pixels, scaled down to ``limits.max_page_pixels``, and its points per
    pixel. Frames over ``limits.max_image_pixels`` are refused before they are decoded."""
    width, height = picture.size
    most = limit("max_image_pixels")
    if width * height > most:
        raise InputError(
            str(path),
            "read-image",
            f"page {number + 1} is {width}×{height} pixels, more than limits.max_image_pixels ({most:,})",
        )
    default_dpi = load("readers")["ocr"]["dpi"]
    dpi = float((picture.info.get("dpi") or (default_dpi,))[0]) or default_dpi
    scale = page_scale(width, height, 1.0)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if scale < 1:
        picture.draft("RGB", size)  # JPEG decodes straight at 1/2 … 1/8 size
    frame = picture.convert("RGB")
    if frame.size != size and scale < 1:
        frame = frame.resize(size, Image.Resampling.BOX)
    return np.asarray(frame), 72 / dpi * width / frame.width


def read_image(path: str | Path, data: bytes | None = None) -> Document:
    """A PNG/JPEG/TIFF (multi-page) photo or scan read by OCR, one page in memory at a time."""
    path = Path(path)
    data = path.read_bytes() if data is None else data
    try:
        picture = Image.open(io.BytesIO(data))
        count = getattr(picture, "n_frames", 1)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(str(path), "read-image", f"unreadable or truncated image ({exc})") from None
    most = limit("max_pages")
    if count > most:
        raise InputError(
            str(path), "read-image", f"{count} pages; more than a report can have (limits.max_pages: {most})"
        )
    pages = []
    for number in range(count):
        try:
            picture.seek(number)
            image, unit = _frame_image(picture, path, number)
        except (OSError, ValueError, EOFError, Image.DecompressionBombError) as exc:
            raise InputError(
                str(path), "read-image", f"page {number + 1}: unreadable or truncated image ({exc})"
            ) from None
        pages.append(_read_page(image, number, unit))
    builder = TextBuilder(str(path), "image")
    builder.pages = len(pages)
    return finish(builder, pages, "ocr", "no text found in the image")
