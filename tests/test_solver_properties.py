"""Property tests of the post-processor: random consistent tables of both templates, rendered as text rows,
damaged (figures dropped, duplicated), must come back with exactly what the rules (and, where the layout
shows it, the position) determine, and nothing else.

The oracle is independent brute force: every way the damaged rows could be read, each lost figure filled by
its row total, kept when every rule holds; a cell is determined when all kept readings agree on it.
"""

from __future__ import annotations

import itertools

from govreport.inference.arithmetic import broken
from govreport.inference.pipeline import build_extraction
from govreport.inference.spans import Span
from govreport.inference.taggers.rules import RulesTagger
from govreport.inference.templates import Template, templates
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SEC3, SEC4, SEC5 = (
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
)
APPLICANTS = ("natural", "commercial", "research", "social", "legal", "other")
SUMMARY_ROWS = ("new", "carried_over", "total", "carried_forward")
small = st.integers(0, 3) | st.integers(0, 40)


@st.composite
def consistent_table(draw: st.DrawFn) -> tuple[Template, dict[str, int]]:
    t = templates()[draw(st.sampled_from(["2021", "2019"]))]
    cells: dict[str, int] = {}
    result_rows = [r.key for r in t.t3.rows if r.key not in SUMMARY_ROWS]
    for col in APPLICANTS:
        for row in result_rows:
            cells[f"t3.{row}.{col}"] = draw(small)
        total = sum(cells[f"t3.{row}.{col}"] for row in result_rows)
        cells[f"t3.total.{col}"] = total
        forward = draw(small)
        over = draw(st.integers(0, total + forward))
        cells[f"t3.carried_forward.{col}"] = forward
        cells[f"t3.carried_over.{col}"] = over
        cells[f"t3.new.{col}"] = total + forward - over
    for row in [r.key for r in t.t3.rows]:
        cells[f"t3.{row}.total"] = sum(cells[f"t3.{row}.{c}"] for c in APPLICANTS)
    for g in t.t4.rows:
        parts = [draw(small) for _ in range(4)]
        for c, v in zip(("upheld", "corrected", "other", "pending"), parts, strict=True):
            cells[f"t4.{g.key}.{c}"] = v
        cells[f"t4.{g.key}.total"] = sum(parts)
    assert not broken(t.rules, cells)
    return t, cells


@st.composite
def damaged_report(draw: st.DrawFn):
    t, cells = draw(consistent_table())
    layout = draw(st.sampled_from(["tabs", "lines"]))
    rows = [r.key for r in t.t3.rows]
    chosen = draw(st.lists(st.sampled_from(rows), min_size=1, max_size=3, unique=True))
    damage = {}
    for row in chosen:
        kind = draw(st.sampled_from(["drop", "shift"] if layout == "tabs" else ["drop", "duplicate"]))
        damage[row] = (kind, draw(st.integers(0, 6)))
    return t, cells, layout, damage


