"""Checks across the reports of a batch (``batch:`` in ``configs/checks.yaml``): a body's consecutive years
(carried-over applications, documents in force, outliers) and, given a hierarchy, a parent body's totals
against its children's. Their findings go to the later year's (or the parent's) report.

A body is named from the report's title (``body_names`` in the config: 淮安市洪泽区人民政府 and 洪泽区人民政府
are both 洪泽区), unless the user's bodies file names it::

    bodies:              # a report (file name, stem, or the body its title names) → its body
      hz2024.pdf: 洪泽区
    parents:             # a body → its parent, for children_sum
      洪泽区: 淮安市
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from govreport.configs import load
from govreport.inference.checks import checks, finding, template_keys, with_ids
from govreport.inference.schema import Extraction, FindingOut, OperandOut

# A term's reports: (report or None when the batch lacks it, what is missing).
Resolved = list[tuple[Extraction | None, str | None]]


@cache
def _name_rules() -> tuple[re.Pattern[str], tuple[re.Pattern[str], ...]]:
    cfg = load("checks")["body_names"]
    return re.compile(cfg["drop"]), tuple(re.compile(p) for p in cfg["strip"])


def body_name(name: str | None) -> str | None:
    """A body's name without years, report words and the higher levels before its own place, so the
    titles of one body's years agree (淮安市洪泽区人民政府2024年… and 洪泽区人民政府2023年… → 洪泽区)."""
    if not name:
        return None
    drop, strip = _name_rules()
    body = drop.sub("", name)
    while True:
        shorter = body
        for pattern in strip:
            shorter = pattern.sub("", shorter)
        if shorter == body or not shorter:
            return body or None
        body = shorter


@dataclass(frozen=True)
class Bodies:
    """The user's bodies file: which body a report is, and each body's parent (names as ``body_name``
    reads them, so either form of a name may be written)."""

    aliases: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Bodies:
        """Raises ValueError naming the file when it is not a mapping of the two sections."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"{path}: {exc}") from None
        if not isinstance(data, dict) or set(data) - {"bodies", "parents"} or not all(
            isinstance(data.get(k) or {}, dict) for k in ("bodies", "parents")
        ):
            raise ValueError(f"{path}: expected the mappings 'bodies' (report → body) and 'parents' (body → parent)")
        def name(x: object) -> str:
            return body_name(str(x)) or str(x)

        return cls(
            {str(k): name(v) for k, v in (data.get("bodies") or {}).items()},
            {name(k): name(v) for k, v in (data.get("parents") or {}).items()},
        )

    def body_of(self, report: Extraction) -> str | None:
        """The report's body: as the bodies file names its file or title body, else from its title."""
        path, named = Path(report.source), body_name(report.title)
        for key in (path.name, path.stem, report.source, named):
            if key and key in self.aliases:
                return self.aliases[key]
        return named


# ---------------------------------------------------------------------------------------------- engine


@dataclass
class _Batch:
    reports: dict[tuple[str, int], list[Extraction]]  # (body, year) → reports, by source
    bodies: Bodies

    def one(self, body: str, year: int) -> Extraction | None:
        found = self.reports.get((body, year))
        return found[0] if found else None


def _value(report: Extraction, key: str) -> float | int | None:
    cell = report.cells.get(key)
    return None if cell is None else cell.value


def _equation(
    check: dict[str, Any], this: Extraction, resolve: Callable[[str], Resolved]
) -> FindingOut | None:
    """lhs = rhs over the terms of ``check`` (``[-][scope:]key``); None when a report's template lacks a key
    (the check does not apply); uncertain when a report or a cell is missing."""
    operands: list[OperandOut] = []
    sides: dict[str, float | None] = {}
    for side in ("lhs", "rhs"):
        total: float | None = 0.0
        for term in check[side]:
            sign = -1 if term.startswith("-") else 1
            scope, _, key = term.lstrip("-").rpartition(":")
            for report, missing in resolve(scope):
                if report is not None and key not in template_keys(report):
                    return None
                value = None if report is None else _value(report, key)
                operands.append(
                    OperandOut(
                        name=("-" if sign < 0 else "") + key,
                        value=value,
                        source=None if report is this else report.source if report else None,
                        text=missing,
                    )
                )
                total = None if total is None or value is None else total + sign * value
        sides[side] = total
    lhs, rhs = sides["lhs"], sides["rhs"]
    result = "uncertain" if lhs is None or rhs is None else "pass" if abs(lhs - rhs) < 1e-6 else "fail"
    shown = {k: _show(v) for k, v in sides.items()}
    message = f"{_expression(check['lhs'])} = {shown['lhs']}; {_expression(check['rhs'])} = {shown['rhs']}"
    this_cells = [o.name.lstrip("-") for o in operands if o.source is None and o.text is None]
    return finding(check, result, message, operands, this_cells)


