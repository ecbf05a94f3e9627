"""Batch exports: a table of all reports for pandas (CSV/Parquet, one row per report, one column per cell
key plus its status), and a per-report HTML page for reviewing an extraction by eye: the tagged text and
the rebuilt tables, with inferred and conflicting cells and the cells of broken rules highlighted."""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from govreport.inference.document import Document
from govreport.inference.schema import Extraction
from govreport.inference.spans import Span
from govreport.inference.templates import Table, Template, templates

STATUSES = ("observed", "inferred", "missing", "conflict")


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
    """One row per report: identity and counts, then ``<key>`` (value) and ``<key>:status`` per cell key.

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


_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em;max-width:80em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #999;padding:2px 6px;text-align:right}
th{background:#eee;text-align:left;font-weight:normal}
td.inferred{background:#cfe3ff}td.conflict{background:#ffb3b3;font-weight:bold}td.missing{background:#eee;color:#999}
td.broken{outline:3px solid #d00;outline-offset:-3px}
pre{white-space:pre-wrap;line-height:1.6;border:1px solid #ccc;padding:1em}
mark{background:none;border-bottom:2px solid;padding:0 1px}
mark.TITLE{border-color:#a0a}mark.SEC{border-color:#00a;font-weight:bold}mark.SUB{border-color:#06c}
mark.CAPTION{border-color:#088}mark.COL{border-color:#080}mark.ROW{border-color:#a60}
mark.NUM{background:#fff3b0;border-color:#c90}mark.NOTE{border-color:#777}mark.GARBLE{background:#fcc;border-color:#c00}
.legend span{margin-right:1em;padding:0 .4em}
"""


def _table_html(table: Table, extraction: Extraction, broken: set[str], caption: str) -> str:
    """One rebuilt table: rows × columns of the template, each cell coloured by its status. Table 2's
    rows have columns of their own: each of its cells carries its column label."""
    rows = [r for r in table.rows if any(k in extraction.cells for k in table.cells(r.key))]
    if not rows:
        return ""
    out = [f"<h3>{html.escape(caption)}</h3><table>"]
    if table.cols:
        out.append(
            "<tr><th></th>" + "".join(f"<th>{html.escape(c.label)}</th>" for c in table.cols) + "</tr>"
        )
    for row in rows:
        out.append(f"<tr><th>{html.escape(row.label)}</th>")
        for col in table.row_cols.get(row.key, table.cols):
            key = f"{table.id}.{row.key}.{col.key}"
            cell = extraction.cells.get(key)
            if cell is None:
                out.append("<td></td>")
                continue
            classes = cell.status + (" broken" if key in broken else "")
            value = "—" if cell.value is None else html.escape(str(cell.value))
            if not table.cols:
                value = f"<small>{html.escape(col.label)}</small> {value}"
            tip = f"{key} · {cell.status} · confidence {cell.confidence:.2f}"
            out.append(f'<td class="{classes}" title="{html.escape(tip)}">{value}</td>')
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _tables_html(extraction: Extraction, template: Template) -> str:
    broken = {k for v in extraction.violations for k in v.cells}
    t3 = template.t3
    optional = [
        o for o in template.t3_optional if any(k.startswith(f"t3.{o.key}.") for k in extraction.cells)
    ]
    if optional:
        t3 = Table("t3", t3.rows + tuple(optional), t3.cols, t3.row_cols)
    return "".join(
        [
            _table_html(template.t2, extraction, broken, "表二 主动公开政府信息情况"),
            _table_html(t3, extraction, broken, "表三 收到和处理政府信息公开申请情况"),
            _table_html(template.t4, extraction, broken, "表四 行政复议、行政诉讼情况"),
        ]
    )


def _tagged_text(text: str, spans: list[Span]) -> str:
    """The text with each tagged span marked by its label (hover shows label and score)."""
    out, pos = [], 0
    for span in sorted(spans):
        if span.start < pos:
            continue
        out.append(html.escape(text[pos : span.start]))
        tip = f"{span.label} {span.score:.2f}"
        out.append(
            f'<mark class="{span.label}" title="{tip}">{html.escape(text[span.start : span.end])}</mark>'
        )
        pos = span.end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def report_html(extraction: Extraction, doc: Document, spans: list[Span]) -> str:
    """A self-contained page for one report."""
    template = templates().get(extraction.format or "") or templates()["2021"]
    title = html.escape(extraction.title or Path(extraction.source).name)
    violations = "".join(
        f"<li><b>{html.escape(v.rule)}</b>: {v.lhs} ≠ {v.rhs} ({html.escape(', '.join(v.cells))})</li>"
        for v in extraction.violations
    )
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in extraction.warnings)
    status = [c.status for c in extraction.cells.values()]
    counts = ", ".join(f"{s} {status.count(s)}" for s in STATUSES)
    return (
        f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
        f"<p>source {html.escape(extraction.source)} · format {extraction.format or '-'} · "
        f"year {extraction.year or '-'} · read as {html.escape(doc.kind)} · cells: {counts}</p>"
        '<p class="legend"><span style="background:#cfe3ff">inferred</span>'
        '<span style="background:#ffb3b3">conflict</span><span style="outline:3px solid #d00">in a broken rule</span>'
        '<span style="background:#eee">missing</span></p>'
        + (f"<h2>Broken rules</h2><ul>{violations}</ul>" if violations else "<h2>No broken rules</h2>")
        + (f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else "")
        + f"<h2>Tables</h2>{_tables_html(extraction, template)}"
        + f"<h2>Tagged text</h2><pre>{_tagged_text(doc.text, spans)}</pre></body></html>\n"
    )
