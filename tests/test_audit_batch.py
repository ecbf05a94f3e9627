"""The audit across a batch: a body's consecutive years, parents and children, outliers; bodies named from
titles or a bodies file; the batch writing them into the outputs; the audit export and its command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from govreport.inference.audit_export import audit_csv, audit_html, audit_rows
from govreport.inference.batch import run_batch
from govreport.inference.checks_across import Bodies, batch_findings, body_name, refresh
from govreport.inference.exports import to_frame
from govreport.inference.pipeline import Extractor
from govreport.inference.schema import Extraction
from typer.testing import CliRunner

from govreport.cli import app
from tests.test_audit import HONGQI, RULES, audit, edit, seed

TITLE = "红旗区人民政府 2021 年政府信息公开工作年度报告"
CARRIED_OVER = "二、上年结转政府信息公开申请数量\t\t\t0\t0\t0\t0\t0\t0\t0"


@pytest.fixture(scope="module")
def hongqi() -> Extraction:
    """001 as extracted: t3 carried forward 0, t2 行政规范性文件 5 made, 2 repealed, 51 in force, new 6."""
    return audit(seed(HONGQI), "hongqi_2021.txt")


def copy_of(report: Extraction, source: str, title: str, year: int, values: dict[str, float | None]) -> Extraction:
    """A copy of ``report`` under another name, title and year, with the cells ``values`` set."""
    copy = report.model_copy(deep=True, update={"source": source, "title": title, "year": year})
    for key, value in values.items():
        copy.cells[key].value = value
    return copy


def year_later(report: Extraction, source: str, values: dict[str, float | None] | None = None) -> Extraction:
    """``report`` as its body's report of the next year."""
    return copy_of(report, source, TITLE.replace("2021", "2022"), (report.year or 0) + 1, values or {})


def results(found: dict[str, list], source: str, check: str) -> list[str]:
    return [f.result for f in found.get(source, []) if f.check == check]


def test_body_names_agree_across_a_bodys_titles() -> None:
    assert body_name("淮安市洪泽区人民政府2024 年政府信息公开工作年度报告") == "洪泽区"
    assert body_name("洪泽区人民政府2023 年政府信息公开工作年度报告") == "洪泽区"
    assert body_name("江苏省淮安市洪泽区人民政府2022年政府信息公开工作年度报告") == "洪泽区"
    assert body_name("淮安市人民政府2024 年政府信息公开工作年度报告") == "淮安市"
    assert body_name("淮安市市场监督管理局2024年政府信息公开工作年度报告") == "淮安市市场监督管理局"
    assert body_name("县政府办公室2021年政府信息公开工作年度报告") == "县政府办公室"
    assert body_name(None) is None


def test_carried_over_against_last_years_carried_forward(hongqi: Extraction) -> None:
    same = year_later(hongqi, "same.txt")
    moved = year_later(hongqi, "moved.txt", {"t3.carried_over.total": 2, "t3.carried_over.natural": 2})
    found = batch_findings([hongqi, same])
    assert set(results(found, "same.txt", "years.carried_over")) == {"pass"}
    assert "hongqi_2021.txt" not in found  # the first year has nothing before it
    found = batch_findings([hongqi, moved])
    assert results(found, "moved.txt", "years.carried_over").count("fail") == 2
    failed = [f for f in found["moved.txt"] if f.result == "fail" and f.check == "years.carried_over"]
    last = [o for f in failed for o in f.operands if o.source]
    assert {o.source for o in last} == {"hongqi_2021.txt"} and {o.value for o in last} == {0}


def test_documents_in_force_follow_from_last_year(hongqi: Extraction) -> None:
    # 51 in force last year; 5 made and 2 repealed this year → 54
    right = year_later(hongqi, "right.txt", {"t2.normative.in_force": 54})
    wrong = year_later(hongqi, "wrong.txt", {"t2.normative.in_force": 60})
    found = batch_findings([hongqi, right, wrong], Bodies(aliases={"wrong.txt": "其他区"}))
    normative = [f for f in found["right.txt"] if f.check == "years.in_force" and "t2.normative.in_force" in f.evidence.cells]
    assert [f.result for f in normative] == ["pass"]
    found = batch_findings([hongqi, wrong])
    normative = [f for f in found["wrong.txt"] if f.check == "years.in_force" and "t2.normative.in_force" in f.evidence.cells]
    assert [f.result for f in normative] == ["fail"] and "= 60" in normative[0].message and "= 54" in normative[0].message


def test_missing_cell_is_uncertain(hongqi: Extraction) -> None:
    gap = year_later(hongqi, "gap.txt", {"t3.carried_over.total": None})
    assert "uncertain" in results(batch_findings([hongqi, gap]), "gap.txt", "years.carried_over")


def test_outliers_against_last_year(hongqi: Extraction) -> None:
    calm = year_later(hongqi, "calm.txt", {"t3.new.total": 12})
    wild = year_later(hongqi, "wild.txt", {"t3.new.total": 300})  # 50 × 6
    for report, result in ((calm, "pass"), (wild, "fail")):
        found = batch_findings([hongqi, report])[report.source]
        new = [f for f in found if f.check == "years.outlier" and f.evidence.cells == ["t3.new.total"]]
        assert [f.result for f in new] == [result] and new[0].severity == "info"


