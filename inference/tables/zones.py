"""Which template the tables follow (their own rows vote) and where in the text each table stands."""

from __future__ import annotations

from functools import cache

from govreport.inference.matching import label_score
from govreport.inference.normalize import for_match
from govreport.inference.sections import Section
from govreport.inference.spans import Span
from govreport.inference.templates import Label, Template, template_for_year, templates

TABLES = ("t2", "t3", "t4")
VOTE = 0.9  # a label votes for a template only on a close match (3.其他 is half of 其他结果)


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


def t3_sequence(t: Template) -> list[Label]:
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


def table_zones(text: str, sections: list[Section], spans: list[Span], t: Template) -> dict[str, tuple[int, int]]:
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
