"""Section headings: which of the six canonical sections each SEC span is."""

from __future__ import annotations

from dataclasses import dataclass

from govreport.inference.matching import THRESHOLD, label_score
from govreport.inference.spans import Span
from govreport.inference.templates import Label, sections

NUMERALS = "一二三四五六"


@dataclass(frozen=True)
class Section:
    id: int
    heading: str
    start: int
    end: int


def _section_labels() -> list[Label]:
    return [Label(str(s["id"]), s["label"], tuple(s["variants"])) for s in sections()]


def section_id(heading: str) -> int | None:
    """The canonical id a heading names: its wording decides, its leading numeral breaks ties."""
    scored = [(label_score(heading, lab), int(lab.key)) for lab in _section_labels()]
    best = max(s for s, _ in scored)
    if best < THRESHOLD:
        return None
    ids = [i for s, i in scored if s == best]
    lead = heading.strip()[:1]
    return next((i for i in ids if NUMERALS[i - 1] == lead), ids[0])


def find_sections(text: str, spans: list[Span]) -> list[Section]:
    """Sections in ascending id order. A heading printed twice keeps the copy followed by the longer body
    (a duplicated heading line has an empty body); headings out of order are dropped."""
    heads = [s for s in spans if s.label == "SEC"]
    found: list[tuple[int, Span]] = []
    for span in heads:
        sid = section_id(span.text(text))
        if sid is not None:
            found.append((sid, span))
    by_id: dict[int, tuple[int, Span]] = {}
    for i, (sid, span) in enumerate(found):
        body_end = found[i + 1][1].start if i + 1 < len(found) else len(text)
        body = len(text[span.end : body_end].strip())
        if sid not in by_id or body > by_id[sid][0]:
            by_id[sid] = (body, span)
    out: list[Section] = []
    for sid in sorted(by_id):
        span = by_id[sid][1]
        if out and span.start < out[-1].start:
            continue
        raw = span.text(text)
        lead = len(raw) - len(raw.lstrip())
        heading = raw.strip()
        out.append(Section(sid, heading, span.start + lead, span.start + lead + len(heading)))
    return out
