"""The rules baseline tagger: line and field regexes plus the label dictionary from configs.

It exists to be measured against, so it stays simple: it knows the templates' labels and the common
shapes of tables (fields split by tabs, pipes, runs of spaces or lines), and nothing about particular
reports. Every score is 1.0.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache, lru_cache

from govreport.inference.garble import find_spam
from govreport.inference.matching import THRESHOLD, label_score
from govreport.inference.normalize import PLACEHOLDERS, for_match, has_cjk, to_simplified
from govreport.inference.sections import section_id
from govreport.inference.spans import Span
from govreport.inference.templates import Label, header_words, row_labels, templates

_FIELD_SEP = re.compile(r"\t|\||\u3000{1,}| {2,}")
_CAPTION = re.compile(r"第[一二三四五六七八九十]+条第\s*[（(]\s*[一二三四五六七八九十]+\s*[)）]\s*项")
# A printed figure: sign, digits with thousands separators, decimals, exponent (1e30 is read, then judged
# by the rules, never cut to 1 and 30).
_FIGURE = r"[-−－]?\d[\d,，]*(?:\.\d+)?(?:[eE][-+]?\d+)?"
_NUMBER_TAIL = re.compile(rf"(?<![\w.]){_FIGURE}$|^{_FIGURE}$")
_PAGE_NUMBER = re.compile(r"^(?:[-—–]\s*\d+\s*[-—–]|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?)$")
_SEC_LEAD = re.compile(r"^[一二三四五六][、.．,，\s]")
_SUB = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+是|\d+[.、．])")
_TITLE_WORDS = ("年度报告", "工作报告")
_MAX_LABEL = 80


@cache
def _column_labels() -> tuple[Label, ...]:
    out: list[Label] = []
    for t in templates().values():
        out += [c for cols in t.t2.row_cols.values() for c in cols]
        out += list(t.t3.cols) + list(t.t4.rows) + list(t.t4.cols)
    out += [Label(w, w, (w,)) for w in header_words()]
    return tuple(out)


def _fields(line: str, offset: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each non-blank field of a line, stripped."""
    pos = 0
    for m in [*_FIELD_SEP.finditer(line), None]:
        end = m.start() if m else len(line)
        raw = line[pos:end]
        if raw.strip():
            lead = len(raw) - len(raw.lstrip())
            yield offset + pos + lead, offset + pos + len(raw.rstrip())
        if m:
            pos = m.end()


def _numbers(text: str, start: int, end: int) -> list[Span]:
    """Figures in a field without Chinese text: whitespace-separated numeric tokens (a number glued to
    non-word junk, as in [bookmark: _GoBack]75, keeps its digits), or a blank placeholder."""
    field = text[start:end]
    if field.strip() in PLACEHOLDERS:
        return [Span(start, end, "NUM")]
    out = []
    for m in re.finditer(r"\S+", field):
        tail = _NUMBER_TAIL.search(m.group())
        if tail:
            out.append(Span(start + m.start() + tail.start(), start + m.start() + tail.end(), "NUM"))
    return out


class RulesTagger:
    """Baseline tagger (``--tagger rules``)."""

    name = "rules"

    def tag_batch(self, texts: list[str]) -> list[list[Span]]:
        return [self.tag(t) for t in texts]

    def tag(self, text: str) -> list[Span]:
        text = to_simplified(text)  # same offsets; the patterns are written in Simplified
        spans: list[Span] = []
        lines = list(self._lines(text))
        in_tables = False
        title_done = False
        for n, (start, end) in enumerate(lines):
            line = text[start:end]
            stripped = line.strip()
            if not stripped:
                continue
            lead = start + len(line) - len(line.lstrip())
            tail = lead + len(stripped)
            if not title_done and n < 40 and any(w in stripped for w in _TITLE_WORDS) and len(stripped) < 60:
                spans.append(Span(lead, tail, "TITLE"))
                title_done = True
                continue
            plain = len(stripped) <= 40 and not _FIELD_SEP.search(stripped) and _SEC_LEAD.match(stripped)
            sid = section_id(stripped) if plain else None
            if sid is not None:
                spans.append(Span(lead, tail, "SEC"))
                in_tables = 2 <= sid <= 4
                continue
            if in_tables:
                spans += self._table_line(text, start, end)
            elif _SUB.match(stripped):
                stop = stripped.find("。")
                length = stop if 0 < stop <= 40 else len(stripped) if len(stripped) <= 40 else 0
                if length:
                    spans.append(Span(lead, lead + length, "SUB"))
        spans += [Span(s, e, "GARBLE") for s, e in find_spam(text)]
        return _without_overlaps(spans)

    @staticmethod
    def _lines(text: str) -> Iterator[tuple[int, int]]:
        pos = 0
        for line in text.split("\n"):
            yield pos, pos + len(line)
            pos += len(line) + 1

    @staticmethod
    def _table_line(text: str, start: int, end: int) -> list[Span]:
        out: list[Span] = []
        for fs, fe in _fields(text[start:end], start):
            field = text[fs:fe]
            if _PAGE_NUMBER.match(field):
                continue
            if not has_cjk(field):
                out += _numbers(text, fs, fe)
                continue
            if _CAPTION.search(field) and len(for_match(_CAPTION.sub("", field))) <= 2:
                out.append(Span(fs, fe, "CAPTION"))
            elif "勾稽关系" in field or field.startswith("注"):
                out.append(Span(fs, fe, "NOTE"))
            elif field.endswith("。") or len(field) > _MAX_LABEL:
                continue
            elif _is_column(field):
                out.append(Span(fs, fe, "COL"))
            else:
                out.append(Span(fs, fe, "ROW"))
        return out


@lru_cache(maxsize=16384)
def _is_column(field: str) -> bool:
    """A short field that names a column better than it names any row (ties go to rows: 3.其他). Cached: the
    same labels come back in every report."""
    if len(for_match(field)) > 12:
        return False
    col = max(label_score(field, c) for c in _column_labels())
    return col >= THRESHOLD and col > max(label_score(field, r) for r in row_labels())


def _without_overlaps(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and s.start < out[-1].end:
            continue
        out.append(s)
    return out
