"""Cells a report prints empty: a row's fields say each figure's column (table 4's one line of fifteen
included), a zero the rules would derive for a printed blank stays blank (null, as the spec's gold has
it), and a figure lost from a row that prints its zeros is still derived."""

from __future__ import annotations

import json
import re

import pytest
from govreport.evaluation.metrics import score_document
from govreport.inference.figures import snap_numbers
from govreport.inference.pipeline import build_extraction, read_report
from govreport.inference.sections import find_sections
from govreport.inference.solver import Figure, RowReading, solve
from govreport.inference.tables import TableReading, read_tables
from govreport.inference.tables.layout import printed_blanks, row_fields
from govreport.inference.taggers import get_tagger
from govreport.training.synth.layouts import scan

RULES = get_tagger("rules")
SEED = 20261214


def _reading(text: str) -> TableReading:
    spans = snap_numbers(text, sorted(RULES.tag(text)))
    return read_tables(text, spans, find_sections(text, spans), 2021)


@pytest.fixture(scope="module")
def printed() -> list:
    """Generated reports as printed: zeros left blank in some, two without rulings (the scan yardstick's)."""
    return [scan.report(SEED, i, True if i % 4 == 3 else None) for i in range(8)]


def test_printed_reports_read_whole(printed: list) -> None:
    """Every cell of the generated printed reports, fed as text: blanks null, figures in their columns,
    table 4's row with blank fields included."""
    wrong = []
    for rep in printed:
        got = json.loads(build_extraction(rep.id, rep.text, RULES.tag(rep.text)).model_dump_json())
        s = score_document(rep.gold, got)
        wrong += [(rep.id[-3:], w["cell"], w["gold"], w["pred"]) for w in s["wrong_cells"]]
    assert len(wrong) <= 2, wrong


def test_zeros_derivable_for_printed_blanks_stay_blank(printed: list) -> None:
    """Without knowing the blanks, the rules derive zeros for cells the report printed empty (the test has
    something to catch); with them, no cell the gold calls blank is inferred."""
    derivable = 0
    for rep in printed:
        reading = _reading(rep.text)
        rows = [r for t in reading.present for r in reading.rows[t]]
        keys = reading.template.cell_keys(reading.optional_rows)
        universe = [k for t in reading.present for k in keys[t]]
        rules = reading.template.active_rules(reading.optional_rows)
        blind, _ = solve(rows, rules, universe)
        blank = printed_blanks(rep.text, rows)
        derivable += sum(blind[k].status == "inferred" and rep.gold["cells"].get(k, 0) is None for k in blank)
        ours = read_report(rep.id, rep.text, RULES.tag(rep.text))
        assert not [k for k, c in ours.extraction.cells.items()
                    if c.status == "inferred" and k in rep.gold["cells"] and rep.gold["cells"][k] is None]
        assert {k for k in blank if ours.extraction.cells[k].status == "missing"} <= ours.blank
    assert derivable > 0


def test_table_4_line_with_blank_fields_keeps_its_columns() -> None:
    """Table 4 printed as one line of fifteen fields, two of them blank: each figure in its own column."""
    base = scan.report(SEED, 0).text
    start = base.index("结果维持")
    line = "10\t1\t3\t\t14\t4\t1\t1\t1\t7\t23\t\t3\t8\t34"
    header = "\t".join(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3)
    end = base.index("\n", base.index("\n", start) + 1)
    text = base[:start] + header + "\n" + line + base[end:]
    cells = build_extraction("t4", text, RULES.tag(text)).cells
    want = dict(zip(["review", "suit_direct", "suit_after_review"], [[10, 1, 3, None, 14], [4, 1, 1, 1, 7],
                                                                     [23, None, 3, 8, 34]], strict=True))
    cols = ["upheld", "corrected", "other", "pending", "total"]
    got = {g: [cells[f"t4.{g}.{c}"].value for c in cols] for g in want}
    assert got == want


def test_a_figure_lost_from_a_row_printing_its_zeros_is_derived() -> None:
    """``0 0 0 0 0 0 _``: the row prints its zeros, so its empty total lost a figure and the rules give it;
    a non-zero the rules fix in a row that leaves zeros blank was lost too."""
    lines = ["三、收到和处理政府信息公开申请情况", "\t自然人\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t总计",
             "一、本年新收政府信息公开申请数量\t5\t\t\t\t\t\t5", "二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t"]
    text = "\n".join(lines) + "\n"
    reading = _reading(text)
    rows: list[RowReading] = reading.rows["t3"]
    assert [len(f) for f in row_fields(text, rows)] == [7, 7]
    blank = printed_blanks(text, rows)
    assert "t3.new.commercial" in blank and "t3.carried_over.total" not in blank


def test_a_closing_tab_is_no_blank_cell() -> None:
    """A table where a row with every figure ends in a tab: that tab closes each row, it is no eighth field; where full
    rows end in their total, the same row without it has its seven fields."""
    for closing in (True, False):
        end = "\t" if closing else ""
        text = f"一、本年新收数量\t5\t1\t0\t0\t0\t0\t6{end}\n二、上年结转数量\t1\t\t\t\t\t\t{end}\n"
        full = [Figure(int(m.group()), m.span()) for m in re.finditer(r"\d+", text[: text.index("\n")])]
        one = text.index("\t1", text.index("二")) + 1
        rows = [RowReading([f"a{j}" for j in range(7)], full), RowReading([f"b{j}" for j in range(7)], [Figure(1, (one, one + 1))])]
        assert [len(f) for f in row_fields(text, rows)] == [7, 7]
        assert printed_blanks(text, rows) == {f"b{j}" for j in range(1, 7)}


def test_empty_fields_of_a_label_over_several_columns_are_not_cells() -> None:
    """A ruled table read cell by cell writes a field per grid column: a label spanning the group columns
    leaves empty fields before the first cell (``一、…数量\t\t\t5\t0…``). A row's last n fields are its cells,
    so a row printed all blank is blank, not seven zeros."""
    head = "\t".join(["一、本年新收政府信息公开申请数量", "", "", "5", "0", "0", "0", "0", "0", "5"])
    blank = "二、上年结转政府信息公开申请数量" + "\t" * 9
    text = f"{head}\n{blank}\n"
    full = [Figure(int(m.group()), m.span()) for m in re.finditer(r"\d+", head)]
    rows = [RowReading([f"a{j}" for j in range(7)], full),
            RowReading([f"b{j}" for j in range(7)], [], label_end=text.index("\t", len(head) + 1))]
    assert [len(f) for f in row_fields(text, rows)] == [7, 7]
    assert printed_blanks(text, rows) == {f"b{j}" for j in range(7)}
