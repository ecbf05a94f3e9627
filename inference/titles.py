"""Choosing the report's title among candidate lines: the tagger's confidence together with structure.

Real copies put the title after site chrome, print it twice (page header and body), split it over two
lines, or only name the report inside a sentence (then there is no title). A title is a whole line near
the top that names a report (报告 / 年报), is not a sentence, breadcrumb or page furniture, and is
preferably what the tagger marked; the best such line wins, joined with the line above when that line
holds the first half of the title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from govreport.configs import load
from govreport.inference.decoding import lines
from govreport.inference.normalize import to_simplified
from govreport.inference.spans import Span

_YEAR = re.compile(r"20\d\d\s*年")
_DISCLOSURE = re.compile(r"政府信息公开|政务公开|信息公开")
_EDGE = re.compile(r"^[^\w\u4e00-\u9fff]+|[^\w\u4e00-\u9fff）)]+$")


@cache
def _cfg() -> dict[str, Any]:
    cfg = dict(load("headings")["title"])
    cfg["sentence_re"] = re.compile(cfg["sentence"])
    cfg["body_re"] = re.compile(cfg["body_suffix"])
    cfg["prefix_re"] = re.compile(r"^(?:" + "|".join(map(re.escape, cfg["prefixes"])) + r")\s*[:：]\s*")
    cfg["widget_re"] = re.compile(cfg["widgets"])
    return cfg


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    text: str
    tagger: float  # the tagger's confidence that this line is the title (0 when it did not mark it)
    structure: float


def clean(line: str) -> str | None:
    """The title part of a line as printed, or None when the line cannot be a title (sentence, chrome, no
    报告). The tests read the Simplified form (same length), so Traditional-script copies pass too."""
    printed = line.strip()
    for edge in ("widget_re", "prefix_re"):
        cut = _cfg()[edge].match(to_simplified(printed))
        printed = printed[cut.end() :] if cut else printed
    got = _clean(to_simplified(printed))
    if got is None:
        return None
    start = to_simplified(printed).find(got)
    return printed[start : start + len(got)]


def _clean(line: str) -> str | None:
    cfg = _cfg()
    for sep in cfg["site_separators"]:
        if sep in line:
            parts = [p for p in line.split(sep) if any(w in p for w in cfg["must_have"])]
            if parts:
                line = max(parts, key=structure)
    line = _EDGE.sub("", line)
    if not cfg["min_chars"] <= len(line) <= cfg["max_chars"] or cfg["sentence_re"].search(line):
        return None
    if not any(w in line for w in cfg["must_have"]):
        return None
    if any(c in line for c in cfg["chrome"]) or line.startswith(tuple(cfg["openers"])):
        return None
    return line


def structure(line: str) -> float:
    """How much a line looks like a report's name, in [0, 1] (weights in configs/headings.yaml)."""
    weights = _cfg()["features"]
    year = _YEAR.search(line)
    shows = {
        "year": year is not None,
        "disclosure": _DISCLOSURE.search(line) is not None,
        "ends_with_report": line.rstrip().endswith(tuple(_cfg()["must_have"])),
        "body": bool(year and year.start() >= 2) or bool(_cfg()["body_re"].search(line.split("20")[0])),
    }
    return sum(weights[k] for k, on in shows.items() if on)


def _first_part(line: str) -> bool:
    """A line that can hold the first half of a title printed over two lines (no 报告 of its own)."""
    cfg = _cfg()
    line = to_simplified(line.strip())
    return (
        0 < len(line) <= 40
        and not cfg["sentence_re"].search(line)
        and not any(c in line for c in cfg["chrome"])
        and not any(w in line for w in cfg["must_have"])
    )


def _joined(text: str, start: int, title: str) -> str:
    """The title with the line above it when that line is its first half (the pair reads as a fuller name)."""
    above = text[:start].rstrip("\n \t\u3000").rpartition("\n")[2].strip()
    if _first_part(above) and structure(to_simplified(above + title)) > structure(to_simplified(title)):
        return above + title
    return title


def _marked(spans: list[Span], start: int, end: int) -> tuple[list[Span], float]:
    """The spans over a line and the share of the line they cover."""
    over = [s for s in spans if s.start < end and start < s.end]
    return over, sum(min(s.end, end) - max(s.start, start) for s in over) / (end - start)


def candidates(text: str, spans: list[Span], first_heading: int) -> list[Candidate]:
    """Title candidates among the first lines above ``first_heading``: where the first section the post-
    processor recognised starts (a line the tagger marked as a heading but that names no section, such
    as a title tagged as one, does not end the head of the page)."""
    cfg = _cfg()
    titles = [s for s in spans if s.label == "TITLE"]
    heads = [s for s in spans if s.label == "SEC" and s.start < first_heading]
    found: list[Candidate] = []
    for n, (start, end) in enumerate(lines(text)):
        if n >= cfg["head_lines"] or start >= first_heading:
            break
        title = clean(text[start:end])
        if title is None:
            continue
        marked, cover = _marked(titles, start, end)
        score = max((s.score for s in marked), default=0.0) * min(1.0, cover * 2)
        # a whole line above the first section marked as a heading names no section: a heading-styled title
        headed, cover = _marked(heads, start, end)
        if cover >= cfg["heading_line_cover"]:
            score = max([score] + [cfg["heading_line"] * s.score for s in headed])
        title = _joined(text, start, title)
        found.append(Candidate(start, end, title, score, structure(to_simplified(title))))
    return found


def choose_title(text: str, spans: list[Span], first_heading: int) -> str | None:
    """The report's title as printed, or None when no line is one (``first_heading``: see candidates)."""
    cfg = _cfg()
    scored = [(c.tagger + cfg["structure_weight"] * c.structure, -c.start, c)
              for c in candidates(text, spans, first_heading)]
    scored = [s for s in scored if s[0] >= cfg["accept"]]
    if not scored:
        return None
    return max(scored)[2].text
