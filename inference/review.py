"""Where the pipeline doubts its own reading: signals per report and per table, the document-level review
flag, and the table-by-table verdict that self-training trusts.

Every signal comes from the post-processor's own evidence: row labels that name no row, figures that
no cell took, holes before the last figure read, rules that fail, conflicting cells, section ids missing
from the sequence, no title, uncertain entity edges (when the tagger gives probabilities), and where the
model and the rules baseline read the report differently. Caps and flag rules: configs/review.yaml;
weights fitted on synthetic reports: configs/review_weights.yaml (``training/review_fit.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from govreport.configs import load
from govreport.inference.matching import THRESHOLD, label_score
from govreport.inference.schema import Extraction
from govreport.inference.spans import Span
from govreport.inference.templates import row_labels, templates
from govreport.inference.titles import candidates

TABLE_SECTIONS = {"t2": 2, "t3": 3, "t4": 4}


@cache
def _cfg() -> dict[str, Any]:
    return load("review")


@dataclass
class Review:
    """Signals of one report (raw counts or fractions), its score, flag and the reasons for the flag."""

    signals: dict[str, float]
    score: float
    flag: bool
    reasons: list[str]
    tables: dict[str, dict[str, float]] = field(default_factory=dict)  # per-table signals (t2/t3/t4)


def table_zones(text: str, extraction: Extraction) -> dict[str, tuple[int, int]]:
    """Character ranges of the tables whose section heading was found: heading end → next heading."""
    heads = sorted(extraction.sections, key=lambda s: s.start)
    out = {}
    for table, sid in TABLE_SECTIONS.items():
        at = next((i for i, s in enumerate(heads) if s.id == sid), None)
        if at is not None:
            end = heads[at + 1].start if at + 1 < len(heads) else len(text)
            out[table] = (heads[at].end, end)
    return out


def _holes(extraction: Extraction, table: str, blank: frozenset[str]) -> int:
    """Cells left missing before the last cell read, in template order (a cut copy leaves none), except
    those the layout showed printed empty."""
    if extraction.format is None:
        return 0
    keys = [k for k in templates()[extraction.format].cell_keys(frozenset())[table] if k in extraction.cells]
    read = [i for i, k in enumerate(keys) if extraction.cells[k].status != "missing"]
    return sum(1 for k in keys[: read[-1]] if extraction.cells[k].status == "missing" and k not in blank) if read else 0


def _names_a_row(text: str, span: Span, following: Span | None) -> bool:
    """A row label names a template row alone or joined with the next piece (a label broken over lines); a
    label after the last figure of a cut copy is not asked to (nothing was read from it)."""
    pieces = [span.text(text)] + ([span.text(text) + following.text(text)] if following else [])
    return any(max(label_score(p, lab) for lab in row_labels()) >= THRESHOLD for p in pieces)


def table_signals(
    text: str, spans: list[Span], extraction: Extraction, zone: tuple[int, int], table: str, blank: frozenset[str]
) -> dict[str, float]:
    """What doubts one table's reading: unmatched row labels, stray figures, holes, failing rules, conflicts,
    and the least confidence of a figure read."""
    inside = [s for s in spans if zone[0] <= s.start < zone[1]]
    used = {tuple(c.span) for k, c in extraction.cells.items() if k.startswith(table) and c.span}
    mine = {k: c for k, c in extraction.cells.items() if k.startswith(table + ".")}
    rows = [s for s in inside if s.label == "ROW"]
    last_figure = max((s.start for s in spans if s.label == "NUM"), default=-1)
    return {
        "unmatched_rows": sum(1 for i, s in enumerate(rows) if s.start < last_figure and not _names_a_row(
            text, s, rows[i + 1] if i + 1 < len(rows) else None)),
        "stray_figures": sum(1 for s in inside if s.label == "NUM" and (s.start, s.end) not in used
                             and any(ch.isdigit() for ch in s.text(text))),
        "holes": _holes(extraction, table, blank),
        "broken_rules": sum(1 for v in extraction.violations if any(c.startswith(table + ".") for c in v.cells)),
        "conflicts": sum(1 for c in mine.values() if c.status == "conflict"),
        "least_confidence": min((c.confidence for c in mine.values() if c.status == "observed"), default=1.0),
        "figures": sum(1 for c in mine.values() if c.status == "observed"),
    }


def _edge_uncertainty(spans: list[Span], probs: np.ndarray | None) -> float:
    """1 − the least probability of the chosen tag at an entity's first or last character."""
    if probs is None or not len(probs) or not spans:
        return 0.0
    best = probs.max(axis=1)
    edges = [best[s.start] for s in spans] + [best[s.end - 1] for s in spans]
    return float(1.0 - min(edges))


