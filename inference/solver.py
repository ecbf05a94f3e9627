"""Placing read figures into cells under the arithmetic rules.

Each table row arrives as its cell keys (column order) and the figures read after its label. A row with
as many figures as cells is taken as printed. A row with too few figures lost some in copying, one with too
many has spurious ones: every way to place them (left to right) is a candidate, and the candidates of all
damaged rows are scored together by the rules they break and keep. Among the best-scoring placements, those
that agree most with the layout (which column a figure stands under, where the text shows it) are kept,
and a fixed convention picks one. A cell gets a value only when every kept placement gives it the same
value (``observed`` when a figure stands there, ``inferred`` when the rules derive it); else ``missing``.
A printed figure that no count can be (negative, fractional, past MAX_COUNT) is kept as printed with status
``conflict``, and nothing is derived from it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
from govreport.inference.arithmetic import Value, broken, solve_one, valid_value
from govreport.inference.templates import Rule

MAX_CANDIDATES_PER_ROW = 120
MAX_GRID = 300_000
_UNKNOWN = object()


@dataclass(frozen=True)
class Figure:
    """A figure read from the text: value (None for a printed blank such as / or —), span, tagger score,
    and ``slot``, the column index the layout puts it under when the layout shows it (else None)."""

    value: Value
    span: tuple[int, int]
    score: float = 1.0
    slot: int | None = None


@dataclass
class RowReading:
    cells: list[str]
    figures: list[Figure]
    label_end: int | None = None  # where the row's label ends in the text, when a label was read


@dataclass(frozen=True)
class Placed:
    value: Value
    status: str  # observed | inferred | missing | conflict
    span: tuple[int, int] | None
    confidence: float


@dataclass
class _Candidate:
    values: dict[str, object]  # cell -> value, None (printed blank) or _UNKNOWN
    figure_of: dict[str, Figure]
    derived: set[str] = field(default_factory=set)
    penalty: int = 0
    hint: int = 0
    convention: int = 0


def _propagate(values: dict[str, object], rules: Sequence[Rule], derived: set[str]) -> int:
    """Fill unknown cells fixed by a rule whose other cells are known; returns how many derivations were
    impossible (negative or fractional counts), which mark the placement as wrong."""
    impossible = 0
    changed = True
    while changed:
        changed = False
        for rule in rules:
            unknown = [k for k in rule.cells if values.get(k, _UNKNOWN) is _UNKNOWN]
            if len(unknown) != 1 or any(values.get(k, 0) is None for k in rule.cells):
                continue
            key = unknown[0]
            value = solve_one(rule, values, key)  # type: ignore[arg-type]
            if not valid_value(key, value):
                impossible += 1
                values[key] = None  # blocks further use without inventing a figure
                continue
            values[key] = int(value) if float(value).is_integer() else value
            derived.add(key)
            changed = True
    return impossible


def _candidates(row: RowReading, local_rules: list[Rule]) -> list[_Candidate]:
    n, figs = len(row.cells), row.figures
    k = len(figs)
    if k >= n:
        drops = list(itertools.islice(itertools.combinations(range(k), k - n), MAX_CANDIDATES_PER_ROW))
        placements = [([f for i, f in enumerate(figs) if i not in d], list(range(n)), sum(d)) for d in drops]
    else:
        slots = list(itertools.islice(itertools.combinations(range(n), k), MAX_CANDIDATES_PER_ROW))
        # Convention when nothing else decides: figures read left to right and the last one is the row's
        # last column (its total), so the gap sits as far right as possible before it.
        placements = [
            (figs, list(s), sum(i for i in range(n) if i not in s) - (n * 10 if n - 1 not in s and k else 0))
            for s in slots
        ]
    out = []
    for placed_figs, cols, convention in placements:
        values: dict[str, object] = dict.fromkeys(row.cells, _UNKNOWN)
        figure_of = {}
        hint = 0
        for fig, col in zip(placed_figs, cols, strict=True):
            key = row.cells[col]
            values[key] = fig.value
            figure_of[key] = fig
            if fig.slot is not None:
                hint += 1 if fig.slot == col else -1
        cand = _Candidate(values, figure_of, hint=hint, convention=convention)
        cand.penalty = _propagate(cand.values, local_rules, cand.derived)
        out.append(cand)
    return out


def _contributions(cands: list[_Candidate], rules: list[Rule]) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate and rule: the row's part of lhs − rhs, and whether the row leaves the rule undecided."""
    contrib = np.zeros((len(cands), len(rules)))
    unknown = np.zeros((len(cands), len(rules)), dtype=bool)
    for i, cand in enumerate(cands):
        for j, rule in enumerate(rules):
            for sign, side in ((1.0, rule.lhs), (-1.0, rule.rhs)):
                for key in side:
                    if key in cand.values:
                        v = cand.values[key]
                        if v is _UNKNOWN or v is None:
                            unknown[i, j] = True
                        else:
                            contrib[i, j] += sign * v  # type: ignore[operator]
    return contrib, unknown


