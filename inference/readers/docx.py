"""Word .docx reports (python-docx): body paragraphs and tables in document order; tables as one row per
line with merged cells expanded to the table's full width, as for HTML. The parts' decompressed sizes are
checked against ``limits.max_docx_unzipped_bytes`` before anything is inflated (a zip bomb is a few MB
on disk and gigabytes in memory); Python's zipfile never inflates a part past the size its directory
declares, so the check cannot be lied to."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from govreport.inference.document import Document, InputError
from govreport.inference.readers.builder import Cell, Grid, TextBuilder, clean_cell
from govreport.inference.readers.limits import limit


def table_grid(table: DocxTable) -> Grid:
    """Cells on the full grid: python-docx repeats a merged cell in every slot it covers; those repeats
    become None, leaving the text in the span's top-left slot."""
    grid: Grid = []
    above: list[object] = []
    for row in table.rows:
        cells = row.cells
        out: list[Cell | None] = []
        for j, cell in enumerate(cells):
            tc = cell._tc
            repeated = (j > 0 and cells[j - 1]._tc is tc) or (j < len(above) and above[j] is tc)
            out.append(None if repeated else Cell("\n".join(p.text for p in cell.paragraphs)))
        above = [c._tc for c in cells]
        grid.append(out)
    return grid


def check_unzipped_size(source: io.BytesIO | str, path: str) -> None:
    """Refuse a .docx whose parts inflate past ``limits.max_docx_unzipped_bytes``, naming the largest."""
    try:
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(path, "read-docx", f"not a readable .docx file ({exc})") from None
    total, most = sum(p.file_size for p in parts), limit("max_docx_unzipped_bytes")
    if total > most:
        largest = max(parts, key=lambda p: p.file_size)
        raise InputError(
            path,
            "read-docx",
            f"its parts inflate to {total / 1e6:,.1f} MB ({largest.filename}: {largest.file_size / 1e6:,.1f} MB), "
            f"more than limits.max_docx_unzipped_bytes ({most / 1e6:g} MB)",
        )


def read_docx(path: str | Path, data: bytes | None = None) -> Document:
    """A .docx as a Document (no pages, no boxes: Word has no fixed layout)."""
    path = Path(path)
    source = io.BytesIO(data) if data is not None else str(path)
    check_unzipped_size(source, str(path))
    if isinstance(source, io.BytesIO):
        source.seek(0)
    try:
        document = docx.Document(source)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, AttributeError) as exc:
        raise InputError(str(path), "read-docx", f"not a readable .docx file ({exc})") from None
    builder = TextBuilder(str(path), "docx")
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            for line in block.text.split("\n"):
                builder.line(clean_cell(line))
        elif isinstance(block, DocxTable):
            builder.table(table_grid(block))
    doc = builder.build()
    if not doc.text.strip():
        raise InputError(str(path), "read-docx", "the document has no text")
    return doc
