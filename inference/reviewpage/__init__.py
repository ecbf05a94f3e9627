"""The review page: one report's tables beside its text, for a person to check an extraction by eye.

Each report becomes a ``<section class="report">``: title, template and year; the three tables in their
printed form with inferred, missing and conflicting cells marked and the cells of broken rules outlined;
the broken rules, each linking to its cells; the text with the tagger's spans; and each figure's evidence
(its place in the text and, for PDFs and scans, its box on the rendered page). The page around the sections
is one template (``page.html`` with ``review.css`` and ``review.js``, shipped here): ``extract --html``
writes it self-contained for one report, and ``govreport serve`` serves it at ``/`` with an upload form,
inserting the section this module renders for each uploaded file. So there is one rendering, not two.

A section is a list of blocks (``BLOCKS``): a new kind of finding is a new block function, nothing more.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import itertools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.resources import files
from pathlib import Path

from govreport.inference.document import Document
from govreport.inference.schema import Extraction, FindingOut
from govreport.inference.spans import Span
from govreport.inference.templates import Label, Template, templates

STATUSES = ("observed", "inferred", "missing", "conflict")
PAGE_DPI = 100  # evidence pages are drawn at this resolution: figures stay legible, the page stays small
_TOP = re.compile(r"^[一二三四五六七八九十]+、")  # a top-level row of table 3 (一、… 四、…)
_LEGAL_PERSONS = "法人或其他组织"  # printed over table 3's columns between 自然人 and 总计


@dataclass
class Report:
    """What a section is rendered from (page images are drawn from the file at ``doc.source``)."""

    extraction: Extraction
    doc: Document
    spans: list[Span]

    @cached_property
    def template(self) -> Template:
        return templates().get(self.extraction.format or "") or templates()["2021"]

    @cached_property
    def broken(self) -> set[str]:
        return {k for v in self.extraction.violations for k in v.cells}


# ------------------------------------------------------------------------------------------------ tables


def _cell(report: Report, key: str) -> str:
    """One table cell: value, status class, outline when a broken rule names it, and where its evidence is."""
    cell = report.extraction.cells.get(key)
    if cell is None:
        return "<td></td>"
    classes = cell.status + (" broken" if key in report.broken else "")
    value = "—" if cell.value is None else html.escape(str(cell.value))
    tip = f"{key} · {cell.status} · confidence {cell.confidence:.2f}"
    span = f' data-span="{cell.span[0]}-{cell.span[1]}"' if cell.span else ""
    return f'<td class="{classes}" data-key="{key}"{span} title="{html.escape(tip)}">{value}</td>'


def _th(label: str, rows: int = 1, cols: int = 1) -> str:
    span = (f' rowspan="{rows}"' if rows > 1 else "") + (f' colspan="{cols}"' if cols > 1 else "")
    return f"<th{span}>{html.escape(label)}</th>"


def _table2(report: Report) -> str:
    """Table 2 as printed: rows with the same columns form a block under their own header row."""
    table = report.template.t2
    rows = [r for r in table.rows if any(k in report.extraction.cells for k in table.cells(r.key))]
    out, header = [], None
    for row in rows:
        cols = table.row_cols[row.key]
        if [c.label for c in cols] != header:
            header = [c.label for c in cols]
            out.append("<tr>" + _th("信息内容") + "".join(_th(c) for c in header) + "</tr>")
        cells = "".join(_cell(report, f"t2.{row.key}.{c.key}") for c in cols)
        out.append(f"<tr>{_th(row.label)}{cells}</tr>")
    return "".join(out)


def _t3_rows(report: Report) -> list[tuple[Label, list[str]]]:
    """Table 3's printed rows with their label paths (三、本年度办理结果 › （三）不予公开 › 1.属于国家秘密);
    a printed optional row (（六）其他处理 as one row) stands where the rows it replaces would."""
    template = report.template
    printed = {
        o.key: o
        for o in template.t3_optional
        if any(k.startswith(f"t3.{o.key}.") for k in report.extraction.cells)
    }
    replaced = {r: printed[o] for o in printed for r in template.t3_stands_for[o]}
    groups = [g.label for g in template.t3_groups]
    out: list[tuple[Label, list[str]]] = []
    top: str | None = None
    for row in template.t3.rows:
        if row.key in replaced:
            row = replaced[row.key]
            if any(r is row for r, _ in out):
                continue
        label, path = row.label, []
        for group in groups:
            if label.startswith(group):
                path.append(group)
                label = label[len(group) :].strip()
        path += [label] if label else []
        if _TOP.match(path[0]):
            top = path[0] if len(path) > 1 else None
        elif top:
            path.insert(0, top)
        out.append((row, path))
    return [
        (r, p) for r, p in out if any(k in report.extraction.cells for k in report.template.t3.cells(r.key))
    ]


def _table3(report: Report) -> str:
    """Table 3 as printed: 申请人情况 over 自然人, 法人或其他组织 (its five columns) and 总计; row labels nested
    (三、本年度办理结果 spans its rows, （三）不予公开 its eight)."""
    cols = report.template.t3.cols
    rows = _t3_rows(report)
    if not rows:
        return ""
    depth = max(len(p) for _, p in rows)
    middle = cols[1:-1]
    out = [
        "<tr>" + _th("", 3, depth) + _th("申请人情况", 1, len(cols)) + "</tr>",
        "<tr>"
        + _th(cols[0].label, 2)
        + _th(_LEGAL_PERSONS, 1, len(middle))
        + _th(cols[-1].label, 2)
        + "</tr>",
        "<tr>" + "".join(_th(c.label) for c in middle) + "</tr>",
    ]
    for i, (row, path) in enumerate(rows):
        heads = []
        for level, label in enumerate(path):
            if level == len(path) - 1:
                heads.append(_th(label, 1, depth - level))
            elif i == 0 or rows[i - 1][1][: level + 1] != path[: level + 1]:
                run = 1
                while i + run < len(rows) and rows[i + run][1][: level + 1] == path[: level + 1]:
                    run += 1
                heads.append(_th(label, run))
        cells = "".join(_cell(report, f"t3.{row.key}.{c.key}") for c in cols)
        out.append(f'<tr data-row="{row.key}">{"".join(heads)}{cells}</tr>')
    return "".join(out)


def _table4(report: Report) -> str:
    """Table 4 as printed: one row of figures under 行政复议 and 行政诉讼 (未经复议直接起诉, 复议后起诉)."""
    table = report.template.t4
    groups = [r for r in table.rows if any(k in report.extraction.cells for k in table.cells(r.key))]
    if not groups:
        return ""
    paths = [g.label.split(" ", 1) for g in groups]
    top, second, leaves = [], [], []
    for i, path in enumerate(paths):
        if len(path) == 1:
            top.append(_th(path[0], 2, len(table.cols)))
        else:
            if i == 0 or paths[i - 1][0] != path[0]:
                top.append(_th(path[0], 1, len(table.cols) * sum(p[0] == path[0] for p in paths)))
            second.append(_th(path[1], 1, len(table.cols)))
        leaves += [_th(c.label) for c in table.cols]
    cells = "".join(_cell(report, f"t4.{g.key}.{c.key}") for g in groups for c in table.cols)
    return f"<tr>{''.join(top)}</tr><tr>{''.join(second)}</tr><tr>{''.join(leaves)}</tr><tr>{cells}</tr>"


_TABLES: tuple[tuple[str, str, Callable[[Report], str]], ...] = (
    ("t2", "表二 主动公开政府信息情况", _table2),
    ("t3", "表三 收到和处理政府信息公开申请情况", _table3),
    ("t4", "表四 政府信息公开行政复议、行政诉讼情况", _table4),
)


# ------------------------------------------------------------------------------------------------ blocks


def _summary(report: Report) -> str:
    e = report.extraction
    status = [c.status for c in e.cells.values()]
    counts = " · ".join(f'<span class="count {s}">{s} {status.count(s)}</span>' for s in STATUSES)
    return (
        f"<h2>{html.escape(e.title or Path(e.source).name)}</h2>"
        f'<p class="meta"><span>source <b>{html.escape(e.source)}</b></span> '
        f'<span>template <b class="format">{e.format or "-"}</b></span> '
        f'<span>year <b class="year">{e.year or "-"}</b></span> '
        f"<span>read as {html.escape(report.doc.kind)}</span></p>"
        f'<p class="meta">{counts} <button type="button" class="download" data-what="json">JSON</button>'
        '<button type="button" class="download" data-what="csv">CSV of cells</button></p>'
    )


def _cell_links(keys: Sequence[str]) -> str:
    return ", ".join(f'<a href="#" class="cell-link" data-key="{k}">{html.escape(k)}</a>' for k in keys)


def _broken_rules(report: Report) -> str:
    violations = report.extraction.violations
    if not violations:
        return "<h3>No broken rules</h3>"
    items = "".join(
        f'<li data-rule="{html.escape(v.rule)}"><b>{html.escape(v.rule)}</b>: {v.lhs} ≠ {v.rhs} '
        f"({_cell_links(v.cells)})</li>"
        for v in violations
    )
    return f'<h3>Broken rules</h3><ul class="rules">{items}</ul>'


def _warnings(report: Report) -> str:
    warnings = report.extraction.warnings
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    return f'<h3>Warnings</h3><ul class="warnings">{items}</ul>' if warnings else ""


def _findings(report: Report) -> str:
    """The audit's findings (configs/checks.yaml): fails and uncertain ones listed with their cells and the
    sentence they quote, passes folded away."""
    findings = report.extraction.findings
    if not findings:
        return ""

    def item(f: FindingOut) -> str:
        quotes = "".join(
            f"<br><q>{html.escape(t.text)}</q> <small>{t.span[0]}–{t.span[1]}</small>"
            for t in f.evidence.text
        )
        cells = f" ({_cell_links(f.evidence.cells)})" if f.evidence.cells else ""
        return (
            f'<li class="finding {f.result}" data-finding="{f.id}"><b>{f.result}</b> · {f.severity} · '
            f"<code>{html.escape(f.check)}</code>: {html.escape(f.message)}{cells}{quotes}</li>"
        )

    open_ = [item(f) for f in findings if f.result != "pass"]
    passed = [item(f) for f in findings if f.result == "pass"]
    return (
        f'<h3>Findings: {len(open_)} to look at, {len(passed)} passed</h3><ul class="findings">{"".join(open_)}</ul>'
        f'<details><summary>{len(passed)} checks passed</summary><ul class="findings">{"".join(passed)}</ul></details>'
    )


def _tables(report: Report) -> str:
    out = []
    for table_id, caption, render in _TABLES:
        body = render(report)
        if body:
            out.append(f'<h3>{html.escape(caption)}</h3><table class="{table_id}">{body}</table>')
    return "".join(out)


# The blocks of a section's left column, in order; each is a function of the report.
BLOCKS: list[Callable[[Report], str]] = [_summary, _broken_rules, _findings, _warnings, _tables]


# ---------------------------------------------------------------------------------------------- evidence


def _tagged_text(text: str, spans: list[Span], evidence: set[tuple[int, int]]) -> str:
    """The text with the tagger's spans as ``<mark>``s and every cell's figure wrapped in
    ``<span data-ev="START-END">`` (split where it crosses a mark), so a click can find it."""
    marks = []
    for span in sorted(spans):
        if not marks or span.start >= marks[-1].end:
            marks.append(span)
    cuts = sorted(
        {0, len(text)} | {p for s in marks for p in (s.start, s.end)} | {p for e in evidence for p in e}
    )
    opened = {s.start: s for s in marks}
    out, current = [], None
    for start, end in itertools.pairwise(cuts):
        if current and start >= current.end:
            out.append("</mark>")
            current = None
        if start in opened and current is None:
            current = opened[start]
            tip = f"{current.label} {current.score:.2f}"
            out.append(f'<mark class="{current.label}" title="{tip}">')
        piece = html.escape(text[start:end])
        covering = [f"{s}-{e}" for s, e in evidence if s <= start and end <= e]
        out.append(f'<span data-ev="{" ".join(covering)}">{piece}</span>' if covering else piece)
    if current:
        out.append("</mark>")
    return "".join(out)


def _width(text: str) -> float:
    """Printed width in ems: CJK and full-width characters one, the rest half."""
    return sum(1.0 if ord(c) > 0x2E80 else 0.5 for c in text) or 1.0


def _boxes(doc: Document, start: int, end: int) -> list[tuple[int, float, float, float, float]]:
    """Where text[start:end] was read: (page, x0, y0, x1, y1) in points, each narrowed to the span's share
    of its box's printed width (a box holds a word or a line)."""
    out = []
    for box in doc.boxes:
        lo, hi = max(start, box.start), min(end, box.end)
        if lo >= hi:
            continue
        x0, y0, x1, y1 = box.bbox
        whole = _width(doc.text[box.start : box.end])
        left = _width(doc.text[box.start : lo]) if lo > box.start else 0.0
        right = left + _width(doc.text[lo:hi])
        out.append(
            (box.page, x0 + (x1 - x0) * left / whole, y0, x0 + (x1 - x0) * min(1.0, right / whole), y1)
        )
    return out


