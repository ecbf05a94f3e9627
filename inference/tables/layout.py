"""Where a figure stands on the page: its line, and its column from separators or display width."""

from __future__ import annotations

import bisect
import itertools
import re
import statistics
import unicodedata
from collections import Counter

from govreport.inference.solver import Figure, RowReading
from govreport.inference.spans import Span

_BARS_ONLY = re.compile(r"[ \t]*\|[| \t]*")
_FIGURE_HEAD = re.compile(r"[ \u3000]*[-—]?[\d,.，．%％]*\d[\d,.，．%％]*[ \u3000]*")


def line_starts_of(text: str, skip_bars: bool = False) -> list[int]:
    """Offsets where lines start. ``skip_bars``: lines holding only table bars (blank cells and fillers of a
    copy that prints one cell per line) are no lines, so distances between a label and its figures count
    printed content only."""
    starts = [0, *(i + 1 for i, ch in enumerate(text) if ch == "\n")]
    if not skip_bars:
        return starts
    ends = [*(s - 1 for s in starts[1:]), len(text)]
    return [a for a, b in zip(starts, ends, strict=True) if not _BARS_ONLY.fullmatch(text[a:b])] or [0]


_CELL_LINE = re.compile(r"[^|\n]*\|[ \t]*")  # one cell per line, closed by a bar (blank: the bar alone)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def cell_index(text: str, line_starts: list[int], line_no: int) -> int | None:
    """In a copy that prints one cell per line (``0 |``, a blank cell as ``|``), the column of the cell on
    ``line_no``: the cell lines between it and its row label's line. None in any other layout."""
    def line(n: int) -> str:
        return text[line_starts[n] : (line_starts[n + 1] - 1 if n + 1 < len(line_starts) else len(text))]

    if not _CELL_LINE.fullmatch(line(line_no)):
        return None
    for k, n in enumerate(range(line_no - 1, -1, -1)):  # upwards, line by line, until the row label
        if _CJK.search(current := line(n)):
            return k
        if not _CELL_LINE.fullmatch(current) or current.count("|") != 1:
            return None
    return None


def x_position(text: str, line_starts: list[int], span: Span) -> tuple[str, float]:
    """Where a figure stands across its line: its cell's column where each cell has a line of its own, the
    field index in a tab/pipe-delimited line, else the display column of its centre (CJK characters are two
    columns wide, as in pdftotext -layout)."""
    line_no = bisect.bisect_right(line_starts, span.start) - 1
    if (cell := cell_index(text, line_starts, line_no)) is not None:
        return "cell", float(cell)
    start = line_starts[line_no]
    end = text.find("\n", span.end)
    before, after = text[start : span.start], text[span.end : end if end >= 0 else len(text)]
    for sep in ("\t", "|"):
        if sep in before or sep in after:
            return sep, float(before.count(sep))
    width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in before)
    return " ", width + (span.end - span.start) / 2


def label_fields(text: str, pos: int) -> list[tuple[int, int]] | None:
    """The delimited fields (``|`` or tab, empty ones included) after the row label on the line holding
    ``pos``, as offsets; a figure before the first delimiter (a line of figures with no label, as table 4
    prints its row) is a field too. A closing bar opens no field; whether a closing tab does depends on the
    table (``row_fields``). None when no delimiter follows the label."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start : end if end >= 0 else len(text)].rstrip(" \u3000")
    label_end = max((m.end() for m in _CJK.finditer(line, 0, pos - start)), default=0)
    tail = line[label_end:]
    sep = "|" if "|" in tail else "\t" if "\t" in tail else None
    if sep is None:
        return None
    cuts = [label_end + i for i, ch in enumerate(tail) if ch == sep]
    if _FIGURE_HEAD.fullmatch(line[label_end : cuts[0]]):
        cuts.insert(0, label_end - 1)
    fields = [(start + a + 1, start + b) for a, b in zip(cuts, [*cuts[1:], len(line)], strict=True)]
    if sep == "|" and not text[slice(*fields[-1])].strip(" \u3000"):
        fields.pop()
    return fields


def row_fields(text: str, rows: list[RowReading]) -> list[list[tuple[int, int]]]:
    """Each row's fields (its first figure's line, or its label's when it gave none; [] when the line has no
    delimiters). A tab after the last cell closes the row in some tables and opens a blank last cell in
    others: when a row that gave every figure ends in an empty field, the table closes its rows that way,
    and a last empty field is dropped. Empty fields before the row's last n (n cells) belong to its label."""
    out = []
    for r in rows:
        at = r.figures[0].span[0] if r.figures else r.label_end
        out.append((label_fields(text, at) if at is not None else None) or [])

    def open_end(fields: list[tuple[int, int]]) -> bool:
        return bool(fields) and not text[slice(*fields[-1])].strip(" \u3000")

    full = [f for r, f in zip(rows, out, strict=True) if f and len(r.figures) == len(r.cells)]
    if any(map(open_end, full)):
        out = [f[:-1] if open_end(f) else f for f in out]
    for i, (r, f) in enumerate(zip(rows, out, strict=True)):
        extra = len(f) - len(r.cells)  # a label over several columns leaves empty fields before the first cell
        if extra > 0 and not any(text[a:b].strip(" \u3000") for a, b in f[:extra]):
            out[i] = f[extra:]
    return out


