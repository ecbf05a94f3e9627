"""Rebuilding the three tables from tagged spans: which template, which row each figure belongs to, and
where the layout puts each figure. The arithmetic is left to ``inference.solver``."""

from __future__ import annotations

import bisect
import itertools
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from inference.matching import THRESHOLD, align, label_score
from inference.normalize import for_match, parse_number
from inference.sections import Section
from inference.solver import Figure, RowReading
from inference.spans import Span
from inference.templates import Label, Template, template_for_year, templates

TABLES = ("t2", "t3", "t4")


@dataclass
class TableReading:
    """What the text shows of the tables, ready for the solver."""

    template: Template
    optional_rows: frozenset[str]
    rows: dict[str, list[RowReading]] = field(default_factory=dict)  # table id -> rows with their figures

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


def _assign_slots(text: str, rows: list[RowReading], spans_of: dict[int, Span], n_cols: int) -> None:
    """Learn where each column stands from the rows that have all their figures, then give the figures of
    other rows the column their position points to (only where it points to one column clearly)."""
    starts = _lines(text)
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


def choose_template(text: str, spans: list[Span], year: int | None) -> Template:
    """The template whose own column and row labels the text shows most; the year decides a tie."""
    tpls = templates()
    labels = {fid: _exclusive_labels(fid) for fid in tpls}
    votes = dict.fromkeys(tpls, 0)
    for span in spans:
        if span.label not in ("COL", "ROW"):
            continue
        frag = span.text(text)
        for fid, labs in labels.items():
            if any(label_score(frag, lab) >= THRESHOLD and len(for_match(frag)) >= 3 for lab in labs):
                votes[fid] += 1
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    if ranked[0][1] > ranked[1][1]:
        return tpls[ranked[0][0]]
    return template_for_year(year)


@cache
def _exclusive_labels(fid: str) -> tuple[Label, ...]:
    """Labels of ``t`` that the other template does not print (its table-2 columns and rows, its table-3 rows)."""
    t = templates()[fid]
    others = [o for o in templates().values() if o.id != t.id]
    mine = list(t.t2.rows) + [c for cols in t.t2.row_cols.values() for c in cols] + list(t.t3.rows)
    theirs = set()
    for o in others:
        for lab in list(o.t2.rows) + [c for cols in o.t2.row_cols.values() for c in cols] + list(o.t3.rows):
            theirs.update(for_match(v) for v in (lab.label, *lab.variants))
    out = {}
    for lab in mine:
        own = [v for v in (lab.label, *lab.variants) if for_match(v) not in theirs]
        if own and all(for_match(v) not in theirs for v in own):
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


def _figure(text: str, span: Span) -> Figure | None:
    try:
        value = parse_number(span.text(text))
    except ValueError:
        return None
    return Figure(value, (span.start, span.end), span.score)


def _labelled_rows(
    text: str, spans: list[Span], seq: list[Label], sinks: list[Label]
) -> tuple[list[tuple[Label, list[Figure]]], dict[int, Span]]:
    """Row labels matched in order, each with the figures that follow it up to the next row label."""
    frags = [s for s in spans if s.label == "ROW"]
    texts = []
    for i, s in enumerate(frags):
        own = s.text(text)
        # A label broken over lines or by a lost character: also try it joined with the previous piece
        # when no figure stands between them; the better reading wins inside align().
        if i and not any(n.label == "NUM" and frags[i - 1].end <= n.start < s.start for n in spans):
            joined = frags[i - 1].text(text) + own
            if max(label_score(joined, lab) for lab in seq) > max(label_score(own, lab) for lab in seq):
                own = joined
        texts.append(own)
    assigned = align(texts, seq, sinks)
    starts = {frag.start: seq[a] for frag, a in zip(frags, assigned, strict=True) if a >= 0}
    rows: list[tuple[Label, list[Figure]]] = []
    spans_of: dict[int, Span] = {}
    for span in spans:
        if span.start in starts and span.label == "ROW":
            label = starts[span.start]
            if rows and rows[-1][0] is label:
                continue
            rows.append((label, []))
        elif span.label == "NUM" and rows and (fig := _figure(text, span)) is not None:
            rows[-1][1].append(fig)
            spans_of[id(fig)] = span
    return rows, spans_of


def read_tables(text: str, spans: list[Span], sections: list[Section], year: int | None) -> TableReading:
    template = choose_template(text, spans, year)
    zones = _zones(text, sections, spans, template)
    in_zone = {t: [s for s in spans if zones[t][0] <= s.start < zones[t][1]] for t in TABLES}
    reading = TableReading(template, frozenset())

    t2_rows, spans_of = _labelled_rows(text, in_zone["t2"], list(template.t2.rows), [])
    reading.rows["t2"] = [RowReading(template.t2.cells(lab.key), figs) for lab, figs in t2_rows]

    t3_seq = _t3_sequence(template)
    groups = [g for g in template.t3_groups if g.key not in {r.key for r in t3_seq}]
    t3_rows, t3_spans = _labelled_rows(text, in_zone["t3"], t3_seq, groups)
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
    _assign_slots(text, reading.rows["t3"], spans_of, len(template.t3.cols))

    t4_figs = [f for s in in_zone["t4"] if s.label == "NUM" and (f := _figure(text, s)) is not None]
    t4_cells = [k for g in template.t4.rows for k in template.t4.cells(g.key)]
    reading.rows["t4"] = [RowReading(t4_cells, t4_figs)] if t4_figs else []
    return reading