@dataclass
class _PageImage:
    width: float  # points
    height: float
    jpeg: bytes


def _page_images(kind: str, file: Path, numbers: set[int]) -> dict[int, _PageImage]:
    """The pages holding evidence, drawn small (JPEG). A page that cannot be drawn is left out: the text
    still shows the evidence."""
    from PIL import Image

    out: dict[int, _PageImage] = {}
    try:
        if kind.startswith("pdf"):
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(str(file))
            try:
                for n in sorted(numbers):
                    page = pdf[n]
                    width, height = page.get_size()
                    image = page.render(scale=PAGE_DPI / 72).to_pil().convert("RGB")
                    out[n] = _PageImage(width, height, _jpeg(image))
            finally:
                pdf.close()
        elif kind == "image":
            from govreport.configs import load

            with Image.open(file) as picture:
                for n in sorted(numbers):
                    picture.seek(n)
                    dpi = float((picture.info.get("dpi") or (0,))[0]) or load("readers")["ocr"]["dpi"]
                    width, height = (side * 72 / dpi for side in picture.size)
                    frame = picture.convert("RGB")
                    frame.thumbnail((round(width * PAGE_DPI / 72), round(height * PAGE_DPI / 72)))
                    out[n] = _PageImage(width, height, _jpeg(frame))
    except Exception:  # a page image is a convenience; the review never fails for it
        return out
    return out


