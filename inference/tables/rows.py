"""Row labels matched in order, each given its run of figures by an order-preserving alignment over line
distance (figures beside, above or below a label; rows printed column by column turned back)."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from govreport.inference.arithmetic import check
from govreport.inference.figures import read_figure
from govreport.inference.matching import align, label_score
from govreport.inference.solver import Figure
from govreport.inference.spans import Span
from govreport.inference.tables.layout import line_of
from govreport.inference.templates import Label, Template

WHOLE = 0.95  # a fragment scoring this names its label on its own


@dataclass
class _Block:
    """A row label (possibly in several fragments) or a run of figures, with the lines it covers."""

    first: int
    last: int
    start: int  # character offset of its first piece
    label: Label | None = None
    end: int = 0  # character offset after its last piece
    figures: list[tuple[Span, Figure]] = field(default_factory=list)


def _figure_blocks(
    text: str, spans: list[Span], line_starts: list[int], label_starts: list[int]
) -> list[_Block]:
    """Runs of figures: a run ends at a row label, and at a line break where either line holds several
    figures (a line of figures is one row's; one figure per line is a row printed down the page)."""
    nums = [(s, f) for s in spans if s.label == "NUM" and (f := read_figure(text, s)) is not None]
    per_line = Counter(line_of(line_starts, s.start) for s, _ in nums)
    blocks: list[_Block] = []
    prev: Span | None = None
    for span, fig in nums:
        ln = line_of(line_starts, span.start)
        if prev is None:
            new = True
        else:
            pln = line_of(line_starts, prev.start)
            labelled = bisect.bisect_left(label_starts, prev.end) < bisect.bisect_left(
                label_starts, span.start
            )
            new = labelled or (ln != pln and (per_line[ln] > 1 or per_line[pln] > 1))
        if new:
            blocks.append(_Block(ln, ln, span.start))
        blocks[-1].last = ln
        blocks[-1].figures.append((span, fig))
        prev = span
    return blocks


_LOST_ROW = 2.0  # a row label no run of figures is given to (its figures were lost)
_STRAY_RUN = 2.0  # a run of figures given to no row (a stray number)
_ABOVE = 0.5  # the figures start standing above their labels (a vertically centred cell) rather than beside or below
_PASSED = 0.25  # another label stands between this one and the figures (a group label on the same line)
_BESIDE_OTHER = 2.0  # the figures stand on the line of another row's label, after it


def _pair_cost(run: _Block, row: _Block, next_start: float) -> tuple[float, bool]:
    """The line distance between a run and a row label, and whether the run stands above the label."""
    if run.last < row.first:
        return row.first - run.last, True
    return max(0, run.first - row.last) + (_PASSED if next_start < run.start else 0.0), False


def _match_runs(runs: list[_Block], rows: list[_Block]) -> list[int]:
    """Each run's row index (-1 for none): runs and rows keep their order, one run per row, and the
    line distance between a run and its label is as small as it can be in total. Where a text layer
    centres figures vertically in tall cells, a row's figures can stand a line above its label or
    beside the next label; order, not proximity alone, tells whose they are. Figures above their labels
    are a layout, not a slip of each row: the cost is paid where a run of such rows begins, so that a
    long run of them is not read one row off (each label taking the figures below it, the first stray)."""
    n, m = len(runs), len(rows)
    nexts = [r.start for r in rows[1:]] + [np.inf]
    beside = [
        max(
            (
                j
                for j, r in enumerate(rows)
                if r.start < run.start and r.first <= run.last and run.first <= r.last
            ),
            default=-1,
        )
        for run in runs
    ]
    pairs = {}
    for i in range(n):
        for j in range(m):
            dist, above = _pair_cost(runs[i], rows[j], nexts[j])
            pairs[i, j] = (dist + (_BESIDE_OTHER if beside[i] not in (-1, j) else 0.0), above)

    # cost[i, j, a]: runs[:i] and rows[:j] placed, ``a``: the last pair placed stood above its label
    cost = np.full((n + 1, m + 1, 2), np.inf)
    cost[0, :, 0] = np.arange(m + 1) * _LOST_ROW
    cost[:, 0, 0] = np.arange(n + 1) * _STRAY_RUN
    back: dict[tuple[int, int, int], tuple[int, int, int]] = {}

    def relax(to: tuple[int, int, int], frm: tuple[int, int, int], value: float) -> None:
        if value < cost[to]:
            cost[to] = value
            back[to] = frm

    for i in range(n + 1):
        for j in range(m + 1):
            for a in (0, 1):
                here = cost[i, j, a]
                if not np.isfinite(here):
                    continue
                if i < n and j < m:
                    dist, above = pairs[i, j]
                    relax((i + 1, j + 1, int(above)), (i, j, a), here + dist + (_ABOVE if above and not a else 0.0))
                if i < n:
                    relax((i + 1, j, a), (i, j, a), here + _STRAY_RUN)
                if j < m:
                    relax((i, j + 1, a), (i, j, a), here + _LOST_ROW)
    out = [-1] * n
    state = (n, m, int(np.argmin(cost[n, m])))
    while state in back:
        prev = back[state]
        if state[0] == prev[0] + 1 and state[1] == prev[1] + 1:
            out[prev[0]] = prev[1]
        state = prev
    return out


Held = Callable[[list[tuple[Label, list[float | None]]]], int]


def _untransposed(runs: list[_Block], labels: list[_Block], n_cols: int, held: Held) -> list[_Block]:
    """Rows read column by column put back. A text layer that writes a merged-cell region one column at
    a time prints k bare row labels, then ``n_cols`` lines of k figures (one line per column): those
    lines become k runs, one per label, standing on their labels' lines. A square block (k = n_cols)
    is turned only when the turned rows satisfy more of the rules than the lines as printed."""
    out: list[_Block] = []
    i = 0
    while i < len(runs):
        k = len(runs[i].figures)
        j = i
        while (
            j < len(runs) and j - i < n_cols and runs[j].first == runs[j].last and len(runs[j].figures) == k
        ):
            j += 1
        after = runs[i - 1].start if i else -1
        bare = [lab for lab in labels if after < lab.start < runs[i].start][-k:]
        if k >= 2 and j - i == n_cols and len(bare) == k:
            block = runs[i:j]
            turned = [[b.figures[r] for b in block] for r in range(k)]
            if k != n_cols or held(_values(bare, turned)) > held(_values(bare, [b.figures for b in block])):
                out += [
                    _Block(lab.first, lab.last, lab.start, figures=f)
                    for lab, f in zip(bare, turned, strict=True)
                ]
                i = j
                continue
        out.append(runs[i])
        i += 1
    return out


def _values(
    labels: list[_Block], rows: list[list[tuple[Span, Figure]]]
) -> list[tuple[Label, list[float | None]]]:
    return [
        (lab.label, [f.value for _, f in row]) for lab, row in zip(labels, rows, strict=True) if lab.label
    ]


def rules_held(template: Template) -> Held:
    """How many of the report's rules a set of table-3 rows satisfies on its own."""
    rules = template.active_rules()

    def held(rows: list[tuple[Label, list[float | None]]]) -> int:
        cells = {k: v for lab, vals in rows for k, v in zip(template.t3.cells(lab.key), vals, strict=False)}
        return sum(1 for r in rules if (c := check(r, cells)) is not None and c.holds)

    return held


def labelled_rows(
    text: str,
    spans: list[Span],
    seq: list[Label],
    sinks: list[Label],
    line_starts: list[int],
    untranspose: tuple[int, Held] | None = None,
) -> tuple[list[tuple[Label, list[Figure], int]], dict[int, Span]]:
    """Row labels matched in order, each with its run of figures (see ``_match_runs``) and the offset where
    the label ends."""
    frags = [s for s in spans if s.label == "ROW"]

    def best(fragment: str) -> float:
        return max(label_score(fragment, lab) for lab in seq)

    texts = []
    for i, s in enumerate(frags):
        own = s.text(text)
        # A label broken over lines or by a lost character: also try it joined with the previous piece
        # when no figure stands between them and that piece names no label whole on its own (figures
        # printed above their labels leave whole labels adjacent); the better reading wins inside align().
        prev = frags[i - 1].text(text) if i else ""
        if (
            prev
            and best(prev) < WHOLE
            and not any(n.label == "NUM" and frags[i - 1].end <= n.start < s.start for n in spans)
            and best(prev + own) > best(own)
        ):
            own = prev + own
        texts.append(own)
    matched = [(frag, seq[a]) for frag, a in zip(frags, align(texts, seq, sinks), strict=True) if a >= 0]
    labels: list[_Block] = []
    for frag, label in matched:
        first, last = line_of(line_starts, frag.start), line_of(line_starts, frag.end - 1)
        if labels and labels[-1].label is label:
            labels[-1].last, labels[-1].end = last, frag.end
        else:
            labels.append(_Block(first, last, frag.start, label, frag.end))
    runs = _figure_blocks(text, spans, line_starts, [frag.start for frag, _ in matched])
    if untranspose:
        runs = _untransposed(runs, labels, *untranspose)
    for run, j in zip(runs, _match_runs(runs, labels), strict=True):
        if j >= 0:
            labels[j].figures = run.figures
    rows = [(b.label, [f for _, f in b.figures], b.end) for b in labels if b.label is not None]
    spans_of = {id(f): s for b in labels for s, f in b.figures}
    return rows, spans_of
