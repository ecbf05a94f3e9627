"""PDF reports (pdfplumber; PyMuPDF is AGPL). Text-layer pages: table grids from the ruling lines that
are actually drawn (white cell backgrounds and text frames are not rulings), words outside tables as
prose lines. Pages without a text layer are rendered with pypdfium2 and read by OCR. Boxes are
(x0, top, x1, bottom) in PDF points from the page's top-left corner.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pdfplumber
from govreport.configs import load
from govreport.inference.document import Document, InputError
from govreport.inference.readers.builder import BBox, TextBuilder
from govreport.inference.readers.grids import Edge, Word, fill_grid, find_tables
from govreport.inference.readers.layout import Line, Page, Table, finish, words_to_lines
from govreport.inference.readers.limits import limit
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfexceptions import PDFException
from pdfminer.psexceptions import PSException
from pdfplumber.utils import line_to_edge, rect_to_edges
from pdfplumber.utils.exceptions import PdfminerException

_DAMAGED = (
    PdfminerException,
    PDFException,
    PSException,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    AssertionError,
    OverflowError,
    ZeroDivisionError,
    RecursionError,
)


def _white(color: Any) -> bool:
    """Whether a PDF colour (gray, RGB or CMYK tuple, or a bare number) is white."""
    if color is None or isinstance(color, str):
        return False
    values = (color,) if isinstance(color, int | float) else tuple(color)
    if len(values) == 4:
        return max(values) <= 0.01
    return bool(values) and all(isinstance(v, int | float) and v >= 0.99 for v in values)


def ruling_edges(page: pdfplumber.page.Page) -> list[Edge]:
    """Edges of visible rulings: stroked lines and rects, and filled rects with a non-white fill."""
    edges = [line_to_edge(ln) for ln in page.lines if not _white(ln.get("stroking_color"))]
    for rect in page.rects:
        stroked = rect.get("stroke") and not _white(rect.get("stroking_color"))
        filled = rect.get("fill") and not _white(rect.get("non_stroking_color"))
        if stroked or filled:
            edges += rect_to_edges(rect)
    return edges


def _in_box(point: tuple[float, float], bbox: BBox) -> bool:
    return bbox[0] <= point[0] <= bbox[2] and bbox[1] <= point[1] <= bbox[3]


def text_layer_page(page: pdfplumber.page.Page, number: int) -> Page:
    """A page with a text layer as prose lines and ruled tables, ordered top to bottom."""
    found = find_tables(ruling_edges(page), page)
    words = [Word(w["text"], (w["x0"], w["top"], w["x1"], w["bottom"])) for w in page.extract_words()]
    tables = [Table(fill_grid(t, words, number), t.bbox, number) for t in found]
    lines = words_to_lines([w for w in words if not any(_in_box(w.centre, t.bbox) for t in tables)], number)
    blocks: list[Line | Table] = [*lines, *tables]
    blocks.sort(key=lambda b: (b.bbox[1], b.bbox[0]))
    return Page(number, float(page.width), float(page.height), blocks, _pictures(page, words))


def _pictures(page: pdfplumber.page.Page, words: list[Word]) -> list[BBox]:
    """Large pictures with no text over them (a table pasted as an image): their text is only on the
    picture, so they are read by OCR. Seals and logos are too small to count."""
    share = load("readers")["ocr"]["min_picture_share"]
    out = []
    for image in page.images:
        bbox = (
            max(image["x0"], 0.0),
            max(image["top"], 0.0),
            min(image["x1"], page.width),
            min(image["bottom"], page.height),
        )
        area = (bbox[2] - bbox[0]) * (bbox[3] - bbox[1])
        if area >= share * page.width * page.height and not any(_in_box(w.centre, bbox) for w in words):
            out.append(bbox)
    return out


def _readable_chars(page: pdfplumber.page.Page) -> int:
    """Characters of the text layer that decode to text: glyphs without a Unicode mapping come out as
    "(cid:123)" or private-use code points, and such a page is read by OCR like a scan."""
    return sum(
        1
        for c in page.chars
        if not c["text"].startswith("(cid:") and not "\ue000" <= c["text"][:1] <= "\uf8ff"
    )


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _read_pages(path: Path, data: bytes | None) -> tuple[list[Page], list[int]]:
    """Text-layer pages read; the numbers of pages without a text layer left for OCR."""
    cfg = load("readers")
    pages: list[Page] = []
    scanned: list[int] = []
    try:
        pdf = pdfplumber.open(io.BytesIO(data) if data is not None else path)
    except Exception as exc:  # pdfminer signals a broken file with many exception types
        cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
            raise InputError(
                str(path), "read-pdf", "password-protected PDF (needs a password to open)"
            ) from None
        raise InputError(str(path), "read-pdf", f"damaged or truncated PDF ({_why(cause)})") from None
    with pdf:
        try:
            count = len(pdf.pages)
        except _DAMAGED as exc:
            raise InputError(str(path), "read-pdf", f"damaged or truncated PDF ({_why(exc)})") from None
        most = limit("max_pages")
        if count > most:
            raise InputError(
                str(path),
                "read-pdf",
                f"{count} pages; more than a report can have (limits.max_pages: {most})",
            )
        for number, page in enumerate(pdf.pages):
            try:
                if _readable_chars(page) >= cfg["ocr"]["min_text_chars"]:
                    pages.append(text_layer_page(page, number))
                else:
                    scanned.append(number)
                    pages.append(Page(number, float(page.width), float(page.height)))
            except _DAMAGED as exc:
                raise InputError(
                    str(path), "read-pdf", f"page {number + 1} is damaged ({_why(exc)})"
                ) from None
            finally:
                page.close()
    return pages, scanned


def read_pdf(path: str | Path, data: bytes | None = None) -> Document:
    """A PDF as a Document; text-layer pages read directly, scanned pages through OCR."""
    path = Path(path)
    pages, scanned = _read_pages(path, data)
    builder = TextBuilder(str(path), "pdf")
    builder.pages = len(pages)
    pictures = {p.number: p.pictures for p in pages if p.pictures}
    if scanned or pictures:
        from govreport.inference.readers.ocr import ocr_pdf_pages

        for page in ocr_pdf_pages(path, data, scanned, pictures):
            if page.number in pictures:
                pages[page.number].blocks = sorted(
                    pages[page.number].blocks + page.blocks, key=lambda b: (b.bbox[1], b.bbox[0])
                )
            else:
                pages[page.number] = page
        builder.kind = "pdf-ocr" if len(scanned) == len(pages) else "pdf-mixed"
    return finish(builder, pages, "read-pdf", "no text found on any page")