def _jpeg(image: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)  # type: ignore[attr-defined]
    return buffer.getvalue()


def _evidence(report: Report) -> tuple[str, dict[str, list[list[float]]]]:
    """The right column (pages with evidence, then the tagged text) and, per cell span, its page boxes as
    fractions of the page (for the script to draw)."""
    cells = report.extraction.cells.values()
    spans = {tuple(c.span) for c in cells if c.span}
    boxes = {s: _boxes(report.doc, *s) for s in spans} if report.doc.boxes else {}
    numbers = {b[0] for found in boxes.values() for b in found}
    file = Path(report.doc.source)
    images = _page_images(report.doc.kind, file, numbers) if numbers and file.is_file() else {}
    figures = "".join(
        f'<figure class="page" data-page="{n}" hidden><figcaption>page {n + 1}</figcaption>'
        f'<div class="sheet"><img alt="page {n + 1}" src="data:image/jpeg;base64,'
        f'{base64.b64encode(image.jpeg).decode()}"></div></figure>'
        for n, image in sorted(images.items())
    )
    fractions = {
        f"{s[0]}-{s[1]}": [
            [
                b[0],
                b[1] / images[b[0]].width,
                b[2] / images[b[0]].height,
                b[3] / images[b[0]].width,
                b[4] / images[b[0]].height,
            ]
            for b in found
            if b[0] in images
        ]
        for s, found in boxes.items()
    }
    text = _tagged_text(report.doc.text, report.spans, spans)
    column = (
        f'<div class="evidence"><p class="ev-note">Click a cell to see where its figure was read.</p>{figures}'
        f'<h3>Text</h3><pre class="text">{text}</pre></div>'
    )
    return column, {k: v for k, v in fractions.items() if v}


