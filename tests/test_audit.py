"""The audit's checks on one report (configs/checks.yaml): each with a report that passes and one that fails,
made by editing copies of the seeds; figures in every written form; the output contract."""

from __future__ import annotations

import re

import pytest
from govreport.inference.checks import checks
from govreport.inference.numerals import FIGURE, chinese_number, stated
from govreport.inference.pipeline import extract_text
from govreport.inference.schema import Extraction, FindingOut
from govreport.inference.taggers.rules import RulesTagger

from tests.conftest import SEEDS

RULES = RulesTagger()
HONGQI = "001_0126e23b7202ee31"  # 2021: t3 new 6, partial 4, unable 2; t4 复议 1 (维持), 复议后起诉 1 (尚未审结)
NANGANG = "003_a00ed337f27469af"  # t3 new 87, carried over 3; no table 4; fees 5736
WUYANG = "004_85f8403371cfae16"  # every table 4 figure 0
JIANSHAN = "000_95e8c7aec2b02128"  # breaks three balance rules in its own figures
SAY_HONGQI = "- (二)依申请公开。"  # where sentences are added to 001's section 1


def seed(name: str) -> str:
    return (SEEDS / f"{name}.txt").read_text(encoding="utf-8")


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def audit(text: str, source: str = "r.txt") -> Extraction:
    return extract_text(text, source, RULES)


def of(extraction: Extraction, check: str) -> list[FindingOut]:
    return [f for f in extraction.findings if f.check == check]


def saying(extraction: Extraction, check: str, words: str) -> FindingOut:
    """The one finding of ``check`` on the figure the words state."""
    found = [f for f in of(extraction, check) if any(o.name == "stated" and o.text and o.text in words for o in f.operands)]
    assert len(found) == 1, (check, words, [f.message for f in extraction.findings if f.check.startswith("text.")])
    return found[0]


# ------------------------------------------------------------------------------------------ numerals


@pytest.mark.parametrize(
    ("written", "value", "low", "high"),
    [
        ("17", 17, 17, 17),
        ("3,119", 3119, 3119, 3119),
        ("一百二十三", 123, 123, 123),
        ("十五", 15, 15, 15),
        ("两千零五", 2005, 2005, 2005),
        ("三万五千", 35000, 35000, 35000),
        ("5500余", 5500, 5500, 5599),
        ("二十多", 20, 20, 29),
        ("1.2万", 12000, 12000, 12000),
        ("1万余", 10000, 10000, 19999),
        ("近300", 300, 200, 400),
    ],
)
def test_written_figures(written: str, value: int, low: int, high: int) -> None:
    m = re.fullmatch(FIGURE, written)
    assert m is not None
    says = stated(m)
    assert (says.value, says.low, says.high) == (value, low, high)


def test_chinese_numerals_digit_by_digit_and_refusals() -> None:
    assert chinese_number("二〇二") == 202 and chinese_number("十") == 10 and chinese_number("一百零五") == 105
    with pytest.raises(ValueError):
        chinese_number("十a")


# ------------------------------------------------------------------------- narrative figures vs cells

