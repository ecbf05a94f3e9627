"""`govreport extract` on bad input: a clear per-file error or an honest empty result; the batch goes on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from govreport.inference.batch import write_atomic
from govreport.inference.schema import Extraction
from typer.testing import CliRunner

from govreport.cli import app
from tests.conftest import SEEDS

runner = CliRunner()


def _mixed_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "001_0126e23b7202ee31.txt", folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "novel.txt").write_text(
        "第一章\n春天来了，河边的柳树发出了新芽。村里的孩子们在田野里奔跑，老人坐在门口晒太阳。\n" * 20,
        encoding="utf-8",
    )
    return folder


def test_batch_survives_bad_files(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["extract", str(_mixed_folder(tmp_path)), "--out", str(out), "--tagger", "rules"]
    )
    assert result.exit_code == 1, result.output
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    failed = {e["file"].rsplit("/", 1)[-1]: e for e in errors}
    assert set(failed) == {"empty.txt", "binary.txt"}
    assert "empty" in failed["empty.txt"]["reason"]
    assert all(e["stage"] and e["reason"] for e in errors)
    good = Extraction.model_validate_json((out / "good.json").read_text(encoding="utf-8"))
    assert good.format == "2021" and len(good.cells) == 200
    novel = Extraction.model_validate_json((out / "novel.json").read_text(encoding="utf-8"))
    assert novel.cells == {} and novel.format is None
    assert any("not recognised" in w for w in novel.warnings)
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))


def test_all_good_exits_zero_and_writes_valid_json(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["extract", str(SEEDS / "000_95e8c7aec2b02128.txt"), "--out", str(out), "--tagger", "rules"]
    )
    assert result.exit_code == 0, result.output
    assert "JSON written to" in result.output
    data = json.loads((out / "000_95e8c7aec2b02128.json").read_text(encoding="utf-8"))
    assert set(data) == {
        "source",
        "format",
        "title",
        "year",
        "sections",
        "cells",
        "violations",
        "findings",
        "garbled",
        "warnings",
        "review",
    }
    assert set(data["review"]) == {"flag", "score", "reasons"}
    assert not (out / "errors.jsonl").exists()


def test_missing_input_is_an_error(tmp_path):
    result = runner.invoke(
        app, ["extract", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o"), "--tagger", "rules"]
    )
    assert result.exit_code == 1
    assert "no such file" in (tmp_path / "o" / "errors.jsonl").read_text(encoding="utf-8")


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "x.json"
    write_atomic(target, "old")

    with pytest.raises(TypeError):
        write_atomic(target, object())  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_schema_command_prints_the_published_contract():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert set(schema["required"]) >= {"source", "format", "cells", "violations", "garbled", "warnings"}
    published = Path(__file__).resolve().parents[1] / "inference" / "extraction.schema.json"
    assert json.loads(published.read_text(encoding="utf-8")) == schema, "run: govreport schema > " + str(
        published
    )


def test_resume_skips_only_outputs_of_the_same_tagger(tmp_path):
    from govreport.inference.batch import run_batch
    from govreport.inference.pipeline import Extractor
    from govreport.inference.taggers import get_tagger

    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SEEDS / "003_a00ed337f27469af.txt", src / "r.txt")
    out = tmp_path / "out"
    extractor = Extractor(get_tagger("rules"))
    first = run_batch([src / "r.txt"], out, extractor, signature="rules")
    assert len(first.done) == 1
    again = run_batch([src / "r.txt"], out, extractor, signature="rules")
    assert again.skipped == [src / "r.txt"] and not again.done
    other = run_batch([src / "r.txt"], out, extractor, signature="model:elsewhere")
    assert len(other.done) == 1 and not other.skipped


def test_a_title_printed_over_two_lines_is_joined():
    from govreport.inference.pipeline import build_extraction
    from govreport.inference.spans import Span

    text = "  宁安市延塘区人民政府\n  2023年度政府信息公开工作报告\n一、总体情况\n正文。"
    first, second = text.index("宁安"), text.index("2023")
    spans = [
        Span(first, text.index("\n"), "TITLE"),
        Span(second, text.index("\n", second), "TITLE"),
        Span(text.index("一、"), text.index("\n正文"), "SEC"),
    ]
    assert build_extraction("t", text, spans).title == "宁安市延塘区人民政府2023年度政府信息公开工作报告"
    spans[0] = Span(first, text.index("\n") - 2, "TITLE")  # a fragment still stands for its whole line
    assert build_extraction("t", text, spans).title == "宁安市延塘区人民政府2023年度政府信息公开工作报告"
    chrome = "当前位置：首页 > 年报\n  2023年度政府信息公开工作报告\n一、总体情况\n正文。"  # chrome is no first half
    at = chrome.index("2023")
    assert build_extraction("t", chrome, [Span(at, chrome.index("\n", at), "TITLE")]).title == (
        "2023年度政府信息公开工作报告")
