"""The extraction pipeline: text → spans (any tagger) → sections and tables → rules → output."""

from __future__ import annotations

import re
from typing import NamedTuple

from govreport.inference.checks import report_findings
from govreport.inference.document import Document
from govreport.inference.figures import snap_numbers
from govreport.inference.garble import stands_for
from govreport.inference.normalize import to_simplified
from govreport.inference.review import review
from govreport.inference.schema import CellOut, Extraction, GarbledOut, ReviewOut, SectionOut, ViolationOut
from govreport.inference.sections import find_sections
from govreport.inference.solver import solve
from govreport.inference.spans import Span
from govreport.inference.tables import read_tables
from govreport.inference.tables.layout import printed_blanks, rows_showing_blanks
from govreport.inference.taggers.base import Tagger
from govreport.inference.taggers.rules import RulesTagger
from govreport.inference.titles import choose_title

_YEAR = re.compile(r"(20\d\d)\s*年")
# The report naming itself (…公布2021年度…信息公开工作年度报告), then the statistics period.
_REPORT_YEAR = re.compile(r"(20\d\d)\s*年度?[^。，,；;\n《》]{0,30}?(?:年度报告|工作报告|年报)")
_PERIOD = re.compile(r"(?:统计期限|统计时间|统计期间|统计区间|统计范围)[^。\n\d]{0,8}(20\d\d)\s*年")
_CITED = re.compile(r"《[^》\n]{0,80}》")  # a cited notice's year is not the report's
NOT_A_REPORT = "not recognised as a disclosure report: no section headings and no table figures were found"


def _year(title: str | None, text: str) -> int | None:
    """The report's year: from its title, else where the text names the report or its statistics period,
    else the first year it mentions outside cited documents."""
    head = _CITED.sub(lambda m: " " * len(m.group()), to_simplified(text[:3000]))
    for pattern, source in ((_YEAR, title or ""), (_REPORT_YEAR, head), (_PERIOD, head), (_YEAR, head)):
        if m := pattern.search(source):
            return int(m.group(1))
    return None


class Report(NamedTuple):
    """What the post-processor read, not yet judged (no findings, no review): the extraction, the spans it
    read (figures snapped to whole numbers), and the cells the layout showed printed empty — missing cells of
    rows whose every figure sits in a column the layout shows, or whose line prints a field for every cell
    (``tables.layout.rows_showing_blanks``), so a cell missing there is a blank, not a loss."""

    extraction: Extraction
    spans: list[Span]
    blank: frozenset[str]


def read_report(source: str, text: str, spans: list[Span]) -> Report:
    """Sections, title, cells and rules read from one tagger's spans."""
    spans = snap_numbers(text, sorted(spans))
    sections = find_sections(text, spans)
    title = choose_title(text, spans, min((s.start for s in sections), default=len(text)))
    year = _year(title, text)
    reading = read_tables(text, spans, sections, year)
    template = reading.template
    present = reading.present
    keys = template.cell_keys(reading.optional_rows)
    universe = [k for t in present for k in keys[t]]
    rows = [r for t in present for r in reading.rows[t]]
    printed = set().union(*(printed_blanks(text, reading.rows[t]) for t in present))
    placed, broken = solve(rows, template.active_rules(reading.optional_rows), universe, printed)
    cells = {
        k: CellOut(value=p.value, status=p.status, span=p.span, confidence=p.confidence)  # type: ignore[arg-type]
        for k, p in placed.items()
    }
    simplified = to_simplified(text)  # the narrative checks and spam contexts are written in Simplified
    shown = [r for t in present for r in rows_showing_blanks(text, reading.rows[t])]
    blank = frozenset(c for r in rows if r.figures and all(f.slot is not None for f in r.figures)
                      for c in r.cells if placed[c].status == "missing")
    blank |= {c for c in printed.union(*(r.cells for r in shown)) if placed[c].status == "missing"}
    warnings = list(reading.notes)
    if not sections and not present:
        warnings.insert(0, NOT_A_REPORT)
    garble_words = stands_for(simplified, spans)
    extraction = Extraction(
        source=source,
        format=template.id if present or sections else None,
        title=title,
        year=year,
        sections=[SectionOut(id=s.id, heading=s.heading, start=s.start, end=s.end) for s in sections],
        cells=cells,
        violations=[
            ViolationOut(rule=c.rule.id, lhs=c.lhs, rhs=c.rhs, cells=list(c.rule.cells)) for c in broken
        ],
        garbled=[
            GarbledOut(
                span=(s.start, s.end), text=s.text(text), stands_for=garble_words.get((s.start, s.end))
            )
            for s in spans
            if s.label == "GARBLE"
        ],
        warnings=warnings,
    )
    return Report(extraction, spans, blank)


def build_extraction(
    source: str, text: str, spans: list[Span], second_opinion: Extraction | None = None
) -> Extraction:
    """The deterministic post-processor: everything after tagging. ``second_opinion``: the same report read
    with the other tagger, for the review flag (where two readings differ, a person should look)."""
    extraction, spans, blank = read_report(source, text, spans)
    extraction.findings = report_findings(extraction, text)
    rev = review(text, spans, extraction, other=second_opinion, blank=blank)
    extraction.review = ReviewOut(flag=rev.flag, score=rev.score, reasons=rev.reasons)
    return extraction


class Extractor:
    """A tagger plus the post-processor; build once, extract many."""

    def __init__(self, tagger: Tagger) -> None:
        self.tagger = tagger
        # the rules baseline reads each report too (a few ms) when the model tags: its second opinion
        self.baseline = RulesTagger() if tagger.name != "rules" else None

    def second_opinion(self, doc: Document) -> Extraction | None:
        """The baseline's reading, unjudged: only its cells, title and sections are compared."""
        return read_report(doc.source, doc.text, self.baseline.tag(doc.text)).extraction if self.baseline else None

    def extract(self, doc: Document) -> Extraction:
        return build_extraction(doc.source, doc.text, self.tagger.tag(doc.text), self.second_opinion(doc))

    def extract_many(self, docs: list[Document]) -> list[Extraction]:
        spans = self.tagger.tag_batch([d.text for d in docs])
        return [build_extraction(d.source, d.text, s, self.second_opinion(d)) for d, s in zip(docs, spans, strict=True)]


def extract_text(text: str, source: str, tagger: Tagger) -> Extraction:
    return Extractor(tagger).extract(Document(source=source, text=text))