NARRATIVE = [  # check, a sentence that agrees with 001's tables, one that does not
    ("text.t3.new", "本年新收政府信息公开申请6件", "本年新收政府信息公开申请七件"),
    ("text.t3.received", "共受理政府信息公开申请六件", "共受理政府信息公开申请9件"),
    ("text.t3.handled", "共办理依申请公开6件", "共办理依申请公开8件"),
    ("text.t3.carried_over", "上年结转申请0件", "上年结转申请2件"),
    ("text.t3.carried_forward", "结转下年度继续办理0件", "3件结转到下一年度办理"),
    ("text.t3.carried_forward", "无结转下年度办理的申请", "结转至下年度办理的申请1件"),
    ("text.t3.completed", "全年已办结6件", "全年已办结5件"),
    ("text.t3.granted", "予以公开0件", "予以公开3件"),
    ("text.t3.partial", "部分公开4件", "部分公开2件"),
    ("text.t3.denied", "不予公开0件", "不予公开1件"),
    ("text.t3.unable", "无法提供2件", "无法提供3件"),
    ("text.t3.refused", "不予处理0件", "不予处理1件"),
    ("text.t3.other", "其他处理0件", "其他处理2件"),
    ("text.t4.review.total", "因政府信息公开被申请行政复议1件", "因政府信息公开被申请行政复议2件"),
    ("text.t4.review.total", "因政府信息公开被申请行政复议一件", "未发生因政府信息公开引起的行政复议"),
    ("text.t4.review.upheld", "政府信息公开行政复议1件，其中结果维持1件", "政府信息公开行政复议1件，其中结果维持0件"),
    ("text.t4.review.corrected", "政府信息公开行政复议1件，结果纠正0件", "政府信息公开行政复议1件，结果纠正1件"),
    ("text.t4.review.other", "政府信息公开行政复议1件，其他结果0件", "政府信息公开行政复议1件，其他结果1件"),
    ("text.t4.review.pending", "政府信息公开行政复议1件，尚未审结0件", "政府信息公开行政复议1件，尚未审结1件"),
    ("text.t4.suits.total", "因政府信息公开被提起行政诉讼1件", "因政府信息公开被提起行政诉讼3件"),
    ("text.t4.suits.total", "因政府信息公开被提起行政诉讼1件", "未发生因政府信息公开引起的行政诉讼"),
    ("text.t4.suits.upheld", "政府信息公开行政诉讼1件，结果维持0件", "政府信息公开行政诉讼1件，结果维持1件"),
    ("text.t4.suits.corrected", "政府信息公开行政诉讼1件，结果纠正0件", "政府信息公开行政诉讼1件，结果纠正1件"),
    ("text.t4.suits.other", "政府信息公开行政诉讼1件，其他结果0件", "政府信息公开行政诉讼1件，其他结果1件"),
    ("text.t4.suits.pending", "政府信息公开行政诉讼1件，尚未审结1件", "政府信息公开行政诉讼1件，尚未审结0件"),
    ("text.t4.suit_direct.total", "政府信息公开行政诉讼中未经复议直接起诉0件", "政府信息公开行政诉讼中未经复议直接起诉1件"),
    ("text.t4.suit_after_review.total", "政府信息公开复议后起诉1件", "政府信息公开复议后起诉0件"),
    ("text.t4.corrected", "政府信息公开工作被纠错0件", "政府信息公开工作被纠错1件"),
    ("text.t4.corrected", "政府信息公开工作无被纠错", "政府信息公开工作被纠错2件"),
    ("text.t2.regulations.issued", "制发规章0件", "制发规章1件"),
    ("text.t2.normative.issued", "制发规范性文件5件", "制发规范性文件6件"),
    ("text.t2.normative.repealed", "废止规范性文件2件", "废止规范性文件3件"),
    ("text.t2.normative.in_force", "现行有效规范性文件51件", "现行有效规范性文件50件"),
    ("text.t2.licensing", "作出行政许可决定3,150件", "作出行政许可决定3,105件"),
    ("text.t2.penalty", "公开行政处罚决定65条", "公开行政处罚决定56条"),
    ("text.t2.coercion", "行政强制决定10件", "行政强制决定十一件"),
]


@pytest.mark.parametrize(("check", "agrees", "differs"), NARRATIVE)
def test_narrative_figure_against_its_cell(check: str, agrees: str, differs: str) -> None:
    for sentence, result in ((agrees, "pass"), (differs, "fail")):
        text = edit(seed(HONGQI), SAY_HONGQI, f"{SAY_HONGQI}{sentence}。")
        found = saying(audit(text), check, sentence)
        assert found.result == result, found.message
        assert found.severity == "warning"
        quote = found.evidence.text[0]
        assert sentence in quote.text and text[quote.span[0] : quote.span[1]] == quote.text
        assert found.evidence.cells


