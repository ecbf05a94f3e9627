"""Rebuilding the three tables from tagged spans: which template, which row each figure belongs to, and
where the layout puts each figure. The arithmetic is left to ``inference.solver``."""

from __future__ import annotations

import bisect
import itertools
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from govreport.inference.arithmetic import check
from govreport.inference.figures import read_figure
from govreport.inference.matching import align, label_score
from govreport.inference.normalize import for_match
from govreport.inference.sections import Section
from govreport.inference.solver import Figure, RowReading
from govreport.inference.spans import Span
from govreport.inference.templates import Label, Template, template_for_year, templates

TABLES = ("t2", "t3", "t4")
WHOLE = 0.95  # a fragment scoring this names its label on its own
VOTE = 0.9  # a label votes for a template only on a close match (3.其他 is half of 其他结果)


@dataclass
class TableReading:
    """What the text shows of the tables, ready for the solver."""

    template: Template
    optional_rows: frozenset[str]
    rows: dict[str, list[RowReading]] = field(default_factory=dict)  # table id -> rows with their figures
    notes: list[str] = field(default_factory=list)  # what was seen but not read, for the output's warnings

    @property
    def present(self) -> list[str]:
        return [t for t in TABLES if any(r.figures for r in self.rows.get(t, []))]


def _lines(text: str) -> list[int]:
    starts = [0]
    starts += [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return starts


def _x_position(text: str, line_starts: list[int], span: Span) -> tuple[str, float]:
    """Where a figure stands across its line: the field index in a tab/pipe-delimited line, else the
    display column of its centre (CJK characters are two columns wide, as in pdftotext -layout)."""
    line_no = bisect.bisect_right(line_starts, span.start) - 1
    start = line_starts[line_no]
    end = text.find("\n", span.end)
    before, after = text[start : span.start], text[span.end : end if end >= 0 else len(text)]
    for sep in ("\t", "|"):
        if sep in before or sep in after:
            return sep, float(before.count(sep))
    width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in before)
    return " ", width + (span.end - span.start) / 2


def _assign_slots(
    text: str, starts: list[int], rows: list[RowReading], spans_of: dict[int, Span], n_cols: int
) -> None:
    """Learn where each column stands from the rows that have all their figures, then give the figures of
    other rows the column their position points to (only where it points to one column clearly)."""
    pos = {id(f): _x_position(text, starts, spans_of[id(f)]) for r in rows for f in r.figures}
    columns: list[dict[str, list[float]]] = [{} for _ in range(n_cols)]
    for r in rows:
        if len(r.figures) == n_cols:
            for j, f in enumerate(r.figures):
                kind, x = pos[id(f)]
                columns[j].setdefault(kind, []).append(x)
    for r in rows:
        if len(r.figures) == n_cols:
            continue
        new = []
        for f in r.figures:
            kind, x = pos[id(f)]
            slot = None
            if kind in ("\t", "|"):
                modes = [Counter(c[kind]).most_common(1)[0][0] if c.get(kind) else None for c in columns]
                hits = [j for j, m in enumerate(modes) if m == x]
                slot = hits[0] if len(hits) == 1 else None
            else:
                centres = [statistics.median(c[kind]) if c.get(kind) else None for c in columns]
                known = [(abs(x - m), j) for j, m in enumerate(centres) if m is not None]
                ordered = sorted(m for m in centres if m is not None)
                gap = min((b - a for a, b in itertools.pairwise(ordered)), default=0)
                if known and gap > 0:
                    d, j = min(known)
                    slot = j if d < gap / 2 else None
            new.append(Figure(f.value, f.span, f.score, slot))
        r.figures = new


def _votes(text: str, spans: list[Span], table: str) -> dict[str, int]:
    """Per template, how many tagged labels name one of its own ``table`` labels the other lacks."""
    votes = dict.fromkeys(templates(), 0)
    for span in spans:
        if span.label not in ("COL", "ROW"):
            continue
        frag = span.text(text)
        if len(for_match(frag)) < 3:
            continue
        for fid in votes:
            if any(label_score(frag, lab) >= VOTE for lab in _exclusive_labels(fid, table)):
                votes[fid] += 1
    return votes


def _leader(votes: dict[str, int]) -> str | None:
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    return ranked[0][0] if ranked[0][1] > ranked[1][1] else None


def choose_template(text: str, spans: list[Span], year: int | None) -> Template:
    """Table 3's own rows decide when they name one template's only (the three parts of （六）); else the
    template whose own labels the text shows most; the year decides a tie. Table 3 decides first because
    some reports print the old table 2 under the new template."""
    t2, t3 = _votes(text, spans, "t2"), _votes(text, spans, "t3")
    fid = _leader(t3) if max(t3.values()) >= 2 else None
    fid = fid or _leader({f: t2[f] + t3[f] for f in t2})
    return templates()[fid] if fid else template_for_year(year)


