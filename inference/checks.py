"""The audit: every check of ``configs/checks.yaml`` run on one report, each giving structured findings.

A check is data: an id, a severity, a ``kind`` and the kind's parameters. One engine runs them all: each kind
is one function here (``KINDS``), so a new check of a known kind is a new entry in the YAML, nothing more.
Cross-report kinds (a body's consecutive years, a parent and its children) are in ``checks_across``.

Every finding has a fingerprint (``fingerprint``): the report's file name, the check and its operands (names,
values, the words that state a figure) hashed, so re-runs and other taggers that read the same figures give
the same id and a reviewer's decision on it can be kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

from govreport.configs import load
from govreport.inference.arithmetic import MAX_COUNT
from govreport.inference.arithmetic import check as check_rule
from govreport.inference.normalize import to_simplified
from govreport.inference.numerals import FIGURE, Stated, stated
from govreport.inference.schema import (
    EvidenceOut,
    Extraction,
    FindingOut,
    OperandOut,
    TextEvidenceOut,
)
from govreport.inference.templates import templates

Number = int | float
_SENTENCE_END = "。\n；;"


@cache
def checks(scope: str) -> tuple[dict[str, Any], ...]:
    """The checks of one scope (``report`` or ``batch``) in file order; ``for_each`` entries expanded."""
    return tuple(c for raw in load("checks")[scope] for c in _expand(raw))


def _expand(check: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A check with ``for_each: {var: [values]}`` stands for one check per value, ``{var}`` filled in."""
    loops = check.get("for_each")
    if not loops:
        yield check
        return
    (var, values), = loops.items()
    for value in values:
        yield {
            k: [x.replace(f"{{{var}}}", value) for x in v] if k in ("lhs", "rhs") else v
            for k, v in check.items()
            if k != "for_each"
        }


def template_keys(extraction: Extraction) -> frozenset[str]:
    """The cells the report's template has, with the optional rows it prints (empty when unrecognised)."""
    template = templates().get(extraction.format or "")
    if template is None:
        return frozenset()
    optional = frozenset(o.key for o in template.t3_optional if any(k.startswith(f"t3.{o.key}.") for k in extraction.cells))
    return frozenset(k for keys in template.cell_keys(optional).values() for k in keys)


# ------------------------------------------------------------------------------------------ findings


def finding(
    check: Mapping[str, Any],
    result: str,
    message: str,
    operands: Sequence[OperandOut],
    cells: Iterable[str] = (),
    text: Iterable[TextEvidenceOut] = (),
    check_id: str | None = None,
) -> FindingOut:
    """A finding without its id (``with_ids`` gives ids once a report's findings are all known)."""
    return FindingOut(
        id="",
        check=check_id or check["id"],
        severity=check["severity"],
        result=result,  # type: ignore[arg-type]
        message=message,
        operands=list(operands),
        evidence=EvidenceOut(cells=list(dict.fromkeys(cells)), text=list(text)),
    )


def _canonical(value: Number | None) -> Number | None:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def fingerprint(name: str, f: FindingOut, occurrence: int = 0) -> str:
    """16 hex digits of SHA-1 over the report's file ``name``, the check and the operands: offsets, messages
    and results are left out, so only a change in what was compared changes the id."""
    operands = [
        [o.name, _canonical(o.value), Path(o.source).name if o.source else None, o.text] for o in f.operands
    ]
    payload = json.dumps([name, f.check, operands, occurrence], ensure_ascii=False)
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:16]


def with_ids(source: str, findings: Iterable[FindingOut]) -> list[FindingOut]:
    """Findings with their fingerprints; a repeat of the same check and operands in one report (the same
    sentence printed twice) is told apart by its occurrence, counted in text order."""
    seen: Counter[str] = Counter()
    out, name = [], Path(source).name
    for f in findings:
        base = fingerprint(name, f)
        out.append(f.model_copy(update={"id": fingerprint(name, f, seen[base]) if seen[base] else base}))
        seen[base] += 1
    return out


def _operand(report: _Report, key: str) -> OperandOut:
    return OperandOut(name=key, value=report.values.get(key))


def _sum(values: Iterable[Number | None]) -> Number | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------------- report


