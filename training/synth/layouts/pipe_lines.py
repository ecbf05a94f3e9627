"""Pipe cells one per line with ``|||`` filler lines for merged or empty cells (a converter's output)."""

from __future__ import annotations

import random

from govreport.training.synth.layouts.base import row_fields, text_block
from govreport.training.synth.model import Piece, SynthDoc, Table


def render(rng: random.Random, doc: SynthDoc) -> list[Piece]:
    mode = rng.choice(["fixed", "compact"])
    closed = rng.random() < 0.5  # |cell| rather than | cell
    out: list[Piece] = []
    for b in doc.blocks:
        if not isinstance(b, Table):
            out += text_block(b, "\n\n")
            continue
        for row in b.rows:
            for cell in row_fields(row, mode):
                if not cell:
                    out.append(Piece("|||\n"))
                    continue
                out += [Piece("|" if closed else "| "), *cell, Piece("|\n" if closed else "\n")]
            out.append(Piece("|||\n"))
        out.append(Piece("\n"))
    return out
