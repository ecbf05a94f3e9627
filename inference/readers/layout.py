"""Page layout shared by the PDF text-layer and OCR readers: lines and table grids placed on pages,
page furniture (running headers/footers, page numbers) dropped, tables continued across a page break
stitched together, wrapped prose lines joined into paragraphs, everything emitted in reading order.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from govreport.configs import load
from govreport.inference.document import Document, InputError
from govreport.inference.readers.builder import BBox, Cell, Grid, TextBuilder, clean_cell
from govreport.inference.readers.columns import column_fields, row_text
from govreport.inference.readers.grids import Word

# A label cell that opens a new row or group rather than continuing a wrapped one: （一） 一、 1. 1、 (1)
_MARKER = re.compile(
    r"^\s*([（(]\s*[一二三四五六七八九十\d]+\s*[)）]|[一二三四五六七八九十]+\s*[、.．]|\d+\s*[、.．])"
)
_FIGURE = re.compile(r"^[\s\d,，.．%％/／—\-]+$")
_SENTENCE_END = "。！？；：!?;:"


@dataclass
class Line:
    """A line of prose on a page; ``bbox`` is (x0, top, x1, bottom)."""

    text: str
    bbox: BBox
    page: int


@dataclass
class Table:
    """A ruled table on a page; ``grid`` rows all have the table's width."""

    grid: Grid
    bbox: BBox
    page: int


@dataclass
class Page:
    """One page's content in reading order."""

    number: int
    width: float
    height: float
    blocks: list[Line | Table] = field(default_factory=list)
    pictures: list[BBox] = field(default_factory=list)  # text-free pictures on a text page, for OCR


def words_to_lines(words: list[Word], page: int, tab_gap: float | None = None) -> list[Line]:
    """Words (text-layer words or OCR boxes) grouped into lines by vertical overlap, left to right. A gap
    wider than ``tab_gap`` line heights (default: the text-layer setting) separates the cells of a table
    without rulings: it becomes a tab; the rows of such a table also get an empty field for each column
    they print blank (``columns.column_fields``), so their figures keep their columns."""
    tab_gap = tab_gap if tab_gap is not None else load("readers")["layout"]["tab_gap"]
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.centre[1], w.bbox[0])):
        height = word.bbox[3] - word.bbox[1]
        if rows and abs(statistics.fmean(w.centre[1] for w in rows[-1]) - word.centre[1]) <= 0.5 * height:
            rows[-1].append(word)
        else:
            rows.append([word])
    for row in rows:
        row.sort(key=lambda w: w.bbox[0])
    fields = column_fields(rows)
    lines = []
    for i, row in enumerate(rows):
        gap = tab_gap * statistics.median(w.bbox[3] - w.bbox[1] for w in row)
        if i in fields:
            n_label, cells = fields[i]
            text = row_text(_joined(row[:n_label], gap), cells)
        else:
            text = _joined(row, gap)
        bbox = (
            min(w.bbox[0] for w in row),
            min(w.bbox[1] for w in row),
            max(w.bbox[2] for w in row),
            max(w.bbox[3] for w in row),
        )
        lines.append(Line(text, bbox, page))
    return lines


def _joined(words: list[Word], tab_gap: float) -> str:
    """Words of a line left to right, a tab where the gap between two is wider than ``tab_gap``."""
    text = words[0].text if words else ""
    for prev, word in itertools.pairwise(words):
        text += ("\t" if word.bbox[0] - prev.bbox[2] > tab_gap else " ") + word.text
    return text


@cache
def _page_number_patterns() -> list[re.Pattern[str]]:
    return [re.compile(p) for p in load("readers")["pdf"]["page_number_patterns"]]


def _in_band(line: Line, page: Page) -> bool:
    band = load("readers")["pdf"]["margin_band"] * page.height
    return line.bbox[3] < band or line.bbox[1] > page.height - band


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def drop_furniture(pages: list[Page]) -> None:
    """Remove page numbers and running headers/footers: lines in a page's top/bottom band that look like
    a page number, or whose text (digits ignored) recurs in the band of most pages."""
    cfg = load("readers")["pdf"]
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update(
            {_furniture_key(b.text) for b in page.blocks if isinstance(b, Line) and _in_band(b, page)}
        )
    repeated = {k for k, n in counts.items() if len(pages) >= 3 and n >= cfg["repeated_share"] * len(pages)}
    for page in pages:
        page.blocks = [
            b
            for b in page.blocks
            if not (
                isinstance(b, Line)
                and _in_band(b, page)
                and (
                    any(p.match(b.text.strip()) for p in _page_number_patterns())
                    or _furniture_key(b.text) in repeated
                )
            )
        ]


def _is_figure(text: str) -> bool:
    return bool(text.strip()) and bool(_FIGURE.match(text))


