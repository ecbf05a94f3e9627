"""Families that go through a real file and this project's own readers: HTML and DOCX (OCR: ``ocr.py``).

The report is written as a file, read back by ``inference/readers/<kind>.py``, and the generator's pieces
are re-aligned onto the reader's text in order, so labels survive whatever whitespace the reader adds.
A family is available only once its reader exists (see ``layouts.available``).
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import io
import random
import re
from functools import cache

from govreport.training.synth.model import Cell, Piece, SynthDoc, Table

_READERS = {"html": ("govreport.inference.readers.html", "read_html"), "docx": ("govreport.inference.readers.docx", "read_docx"),
            "ocr": ("govreport.inference.readers.ocr", "read_image")}


@cache
def reader_exists(kind: str) -> bool:
    """True when this project's reader for ``kind`` exists."""
    try:
        return importlib.util.find_spec(_READERS[kind][0]) is not None
    except ModuleNotFoundError:
        return False


def _read(kind: str, name: str, data: bytes) -> str:
    module, func = _READERS[kind]
    return getattr(importlib.import_module(module), func)(name, data=data).text


def _cell_text(cell: Cell) -> str:
    return "".join(p.text for p in cell)


def _html(doc: SynthDoc) -> str:
    out = ["<html><head><meta charset='utf-8'></head><body>"]
    for b in doc.blocks:
        if isinstance(b, Table):
            out.append("<table border='1'>")
            for row in b.rows:
                tds = "".join(f"<td>{html.escape(_cell_text(c))}</td>" for c in row.cells)
                out.append(f"<tr>{tds}</tr>")
            out.append("</table>")
        else:
            tag = {"title": "h1", "sec": "h2", "sub": "h3"}.get(b.kind, "p")
            out.append(f"<{tag}>{html.escape(''.join(p.text for p in b.pieces))}</{tag}>")
    out.append("</body></html>")
    return "\n".join(out)


def _docx_bytes(doc: SynthDoc) -> bytes:
    import docx

    d = docx.Document()
    for b in doc.blocks:
        if isinstance(b, Table):
            t = d.add_table(rows=0, cols=max(len(r.cells) for r in b.rows))
            for row in b.rows:
                cells = t.add_row().cells  # one lookup per row: t.cell(i, j) rescans the table each time
                for j, cell in enumerate(row.cells):
                    cells[j].text = _cell_text(cell)
        else:
            d.add_paragraph("".join(p.text for p in b.pieces))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _find(text: str, piece: str, pos: int) -> tuple[int, int] | None:
    """Where ``piece`` stands in ``text`` from ``pos``: exactly, or with whitespace the reader dropped or
    added (readers normalise spaces inside cells)."""
    i = text.find(piece, pos)
    if i >= 0:
        return i, i + len(piece)
    chars = [re.escape(ch) for ch in piece if not ch.isspace()]
    if not chars:
        return None
    m = re.compile(r"\s*".join(chars)).search(text, pos, pos + 4 * len(piece) + 2000)
    return (m.start(), m.end()) if m else None


def align(pieces: list[Piece], text: str) -> list[Piece]:
    """Re-align the generator's labelled pieces onto a reader's ``text``: each labelled piece is found in
    order (after the previous one); everything between becomes O. Pieces the reader dropped are lost."""
    out: list[Piece] = []
    pos = 0
    for p in pieces:
        if p.label == "O" or not p.text.strip():
            continue
        found = _find(text, p.text, pos)
        if found is None:
            continue
        i, j = found
        if i > pos:
            out.append(Piece(text[pos:i]))
        out.append(Piece(text[i:j], p.label, p.key))
        pos = j
    if pos < len(text):
        out.append(Piece(text[pos:]))
    return out


def _flat(doc: SynthDoc) -> list[Piece]:
    out: list[Piece] = []
    for b in doc.blocks:
        if isinstance(b, Table):
            for row in b.rows:
                for cell in row.cells:
                    out += cell
        else:
            out += b.pieces
    return out


def _via_file(doc: SynthDoc, kind: str, suffix: str, data: bytes) -> list[Piece]:
    return align(_flat(doc), _read(kind, f"{doc.id}{suffix}", data))


def render_html(rng: random.Random, doc: SynthDoc) -> list[Piece]:
    return _via_file(doc, "html", ".html", _html(doc).encode("utf-8"))


def render_docx(rng: random.Random, doc: SynthDoc) -> list[Piece]:
    return _via_file(doc, "docx", ".docx", _docx_bytes(doc))
