"""The generator's document model: text built piece by piece, each piece carrying its label.

Labels are correct by construction because nothing is ever tagged after the fact: every layout and
noise function maps pieces to pieces, and the final text is the concatenation of the pieces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govreport.inference.spans import Span


@dataclass(slots=True)
class Piece:
    """``text`` printed with ``label`` (``O`` for unlabelled); ``key`` is the cell key of a NUM piece."""

    text: str
    label: str = "O"
    key: str | None = None


Cell = list[Piece]  # one table field; an empty list is a blank field


@dataclass
class Row:
    """A table row. ``kind``: caption, header or data; data rows have ``n_label`` leading label cells
    and ``keys`` naming their figure cells in template column order."""

    kind: str
    cells: list[Cell]
    n_label: int = 0
    keys: list[str] = field(default_factory=list)
    group: str = ""  # t3: key of the top-level label group (results) the row belongs to
    sub: str = ""  # t3: key of the sub-group (denied, unable, …)

    @property
    def figures(self) -> list[Cell]:
        return self.cells[self.n_label :]


@dataclass
class Table:
    """A table as a grid of rows; ``slots`` names its header cells (shared with the grid, so noise
    edits show in both) for layouts that place headers by meaning rather than by grid position."""

    name: str  # t2, t3, t4
    rows: list[Row]
    slots: dict[str, Cell] = field(default_factory=dict)


@dataclass
class Block:
    """A line of running text (title, heading, paragraph, chrome); ``kind`` guides the layouts."""

    kind: str
    pieces: list[Piece]


@dataclass
class LostCell:
    """A cell lost in copying: ``mode`` blank (empty field kept) or vanished (field gone)."""

    key: str
    row_keys: list[str]
    mode: str


@dataclass
class SynthDoc:
    """Everything known about one generated report before and after rendering."""

    id: str
    year: int
    fmt: str
    body: str
    short: str
    layout: str = ""
    noise: list[str] = field(default_factory=list)
    blocks: list[Block | Table] = field(default_factory=list)
    truth: dict[str, float | int | None] = field(default_factory=dict)  # figures before inconsistency
    printed: dict[str, float | int | None] = field(default_factory=dict)  # figures the report prints
    lost: list[LostCell] = field(default_factory=list)
    dup_rows: list[tuple[list[str], int]] = field(default_factory=list)  # (row keys, duplicated index)
    tables_printed: set[str] = field(default_factory=set)  # tables whose figures the report prints
    pieces: list[Piece] = field(default_factory=list)  # the rendered document
    notes: list[str] = field(default_factory=list)


def join(pieces: list[Piece]) -> tuple[str, list[Span]]:
    """The text of ``pieces`` and the labelled spans (one per non-O piece)."""
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    for p in pieces:
        n = len(p.text)
        if n and p.label != "O":
            spans.append(Span(pos, pos + n, p.label))
        parts.append(p.text)
        pos += n
    return "".join(parts), spans