def _cells_csv(extraction: Extraction) -> str:
    """One row per cell: key, value (exactly as in the JSON), status, confidence, span."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["key", "value", "status", "confidence", "span_start", "span_end"])
    for key, cell in extraction.cells.items():
        start, end = cell.span or ("", "")
        writer.writerow(
            [key, "" if cell.value is None else cell.value, cell.status, cell.confidence, start, end]
        )
    return buffer.getvalue()


def _script_data(text: str) -> str:
    """Text safe inside a ``<script>`` element (JSON stays valid: ``<\\/`` is an escaped slash)."""
    return text.replace("</", "<\\/")


def report_section(extraction: Extraction, doc: Document, spans: list[Span]) -> str:
    """One report's ``<section>`` (see the module doc)."""
    report = Report(extraction, doc, spans)
    evidence, boxes = _evidence(report)
    left = "".join(block(report) for block in BLOCKS)
    stem = Path(extraction.source).stem or "report"
    return (
        f'<section class="report" data-name="{html.escape(stem)}">'
        f'<div class="columns"><div class="main">{left}</div>{evidence}</div>'
        f'<script type="application/json" class="extraction">{_script_data(extraction.model_dump_json(indent=2))}</script>'
        f'<script type="application/json" class="boxes">{json.dumps(boxes)}</script>'
        f'<script type="text/csv" class="cells-csv">{_script_data(_cells_csv(extraction))}</script>'
        "</section>"
    )


@cache
def _asset(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


def page(sections: Sequence[str], title: str, served: bool = False) -> str:
    """The whole page: the template with its style and script inlined (so a written page is self-contained);
    ``served`` shows the upload form (the service's ``/``)."""
    return (
        _asset("page.html")
        .replace("{{title}}", html.escape(title))
        .replace("{{served}}", "true" if served else "false")
        .replace("/*{{style}}*/", _asset("review.css"))
        .replace("/*{{script}}*/", _asset("review.js"))
        .replace("<!--{{reports}}-->", "".join(sections))
    )


def report_html(extraction: Extraction, doc: Document, spans: list[Span]) -> str:
    """A self-contained review page for one report (``extract --html``)."""
    title = extraction.title or Path(extraction.source).name
    return page([report_section(extraction, doc, spans)], title)