def test_the_issue_case_review_and_suits_in_the_text_against_table_4() -> None:
    """行政复议 134 in the text against 170 in table 4, 诉讼 57 against 77 (30 + 47): both fail; the figures the
    table holds pass."""
    table4 = "1\t0\t0\t0\t1\t0\t0\t0\t0\t0\t0\t0\t0\t1\t1\t"
    grown = edit(seed(HONGQI), table4, "100\t40\t20\t10\t170\t30\t10\t5\t2\t47\t20\t5\t3\t2\t30\t")
    for review, suits, result in ((134, 57, "fail"), (170, 77, "pass")):
        sentence = f"因政府信息公开被申请行政复议{review}件，被提起行政诉讼{suits}件"
        report = audit(edit(grown, SAY_HONGQI, f"{SAY_HONGQI}{sentence}。"))
        assert report.cells["t4.review.total"].value == 170 and not report.violations
        review_finding = saying(report, "text.t4.review.total", f"行政复议{review}件")
        suits_finding = saying(report, "text.t4.suits.total", f"行政诉讼{suits}件")
        assert (review_finding.result, suits_finding.result) == (result, result)
        assert {o.name: o.value for o in suits_finding.operands} == {
            "stated": suits, "t4.suit_direct.total": 47, "t4.suit_after_review.total": 30
        }


def test_every_match_in_the_section_is_checked() -> None:
    text = edit(seed(HONGQI), SAY_HONGQI, f"{SAY_HONGQI}上半年受理政府信息公开申请6件。全年受理政府信息公开申请7件。")
    found = of(audit(text), "text.t3.received")
    assert [f.result for f in found] == ["pass", "fail", "pass"]  # then 001's own 共收到…申请6件


def test_approximate_figures_allow_a_range() -> None:
    say = "（二）依申请公开情况。"
    for sentence, result in (("受理政府信息公开申请80余件", "pass"), ("受理政府信息公开申请70余件", "fail")):
        report = audit(edit(seed(NANGANG), say, f"{say}{sentence}。"))  # 87 new, 3 carried over
        assert saying(report, "text.t3.received", sentence).result == result


def test_zero_statements_pass_where_table_4_is_zero() -> None:
    say = "(一) 深入推进"
    text = edit(seed(WUYANG), say, f"全年未发生因政府信息公开引起的行政复议、行政诉讼。{say}")
    report = audit(text)
    assert [f.result for f in of(report, "text.t4.review.total")] == ["pass"]
    assert [f.result for f in of(report, "text.t4.suits.total")] == ["pass"]


@pytest.mark.parametrize(
    "sentence",
    [
        "全年办理行政复议案件120件",  # the body's own reconsideration work, not disclosure
        "严格执行法定答复期限15个工作日",
        "受理行政许可申请5000件",
        "有效降低行政复议、行政诉讼发生率和纠错率",
        "公开政策、规范性文件类信息66条",
    ],
)
def test_figures_that_are_not_the_tables_are_not_compared(sentence: str) -> None:
    plain = {f.id for f in audit(seed(HONGQI)).findings}
    report = audit(edit(seed(HONGQI), SAY_HONGQI, f"{SAY_HONGQI}{sentence}。"))
    assert [f.message for f in report.findings if f.id not in plain] == []


# -------------------------------------------------------------------------------------------- tables


def test_table_absent_with_its_heading_present() -> None:
    nangang = audit(seed(NANGANG))
    assert [f.result for f in of(nangang, "table.t4.present")] == ["fail"]
    assert "heading is present" in of(nangang, "table.t4.present")[0].message
    assert of(nangang, "table.t4.present")[0].evidence.text[0].text.startswith("四、")
    assert [f.result for f in of(audit(seed(HONGQI)), "table.t4.present")] == ["pass"]


def test_table_3_absent() -> None:
    text = seed(HONGQI)
    start, end = text.index("三、收到和处理政府信息公开申请情况"), text.index("四、政府信息公开行政复议")
    report = audit(text[:start] + text[end:])
    assert [f.result for f in of(report, "table.t3.present")] == ["fail"]
    assert "heading is absent too" in of(report, "table.t3.present")[0].message


