"""Scanned pages and photos: RapidOCR (PP-OCR models inside the wheel, onnxruntime, offline) reads text;
rulings found with OpenCV rebuild table grids exactly as for text-layer PDFs, and text outside tables is
grouped into lines by box alignment. Coordinates are converted to points (1/72 inch) so the layout
thresholds and the boxes mean the same as for PDF text layers.

Two paths read a page (``ocr.cell_reading``, or ``GOVREPORT_OCR_CELL_READING=0|1``):

* cell by cell (default, ``page.py``): the page is cleaned first (``clean.py``: speckle, contrast,
  skew), each ruled cell is cropped and recognised on its own (``cells.py``: an empty cell is known to be
  empty, a figure is one string), text outside tables is detected and cut into words by the gaps of its
  ink (``figures.py``), and ink that detection missed gets a second look;
* page level (``legacy.py``): every text box of the page detected and recognised, then placed into the
  grid by its centre — kept for side-by-side benchmarks.

Memory stays bounded whatever the file claims: pages are decoded (TIFF frames) or rendered (PDF) one at
a time, a page is scaled down to ``limits.max_page_pixels`` before OCR, images over
``limits.max_image_pixels`` are refused before they are decoded, and blank pages never reach OCR.
"""

from __future__ import annotations

import io
import logging
import math
from pathlib import Path

import numpy as np
from govreport.configs import load
from govreport.inference.document import Document, InputError
from govreport.inference.readers.builder import BBox, TextBuilder
from govreport.inference.readers.layout import Page, finish
from govreport.inference.readers.limits import limit
from govreport.inference.readers.ocr.legacy import image_rulings, ocr_words, page_level
from govreport.inference.readers.ocr.page import cell_level
from govreport.inference.readers.ocr.runtime import (
    cell_reading,
    engine,
    reset_stage_times,
    stage,
    stage_times,
)
from PIL import Image, UnidentifiedImageError

__all__ = [
    "cell_reading",
    "engine",
    "image_page",
    "image_rulings",
    "is_blank",
    "ocr_pdf_pages",
    "ocr_words",
    "page_scale",
    "read_image",
    "reset_stage_times",
    "stage_times",
]

log = logging.getLogger(__name__)


def image_page(image: np.ndarray, number: int, unit: float, origin: tuple[float, float] = (0.0, 0.0)) -> Page:
    """One page image (or a picture on a page, its corner at ``origin``) as prose lines and table grids,
    in points (``unit`` points per pixel), by the path ``ocr.cell_reading`` selects."""
    page = cell_level(image, number, unit, origin) if cell_reading() else page_level(image, number, unit, origin)
    log.debug("OCR page %d: stage seconds so far %s", number + 1, stage_times())
    return page


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
            with stage("render"):
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
            with stage("render"):
                image, unit = _frame_image(picture, path, number)
        except (OSError, ValueError, EOFError, Image.DecompressionBombError) as exc:
            raise InputError(
                str(path), "read-image", f"page {number + 1}: unreadable or truncated image ({exc})"
            ) from None
        pages.append(_read_page(image, number, unit))
    builder = TextBuilder(str(path), "image")
    builder.pages = len(pages)
    return finish(builder, pages, "ocr", "no text found in the image")