def _field_slots(text: str, row: RowReading, fields: list[tuple[int, int]]) -> list[int] | None:
    """Each figure's column read off its line when the line prints exactly one field per cell after the
    label (``63\t4\t\t\t2\t\t69``: blanks are fields too, so the 2 is the fifth column, not the third). A hint
    for the solver, not a fact: a label printed over two columns leaves an empty field that looks the same
    as a blank first cell, and the rules decide between them."""
    if not row.figures or len(fields) != len(row.cells):
        return None
    slots = [next((j for j, (a, b) in enumerate(fields) if a <= f.span[0] < b), None) for f in row.figures]
    return None if None in slots or len(set(slots)) < len(slots) else slots  # type: ignore[return-value]


def field_hints(text: str, rows: list[RowReading]) -> None:
    """Give the figures of a row short of figures their columns where its line prints exactly one field per
    cell (``_field_slots``): table 4's one row of fifteen cells, and table 3's rows before their columns
    are learned from positions (``assign_slots``)."""
    for r, fields in zip(rows, row_fields(text, rows), strict=True):
        if len(r.figures) < len(r.cells) and (slots := _field_slots(text, r, fields)):
            r.figures = [Figure(f.value, f.span, f.score, j) for f, j in zip(r.figures, slots, strict=True)]


def _lost_one(text: str, row: RowReading, fields: list[tuple[int, int]]) -> bool:
    """A row that prints a zero and leaves exactly one field empty lost that figure in copying: a report
    leaving cells blank leaves its zeros blank (no 0 in the row) or several cells at once (``| 0 | | | | 0 |``)."""
    empty = sum(1 for a, b in fields if not text[a:b].strip(" \u3000"))
    return empty == 1 and any(f.value == 0 for f in row.figures)


def printed_blanks(text: str, rows: list[RowReading]) -> set[str]:
    """Cells whose own field is printed empty: the row's line prints exactly one field per cell and this
    cell's field holds nothing (unless the row lost a figure there, ``_lost_one``). The rules must not fill
    them with a zero (the report left them blank: null)."""
    out = set()
    for r, fields in zip(rows, row_fields(text, rows), strict=True):
        if len(fields) == len(r.cells) and not _lost_one(text, r, fields):
            out |= {c for c, (a, b) in zip(r.cells, fields, strict=True) if not text[a:b].strip(" \u3000")}
    return out


def rows_showing_blanks(text: str, rows: list[RowReading]) -> list[RowReading]:
    """Rows printed with a field for every cell, blanks included (``| 0 | | | 0 |``): a cell missing there
    was printed empty, not lost, whereas a row with fewer fields than cells, or one that lost a figure
    (``_lost_one``), lost it. In a table whose rows mostly show their blanks, a row that gave no figure at
    all was printed empty too."""
    fields = row_fields(text, rows)
    shown = [r for r, f in zip(rows, fields, strict=True)
             if r.figures and len(f) >= len(r.cells) and not _lost_one(text, r, f)]
    if 2 * len(shown) >= sum(1 for r in rows if r.figures) > 0:
        shown += [r for r in rows if not r.figures]
    return shown


def assign_slots(
    text: str, starts: list[int], rows: list[RowReading], spans_of: dict[int, Span], n_cols: int
) -> None:
    """Learn where each column stands from the rows that have all their figures, then give the figures of
    other rows the column their position points to (only where it points to one column clearly); a row whose
    line prints one delimited field per column says its columns outright."""
    pos = {id(f): x_position(text, starts, spans_of[id(f)]) for r in rows for f in r.figures}
    columns: list[dict[str, list[float]]] = [{} for _ in range(n_cols)]
    for r in rows:
        if len(r.figures) == n_cols:
            for j, f in enumerate(r.figures):
                kind, x = pos[id(f)]
                columns[j].setdefault(kind, []).append(x)
    field_hints(text, rows)
    for r in rows:
        if len(r.figures) == n_cols or all(f.slot is not None for f in r.figures):
            continue
        new = []
        for f in r.figures:
            kind, x = pos[id(f)]
            slot = None
            if kind == "cell":  # the layout says the column outright
                slot = int(x) if x < n_cols else None
            elif kind in ("\t", "|"):
                modes = [Counter(c[kind]).most_common(1)[0][0] if c.get(kind) else None for c in columns]
                hits = [j for j, m in enumerate(modes) if m == x]
                slot = hits[0] if len(hits) == 1 else None
            else:
                centres = [statistics.median(c[kind]) if c.get(kind) else None for c in columns]
                known = [(abs(x - m), j) for j, m in enumerate(centres) if m is not None]
                ordered = sorted(m for m in centres if m is not None)
                gap = min((b - a for a, b in itertools.pairwise(ordered)), default=0)
                if known and gap > 0:
                    d, j = min(known)
                    slot = j if d < gap / 2 else None
            new.append(Figure(f.value, f.span, f.score, slot))
        r.figures = new




def line_of(line_starts: list[int], pos: int) -> int:
    return bisect.bisect_right(line_starts, pos) - 1
