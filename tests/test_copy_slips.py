"""What copies lose or garble and the post-processor still reads: a heading whose numeral is gone, a digit
copied as a letter (7l), and an empty field in a row that prints its zeros (a lost figure, not a blank)."""

from __future__ import annotations

from govreport.inference.figures import snap_numbers
from govreport.inference.pipeline import read_report
from govreport.inference.sections import bare_headings, find_sections
from govreport.inference.spans import Span
from govreport.inference.taggers import get_tagger
from govreport.training.synth.layouts import scan

RULES = get_tagger("rules")


def test_a_heading_that_lost_its_numeral_is_still_the_section() -> None:
    """``总体情况`` alone on its line names section 1; the same words inside a sentence, or a bare line for a
    section a numbered heading already gave, add nothing."""
    text = "某局2021年政府信息公开工作年度报告\n总体情况\n2021年，我局总体情况良好。\n二、主动公开政府信息情况\n规章\t0\n"
    assert [(s.id, s.heading) for s in find_sections(text, [])] == [(1, "总体情况"), (2, "二、主动公开政府信息情况")]
    assert [sid for sid, _ in bare_headings(text)] == [1]
    twice = "一、总体情况\n正文。\n总体情况\n正文。\n"
    assert [(s.id, s.start) for s in find_sections(twice, [])] == [(1, 0)]


def test_a_digit_copied_as_a_letter_is_read_as_the_digit() -> None:
    """``7l`` is 71 and ``1O`` is 10 (a copy or OCR slip), whichever part the tagger marked; a letter beside
    other Latin letters (ISO) is left alone."""
    text = "行政许可\t7l\t1O\tISO9001\n"
    spans = [Span(text.index("7"), text.index("7") + 1, "NUM", 1.0), Span(text.index("1O"), text.index("1O") + 1, "NUM", 1.0),
             Span(text.index("9001"), text.index("9001") + 4, "NUM", 1.0)]
    assert [s.text(text) for s in snap_numbers(text, spans)] == ["7l", "1O", "9001"]


def test_an_empty_field_in_a_row_printing_its_zeros_lost_its_figure() -> None:
    """A row that prints its zeros and shows one field empty lost that figure: it is no printed blank, and
    the rules give it back; in a row that leaves its zeros blank, the empty fields are blanks."""
    rep = scan.report(20261214, 2)
    row = next(line for line in rep.text.split("\n") if line.startswith("二、上年结转"))
    assert row.endswith("\t0\t0\t0\t0\t0\t0\t0")
    lost = rep.text.replace(row, row[: row.index("\t0")] + "\t0\t" + row[row.index("\t0") + 4 :], 1)
    ours, _, blank = read_report("t", lost, RULES.tag(lost))
    assert "t3.carried_over.commercial" not in blank
    assert ours.cells["t3.carried_over.commercial"].model_dump(include={"value", "status"}) == {
        "value": 0, "status": "inferred"}
    whole = read_report("t", rep.text, RULES.tag(rep.text))
    assert rep.gold["cells"]["t3.carried_forward.commercial"] is None
    assert "t3.carried_forward.commercial" in whole.blank
    assert whole.extraction.cells["t3.carried_forward.commercial"].status == "missing"
