"""Pipe rows (| 信息内容 | 本年制发件数 | …), as a table converted to Markdown."""

from __future__ import annotations

import random

from govreport.training.synth.layouts.base import join_fields, moved_group_labels, row_fields, text_block
from govreport.training.synth.model import Piece, SynthDoc, Table


def render(rng: random.Random, doc: SynthDoc) -> list[Piece]:
    mode = rng.choice(["fixed", "compact"])
    rule = rng.random() < 0.6  # a |---| line under the first row of each table
    out: list[Piece] = []
    for b in doc.blocks:
        if not isinstance(b, Table):
            out += text_block(b, "\n\n")
            continue
        ncol = max(len(row_fields(r, mode)) for r in b.rows)
        rows = moved_group_labels(rng, b.rows) if rng.random() < 0.3 else b.rows
        for i, row in enumerate(rows):
            fields = row_fields(row, mode)
            fields = fields + [[] for _ in range(ncol - len(fields))] if rng.random() < 0.7 else fields
            out += [Piece("| "), *join_fields(fields, " | "), Piece(" |\n")]
            if i == 0 and rule:
                out.append(Piece("|" + "---|" * ncol + "\n"))
        out.append(Piece("\n"))
    return out
