"""Tab-separated rows, as a DOCX/HTML table pasted as text (seeds 001, 003, 004)."""

from __future__ import annotations

import random

from govreport.training.synth.layouts.base import join_fields, moved_group_labels, row_fields, text_block
from govreport.training.synth.model import Piece, SynthDoc, Table


def render(rng: random.Random, doc: SynthDoc) -> list[Piece]:
    sep = rng.choice(["\n", "\n\n"])
    mode = rng.choice(["fixed", "compact"])
    width = rng.choice([0, 0, 11, 13])  # trailing empty fields up to a fixed count (001)
    moved = rng.random() < 0.4
    out: list[Piece] = []
    for b in doc.blocks:
        if not isinstance(b, Table):
            out += text_block(b, sep)
            continue
        for row in moved_group_labels(rng, b.rows) if moved else b.rows:
            fields = row_fields(row, mode)
            out += join_fields(fields, "\t")
            if width > len(fields):
                out.append(Piece("\t" * (width - len(fields))))
            out.append(Piece("\n"))
        out.append(Piece(sep))
    return out