def foreign_t2(text: str, spans: list[Span], template: Template) -> str | None:
    """The other template whose table-2 labels the text shows more than ``template``'s own, if any."""
    leader = _leader(_votes(text, spans, "t2"))
    return leader if leader not in (None, template.id) else None


@cache
def _exclusive_labels(fid: str, table: str) -> tuple[Label, ...]:
    """Labels of ``table`` that the other template does not print (table 2's columns and rows, table 3's rows)."""
    t = templates()[fid]
    others = [o for o in templates().values() if o.id != t.id]

    def labels(tpl: Template) -> list[Label]:
        if table == "t2":
            return list(tpl.t2.rows) + [c for cols in tpl.t2.row_cols.values() for c in cols]
        return list(tpl.t3.rows)

    theirs = {for_match(v) for o in others for lab in labels(o) for v in (lab.label, *lab.variants)}
    out = {}
    for lab in labels(t):
        own = [v for v in (lab.label, *lab.variants) if for_match(v) not in theirs]
        if own:
            out[lab.label] = Label(lab.key, own[0], tuple(own))
    return tuple(out.values())


def _t3_sequence(t: Template) -> list[Label]:
    """Table-3 rows in print order, with an optional single row placed where its parts would stand."""
    rows = list(t.t3.rows)
    for opt in t.t3_optional:
        first = min(i for i, r in enumerate(rows) if r.key in t.t3_stands_for[opt.key])
        rows.insert(first, opt)
    return rows


def _zone_labels(t: Template, table: str) -> list[Label]:
    if table == "t2":
        return list(t.t2.rows)
    if table == "t3":
        return list(t.t3.rows)
    return list(t.t4.rows)  # its column labels (总计, 其他结果) also head table 3


def _zones(text: str, sections: list[Section], spans: list[Span], t: Template) -> dict[str, tuple[int, int]]:
    """Character ranges of the three tables: each starts after its section heading (2, 3, 4) or, where
    that heading is missing, at the first label of its own; each ends where the next one starts, or at
    the heading of section 5 or 6, or at the end of the text."""
    at = {s.id: s for s in sections}
    starts: dict[str, int] = {}
    after = 0
    for table, sid in (("t2", 2), ("t3", 3), ("t4", 4)):
        if sid in at:
            starts[table] = at[sid].end
        else:
            labels = _zone_labels(t, table)
            first = next(
                (
                    s.start
                    for s in spans
                    if s.start >= after
                    and s.label in ("ROW", "COL")
                    and max(label_score(s.text(text), lab) for lab in labels) >= 0.95
                ),
                None,
            )
            starts[table] = first if first is not None else len(text)
        after = starts[table]
    tail = next((at[k].start for k in (5, 6) if k in at and at[k].start > starts["t4"]), len(text))
    ends = {"t2": starts["t3"], "t3": starts["t4"], "t4": tail}
    return {t_: (starts[t_], max(starts[t_], ends[t_])) for t_ in TABLES}


def _line(line_starts: list[int], pos: int) -> int:
    return bisect.bisect_right(line_starts, pos) - 1


@dataclass
class _Block:
    """A row label (possibly in several fragments) or a run of figures, with the lines it covers."""

    first: int
    last: int
    start: int  # character offset of its first piece
    label: Label | None = None
    figures: list[tuple[Span, Figure]] = field(default_factory=list)


def _figure_blocks(
    text: str, spans: list[Span], line_starts: list[int], label_starts: list[int]
) -> list[_Block]:
    """Runs of figures: a run ends at a row label, and at a line break where either line holds several
    figures (a line of figures is one row's; one figure per line is a row printed down the page)."""
    nums = [(s, f) for s in spans if s.label == "NUM" and (f := read_figure(text, s)) is not None]
    per_line = Counter(_line(line_starts, s.start) for s, _ in nums)
    blocks: list[_Block] = []
    prev: Span | None = None
    for span, fig in nums:
        ln = _line(line_starts, span.start)
        if prev is None:
            new = True
        else:
            pln = _line(line_starts, prev.start)
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
_ABOVE = 0.5  # figures printed above their label (a vertically centred cell) rather than beside or below
_PASSED = 0.25  # another label stands between this one and the figures (a group label on the same line)
_BESIDE_OTHER = 2.0  # the figures stand on the line of another row's label, after it


def _pair_cost(run: _Block, row: _Block, next_start: float) -> float:
    if run.last < row.first:
        return row.first - run.last + _ABOVE
    return max(0, run.first - row.last) + (_PASSED if next_start < run.start else 0.0)


