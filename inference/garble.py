"""Spam standing in for real words: finding it, and saying which word it replaced when that is evident.

Web copies of reports sometimes have one word replaced everywhere by a spam string (国务院办公厅球迷网印发
for 国务院办公厅关于印发). ``configs/garble.yaml`` lists the words spam commonly replaces with the contexts
they stand in; a string found in such a slot more than once is taken as standing for that word.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache

from govreport.configs import load
from govreport.inference.spans import Span

_REPLACEMENT = re.compile(r"\ufffd+")


@cache
def _slots() -> tuple[tuple[str, re.Pattern[str]], ...]:
    cfg = load("garble")
    out = []
    for entry in cfg["words"]:
        left = "|".join(map(re.escape, entry["left"]))
        right = "|".join(map(re.escape, entry["right"]))
        pattern = re.compile(rf"(?:{left})([\u4e00-\u9fff]{{2,{cfg['max_len']}}}?)(?:{right})")
        out.append((entry["word"], pattern))
    return tuple(out)


def _candidates(text: str) -> dict[str, str]:
    """Spam strings and the word each stands for: found in the word's slot ``min_repeats`` times."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for word, pattern in _slots():
        for m in pattern.finditer(text):
            found = m.group(1)
            if word not in found and found not in word:
                counts[(found, word)] += 1
    need = load("garble")["min_repeats"]
    out: dict[str, str] = {}
    for (found, word), n in sorted(counts.items(), key=lambda kv: -kv[1]):
        if n >= need and found not in out:
            out[found] = word
    return out


def find_spam(text: str) -> list[tuple[int, int]]:
    """Offsets of every occurrence of a detected spam string, and of runs of U+FFFD (lost characters)."""
    spans = [(m.start(), m.end()) for m in _REPLACEMENT.finditer(text)]
    for found in _candidates(text):
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(found), text)]
    return sorted(spans)


def stands_for(text: str, spans: list[Span]) -> dict[tuple[int, int], str | None]:
    """For each GARBLE span, the word it replaced when its string sits in that word's slot often enough."""
    known = _candidates(text)
    return {(s.start, s.end): known.get(s.text(text)) for s in spans if s.label == "GARBLE"}
