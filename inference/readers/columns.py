"""Columns of tables printed without rulings, inferred from where their figures stand on the page, so that
a row with blank cells keeps one field per column: ``51 | 7 | _ | _ | 1 | _ | 59`` printed without rulings
reads ``label\\t51\\t7\\t\\t\\t1\\t\\t59``, as the same table fed as text, not ``label\\t51\\t7\\t1\\t59`` (whose
figures the post-processor would put in the wrong columns).

A table body is a run of lines whose figures (number words ending the line) all stand right of every label
word of the run: wrapped labels (lines without figures) stay in the label area, whereas a heading, a
header row or prose reaching into the figure area ends the run, and so does a row with a figure left of
the labels (the next table, a single row under its header). Its columns are the figure centres of the
lines with the most figures, plus any column only shorter lines fill (a figure standing clearly apart from
all of them), or the words of a header line right above when it has more (a single row of figures with
blanks: table 4). A figure goes to a column only when clearly nearer it than any other
(within ``near`` of the smallest gap between columns); a line is rewritten only when all its figures go
to distinct columns, in order; otherwise it stays as joined (never worse than without columns).
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from dataclasses import dataclass

from govreport.configs import load
from govreport.inference.readers.grids import Word

_NUMBER = re.compile(r"^[-+]?\d[\d,，]*(?:[.．]\d+)?[%％]?$")


@dataclass
class _Row:
    """A line's words split into its label (leading words) and its figures (the number words ending it)."""

    index: int
    words: list[Word]
    n_label: int

    @property
    def figures(self) -> list[Word]:
        return self.words[self.n_label :]

    @property
    def label_right(self) -> float:
        return max((w.bbox[2] for w in self.words[: self.n_label]), default=-math.inf)


def _split(index: int, words: list[Word]) -> _Row:
    """Only the figures ending a line are cells; a number inside the label (``1.`` ``2024``) is text."""
    n = len(words)
    while n and _NUMBER.match(words[n - 1].text.strip()):
        n -= 1
    return _Row(index, words, n)


def _x(word: Word) -> float:
    return word.centre[0]


def _runs(rows: list[_Row]) -> list[list[_Row]]:
    """Runs of lines that keep every label word left of every figure (wrapped label lines included); a line
    breaking that opens a new run when it has figures, and belongs to none otherwise."""
    runs: list[list[_Row]] = []
    run: list[_Row] = []
    fig_left, label_right = math.inf, -math.inf
    for row in rows:
        left = min(fig_left, row.figures[0].bbox[0]) if row.figures else fig_left
        right = max(label_right, row.label_right)
        if run and right <= left:
            run.append(row)
            fig_left, label_right = left, right
            continue
        if run:
            runs.append(run)
        run = [row] if row.figures else []
        fig_left = row.figures[0].bbox[0] if row.figures else math.inf
        label_right = row.label_right
    if run:
        runs.append(run)
    return runs


def _slots(xs: list[float], columns: list[float], near: float) -> list[int] | None:
    """Each x's column: the nearest, when nearer than ``near`` times the smallest gap between columns;
    None unless every x has one and they are distinct and in order."""
    gap = min((b - a for a, b in itertools.pairwise(columns)), default=0.0)
    if gap <= 0:
        return None
    slots = []
    for x in xs:
        d, j = min((abs(x - c), j) for j, c in enumerate(columns))
        if d >= near * gap or (slots and j <= slots[-1]):
            return None
        slots.append(j)
    return slots


def _header_columns(
    lines: list[list[Word]], fig_left: float, full: list[_Row], near: float
) -> list[float] | None:
    """Column centres from the header line (among ``lines``, nearest first) with the most words over the
    figure area, when it has more columns than the fullest figure lines and those fit it."""
    best: list[float] = []
    for words in lines:
        xs = [_x(w) for w in words if _x(w) > fig_left]
        if len(xs) > len(best):
            best = xs
    if len(best) <= len(full[0].figures):
        return None
    fits = all(_slots([_x(w) for w in r.figures], best, near) is not None for r in full)
    return best if fits else None


def _figure_columns(figured: list[_Row], full: list[_Row], near: float, far: float) -> list[float] | None:
    """Column centres: the median x-centre of each figure over the lines with the most figures, when those
    lines agree (each figure nearest its own column); then a figure of another line standing farther than
    ``far`` of the smallest gap from every column opens one (a column left blank, or a figure lost, in
    the fullest lines)."""
    k = len(full[0].figures)
    columns = [statistics.median(_x(r.figures[j]) for r in full) for j in range(k)]
    if not all(_slots([_x(w) for w in r.figures], columns, near) == list(range(k)) for r in full):
        return None
    for r in sorted(figured, key=lambda r: -len(r.figures)):
        for w in r.figures:
            gap = min(b - a for a, b in itertools.pairwise(columns))
            if min(abs(_x(w) - c) for c in columns) >= far * gap:
                columns = sorted([*columns, _x(w)])
    return columns


def column_fields(lines: list[list[Word]]) -> dict[int, tuple[int, list[str]]]:
    """For the lines (words left to right, lines top to bottom) that are rows of a table without rulings:
    line index -> (number of label words, one field per column, empty where the row has no figure)."""
    cfg = load("readers")["layout"]["columns"]
    rows = [_split(i, words) for i, words in enumerate(lines)]
    out: dict[int, tuple[int, list[str]]] = {}
    start = 0  # header lines are looked for after the previous run
    for run in _runs(rows):
        first = run[0].index
        figured = [r for r in run if r.figures]
        k = max(len(r.figures) for r in figured)
        full = [r for r in figured if len(r.figures) == k]
        fig_left = min(r.figures[0].bbox[0] for r in figured)
        above = [lines[i] for i in range(first - 1, max(start, first - cfg["header_lines"]) - 1, -1)]
        start = run[-1].index + 1
        columns = _header_columns(above, fig_left, full, cfg["near"])
        if columns is None and len(figured) >= 2 and k >= 2:
            columns = _figure_columns(figured, full, cfg["near"], cfg["far"])
        if columns is None:
            continue
        for r in figured:
            slots = _slots([_x(w) for w in r.figures], columns, cfg["near"])
            if slots is not None:
                fields = [""] * len(columns)
                for j, w in zip(slots, r.figures, strict=True):
                    fields[j] = w.text
                out[r.index] = (r.n_label, fields)
    return out


def row_text(label: str, fields: list[str]) -> str:
    """A row as label, then a tab before each field; a row without a label starts with its first field
    when that holds a figure (a field of its own before the first tab, as the post-processor reads it)."""
    body = "\t".join(fields)
    return body if not label and fields[0] else f"{label}\t{body}"
