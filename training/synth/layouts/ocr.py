"""Scanned pages: the report drawn as page images (the pdftotext-layout canvas, in a CJK font) and read
back by this project's real OCR reader (``inference/readers/ocr.py``, RapidOCR). Labels are carried onto
the OCR text by a character alignment, so misread characters keep their label and dropped ones vanish;
a figure the OCR dropped is treated like a lost cell (inferred when the rules fix it, else omitted).

Since issue 14 a share of the documents (``ocr.ruled_pages``) is printed as a real report is, on ruled
A4 pages (``scan.py``), and a share (``ocr.defects``) goes through a mild real scan: skew, blur, speckle,
JPEG, faint rulings. Both draws have their own random stream, so the text canvas of the other documents
is unchanged.

Slow (seconds per page on CPU): weight 0 in the default mix, drawn with ``--layout ocr``.
"""

from __future__ import annotations

import difflib
import io
import random
import tempfile
from functools import cache
from pathlib import Path

from govreport.configs import load
from govreport.training.synth.layouts import pdfcanvas, scan
from govreport.training.synth.model import LostCell, Piece, SynthDoc, Table
from PIL import Image

_CELL_W, _LINE_H, _FONT_PX, _DPI = 10, 32, 20, 150


@cache
def font_path() -> Path | None:
    """The first CJK font of configs/synth.yaml ``ocr.fonts`` present on this machine."""
    return next((Path(p) for p in load("synth")["ocr"]["fonts"] if Path(p).exists()), None)


def _page_images(pages: list[list[list[Piece]]]) -> list[Image.Image]:
    from PIL import ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path()), _FONT_PX, index=1 if str(font_path()).endswith(".ttc") else 0)
    images = []
    for page in pages:
        width = max((pdfcanvas.dw("".join(p.text for p in line)) for line in page), default=0)
        img = Image.new("L", (max(width * _CELL_W + 160, 1240), _LINE_H * len(page) + 200), 255)
        draw = ImageDraw.Draw(img)
        for y, line in enumerate(page):
            x = 0
            for ch in "".join(p.text for p in line):
                if not ch.isspace():
                    draw.text((80 + x * _CELL_W, 100 + y * _LINE_H), ch, font=font, fill=0)
                x += 2 if ch >= "\u2e80" else 1
        images.append(img)
    return images


def _tiff(images: list[Image.Image]) -> bytes:
    buf = io.BytesIO()
    images[0].save(buf, format="TIFF", save_all=True, append_images=images[1:], dpi=(_DPI, _DPI),
                   compression="tiff_deflate")
    return buf.getvalue()


def fuzzy_align(pieces: list[Piece], text: str) -> list[Piece]:
    """Carry the labels of ``pieces`` onto ``text`` (OCR output) through a character alignment that
    ignores whitespace: a labelled piece covers the stretch its matched or substituted characters map to."""
    owner: list[int] = []
    src = []
    for i, p in enumerate(pieces):
        for ch in p.text:
            if not ch.isspace():
                owner.append(i)
                src.append(ch)
    dst_pos = [i for i, ch in enumerate(text) if not ch.isspace()]
    dst = "".join(text[i] for i in dst_pos)
    mapped: list[int | None] = [None] * len(src)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, "".join(src), dst, autojunk=False).get_opcodes():
        if tag in ("equal", "replace"):
            for k in range(i2 - i1):
                mapped[i1 + k] = j1 + min(k * (j2 - j1) // (i2 - i1), j2 - j1 - 1)
    spans: dict[int, list[int]] = {}
    for k, j in enumerate(mapped):
        if j is not None and pieces[owner[k]].label != "O":
            spans.setdefault(owner[k], []).append(dst_pos[j])
    out: list[Piece] = []
    pos = 0
    for i in sorted(spans, key=lambda i: min(spans[i])):
        start, end = min(spans[i]), max(spans[i]) + 1
        if start < pos:
            continue
        if start > pos:
            out.append(Piece(text[pos:start]))
        out.append(Piece(text[start:end], pieces[i].label, pieces[i].key))
        pos = end
    if pos < len(text):
        out.append(Piece(text[pos:]))
    return out


def _register_dropped(doc: SynthDoc, pieces: list[Piece]) -> None:
    """A figure the OCR dropped from a row is a lost cell (one per row; more leave the row unsettled)."""
    seen = {p.key for p in pieces if p.label == "NUM" and p.key}
    done = {k for lc in doc.lost for k in lc.row_keys}
    for table in (b for b in doc.blocks if isinstance(b, Table)):
        for row in table.rows:
            missing = [k for k in row.keys if k not in seen]
            if row.kind == "data" and len(missing) == 1 and not set(row.keys) & done:
                doc.lost.append(LostCell(missing[0], list(row.keys), "vanished"))


def _scanned(doc: SynthDoc, rng: random.Random) -> tuple[list[Piece], str, bytes, list[str]]:
    """The document as the scan the reader gets: (labelled source pieces, file suffix, bytes, blank keys)."""
    cfg = load("synth")["ocr"]
    srng = random.Random(f"{doc.id}:scan")
    if srng.random() < cfg["ruled_pages"]:
        drawn = scan.draw(srng, doc)
        return drawn.pieces, ".pdf", scan.scan_pdf(srng, drawn, srng.random() < cfg["defects"]), drawn.blank_keys
    st, lines = pdfcanvas.canvas_lines(rng, doc, reading=False)
    pages = pdfcanvas.pages(st, lines)
    source = [piece for page in pages for line in page for piece in [*line, Piece("\n")]]
    images = _page_images(pages)
    if srng.random() >= cfg["defects"]:
        return source, ".tiff", _tiff(images), []
    noisy = [scan.noisy(srng, scan.Page(img, Image.new("L", img.size, 0))) for img in images]
    return source, ".pdf", scan.pdf(noisy, scan.cfg()["noisy"]["jpeg_quality"], _DPI), []


def render(rng: random.Random, doc: SynthDoc) -> list[Piece]:
    from govreport.inference.readers import read_document

    source, suffix, data, blanks = _scanned(doc, rng)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{doc.id}{suffix}"
        path.write_bytes(data)
        text = read_document(path).text
    pieces = fuzzy_align(source, text) + [Piece("", "NUM", key) for key in blanks]  # a blank cell is seen
    _register_dropped(doc, pieces)
    return pieces