def _choose(
    cand_lists: list[list[_Candidate]], rules: list[Rule], absent: np.ndarray
) -> tuple[list[int], list[set[int]]]:
    """The chosen candidate per row and, per row, the candidates that appear in some best placement."""
    damaged = [i for i, c in enumerate(cand_lists) if len(c) > 1]
    const = np.zeros(len(rules))
    const_unknown = absent.copy()
    for cands in cand_lists:
        if len(cands) == 1:
            contrib, unknown = _contributions(cands, rules)
            const += contrib[0]
            const_unknown |= unknown[0]
    chosen = [0] * len(cand_lists)
    if not damaged:
        return chosen, [{0} for _ in cand_lists]
    parts = [_contributions(cand_lists[i], rules) for i in damaged]
    sizes = [len(cand_lists[i]) for i in damaged]
    if math.prod(sizes) > MAX_GRID:  # Python ints: np.prod wraps around past 2**63 with many rows
        return _choose_greedy(cand_lists, damaged, parts, const, const_unknown)
    residual = const.copy()
    unknown = const_unknown.copy()
    penalty, hint, conv = np.zeros(()), np.zeros(()), np.zeros(())
    for axis, (i, (contrib, unk)) in enumerate(zip(damaged, parts, strict=True)):
        shape = [1] * len(damaged) + [len(rules)]
        shape[axis] = sizes[axis]
        residual = residual + contrib.reshape(shape)
        unknown = unknown | unk.reshape(shape)
        vec_shape = [1] * len(damaged)
        vec_shape[axis] = sizes[axis]
        cands = cand_lists[i]
        penalty = penalty + np.array([c.penalty for c in cands]).reshape(vec_shape)
        hint = hint + np.array([c.hint for c in cands]).reshape(vec_shape)
        conv = conv + np.array([c.convention for c in cands]).reshape(vec_shape)
    decided = ~unknown
    holds = np.abs(residual) < 1e-6
    violated = (decided & ~holds).sum(axis=-1) + penalty
    satisfied = (decided & holds).sum(axis=-1)
    rule_score = violated * (len(rules) + 1) - satisfied
    best = rule_score == rule_score.min()
    hint = np.broadcast_to(hint, best.shape)
    best &= hint == hint[best].max()
    pick = np.unravel_index(int(np.argmax(np.where(best, conv, -np.inf))), best.shape)
    for axis, i in enumerate(damaged):
        chosen[i] = int(pick[axis])
    optimal = [{0} for _ in cand_lists]
    for axis, i in enumerate(damaged):
        other_axes = tuple(a for a in range(len(damaged)) if a != axis)
        optimal[i] = set(np.flatnonzero(best.any(axis=other_axes) if other_axes else best).tolist())
    return chosen, optimal


