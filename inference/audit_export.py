"""The audit of a batch for people (``govreport extract … --audit FILE.html --audit-csv FILE``): one row per
finding across all reports, grouped by body and year (fails first), and a summary that counts each check's
fails. The HTML page sorts by any column and hides passes until asked."""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from govreport.inference.batch import write_atomic
from govreport.inference.checks_across import Bodies
from govreport.inference.schema import Extraction, FindingOut, OperandOut

COLUMNS = (
    "body", "year", "report", "check", "severity", "result", "message", "operands", "cells", "text", "offsets", "id",
)
_RANK = {"fail": 0, "uncertain": 1, "pass": 2}


def _operand(o: OperandOut) -> str:
    where = f" [{Path(o.source).name}]" if o.source else ""
    said = f" ({o.text})" if o.text else ""
    return f"{o.name} = {'?' if o.value is None else o.value}{where}{said}"


def audit_rows(extractions: Iterable[Extraction], bodies: Bodies | None = None) -> list[dict[str, str]]:
    """One row per finding: body, year and report, then the finding; grouped by body, year and report, fails
    first within a report, then in check order."""
    bodies = bodies or Bodies()
    rows: list[tuple[tuple[str, int, str, int], dict[str, str]]] = []
    for e in extractions:
        body = bodies.body_of(e) or ""
        report = Path(e.source).name
        for f in e.findings:
            row = {
                "body": body,
                "year": str(e.year or ""),
                "report": report,
                "check": f.check,
                "severity": f.severity,
                "result": f.result,
                "message": f.message,
                "operands": "; ".join(_operand(o) for o in f.operands),
                "cells": " ".join(f.evidence.cells),
                "text": " | ".join(t.text for t in f.evidence.text),
                "offsets": " ".join(f"{t.span[0]}-{t.span[1]}" for t in f.evidence.text),
                "id": f.id,
            }
            rows.append(((body, e.year or 0, report, _RANK[f.result]), row))
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def audit_csv(rows: Sequence[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def summary(findings: Iterable[FindingOut]) -> list[tuple[str, str, Counter[str]]]:
    """Per check: its severity and the count of each result, most fails first."""
    counts: dict[str, Counter[str]] = {}
    severity: dict[str, str] = {}
    for f in findings:
        counts.setdefault(f.check, Counter())[f.result] += 1
        severity[f.check] = f.severity
    return sorted(((c, severity[c], n) for c, n in counts.items()), key=lambda x: (-x[2]["fail"], -x[2]["uncertain"], x[0]))


_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:2px 6px;vertical-align:top}
th{background:#eee;text-align:left;font-weight:normal}table.findings th{cursor:pointer}
td.n{text-align:right}tr.fail td.result{background:#ffb3b3;font-weight:bold}tr.uncertain td.result{background:#ffe9a8}
tr.pass td.result{color:#080}tr.group td{border-top:3px solid #555}td.text{max-width:40em}
body.hide-pass tr.pass{display:none}code{font-size:90%}
"""

_SCRIPT = """
document.getElementById('passes').addEventListener('change', e => document.body.classList.toggle('hide-pass', !e.target.checked));
document.querySelectorAll('table.findings th').forEach((th, col) => th.addEventListener('click', () => {
  const body = th.closest('table').tBodies[0], up = th.dataset.dir !== 'up';
  th.dataset.dir = up ? 'up' : 'down';
  const key = tr => tr.children[col].dataset.sort ?? tr.children[col].textContent;
  const rows = [...body.rows].sort((a, b) => {
    const x = key(a), y = key(b), nx = Number(x), ny = Number(y);
    const c = x !== '' && y !== '' && !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y, 'zh');
    return up ? c : -c;
  });
  rows.forEach(r => { r.classList.remove('group'); body.appendChild(r); });
}));
"""


def audit_html(rows: Sequence[dict[str, str]], findings: Sequence[FindingOut], title: str) -> str:
    """A self-contained page: the summary by check, then every finding (click a header to sort)."""
    esc = html.escape
    head = "".join(
        f"<tr><td><code>{esc(c)}</code></td><td>{s}</td>"
        + "".join(f'<td class="n">{n[r]}</td>' for r in ("fail", "uncertain", "pass"))
        + "</tr>"
        for c, s, n in summary(findings)
    )
    body, previous = [], None
    for row in rows:
        group = (row["body"], row["year"])
        cells = "".join(
            f'<td class="{c}" data-sort="{_RANK[row[c]]}">{esc(row[c])}</td>' if c == "result"
            else f'<td class="{c}">{esc(row[c]) if c != "check" else f"<code>{esc(row[c])}</code>"}</td>'
            for c in COLUMNS
        )
        body.append(f'<tr class="{row["result"]}{" group" if group != previous else ""}">{cells}</tr>')
        previous = group
    fails = sum(r["result"] == "fail" for r in rows)
    reports = len({r["report"] for r in rows})
    return (
        f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{_STYLE}</style></head><body class=\"hide-pass\"><h1>{esc(title)}</h1>"
        f"<p>{len(rows)} findings on {reports} reports; {fails} fail.</p>"
        "<h2>Fails by check</h2><table><thead><tr><th>check</th><th>severity</th><th>fail</th><th>uncertain</th>"
        f"<th>pass</th></tr></thead><tbody>{head}</tbody></table>"
        '<h2>Findings</h2><p><label><input type="checkbox" id="passes"> show passes</label> · grouped by body and '
        "year; click a column to sort</p>"
        '<table class="findings"><thead><tr>' + "".join(f"<th>{c}</th>" for c in COLUMNS) + "</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table><script>{_SCRIPT}</script></body></html>\n"
    )


def write_audit(
    json_paths: Iterable[Path], html_target: Path | None, csv_target: Path | None, bodies: Bodies | None = None
) -> int:
    """Write the audit of the extraction JSON files (atomically); returns the number of findings."""
    extractions = [Extraction.model_validate_json(p.read_text(encoding="utf-8")) for p in json_paths]
    rows = audit_rows(extractions, bodies)
    if csv_target:
        write_atomic(csv_target, audit_csv(rows))
    if html_target:
        findings = [f for e in extractions for f in e.findings]
        write_atomic(html_target, audit_html(rows, findings, f"govreport audit: {len(extractions)} reports"))
    return len(rows)