class Tagged:
    """Report text built piece by piece, with the spans a perfect tagger would give."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[Span] = []
        self.size = 0

    def put(self, piece: str, label: str | None = None) -> None:
        if label:
            self.spans.append(Span(self.size, self.size + len(piece), label))
        self.parts.append(piece)
        self.size += len(piece)

    def figures(self, values: list[int], sep: str) -> None:
        for i, v in enumerate(values):
            if i:
                self.put(sep)
            self.put(str(v), "NUM")

    def close(self, t: Template, cells: dict[str, int], sep: str) -> tuple[str, list[Span]]:
        """Section 4 with its table, section 5; then the text and its spans."""
        self.put(SEC4, "SEC")
        self.put(f"\n行政复议{sep}行政诉讼\n")
        self.figures([cells[key] for g in t.t4.rows for key in t.t4.cells(g.key)], sep)
        self.put("\n")
        self.put(SEC5, "SEC")
        self.put("\n无。\n")
        return "".join(self.parts), self.spans


def render(t: Template, cells: dict[str, int], layout: str, damage: dict) -> tuple[str, list[Span]]:
    """The report as text plus the spans a perfect tagger would give. In the tab layout a dropped figure
    leaves an empty field (the position shows) and a shifted row has an extra empty field; one cell per line,
    a lost figure leaves no trace."""
    doc = Tagged()
    put = doc.put
    put(SEC3, "SEC")
    put("\n")
    for row in t.t3.rows:
        figures: list[str | None] = [str(cells[k]) for k in t.t3.cells(row.key)]
        kind, at = damage.get(row.key, (None, 0))
        if kind == "drop":
            figures[at] = None
        elif kind == "duplicate":
            figures.insert(at, figures[at])
        elif kind == "shift":  # an empty field pushes the rest of the row one column to the right
            figures.insert(at, None)
        put(row.label.replace(" ", ""), "ROW")
        for fig in figures:
            if fig is None:
                if layout == "tabs":
                    put("\t")
                continue
            put("\t" if layout == "tabs" else "\n")
            put(fig, "NUM")
        put("\n")
    return doc.close(t, cells, "\t")


def oracle(t: Template, cells: dict[str, int], layout: str, damage: dict) -> dict[str, int | None]:
    """Determined value of every table 3/4 cell (None: the text and rules leave it open)."""
    options: dict[str, list[dict[str, int | None]]] = {}
    for row, (kind, at) in damage.items():
        if kind == "shift":  # every figure is still there, in order
            continue
        keys = t.t3.cells(row)
        true = [cells[k] for k in keys]
        readings = []
        if kind == "drop":
            shown = true[:at] + true[at + 1 :]
            gaps = [at] if layout == "tabs" else range(7)
            for gap in gaps:
                vals: list[int | None] = [*shown[:gap], None, *shown[gap:]]
                known = [v for i, v in enumerate(vals) if i != gap]
                lost = known[-1] - sum(known[:-1]) if gap != 6 else sum(known)
                vals[gap] = lost if lost >= 0 else None
                readings.append(dict(zip(keys, vals, strict=True)))
        else:
            shown = [*true[:at], true[at], *true[at:]]
            for skip in range(8):
                readings.append(dict(zip(keys, shown[:skip] + shown[skip + 1 :], strict=True)))
        options[row] = readings
    kept = []
    for combo in itertools.product(*options.values()):
        trial = dict(cells)
        for reading in combo:
            trial.update(reading)
        if all(v is not None for v in trial.values()) and not broken(t.rules, trial):
            kept.append(trial)
    keys = [k for k in cells]
    out = {k: kept[0][k] if kept and all(r[k] == kept[0][k] for r in kept) else None for k in keys}
    for row, (kind, at) in damage.items():
        keys = t.t3.cells(row)
        others = [cells[k] for i, k in enumerate(keys) if i != at]
        if kind == "drop" and layout == "tabs" and cells[keys[at]] == 0 and 0 not in others:
            out[keys[at]] = None  # an empty field in a row showing no zero reads as a zero left blank (null)
    return out


def _values(extraction) -> dict[str, int | None]:
    return {k: c.value for k, c in extraction.cells.items()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_report())
def test_recovers_exactly_what_the_rules_determine(case):
    t, cells, layout, damage = case
    text, spans = render(t, cells, layout, damage)
    out = build_extraction("synthetic", text, spans)
    assert out.format == t.id
    expected = oracle(t, cells, layout, damage)
    got = _values(out)
    assert {k: got.get(k) for k in expected} == expected
    for key, cell in out.cells.items():
        if cell.status == "inferred":
            assert cell.span is None and cell.value == cells[key]
    assert out.violations == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consistent_table(), st.sampled_from(["tabs", "lines"]))
def test_undamaged_tables_read_through_the_rules_tagger(table, layout):
    t, cells = table
    text, _ = render(t, cells, layout, {})
    out = build_extraction("synthetic", text, RulesTagger().tag(text))
    assert {k: c.value for k, c in out.cells.items() if c.value is not None} == cells
    assert all(c.status == "observed" for c in out.cells.values())


@st.composite
def text_layer_table(draw: st.DrawFn):
    """A consistent table as a PDF text layer prints it: each row's figures beside its label, on the line
    above (a vertically centred cell) or below; optionally a run of rows written column by column (labels
    first, then one line per column)."""
    t, cells = draw(consistent_table())
    rows = [r.key for r in t.t3.rows]
    places = draw(
        st.lists(st.sampled_from(["beside", "above", "below"]), min_size=len(rows), max_size=len(rows))
    )
    k = draw(st.integers(2, 5))
    first = draw(st.none() | st.integers(0, len(rows) - k))
    return t, cells, places, (first, k)


def render_text_layer(t: Template, cells: dict[str, int], places: list[str], block) -> tuple[str, list[Span]]:
    doc = Tagged()
    put = doc.put

    def put_figures(values: list[int]) -> None:
        doc.figures(values, "  ")

    first, k = block
    put(SEC3, "SEC")
    put("\n")
    rows = list(t.t3.rows)
    i = 0
    while i < len(rows):
        if i == first:
            block_rows = rows[i : i + k]
            for row in block_rows:
                put(row.label.replace(" ", ""), "ROW")
                put("\n")
            for col in range(len(t.t3.cols)):
                put_figures([cells[t.t3.cells(r.key)[col]] for r in block_rows])
                put("\n")
            i += k
            continue
        row, place = rows[i], places[i]
        values = [cells[key] for key in t.t3.cells(row.key)]
        if place == "above":
            put_figures(values)
            put("\n")
        put(row.label.replace(" ", ""), "ROW")
        put("    " if place == "beside" else "\n")
        if place != "above":
            put_figures(values)
            put("\n")
        i += 1
    return doc.close(t, cells, "  ")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_layer_table())
def test_text_layer_rows_come_back_whole(case):
    """Figures above, beside or below their labels, and rows written column by column, all land in their
    own rows: order, not proximity alone, says whose figures they are."""
    t, cells, places, block = case
    text, spans = render_text_layer(t, cells, places, block)
    out = build_extraction("synthetic", text, spans)
    assert {k: c.value for k, c in out.cells.items() if c.value is not None} == cells
    assert out.violations == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consistent_table(), st.integers(6, 40), st.sampled_from([None, 0]))
def test_a_long_run_of_figures_above_their_labels_is_not_read_one_row_off(table, k, first):
    """The last k rows (or all) print their figures on the line above their labels: each label keeps the
    run above it, however long the run of such rows (not each the figures below it, the first stray)."""
    t, cells = table
    n = len(t.t3.rows)
    k = min(k, n)
    text, spans = render_text_layer(t, cells, ["beside"] * (n - k) + ["above"] * k, (first, 2))
    out = build_extraction("synthetic", text, spans)
    assert {key: c.value for key, c in out.cells.items() if c.value is not None} == cells
