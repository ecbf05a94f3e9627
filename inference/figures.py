"""Figures as printed: whole numeric tokens, their sign words and units, and numbers that are no figures.

Taggers (the model especially) cut a figure short (``1424.4万元`` tagged ``142`` + ``4`` as a column), miss
a sign written as a word (``减4``), or tag numbers in a label's explanatory note (``(指2019年办件量)``,
``如-8``). The post-processor reads figures from the text around the tagged span, whichever tagger ran.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from govreport.configs import load
from govreport.inference.normalize import CJK, parse_number
from govreport.inference.solver import Figure
from govreport.inference.spans import Cover, Span

_BODY = set("0123456789.,，")
_SLIPS = set("OolI")
_EXPONENT = re.compile(r"[eE][-+]?\d+")
_DIGIT = re.compile(r"\d")


@cache
def _cfg() -> dict[str, Any]:
    return load("figures")


def _slip(text: str, i: int) -> bool:
    """An O or l standing for 0 or 1 in a figure (a copy or OCR slip: ``7l`` is 71): one of O o l I with no
    other Latin letter beside it (``parse_number`` reads it as the digit)."""
    if text[i] not in _SLIPS:
        return False
    near = text[max(i - 1, 0) : i] + text[i + 1 : i + 2]
    return not any(c.isascii() and c.isalpha() for c in near)


def _widen(text: str, span: Span) -> Span:
    """The whole numeric token a NUM span sits in (a leading minus sign included)."""
    raw = span.text(text)
    if not _DIGIT.search(raw):
        return span  # a blank placeholder (/ —) stays as tagged
    start, end = span.start, span.end
    while start > 0 and (text[start - 1] in _BODY or _slip(text, start - 1)):
        start -= 1
    while end < len(text) and (text[end] in _BODY or _slip(text, end)):
        end += 1
    if exponent := _EXPONENT.match(text, end):  # 1e30: printed so, judged by the rules, never cut in two
        end = exponent.end()
    while text[start] in ".,，":  # a separator is never a token's first character
        start += 1
    while text[end - 1] in ".,，":
        end -= 1
    if start > 0 and text[start - 1] in "-－−" and (start < 2 or not text[start - 2].isdigit()):
        start -= 1
    return Span(start, end, span.label, span.score)


def _in_note(text: str, span: Span) -> bool:
    """The number stands in a label's explanatory note: a bracket closed on its line that holds Chinese
    words around it, or a year or date (2019年); not a cell's figure. (A bracket a wrapped label leaves
    open before the figures of its row does not count.)"""
    cfg = _cfg()
    after = text[span.end : span.end + 1]
    if after and after in cfg["date_units"]:
        return True
    line_start = text.rfind("\n", 0, span.start) + 1
    before = text[line_start : span.start]
    opened = max(before.rfind("("), before.rfind("（"))
    if opened < 0 or max(before.rfind(")"), before.rfind("）")) > opened:
        return False
    line_end = text.find("\n", span.end)
    rest = text[span.end : line_end if line_end >= 0 else len(text)]
    close = min((i for i in (rest.find(")"), rest.find("）")) if i >= 0), default=-1)
    return close >= 0 and CJK.search(before[opened:] + rest[:close]) is not None


def snap_numbers(text: str, spans: list[Span]) -> list[Span]:
    """NUM spans widened to whole numeric tokens (pieces of one token merged, other labels inside it
    dropped); numbers inside explanatory notes are not figures."""
    nums: list[Span] = []
    for s in sorted(x for x in spans if x.label == "NUM"):
        wide = _widen(text, s)
        if nums and wide.start < nums[-1].end:
            last = nums.pop()
            wide = Span(last.start, max(last.end, wide.end), "NUM", min(last.score, wide.score))
        nums.append(wide)
    nums = [n for n in nums if not _in_note(text, n)]
    numbers = Cover(nums)
    return sorted([s for s in spans if s.label != "NUM" and not numbers.contains(s.start, s.end)] + nums)


def read_figure(text: str, span: Span) -> Figure | None:
    """The figure a NUM span shows, in the template's units: amounts printed in 元 become 万元; a sign
    written as a word before it (减4) counts. None when the span is no figure."""
    try:
        value = parse_number(span.text(text))
    except ValueError:
        return None
    if value is not None:
        cfg = _cfg()
        tail = text[span.end : span.end + 4].lstrip(" \u3000")
        for unit, factor in cfg["units"].items():
            if tail.startswith(unit):
                value = value * factor
                value = round(value, 6) if isinstance(value, float) else value
                break
        head = text[max(0, span.start - 2) : span.start].rstrip(" \u3000")
        if head[-1:] in cfg["minus_words"] and value > 0:
            value = -value
    return Figure(value, (span.start, span.end), span.score)