@dataclass
class _Report:
    """One report as the checks read it: the text in Simplified script for matching (offsets as tagged) and as
    printed for quoting, cell values, section bodies."""

    extraction: Extraction
    text: str
    printed: str
    keys: frozenset[str]
    values: dict[str, Number | None]
    sections: dict[int, tuple[int, int, int]]  # id → heading start, body start, body end
    claimed: set[tuple[int, int]] = field(default_factory=set)  # figures a narrative check has compared

    @classmethod
    def of(cls, extraction: Extraction, text: str) -> _Report:
        ordered = sorted(extraction.sections, key=lambda s: s.start)
        bounds = [s.start for s in ordered[1:]] + [len(text)]
        return cls(
            extraction,
            to_simplified(text),
            text,
            template_keys(extraction),
            {k: c.value for k, c in extraction.cells.items()},
            {s.id: (s.start, s.end, end) for s, end in zip(ordered, bounds, strict=True)},
        )

    def scope(self, ids: Sequence[int]) -> list[tuple[int, int]]:
        """The bodies of the sections named (the whole text when the report has no headings at all)."""
        if not self.sections:
            return [(0, len(self.text))]
        return [self.sections[i][1:] for i in ids if i in self.sections]

    def quote(self, start: int, end: int) -> TextEvidenceOut:
        return TextEvidenceOut(span=(start, end), text=self.printed[start:end])


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or clause between semicolons) around text[start:end], trimmed."""
    left = max(text.rfind(c, 0, start) for c in _SENTENCE_END) + 1
    rights = [i for i in (text.find(c, end) for c in _SENTENCE_END) if i >= 0]
    right = min(rights) if rights else len(text)
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return left, right


@cache
def _patterns(check_id: str) -> tuple[tuple[re.Pattern[str], float | None], ...]:
    """A narrative check's patterns, ``{N}`` standing for a written figure; a pattern given with ``stated``
    states that figure itself (未发生行政复议 → 0)."""
    entry = next(c for c in checks("report") if c["id"] == check_id)
    out = []
    for p in entry["patterns"]:
        pattern, value = (p["pattern"], p["stated"]) if isinstance(p, dict) else (p, None)
        out.append((re.compile(pattern.replace("{N}", FIGURE)), value))
    return tuple(out)


def _words(m: re.Match[str], figure: int) -> str:
    """What states the figure: the match from the last comma before the figure on (a pattern may reach back
    to 行政复议 across 其中…, so 其中结果维持 72 件 is quoted, not the whole clause)."""
    head = m.group(0)[: figure - m.start()]
    cut = max(head.rfind(c) for c in "，,、") + 1
    return m.group(0)[cut:].strip()


def _narrative(check: dict[str, Any], report: _Report) -> Iterator[FindingOut]:
    """Every figure the sections state in the check's words, against the table sums it may equal
    (``equals_any``; options whose cells the template lacks are dropped). A figure compared by an earlier
    check is not compared again."""
    options = [o for o in check["equals_any"] if all(k in report.keys for k in o)]
    if not options:
        return
    context = re.compile(check["sentence_requires"]) if "sentence_requires" in check else None
    sections = check.get("sections") or load("checks")["narrative_sections"]
    hits = []
    for start, end in report.scope(sections):
        for pattern, value in _patterns(check["id"]):
            for m in pattern.finditer(report.text, start, end):
                figure = m.span("n") if value is None else m.span()
                sentence = _sentence(report.text, *m.span())
                if figure in report.claimed or (context and not context.search(report.text[slice(*sentence)])):
                    continue
                report.claimed.add(figure)
                says = Stated(value, value, value) if value is not None else stated(m)
                hits.append((m.start(), says, _words(m, figure[0]), sentence))
    for _, says, words, sentence in sorted(hits, key=lambda h: h[0]):
        sums = [_sum(report.values.get(k) for k in o) for o in options]
        known = [s for s in sums if s is not None]
        result = "uncertain" if not known else "pass" if any(says.allows(s) for s in known) else "fail"
        table = " or ".join(str(_canonical(s)) for s in dict.fromkeys(known)) or "nothing (cells missing)"
        keys = [k for o in options for k in o]
        yield finding(
            check,
            result,
            f"text says {words!r}; table gives {table}",
            [OperandOut(name="stated", value=says.value, text=words)] + [_operand(report, k) for k in dict.fromkeys(keys)],
            keys,
            [report.quote(*sentence)],
        )


def _table_keys(report: _Report, table: str) -> list[str]:
    return sorted(k for k in report.keys if k.startswith(f"{table}."))


def _table_present(check: dict[str, Any], report: _Report) -> Iterator[FindingOut]:
    """A table with no figure at all (absent, or its headers without figures), its section heading noted."""
    table, section = check["table"], check["section"]
    figures = [k for k in _table_keys(report, table) if report.values.get(k) is not None]
    heading = report.sections.get(section)
    where = f"section {section}'s heading is present" if heading else f"section {section}'s heading is absent too"
    yield finding(
        check,
        "pass" if figures else "fail",
        f"{table}: {len(figures)} figures" + ("" if figures else f"; {where}"),
        [
            OperandOut(name=f"{table} figures", value=len(figures)),
            OperandOut(name=f"section {section} heading", value=int(bool(heading))),
        ],
        (),
        [report.quote(*heading[:2])] if heading else [],
    )


def _blank_cells(check: dict[str, Any], report: _Report) -> Iterator[FindingOut]:
    """Per table read: cells left blank (nothing read there) and cells printed as a placeholder (/ — 无)."""
    for table in check["tables"]:
        keys = [k for k in report.extraction.cells if k.startswith(f"{table}.")]
        if not any(report.values[k] is not None for k in keys):
            continue  # an absent table is table_present's finding
        cells = report.extraction.cells
        blank = [k for k in keys if cells[k].status == "missing"]
        placeholder = [k for k in keys if cells[k].value is None and cells[k].span is not None]
        result = "fail" if blank or placeholder else "pass"
        yield finding(
            check,
            result,
            f"{table}: {len(blank)} blank cells, {len(placeholder)} printed as a placeholder (/ — 无)",
            [OperandOut(name=f"{table} blank", value=len(blank)), OperandOut(name=f"{table} placeholder", value=len(placeholder))],
            blank + placeholder,
        )


def _section_body(report: _Report, section: int) -> tuple[int, int] | None:
    found = report.sections.get(section)
    return (found[1], found[2]) if found else None


def _section_empty(check: dict[str, Any], report: _Report) -> Iterator[FindingOut]:
    """A section whose body is empty or only says there is nothing (无)."""
    section = check["section"]
    body = _section_body(report, section)
    if body is None:
        yield finding(check, "uncertain", f"section {section}'s heading was not found", [OperandOut(name=f"section {section}", value=None)])
        return
    words = report.text[slice(*body)].strip()
    empty = re.fullmatch(check["empty"], words) is not None
    yield finding(
        check,
        "fail" if empty else "pass",
        f"section {section} " + (f"says only {words!r}" if empty else f"has {len(words)} characters"),
        [OperandOut(name=f"section {section} characters", value=len(words))],
        (),
        [report.quote(report.sections[section][0], body[1])] if empty else [],
    )


def _section_mentions(check: dict[str, Any], report: _Report) -> Iterator[FindingOut]:
    """When the cells ``when_positive`` sum above 0, the section must mention ``mentions`` (fees in table 2
    → section 6 says something of fees)."""
    keys, section = check["when_positive"], check["section"]
    if not all(k in report.keys for k in keys):
        return
    total = _sum(report.values.get(k) for k in keys)
    body = _section_body(report, section)
    operands = [_operand(report, k) for k in keys]
    if total is None or (total > 0 and body is None):
        missing = "cells missing" if total is None else f"section {section}'s heading was not found"
        yield finding(check, "uncertain", missing, operands, keys)
        return
    said = body is not None and re.search(check["mentions"], report.text[slice(*body)])
    result = "pass" if total <= 0 or said else "fail"
    message = (
        f"{' + '.join(keys)} = {_canonical(total)}; section {section} "
        + ("does not need to" if total <= 0 else "mentions it" if said else "says nothing of it")
    )
    text = [report.quote(*_sentence(report.text, said.start(), said.end()))] if said else []
    yield finding(check, result, message, operands, keys, text)


def _counts(check: dict[str, Any], report: _Report) -> Iterator[FindingOut]:
    """Cells that hold counts must hold whole numbers from 0 to MAX_COUNT."""
    keys = [k for k in report.extraction.cells if any(fnmatchcase(k, g) for g in check["cells"])]
    if not keys:
        return
    bad = [
        k for k in keys
        if (v := report.values[k]) is not None and not (0 <= v <= MAX_COUNT and float(v).is_integer())
    ]
    yield finding(
        check,
        "fail" if bad else "pass",
        f"{len(bad)} of {len(keys)} count cells are not whole numbers from 0 up"
        + (f": {', '.join(f'{k} = {report.values[k]}' for k in bad)}" if bad else ""),
        [_operand(report, k) for k in bad],
        bad,
    )


def _table_rules(check: dict[str, Any], report: _Report) -> Iterator[FindingOut]:
    """Each arithmetic rule of the template (勾稽关系) as a finding of its own: ``<id>.<rule id>``."""
    template = templates()[report.extraction.format]  # type: ignore[index]
    optional = frozenset(o.key for o in template.t3_optional if any(k.startswith(f"t3.{o.key}.") for k in report.extraction.cells))
    for rule in template.active_rules(optional):
        if not any(k in report.extraction.cells for k in rule.cells):
            continue  # a table the report does not have
        checked = check_rule(rule, report.values)
        result = "uncertain" if checked is None else "pass" if checked.holds else "fail"
        sides = (
            ("lhs", _sum(report.values.get(k) for k in rule.lhs)),
            ("rhs", _sum(report.values.get(k) for k in rule.rhs)),
        )
        yield finding(
            check,
            result,
            f"{rule.says}: " + " vs ".join(f"{'?' if v is None else _canonical(v)}" for _, v in sides),
            [OperandOut(name=n, value=_canonical(v)) for n, v in sides],
            rule.cells,
            check_id=f"{check['id']}.{rule.id}",
        )


KINDS: dict[str, Callable[[dict[str, Any], _Report], Iterator[FindingOut]]] = {
    "narrative": _narrative,
    "table_present": _table_present,
    "blank_cells": _blank_cells,
    "section_empty": _section_empty,
    "section_mentions": _section_mentions,
    "counts": _counts,
    "table_rules": _table_rules,
}


def report_findings(extraction: Extraction, text: str) -> list[FindingOut]:
    """Every report check on one extraction of the tagged ``text``. A text not recognised as a report gets
    none."""
    if extraction.format is None:
        return []
    report = _Report.of(extraction, text)
    return with_ids(extraction.source, (f for c in checks("report") for f in KINDS[c["kind"]](c, report)))