def _disagreement(extraction: Extraction, other: Extraction | None) -> dict[str, float]:
    """Where another tagger's reading differs: cell values, title, section ids. A cell counts where the
    other reading gives a figure and ours gives another or none; a figure ours read that the other missed
    is no doubt on ours (the baseline misses what the model reads far more often than the reverse)."""
    if other is None:
        return {"cells_disagree": 0.0, "title_disagree": 0.0, "sections_disagree": 0.0}
    differ = sum(1 for k, c in other.cells.items() if c.value is not None
                 and (extraction.cells.get(k) and extraction.cells[k].value) != c.value)
    return {
        "cells_disagree": float(differ),
        "title_disagree": float(extraction.title != other.title),
        "sections_disagree": float({s.id for s in extraction.sections} != {s.id for s in other.sections}),
    }


def review(
    text: str,
    spans: list[Span],
    extraction: Extraction,
    probs: np.ndarray | None = None,
    other: Extraction | None = None,
    blank: frozenset[str] = frozenset(),
) -> Review:
    """The report's signals, score and review flag. ``other``: the same report read by the other tagger;
    ``blank``: cells the layout showed printed empty (``pipeline.Report``)."""
    cfg = _cfg()
    zones = table_zones(text, extraction)
    tables = {t: table_signals(text, spans, extraction, z, t, blank) for t, z in zones.items()}
    ids = sorted({s.id for s in extraction.sections})
    signals: dict[str, float] = {
        name: float(sum(t[name] for t in tables.values()))
        for name in ("unmatched_rows", "stray_figures", "holes", "broken_rules", "conflicts")
    }
    signals["low_confidence"] = float(1.0 - min((t["least_confidence"] for t in tables.values()), default=1.0))
    signals["section_gaps"] = float(len(set(range(1, ids[-1] + 1)) - set(ids)) if ids else 0)
    signals["no_title"] = float(extraction.title is None)
    # a line near the top that could be the title, yet none was taken
    signals["title_doubt"] = float(extraction.title is None and bool(candidates(
        text, spans, min((s.start for s in extraction.sections), default=len(text)))))
    signals["edge_uncertainty"] = _edge_uncertainty(spans, probs)
    signals |= _disagreement(extraction, other)
    weights = load("review_weights")["weights"]
    score = sum(weights.get(k, 0.0) * min(v, cfg["caps"].get(k, 1.0)) for k, v in signals.items())
    reasons = [k for k, v in signals.items() if k in cfg["flag_when_any"] and v > 0]
    flag = bool(reasons) or score >= cfg["flag_score"]
    if flag and not reasons:
        reasons = ["score"]
    return Review(signals, round(float(score), 4), flag, reasons, tables)


def verified_tables(rev: Review) -> list[str]:
    """Tables read without a doubt: every row label named a row, every figure has a cell, no hole, every
    rule that can be checked holds, no conflict, every figure confident, and the other tagger agreed."""
    cfg = _cfg()["verify"]
    if rev.signals["cells_disagree"] > 0:
        return []
    return [
        t for t, s in rev.tables.items()
        if s["figures"] > 0 and s["unmatched_rows"] == 0 and s["stray_figures"] == 0 and s["holes"] == 0
        and s["broken_rules"] == 0 and s["conflicts"] == 0 and s["least_confidence"] >= cfg["min_confidence"]
    ]