def _choose_greedy(cand_lists, damaged, parts, const, const_unknown):  # type: ignore[no-untyped-def]
    """Coordinate descent for reports with too many damaged rows to enumerate; nothing is called certain
    unless a row has a single best candidate given the others."""
    chosen = [0] * len(cand_lists)
    n_rules = len(const)

    def score(choice: list[int]) -> float:
        residual, unknown, pen = const.copy(), const_unknown.copy(), 0
        for i, (contrib, unk) in zip(damaged, parts, strict=True):
            residual += contrib[choice[i]]
            unknown |= unk[choice[i]]
            pen += cand_lists[i][choice[i]].penalty
        decided = ~unknown
        holds = np.abs(residual) < 1e-6
        return ((decided & ~holds).sum() + pen) * (n_rules + 1) - (decided & holds).sum()

    for _ in range(3):
        for i in damaged:
            scores = []
            for c in range(len(cand_lists[i])):
                trial = chosen.copy()
                trial[i] = c
                cand = cand_lists[i][c]
                scores.append((score(trial), -(cand.hint * 10_000 + cand.convention), c))
            chosen[i] = min(scores)[2]
    optimal = [{c} for c in chosen]
    return chosen, optimal


def _certain(cands: list[_Candidate], optimal: set[int], key: str) -> bool:
    values = {repr(cands[c].values.get(key, _UNKNOWN)) for c in optimal}
    return len(values) == 1


def solve(
    rows: list[RowReading], rules: list[Rule], universe: Sequence[str], blank: Collection[str] = ()
) -> tuple[dict[str, Placed], list]:
    """Place the figures of ``rows`` and derive what the rules fix among ``universe`` (all cell keys of the
    tables present). ``blank``: cells the layout shows printed empty; with no figure placed there, they stay
    blank rather than derived as zero (a non-zero the rules fix there was lost, not left blank). Returns the
    cells and the rules the final figures break."""
    row_cells = [set(r.cells) for r in rows]
    local = [[rule for rule in rules if set(rule.cells) <= cells] for cells in row_cells]
    cand_lists = [_candidates(r, loc) for r, loc in zip(rows, local, strict=True)]
    covered = set().union(*row_cells) if rows else set()
    absent = np.array([any(k not in covered for k in rule.cells) for rule in rules], dtype=bool)
    chosen, optimal = _choose(cand_lists, rules, absent)

    values: dict[str, object] = dict.fromkeys(universe, _UNKNOWN)
    figure_of: dict[str, Figure] = {}
    uncertain: set[str] = set()
    derived: set[str] = set()
    for cands, pick, opt in zip(cand_lists, chosen, optimal, strict=True):
        cand = cands[pick]
        for key, v in cand.values.items():
            if not _certain(cands, opt, key):
                uncertain.add(key)  # the figure's column is not fixed: leave the cell unread
                continue
            values[key] = v
            if key in cand.figure_of:
                figure_of[key] = cand.figure_of[key]
            elif key in cand.derived:
                derived.add(key)
    _propagate(values, rules, derived)
    for key in set(blank) - figure_of.keys():
        if values[key] == 0:
            values[key] = None
            derived.discard(key)

    final = {k: (None if v is _UNKNOWN else v) for k, v in values.items()}
    violations = broken(rules, final)
    in_broken: dict[str, int] = {}
    for c in violations:
        for key in c.rule.cells:
            in_broken[key] = in_broken.get(key, 0) + 1
    placed: dict[str, Placed] = {}
    for key in universe:
        v = final[key]
        if key in figure_of:
            fig = figure_of[key]
            possible = fig.value is None or valid_value(key, fig.value)
            conf = fig.score * (0.5 if in_broken.get(key) else 1.0) if possible else 0.0
            # a figure no count can be (-5, 2.5, 1e30) is kept as printed and flagged, never rounded away
            status = "conflict" if in_broken.get(key, 0) >= 2 or not possible else "observed"
            placed[key] = Placed(fig.value, status, fig.span, round(conf, 4))
        elif key in derived and v is not None:
            placed[key] = Placed(v, "inferred", None, 0.9 if not in_broken.get(key) else 0.4)  # type: ignore[arg-type]
        else:
            placed[key] = Placed(None, "missing", None, 0.0)
    return placed, violations