def _origin_above(grid: Grid, col: int) -> Cell | None:
    """The cell whose span covers the last row of ``grid`` at ``col`` (walking up over covered slots)."""
    for row in reversed(grid):
        if col < len(row) and row[col] is not None:
            return row[col]
    return None


def _append_continuation(grid: Grid, more: Grid) -> None:
    """Append the rows of a table continued on the next page. Label fragments of a cell split by the
    page break (text in the first continued row that opens no new row) join the cell they continue;
    empty cells there are slots of a span that carries over."""
    first = more[0]
    for col, cell in enumerate(first):
        if cell is None:
            continue
        text = cell.text.strip()
        above = _origin_above(grid, col)
        if not text:
            first[col] = None
        elif (
            above is not None
            and not _MARKER.match(text)
            and not _is_figure(text)
            and above.text.strip()
            and not _is_figure(above.text)
        ):
            above.text = above.text.rstrip() + text
            first[col] = None
    grid.extend(row for row in more if any(c is not None and c.text.strip() for c in row))


def stitch_tables(pages: list[Page]) -> None:
    """Join a table that ends a page with a table of the same width that starts the next page."""
    for prev, page in itertools.pairwise(pages):
        if not prev.blocks or not page.blocks:
            continue
        last, first = prev.blocks[-1], page.blocks[0]
        if (
            isinstance(last, Table)
            and isinstance(first, Table)
            and last.grid
            and first.grid
            and len(last.grid[0]) == len(first.grid[0])
        ):
            _append_continuation(last.grid, first.grid)
            page.blocks.pop(0)


def _joins(prev: Line, line: Line, layout: dict[int, tuple[float, float, float]]) -> bool:
    """Whether ``line`` continues the paragraph ``prev`` ends: prev runs to the right margin without
    closing the sentence and ``line`` starts at the left margin without a heading marker; or both are
    lines of one centred heading set larger than the body text (a title broken over two lines)."""
    left, right, body = layout[line.page]
    height = max(line.bbox[3] - line.bbox[1], 1.0)
    prev_height = max(prev.bbox[3] - prev.bbox[1], 1.0)
    if prev.text.rstrip()[-1:] in _SENTENCE_END or _MARKER.match(line.text) or "\t" in prev.text + line.text:
        return False  # a sentence ended, a numbered heading starts, or a table row (cells apart) is involved
    if line.page != prev.page:
        return prev.bbox[2] >= layout[prev.page][1] - 1.5 * height and line.bbox[0] <= left + 0.5 * height
    if not 0 <= line.bbox[1] - prev.bbox[3] <= 1.2 * height:
        return False
    if prev.bbox[2] >= right - 1.5 * height and line.bbox[0] <= left + 0.5 * height:
        return True
    centre = (left + right) / 2
    centred = all(abs((b.bbox[0] + b.bbox[2]) / 2 - centre) <= height for b in (prev, line))
    return centred and abs(height - prev_height) <= 0.1 * height and min(height, prev_height) >= 1.15 * body


def _layout(pages: list[Page]) -> dict[int, tuple[float, float, float]]:
    """Per page: the prose's left edge (most common), right edge (widest) and body line height."""
    out: dict[int, tuple[float, float, float]] = {}
    for page in pages:
        lines = [b for b in page.blocks if isinstance(b, Line)]
        if not lines:
            out[page.number] = (0.0, page.width, 0.0)
            continue
        lefts = Counter(round(b.bbox[0]) for b in lines)
        top = max(lefts.values())
        out[page.number] = (
            min(v for v, n in lefts.items() if n == top),
            max(b.bbox[2] for b in lines),
            statistics.median(b.bbox[3] - b.bbox[1] for b in lines),
        )
    return out


def emit(builder: TextBuilder, pages: list[Page]) -> None:
    """Write pages in reading order: prose lines joined into paragraphs, tables row per line."""
    layout = _layout(pages)
    prev: Line | None = None
    for page in pages:
        for block in page.blocks:
            if isinstance(block, Table):
                builder.table(block.grid)
                prev = None
                continue
            text = "\t".join(clean_cell(part) for part in block.text.split("\t"))
            if not text:
                continue
            if prev is not None and _joins(prev, block, layout):
                if not (_cjk_edge(prev.text[-1:]) or _cjk_edge(text[:1])):
                    builder.add(" ")
            else:
                builder.end_line()
            builder.add(text, block.page, block.bbox)
            prev = block
    builder.end_line()


def finish(builder: TextBuilder, pages: list[Page], stage: str, empty: str) -> Document:
    """The common end of every paged reader: page furniture dropped, tables stitched over page breaks,
    text emitted; a document without any text is refused (``InputError`` at ``stage``)."""
    drop_furniture(pages)
    stitch_tables(pages)
    emit(builder, pages)
    doc = builder.build()
    if not doc.text.strip():
        raise InputError(builder.source, stage, empty)
    return doc


def _cjk_edge(ch: str) -> bool:
    return bool(ch) and ("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
