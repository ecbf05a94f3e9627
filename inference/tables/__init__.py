"""Rebuilding the three tables from tagged spans: which template, which row each figure belongs to, and
where the layout puts each figure. The arithmetic is left to ``inference.solver``.

``zones`` (template and table ranges), ``rows`` (labels and their figures), ``layout`` (columns).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govreport.inference.figures import read_figure
from govreport.inference.sections import Section
from govreport.inference.solver import RowReading
from govreport.inference.spans import Span
from govreport.inference.tables.layout import assign_slots, field_hints, line_starts_of
from govreport.inference.tables.rows import labelled_rows, rules_held
from govreport.inference.tables.zones import TABLES, choose_template, foreign_t2, t3_sequence, table_zones
from govreport.inference.templates import Template

__all__ = ["TABLES", "TableReading", "choose_template", "read_tables"]


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


def read_tables(text: str, spans: list[Span], sections: list[Section], year: int | None) -> TableReading:
    template = choose_template(text, spans, year)
    line_starts = line_starts_of(text)
    row_lines = line_starts_of(text, skip_bars=True)  # for the distance between labels and their figures
    zones = table_zones(text, sections, spans, template)
    in_zone = {t: [s for s in spans if zones[t][0] <= s.start < zones[t][1]] for t in TABLES}
    reading = TableReading(template, frozenset())

    t2_rows, spans_of = labelled_rows(text, in_zone["t2"], list(template.t2.rows), [], row_lines)
    if other := foreign_t2(text, in_zone["t2"], template):
        reading.notes.append(
            f"table 2 is printed in the {other} template's form in a {template.id}-template report; "
            "its figures have no cells here and are not read"
        )
    else:
        reading.rows["t2"] = [RowReading(template.t2.cells(lab.key), figs, end) for lab, figs, end in t2_rows]

    t3_seq = t3_sequence(template)
    groups = [g for g in template.t3_groups if g.key not in {r.key for r in t3_seq}]
    untranspose = (len(template.t3.cols), rules_held(template))
    t3_rows, t3_spans = labelled_rows(text, in_zone["t3"], t3_seq, groups, row_lines, untranspose)
    spans_of.update(t3_spans)
    optional = frozenset(
        lab.key for lab, figs, _ in t3_rows if figs and any(lab.key == o.key for o in template.t3_optional)
    )
    replaced = {r for o in optional for r in template.t3_stands_for[o]}
    keep = [
        (lab, figs, end)
        for lab, figs, end in t3_rows
        if lab.key not in replaced and (figs or not any(lab.key == o.key for o in template.t3_optional))
    ]
    reading.optional_rows = optional
    reading.rows["t3"] = [RowReading(template.t3.cells(lab.key), figs, end) for lab, figs, end in keep]
    assign_slots(text, line_starts, reading.rows["t3"], spans_of, len(template.t3.cols))

    t4_figs = [f for s in in_zone["t4"] if s.label == "NUM" and (f := read_figure(text, s)) is not None]
    t4_cells = [k for g in template.t4.rows for k in template.t4.cells(g.key)]
    reading.rows["t4"] = [RowReading(t4_cells, t4_figs)] if t4_figs else []
    field_hints(text, reading.rows["t4"])
    return reading
