"""Section headings: which of the six canonical sections each SEC span is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from govreport.configs import load
from govreport.inference.decoding import lines, segments
from govreport.inference.matching import THRESHOLD, label_score
from govreport.inference.normalize import for_match
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


@cache
def _cfg() -> dict[str, Any]:
    cfg = dict(load("headings")["sections"])
    cfg["lead_re"], cfg["stop_re"] = re.compile(cfg["lead"]), re.compile(cfg["stop"])
    return cfg


def section_id(heading: str, numbered: bool = False) -> int | None:
    """The canonical id a heading names: its wording decides, its leading numeral breaks ties.

    ``numbered``: the tagger marked this line as a heading, so its numeral may also decide on a weaker
    match of the wording (old-style headings such as 二、主动公开、依申请公开工作情况).
    """
    scored = [(label_score(heading, lab), int(lab.key)) for lab in _section_labels()]
    best = max(s for s, _ in scored)
    lead = heading.strip()[:1]
    if best < THRESHOLD:
        if numbered and lead in NUMERALS:
            sid = NUMERALS.index(lead) + 1
            if dict((i, s) for s, i in scored)[sid] >= _cfg()["numeral_match"]:
                return sid
        return None
    ids = [i for s, i in scored if s == best]
    return next((i for i in ids if NUMERALS[i - 1] == lead), ids[0])


def structural_headings(text: str) -> list[Span]:
    """Line heads that start with a heading numeral and name a canonical section, whatever the tagger
    said: a heading is a line (or a line head in a copy that lost its breaks) of a known shape."""
    cfg = _cfg()
    out = []
    for start, end in lines(text):
        for a, b in segments(text, start, end):
            piece = text[a:b]
            lead = cfg["lead_re"].match(piece)
            if not lead:
                continue
            stop = cfg["stop_re"].search(piece, lead.end() + 1)
            head = piece[: stop.start() if stop else len(piece)].rstrip()
            if len(head) <= cfg["max_chars"] and section_id(head) is not None:
                out.append(Span(a, a + len(head), "SEC", 0.0))
    return out


@cache
def _bare_names() -> dict[str, int]:
    """Each section's name and variants, reduced for matching, without numerals: what a bare line must be."""
    return {for_match(v): int(lab.key) for lab in _section_labels() for v in lab.variants}


def bare_headings(text: str) -> list[tuple[int, Span]]:
    """Whole lines that are a canonical section's name or a known variant and nothing more, without a
    numeral (a copy lost 一、 and its 、)."""
    names = _bare_names()
    out = []
    for start, end in lines(text):
        line = text[start:end].strip()
        if line and (sid := names.get(for_match(line))) is not None:
            at = text.index(line, start)
            out.append((sid, Span(at, at + len(line), "SEC", 0.0)))
    return out


def find_sections(text: str, spans: list[Span]) -> list[Section]:
    """Sections in ascending id order. A heading printed twice keeps the copy followed by the longer body
    (a duplicated heading line has an empty body); headings out of order are dropped. A bare line naming a
    section (``bare_headings``) stands in only for a section no numbered heading gave."""
    found: list[tuple[int, Span]] = []
    for span in [s for s in spans if s.label == "SEC"]:
        if (sid := section_id(span.text(text), numbered=True)) is not None:
            found.append((sid, span))
    for span in structural_headings(text):
        if not any(s.start < span.end and span.start < s.end for _, s in found):
            found.append((section_id(span.text(text)), span))  # type: ignore[arg-type]  # never None here
    ids = {sid for sid, _ in found}
    found += [(sid, span) for sid, span in bare_headings(text) if sid not in ids]  # only a section not found
    found.sort(key=lambda f: f[1].start)
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
