"""The extraction pipeline: text → spans (any tagger) → sections and tables → rules → output."""

from __future__ import annotations

import re

from govreport.inference.checks import text_against_tables
from govreport.inference.document import Document
from govreport.inference.garble import stands_for
from govreport.inference.normalize import to_simplified
from govreport.inference.schema import CellOut, Extraction, GarbledOut, SectionOut, ViolationOut
from govreport.inference.sections import find_sections
from govreport.inference.solver import solve
from govreport.inference.spans import Span
from govreport.inference.tables import read_tables
from govreport.inference.taggers.base import Tagger

_YEAR = re.compile(r"(20\d\d)\s*年")
_TITLE_EDGE = re.compile(r"^[^\w\u4e00-\u9fff]+|[^\w\u4e00-\u9fff]+$")
NOT_A_REPORT = "not recognised as a disclosure report: no section headings and no table figures were found"


def _title(text: str, spans: list[Span]) -> str | None:
    """The first TITLE span, joined with the TITLE spans right below it (a title printed over two lines)."""
    titles = [s for s in spans if s.label == "TITLE"]
    if not titles:
        return None
    parts = [titles[0]]
    for span in titles[1:]:
        if text[parts[-1].end : span.start].strip():
            break
        parts.append(span)
    return _TITLE_EDGE.sub("", "".join(p.text(text).strip() for p in parts)) or None


def _year(title: str | None, text: str) -> int | None:
    for source in (title or "", text[:3000]):
        if m := _YEAR.search(source):
            return int(m.group(1))
    return None


def build_extraction(source: str, text: str, spans: list[Span]) -> Extraction:
    """The deterministic post-processor: everything after tagging."""
    spans = sorted(spans)
    sections = find_sections(text, spans)
    title = _title(text, spans)
    year = _year(title, text)
    reading = read_tables(text, spans, sections, year)
    template = reading.template
    present = reading.present
    keys = template.cell_keys(reading.optional_rows)
    universe = [k for t in present for k in keys[t]]
    rows = [r for t in present for r in reading.rows[t]]
    placed, broken = solve(rows, template.active_rules(reading.optional_rows), universe)
    cells = {
        k: CellOut(value=p.value, status=p.status, span=p.span, confidence=p.confidence)  # type: ignore[arg-type]
        for k, p in placed.items()
    }
    simplified = to_simplified(text)  # the narrative checks and spam contexts are written in Simplified
    warnings = reading.notes + text_against_tables(simplified, {k: c.value for k, c in cells.items()})
    if not sections and not present:
        warnings.insert(0, NOT_A_REPORT)
    garble_words = stands_for(simplified, spans)
    return Extraction(
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


class Extractor:
    """A tagger plus the post-processor; build once, extract many."""

    def __init__(self, tagger: Tagger) -> None:
        self.tagger = tagger

    def extract(self, doc: Document) -> Extraction:
        return build_extraction(doc.source, doc.text, self.tagger.tag(doc.text))

    def extract_many(self, docs: list[Document]) -> list[Extraction]:
        spans = self.tagger.tag_batch([d.text for d in docs])
        return [build_extraction(d.source, d.text, s) for d, s in zip(docs, spans, strict=True)]


def extract_text(text: str, source: str, tagger: Tagger) -> Extraction:
    return Extractor(tagger).extract(Document(source=source, text=text))
