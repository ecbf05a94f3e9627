"""Narrative figures against the tables; one body's consecutive years; spam that stands for a word."""

from govreport.inference.checks import across_years, body_of, text_against_tables
from govreport.inference.garble import find_spam, stands_for
from govreport.inference.schema import CellOut, Extraction
from govreport.inference.spans import Span


def test_narrative_mismatch_is_a_warning_with_offset():
    text = "一、总体情况\n2021年，共收到政府信息公开申请7件，均已办结。\n"
    warns = text_against_tables(text, {"t3.new.total": 6, "t3.carried_over.total": 0})
    assert len(warns) == 1
    assert (
        f"offset {text.index('收到')}" in warns[0]
        and "says 7" in warns[0]
        and "共收到政府信息公开申请7件" in warns[0]
    )
    assert text_against_tables(text, {"t3.new.total": 6, "t3.carried_over.total": 1}) == []


def _report(source, title, year, cells):
    return Extraction(
        source=source,
        format="2021",
        title=title,
        year=year,
        sections=[],
        violations=[],
        garbled=[],
        warnings=[],
        cells={k: CellOut(value=v, status="observed", span=None, confidence=1.0) for k, v in cells.items()},
    )


def test_carried_over_against_last_year():
    a = _report("a", "某区人民政府2021年政府信息公开工作年度报告", 2021, {"t3.carried_forward.total": 3})
    b = _report("b", "某区人民政府 2022 年政府信息公开工作年度报告", 2022, {"t3.carried_over.total": 2})
    c = _report("c", "别区人民政府2022年政府信息公开工作年度报告", 2022, {"t3.carried_over.total": 9})
    assert body_of(a.title) == body_of(b.title) != body_of(c.title)
    warns = across_years([a, b, c])
    assert list(warns) == ["b"] and "= 2" in warns["b"][0] and "= 3" in warns["b"][0]


def test_spam_in_the_slot_of_a_word():
    text = (
        "根据《国务院办公厅球迷网印发要点的通知》和《省政府办公厅球迷网印发方案的通知》，球迷网进一步做好。"
    )
    found = find_spam(text)
    assert [text[s:e] for s, e in found] == ["球迷网"] * 3
    words = stands_for(text, [Span(s, e, "GARBLE") for s, e in found])
    assert set(words.values()) == {"关于"}


def test_a_single_odd_word_is_not_spam():
    text = "国务院办公厅关于印发要点的通知。市政府办公厅转发印发方案。"
    assert find_spam(text) == []