def test_blank_and_placeholder_cells_are_counted() -> None:
    assert {f.result for f in of(audit(seed(HONGQI)), "table.blank_cells")} == {"pass"}
    row = "一、本年新收政府信息公开申请数量\t\t\t\t0\t0\t0\t0\t0\t6"
    report = audit(edit(seed(HONGQI), row, "一、本年新收政府信息公开申请数量\t\t\t\t/\t0\t0\t0\t0\t6"))
    t3 = next(f for f in of(report, "table.blank_cells") if f.operands[0].name.startswith("t3"))
    assert t3.result == "fail" and t3.severity == "info"
    assert {o.name: o.value for o in t3.operands}["t3 placeholder"] >= 1


def test_counts_must_be_whole_and_not_negative() -> None:
    assert [f.result for f in of(audit(seed(HONGQI)), "cells.counts")] == ["pass"]
    report = audit(edit(seed(HONGQI), "行政规范性文件\t5\t2\t51", "行政规范性文件\t5\t2\t51.5"))
    found = of(report, "cells.counts")[0]
    assert found.result == "fail" and found.evidence.cells == ["t2.normative.in_force"]


def test_each_table_rule_is_a_finding() -> None:
    broken = {f.check for f in audit(seed(JIANSHAN)).findings if f.check.startswith("rule.") and f.result == "fail"}
    assert broken == {"rule.t3.balance.natural", "rule.t3.balance.other", "rule.t3.balance.total"}
    hongqi = [f for f in audit(seed(HONGQI)).findings if f.check.startswith("rule.")]
    assert len(hongqi) == 42 and {f.result for f in hongqi} == {"pass"}


# ------------------------------------------------------------------------------------------ sections


def test_section_5_empty_or_only_none() -> None:
    assert [f.result for f in of(audit(seed(WUYANG)), "section.5.substance")] == ["pass"]
    text = seed(WUYANG)
    start = text.index("五、存在的主要问题及改进情况") + len("五、存在的主要问题及改进情况")
    end = text.index("六、其他需要报告的事项")
    for body in ("\n\n无。\n\n", "\n\n"):
        found = of(audit(text[:start] + body + text[end:]), "section.5.substance")
        assert [f.result for f in found] == ["fail"]


def test_fees_in_table_2_and_section_6() -> None:
    assert [f.result for f in of(audit(seed(NANGANG)), "section.6.fees")] == ["pass"]  # 5736 万元, 无收取信息费
    silent = audit(edit(seed(NANGANG), "本年度无收取信息费情况。", "无。"))
    assert [f.result for f in of(silent, "section.6.fees")] == ["fail"]
    assert [f.result for f in of(audit(seed(HONGQI)), "section.6.fees")] == ["pass"]  # no fees at all


# -------------------------------------------------------------------------------------------- output


def test_findings_in_the_output_contract() -> None:
    report = audit(seed(HONGQI))
    again = Extraction.model_validate_json(report.model_dump_json())
    assert again.findings == report.findings
    assert len({f.id for f in report.findings}) == len(report.findings)
    assert all(re.fullmatch(r"[0-9a-f]{16}", f.id) for f in report.findings)
    report_ids = {c["id"] for c in checks("report")}
    assert {f.check.split(".t", 1)[0] if f.check.startswith("rule.") else f.check for f in report.findings} <= report_ids | {"rule"}


def test_a_text_that_is_no_report_gets_no_findings() -> None:
    assert audit("春天来了，河边的柳树发出了新芽。\n" * 20).findings == []


def test_the_review_page_shows_the_findings() -> None:
    from govreport.inference.document import Document
    from govreport.inference.exports import report_html

    text = edit(seed(HONGQI), SAY_HONGQI, f"{SAY_HONGQI}共受理政府信息公开申请9件。")
    spans = RULES.tag(text)
    report = audit(text)
    page = report_html(report, Document(source="r.txt", text=text), spans)
    assert "Findings: 1 to look at" in page and "text.t3.received" in page and "共受理政府信息公开申请9件" in page
