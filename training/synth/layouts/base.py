"""Helpers shared by the layout families: running text blocks and label-field arrangements."""

from __future__ import annotations

import random

from govreport.training.synth.model import Block, Cell, Piece, Row


def text_block(block: Block, sep: str) -> list[Piece]:
    """A running-text block on its own line(s); ``sep`` ends it (a newline, or a blank line too)."""
    return [*block.pieces, Piece(sep)]


def label_fields(row: Row, mode: str) -> list[Cell]:
    """The label fields of a data row: ``fixed`` keeps every label column, ``compact`` drops the empty
    label columns after the last printed one (merged cells in a web copy)."""
    labels = row.cells[: row.n_label]
    if mode == "compact":
        while len(labels) > 1 and not labels[-1]:
            labels = labels[:-1]
    return labels + row.figures


def row_fields(row: Row, mode: str) -> list[Cell]:
    return label_fields(row, mode) if row.kind == "data" else row.cells


def join_fields(fields: list[Cell], sep: str) -> list[Piece]:
    out: list[Piece] = []
    for i, cell in enumerate(fields):
        if i:
            out.append(Piece(sep))
        out += cell
    return out


def moved_group_labels(rng: random.Random, rows: list[Row]) -> list[Row]:
    """Group and sub-group labels (三、本年度办理结果, （三）不予公开) moved from the first row of their span
    to the middle, sometimes split over consecutive rows (年度办 / 理结果): a vertically merged cell read
    row by row, as in seed 001. Returns copies; the table itself is not changed."""
    out = [Row(r.kind, list(r.cells), r.n_label, r.keys, r.group, r.sub) for r in rows]
    for level, attr in ((0, "group"), (1, "sub")):
        spans: dict[str, list[int]] = {}
        for i, r in enumerate(out):
            if r.kind == "data" and r.n_label == 3 and getattr(r, attr):
                spans.setdefault(getattr(r, attr), []).append(i)
        for idx in spans.values():
            cell = out[idx[0]].cells[level]
            if len(cell) != 1 or len(idx) < 2:
                continue
            text = cell[0].text
            k = rng.choice([1, 1, 2, 3]) if len(text) >= 6 else 1
            size = -(-len(text) // k)
            parts = [[Piece(text[i : i + size], cell[0].label)] for i in range(0, len(text), size)]
            start = max(0, len(idx) // 2 - len(parts) // 2)
            out[idx[0]].cells[level] = []
            for j, part in enumerate(parts):
                out[idx[min(start + j, len(idx) - 1)]].cells[level] = part
    return out