def _match_runs(runs: list[_Block], rows: list[_Block]) -> list[int]:
    """Each run's row index (-1 for none): runs and rows keep their order, one run per row, and the
    line distance between a run and its label is as small as it can be in total. Where a text layer
    centres figures vertically in tall cells, a row's figures can stand a line above its label or
    beside the next label; order, not proximity alone, tells whose they are."""
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

    def pair(i: int, j: int) -> float:
        other = _BESIDE_OTHER if beside[i] not in (-1, j) else 0.0
        return _pair_cost(runs[i], rows[j], nexts[j]) + other

    cost = np.full((n + 1, m + 1), np.inf)
    cost[0, :] = np.arange(m + 1) * _LOST_ROW
    cost[:, 0] = np.arange(n + 1) * _STRAY_RUN
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(
                cost[i - 1, j - 1] + pair(i - 1, j - 1),
                cost[i - 1, j] + _STRAY_RUN,
                cost[i, j - 1] + _LOST_ROW,
            )
    out = [-1] * n
    i, j = n, m
    while i and j:
        if cost[i, j] == cost[i - 1, j - 1] + pair(i - 1, j - 1):
            out[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + _STRAY_RUN:
            i -= 1
        else:
            j -= 1
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


def _rules_held(template: Template) -> Held:
    """How many of the report's rules a set of table-3 rows satisfies on its own."""
    rules = template.active_rules()

    def held(rows: list[tuple[Label, list[float | None]]]) -> int:
        cells = {k: v for lab, vals in rows for k, v in zip(template.t3.cells(lab.key), vals, strict=False)}
        return sum(1 for r in rules if (c := check(r, cells)) is not None and c.holds)

    return held


def _labelled_rows(
    text: str,
    spans: list[Span],
    seq: list[Label],
    sinks: list[Label],
    line_starts: list[int],
    untranspose: tuple[int, Held] | None = None,
) -> tuple[list[tuple[Label, list[Figure]]], dict[int, Span]]:
    """Row labels matched in order, each with its run of figures (see ``_match_runs``)."""
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
        first, last = _line(line_starts, frag.start), _line(line_starts, frag.end - 1)
        if labels and labels[-1].label is label:
            labels[-1].last = last
        else:
            labels.append(_Block(first, last, frag.start, label))
    runs = _figure_blocks(text, spans, line_starts, [frag.start for frag, _ in matched])
    if untranspose:
        runs = _untransposed(runs, labels, *untranspose)
    for run, j in zip(runs, _match_runs(runs, labels), strict=True):
        if j >= 0:
            labels[j].figures = run.figures
    rows = [(b.label, [f for _, f in b.figures]) for b in labels if b.label is not None]
    spans_of = {id(f): s for b in labels for s, f in b.figures}
    return rows, spans_of


def read_tables(text: str, spans: list[Span], sections: list[Section], year: int | None) -> TableReading:
    template = choose_template(text, spans, year)
    line_starts = _lines(text)
    zones = _zones(text, sections, spans, template)
    in_zone = {t: [s for s in spans if zones[t][0] <= s.start < zones[t][1]] for t in TABLES}
    reading = TableReading(template, frozenset())

    t2_rows, spans_of = _labelled_rows(text, in_zone["t2"], list(template.t2.rows), [], line_starts)
    if other := foreign_t2(text, in_zone["t2"], template):
        reading.notes.append(
            f"table 2 is printed in the {other} template's form in a {template.id}-template report; "
            "its figures have no cells here and are not read"
        )
    else:
        reading.rows["t2"] = [RowReading(template.t2.cells(lab.key), figs) for lab, figs in t2_rows]

    t3_seq = _t3_sequence(template)
    groups = [g for g in template.t3_groups if g.key not in {r.key for r in t3_seq}]
    untranspose = (len(template.t3.cols), _rules_held(template))
    t3_rows, t3_spans = _labelled_rows(text, in_zone["t3"], t3_seq, groups, line_starts, untranspose)
    spans_of.update(t3_spans)
    optional = frozenset(
        lab.key for lab, figs in t3_rows if figs and any(lab.key == o.key for o in template.t3_optional)
    )
    replaced = {r for o in optional for r in template.t3_stands_for[o]}
    keep = [
        (lab, figs)
        for lab, figs in t3_rows
        if lab.key not in replaced and (figs or not any(lab.key == o.key for o in template.t3_optional))
    ]
    reading.optional_rows = optional
    reading.rows["t3"] = [RowReading(template.t3.cells(lab.key), figs) for lab, figs in keep]
    _assign_slots(text, line_starts, reading.rows["t3"], spans_of, len(template.t3.cols))

    t4_figs = [f for s in in_zone["t4"] if s.label == "NUM" and (f := read_figure(text, s)) is not None]
    t4_cells = [k for g in template.t4.rows for k in template.t4.cells(g.key)]
    reading.rows["t4"] = [RowReading(t4_cells, t4_figs)] if t4_figs else []
    return reading
