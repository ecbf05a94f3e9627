"""One cell per line with blank lines between rows (seeds 000, 002): a DOCX table copied as text."""

from __future__ import annotations

import random

from govreport.training.synth.layouts.base import row_fields, text_block
from govreport.training.synth.model import Cell, Piece, SynthDoc, Table


def _broken(rng: random.Random, cell: Cell) -> Cell:
    """A short header cell broken inside (结果\\n纠正, 商业\\n企业), as narrow DOCX columns do."""
    if len(cell) == 1 and cell[0].label == "COL" and len(cell[0].text) == 4 and rng.random() < 0.5:
        t = cell[0].text
        return [Piece(t[:2], "COL"), Piece("\n"), Piece(t[2:], "COL")]
    return cell


def render(rng: random.Random, doc: SynthDoc) -> list[Piece]:
    tabbed = rng.random() < 0.5  # 000: every cell line starts with a tab and blank cells stay as lines
    breaks = rng.random() < 0.5
    mode = rng.choice(["fixed", "compact"])
    lead = "\t" if tabbed else ""
    end = "\n\n" if not tabbed and rng.random() < 0.5 else "\n"  # every cell its own paragraph (002)
    split_p = 0.01 if tabbed and rng.random() < 0.3 else 0.0  # figures after an empty line (000)
    bookmark_p = 0.005 if rng.random() < 0.1 else 0.0  # Word bookmarks left in the copy (000)
    out: list[Piece] = []
    for b in doc.blocks:
        if not isinstance(b, Table):
            out += text_block(b, rng.choice(["\n", "\n\n"]) if not tabbed else "\n")
            continue
        out.append(Piece("\n"))
        for row in b.rows:
            for cell in row_fields(row, mode):
                if not cell and not tabbed:
                    continue
                if breaks and row.kind == "header":
                    cell = _broken(rng, cell)
                if cell and cell[0].label == "NUM" and rng.random() < split_p:
                    out += [Piece(lead + "\n"), *cell, Piece(end)]
                    continue
                if cell and cell[0].label == "NUM" and rng.random() < bookmark_p:
                    cell = [Piece("[bookmark: _GoBack]"), *cell]
                out += [Piece(lead), *cell, Piece(end)]
            if end == "\n":
                out.append(Piece("\n"))
        out.append(Piece("\n"))
    return out