def test_parent_against_the_sum_of_its_children(hongqi: Extraction) -> None:
    def body(source: str, name: str, new: int) -> Extraction:
        return copy_of(hongqi, source, f"{name}2021年政府信息公开工作年度报告", 2021, {"t3.new.total": new})

    city, east, west = body("city.txt", "淮安市人民政府", 10), body("east.txt", "淮安市洪泽区人民政府", 6), body("west.txt", "淮安市清江浦区人民政府", 4)
    bigger = body("city2.txt", "淮安市人民政府", 11)
    hierarchy = Bodies(parents={"洪泽区": "淮安市", "清江浦区": "淮安市"})

    def new_total(reports: list[Extraction], source: str, bodies: Bodies | None = hierarchy) -> list:
        return [f for f in batch_findings(reports, bodies).get(source, []) if f.evidence.cells == ["t3.new.total"]]

    assert [(f.check, f.result, f.severity) for f in new_total([city, east, west], "city.txt")] == [
        ("bodies.children_sum", "pass", "info")
    ]
    assert [f.result for f in new_total([bigger, east, west], "city2.txt")] == ["fail"]
    missing = new_total([city, east], "city.txt")
    assert [f.result for f in missing] == ["uncertain"] and any("清江浦区" in (o.text or "") for o in missing[0].operands)
    assert new_total([city, east, west], "city.txt", None) == []  # no hierarchy given, no such check


def test_bodies_file(tmp_path: Path) -> None:
    path = tmp_path / "bodies.yaml"
    path.write_text("bodies:\n  a.txt: 江苏省淮安市洪泽区人民政府\nparents:\n  淮安市洪泽区人民政府: 淮安市人民政府\n", encoding="utf-8")
    bodies = Bodies.read(path)
    assert bodies.aliases == {"a.txt": "洪泽区"} and bodies.parents == {"洪泽区": "淮安市"}
    path.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bodies\.yaml"):
        Bodies.read(path)


def test_refresh_replaces_batch_findings_and_keeps_the_rest(hongqi: Extraction) -> None:
    later = year_later(hongqi, "later.txt")
    mine = len(later.findings)
    assert refresh([hongqi, later]) == [later]
    added = len(later.findings) - mine
    assert added > 0 and refresh([hongqi, later]) == []  # nothing new the second time
    assert len(later.findings) == mine + added


def _two_years(folder: Path) -> None:
    folder.mkdir()
    text = seed(HONGQI)
    (folder / "hq2021.txt").write_text(text, encoding="utf-8")
    later = edit(edit(text, TITLE, TITLE.replace("2021", "2022")), CARRIED_OVER, CARRIED_OVER.replace("\t0\t0\t0\t0\t0\t0\t0", "\t1\t0\t0\t0\t0\t0\t1"))
    (folder / "hq2022.txt").write_text(later, encoding="utf-8")


def test_the_batch_writes_cross_year_findings_into_the_outputs(tmp_path: Path) -> None:
    _two_years(tmp_path / "in")
    files = sorted((tmp_path / "in").iterdir())
    out = tmp_path / "out"
    run_batch(files, out, Extractor(RULES), signature="rules")

    def carried(name: str) -> list[tuple[str, str]]:
        report = Extraction.model_validate_json((out / name).read_text(encoding="utf-8"))
        return [(f.id, f.result) for f in report.findings if f.check == "years.carried_over"]

    first = carried("hq2022.json")
    assert [r for _, r in first].count("fail") == 2 and carried("hq2021.json") == []
    again = run_batch(files, out, Extractor(RULES), signature="rules")  # both kept: findings stay, once
    assert len(again.skipped) == 2 and carried("hq2022.json") == first


def test_audit_rows_group_by_body_and_year_fails_first(hongqi: Extraction) -> None:
    later = year_later(hongqi, "later.txt", {"t3.carried_over.total": 3})
    refresh([hongqi, later])
    rows = audit_rows([later, hongqi])
    assert [r["year"] for r in rows] == sorted(r["year"] for r in rows)
    first_of_2022 = next(r for r in rows if r["year"] == "2022")
    assert first_of_2022["result"] == "fail" and first_of_2022["body"] == "红旗区"
    parsed = list(csv.DictReader(io.StringIO(audit_csv(rows))))
    assert len(parsed) == len(hongqi.findings) + len(later.findings) and parsed[0]["id"]
    page = audit_html(rows, hongqi.findings + later.findings, "audit")
    assert page.count("<tr class=") == len(rows) and "years.carried_over" in page and "Fails by check" in page


def test_extract_writes_the_audit(tmp_path: Path) -> None:
    _two_years(tmp_path / "in")
    bodies = tmp_path / "bodies.yaml"
    bodies.write_text("bodies:\n  hq2021.txt: 红旗区\n", encoding="utf-8")
    page, table, per_report = tmp_path / "audit.html", tmp_path / "audit.csv", tmp_path / "reports.csv"
    result = CliRunner().invoke(
        app,
        ["extract", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--tagger", "rules", "--audit", str(page),
         "--audit-csv", str(table), "--csv", str(per_report), "--bodies", str(bodies)],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert {r["report"] for r in rows} == {"hq2021.txt", "hq2022.txt"}
    assert sum(r["check"] == "years.carried_over" and r["result"] == "fail" for r in rows) == 2
    assert "<table class=\"findings\">" in page.read_text(encoding="utf-8")
    frame = list(csv.DictReader(per_report.open(encoding="utf-8")))
    later = next(r for r in frame if r["source"].endswith("hq2022.txt"))
    assert int(later["findings_fail"]) >= 2 and "years.carried_over" in later["failed_checks"]
    bodies.write_text("[1, 2]", encoding="utf-8")
    bad = CliRunner().invoke(app, ["extract", str(tmp_path / "in"), "--out", str(tmp_path / "o2"), "--bodies", str(bodies)])
    assert bad.exit_code == 1 and "--bodies" in bad.output


def test_per_report_table_counts_findings(hongqi: Extraction) -> None:
    frame = to_frame([hongqi])
    assert frame.loc[0, "findings_fail"] == 0 and frame.loc[0, "failed_checks"] == ""
    assert json.loads(hongqi.model_dump_json())["findings"]
