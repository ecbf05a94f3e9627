"""Checks beyond the table rules: narrative figures against the tables, and one body's consecutive years."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache

from govreport.configs import load
from govreport.inference.schema import Extraction

_BODY_NOISE = re.compile(r"\s|20\d\d\s*年度?|政府信息公开工作年度报告|年度报告|[•·\-—_]")


@cache
def _text_checks() -> tuple[tuple[dict, re.Pattern[str]], ...]:
    return tuple((c, re.compile(c["pattern"])) for c in load("checks")["text_checks"])


def text_against_tables(text: str, values: Mapping[str, int | float | None]) -> list[str]:
    """Warnings for narrative sentences whose figure matches none of the table sums the check allows."""
    out = []
    for check, pattern in _text_checks():
        for m in pattern.finditer(text):
            stated = int(m.group(1))
            sums = []
            for keys in check["equals_any"]:
                if all(values.get(k) is not None for k in keys):
                    sums.append(sum(values[k] for k in keys))  # type: ignore[misc]
            if sums and stated not in sums:
                sentence = _sentence(text, m.start(), m.end())
                out.append(
                    f"{check['id']}: text at offset {m.start()} says {stated} ({sentence!r}); "
                    f"table gives {' or '.join(str(s) for s in dict.fromkeys(sums))}"
                )
    return out


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(c, 0, start) for c in "。\n；;") + 1
    rights = [i for i in (text.find(c, end) for c in "。\n；;") if i >= 0]
    return text[left : min(rights) if rights else len(text)].strip()


def body_of(title: str | None) -> str | None:
    """The issuing body as named in the title, without year and report words (for pairing years)."""
    if not title:
        return None
    body = _BODY_NOISE.sub("", title)
    return body or None


def across_years(reports: Sequence[Extraction]) -> dict[str, list[str]]:
    """Warnings per source where a body's carried_over differs from its previous year's carried_forward."""
    by_body: dict[tuple[str, int], Extraction] = {}
    for r in reports:
        body = body_of(r.title)
        if body and r.year:
            by_body[(body, r.year)] = r
    out: dict[str, list[str]] = {}
    for check in load("checks")["cross_year"]:
        for (body, year), this in by_body.items():
            last = by_body.get((body, year - 1))
            if last is None:
                continue
            for key, cell in this.cells.items():
                if not key.startswith(check["this_year"] + "."):
                    continue
                prev_key = check["last_year"] + key[len(check["this_year"]) :]
                prev = last.cells.get(prev_key)
                if cell.value is None or prev is None or prev.value is None or prev.value == cell.value:
                    continue
                out.setdefault(this.source, []).append(
                    f"{check['id']}: {key} = {cell.value} but {last.source} ({year - 1}) has {prev_key} = {prev.value}"
                )
    return out
