"""Scanned pages: the report drawn as page images (the pdftotext-layout canvas, in a CJK font) and read
back by this project's real OCR reader (``inference/readers/ocr.py``, RapidOCR). Labels are carried onto
the OCR text by a character alignment, so misread characters keep their label and dropped ones vanish;
a figure the OCR dropped is treated like a lost cell (inferred when the rules fix it, else omitted).

Slow (seconds per page on CPU): weight 0 in the default mix, drawn with ``--layout ocr``.
"""

from __future__ import annotations

import difflib
import io
import random
from functools import cache
from pathlib import Path

from govreport.configs import load
from govreport.training.synth.layouts import pdfcanvas
from govreport.training.synth.model import LostCell, Piece, SynthDoc, Table

_CELL_W, _LINE_H, _FONT_PX, _DPI = 10, 32, 20, 150


@cache
def font_path() -> Path | None:
    """The first CJK font of configs/synth.yaml ``ocr.fonts`` present on this machine."""
    return next((Path(p) for p in load("synth")["ocr"]["fonts"] if Path(p).exists()), None)


def _page_images(pages: list[list[list[Piece]]]) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

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


def render(rng: random.Random, doc: SynthDoc) -> list[Piece]:
    from govreport.inference.readers.ocr import read_image

    st, lines = pdfcanvas.canvas_lines(rng, doc, reading=False)
    pages = pdfcanvas.pages(st, lines)
    source = [piece for page in pages for line in page for piece in [*line, Piece("\n")]]
    text = read_image(f"{doc.id}.tiff", data=_page_images(pages)).text
    pieces = fuzzy_align(source, text)
    _register_dropped(doc, pieces)
    return pieces
