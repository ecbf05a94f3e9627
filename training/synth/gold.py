"""Gold per document in the spec's format, derived from what the rendered text actually shows.

Cells whose figure survives in the text are observed; a lost cell is ``inferred`` only when brute force
over its possible positions and the arithmetic rules fixes its value uniquely, else it is omitted (as are
row cells whose position the loss or a duplicated figure makes ambiguous). Violations are the rules
failing on the gold figures.
"""

from __future__ import annotations

from govreport.configs import load
from govreport.training.synth import arith
from govreport.training.synth.figures import t3_rows
from govreport.training.synth.model import SynthDoc

Value = float | int | None


def table_keys(fmt: str, single_other: bool) -> dict[str, list[str]]:
    """Every cell key of the three tables of a report with this template."""
    f = load("templates")["formats"][fmt]
    t2 = [f"t2.{r['key']}.{c['key']}" for g in f["t2"]["groups"] for r in g["rows"] for c in r["cols"]]
    t3 = [f"t3.{r}.{c['key']}" for r in t3_rows(fmt, single_other) for c in f["t3"]["cols"]]
    t4 = [f"t4.{g['key']}.{c['key']}" for g in f["t4"]["groups"] for c in f["t4"]["cols"]]
    return {"t2": t2, "t3": t3, "t4": t4}


def _candidates_lost(fmt: str, base: dict, row: list[str], seq: list[Value], lost: str, mode: str) -> list[dict]:
    """Row assignments for each possible position of the lost figure, its value solved from the rules."""
    out = []
    positions = [row.index(lost)] if mode == "blank" else range(len(row))
    for p in positions:
        others = row[:p] + row[p + 1 :]
        trial = base | dict(zip(others, seq, strict=True))
        trial[row[p]] = arith.solve(fmt, trial, row[p])
        out.append(trial)
    return out


def _candidates_dup(base: dict, row: list[str], seq: list[Value]) -> list[dict]:
    """Row assignments for each possible position of the extra figure."""
    return [base | dict(zip(row, seq[:q] + seq[q + 1 :], strict=True)) for q in range(len(seq))]


def _settle(fmt: str, cands: list[dict], row: list[str], printed: dict) -> dict[str, Value]:
    """Row cells fixed by the candidates that break the fewest rules, when they agree with the print."""
    solved = [c for c in cands if all(c[k] is not None for k in row)] or cands
    fails = [len(arith.failing(fmt, c)) for c in solved]
    best = [c for c, f in zip(solved, fails, strict=True) if f == min(fails)]
    return {k: printed[k] for k in row
            if all(c[k] is not None and c[k] == printed[k] for c in best)}


def build_gold(doc: SynthDoc, single_other: bool) -> dict:
    keys = table_keys(doc.fmt, single_other)
    seen = {p.key for p in doc.pieces if p.label == "NUM" and p.key}
    unsettled = {lc.key for lc in doc.lost} | {k for row, _ in doc.dup_rows for k in row} | {k for lc in doc.lost for k in lc.row_keys}
    cells: dict[str, Value] = {k: doc.printed[k] for k in seen
                               if k in doc.printed and k not in unsettled and k[:2] in doc.tables_printed}
    inferred: list[str] = []
    for lc in doc.lost:
        others = [k for k in lc.row_keys if k != lc.key]
        if lc.key[:2] not in doc.tables_printed:
            continue
        if not all(k in seen for k in others):
            cells |= {k: doc.printed[k] for k in others if k in seen and lc.mode == "blank"}
            continue
        seq = [doc.printed[k] for k in others]
        got = _settle(doc.fmt, _candidates_lost(doc.fmt, cells, lc.row_keys, seq, lc.key, lc.mode),
                      lc.row_keys, doc.printed)
        cells |= got
        if lc.key in got:
            inferred.append(lc.key)
    for row, i in doc.dup_rows:
        if row[0][:2] in doc.tables_printed and all(k in seen for k in row):
            vals = [doc.printed[k] for k in row]
            seq = vals[: i + 1] + vals[i:]
            cells |= _settle(doc.fmt, _candidates_dup(cells, row, seq), row, doc.printed)
    order = {k: i for i, k in enumerate(keys["t2"] + keys["t3"] + keys["t4"])}
    cells = {k: cells[k] for k in sorted(cells, key=order.__getitem__)}
    coverage = {}
    for t, tkeys in keys.items():
        n = sum(k in cells for k in tkeys)
        coverage[t] = "complete" if n == len(tkeys) else "partial" if n else "absent"
    sections: dict[int, str] = {}
    title = ""
    for p in doc.pieces:
        if p.label == "SEC" and p.key:
            sections[int(p.key.split(":")[1])] = p.text
        elif p.label == "TITLE":
            title += p.text.strip()
    return {
        "doc": doc.id, "format": doc.fmt, "title": title, "year": doc.year,
        "sections": [{"id": i, "heading": h} for i, h in sorted(sections.items())],
        "cells": cells, "inferred": inferred, "violations": arith.failing(doc.fmt, cells),
        "coverage": coverage, "notes": "; ".join(["synthetic", doc.layout, *doc.noise, *doc.notes]),
    }