def _show(value: float | None) -> str:
    """A figure as printed: 3985758, not 3.98576e+06."""
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)


def _expression(terms: Sequence[str]) -> str:
    """Terms as a reader writes them: last:t2.x.in_force + t2.x.issued − t2.x.repealed."""
    out = ""
    for i, term in enumerate(terms):
        sign = "−" if term.startswith("-") else "+"
        out += (f" {sign} " if i else "− " if sign == "−" else "") + term.lstrip("-")
    return out


def _last_years(batch: _Batch) -> Iterator[tuple[Extraction, Extraction]]:
    """Each report with its body's report of the year before, when the batch has both."""
    for (body, year), reports in sorted(batch.reports.items()):
        last = batch.one(body, year - 1)
        if last is not None:
            yield from ((this, last) for this in reports)


def _across_years(check: dict[str, Any], batch: _Batch) -> Iterator[tuple[Extraction, FindingOut]]:
    for this, last in _last_years(batch):
        found = _equation(check, this, lambda scope, this=this, last=last: [(last if scope == "last" else this, None)])
        if found is not None:
            yield this, found


def _children_sum(check: dict[str, Any], batch: _Batch) -> Iterator[tuple[Extraction, FindingOut]]:
    children: dict[str, list[str]] = defaultdict(list)
    for child, parent in sorted(batch.bodies.parents.items()):
        children[parent].append(child)
    for (body, year), reports in sorted(batch.reports.items()):
        if body not in children:
            continue
        family: Resolved = [
            (batch.one(child, year), None if batch.one(child, year) else f"no {year} report of {child} in the batch")
            for child in children[body]
        ]
        for this in reports:
            found = _equation(
                check, this, lambda scope, this=this, family=family: family if scope == "children" else [(this, None)]
            )
            if found is not None:
                yield this, found


def _outlier(check: dict[str, Any], batch: _Batch) -> Iterator[tuple[Extraction, FindingOut]]:
    """A cell ``ratio`` times last year's or less than its ratio-th (a zero counts as one), the larger at
    least ``at_least``: worth a look, often a misprint or a change of scope."""
    for this, last in _last_years(batch):
        for key in check["cells"]:
            now, before = _value(this, key), _value(last, key)
            if now is None or before is None or key not in template_keys(this) or key not in template_keys(last):
                continue
            big, small = max(now, before), max(min(now, before), 1)
            result = "fail" if big >= check["at_least"] and big / small >= check["ratio"] else "pass"
            yield this, finding(
                check,
                result,
                f"{key} = {_show(now)}, {last.year}: {_show(before)}" + (f" ({big / small:.0f}×)" if result == "fail" else ""),
                [OperandOut(name=key, value=now), OperandOut(name=key, value=before, source=last.source)],
                [key],
            )


KINDS: dict[str, Callable[[dict[str, Any], _Batch], Iterator[tuple[Extraction, FindingOut]]]] = {
    "across_years": _across_years,
    "children_sum": _children_sum,
    "outlier": _outlier,
}


def batch_findings(reports: Sequence[Extraction], bodies: Bodies | None = None) -> dict[str, list[FindingOut]]:
    """Every batch check over the reports, as findings per report source (with ids)."""
    bodies = bodies or Bodies()
    grouped: dict[tuple[str, int], list[Extraction]] = defaultdict(list)
    for r in sorted(reports, key=lambda r: r.source):
        if (body := bodies.body_of(r)) and r.year and r.format:
            grouped[(body, r.year)].append(r)
    batch = _Batch(dict(grouped), bodies)
    found: dict[str, list[FindingOut]] = defaultdict(list)
    for check in checks("batch"):
        for report, f in KINDS[check["kind"]](check, batch):
            found[report.source].append(f)
    return {source: with_ids(source, fs) for source, fs in found.items()}


def refresh(reports: Sequence[Extraction], bodies: Bodies | None = None) -> list[Extraction]:
    """Replace each report's batch findings by this batch's; returns the reports whose findings changed
    (their outputs need rewriting)."""
    ids = {c["id"] for c in checks("batch")}
    new = batch_findings(reports, bodies)
    changed = []
    for report in reports:
        kept = [f for f in report.findings if f.check not in ids]
        findings = kept + new.get(report.source, [])
        if findings != report.findings:
            report.findings = findings
            changed.append(report)
    return changed
