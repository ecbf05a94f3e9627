"""Batch exports: a table of all reports for pandas (CSV/Parquet, one row per report, one column per cell
key plus its status), and (``report_html``, rendered by ``inference/reviewpage``, the one template the
service's page uses too) a per-report HTML page for reviewing an extraction by eye."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from govreport.inference.reviewpage import STATUSES, report_html
from govreport.inference.schema import Extraction
from govreport.inference.templates import templates

__all__ = ["report_html", "to_frame", "write_table"]


def _cell_order() -> list[str]:
    """Every cell key of both templates, optional rows included, in template order (stable columns)."""
    keys: list[str] = []
    for template in templates().values():
        optional = frozenset(o.key for o in template.t3_optional)
        for table_keys in (template.cell_keys(), template.cell_keys(optional)):
            for group in table_keys.values():
                keys += [k for k in group if k not in keys]
    return keys


def to_frame(extractions: Iterable[Extraction]) -> pd.DataFrame:
    """One row per report: identity and counts (findings failed and uncertain, the checks that failed), then
    ``<key>`` (value) and ``<key>:status`` per cell key (``--audit-csv`` has one row per finding).

    Value columns are nullable integers where every figure is whole, else nullable floats (万元 amounts);
    a column with a figure neither can hold exactly (past int64) is decimal text, so the table holds every
    value the JSON holds.
    """
    rows = []
    for e in extractions:
        status = [c.status for c in e.cells.values()]
        row: dict[str, object] = {
            "source": e.source,
            "format": e.format,
            "title": e.title,
            "year": e.year,
            **{f"cells_{s}": status.count(s) for s in STATUSES},
            "violations": len(e.violations),
            "broken_rules": ";".join(v.rule for v in e.violations),
            "warnings": len(e.warnings),
            **{f"findings_{r}": sum(f.result == r for f in e.findings) for r in ("fail", "uncertain")},
            "failed_checks": ";".join(dict.fromkeys(f.check for f in e.findings if f.result == "fail")),
        }
        for key, cell in e.cells.items():
            row[key] = cell.value
            row[f"{key}:status"] = cell.status
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    present = [k for k in _cell_order() if k in frame.columns]
    extra = sorted(c for c in frame.columns if "." in c and ":" not in c and c not in present)
    head = [c for c in frame.columns if "." not in c]
    frame = frame[head + [c for k in present + extra for c in (k, f"{k}:status")]]
    frame["year"] = frame["year"].astype("Int64")
    for key in present + extra:
        frame[key] = frame[key].astype(_value_dtype(frame[key].dropna()))
    return frame


_INT64 = range(-(2**63), 2**63)


def _value_dtype(values: pd.Series) -> str:
    """The narrowest column type that holds every value exactly: nullable integers, else nullable floats,
    else decimal text (a figure past int64, or one mixed with fractions that a float would round)."""
    if all(isinstance(v, int) or v.is_integer() for v in values) and all(int(v) in _INT64 for v in values):
        return "Int64"
    if all(isinstance(v, float) or abs(v) <= 2**53 for v in values):
        return "Float64"
    return "string"


def write_table(json_paths: Iterable[Path], target: Path) -> None:
    """Tabulate extraction JSON files into ``target`` (.csv or .parquet, by suffix)."""
    frame = to_frame(Extraction.model_validate_json(p.read_text(encoding="utf-8")) for p in json_paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if target.suffix.lower() == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False, encoding="utf-8")
        os.replace(tmp, target)  # atomic, like every other output of the batch
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
