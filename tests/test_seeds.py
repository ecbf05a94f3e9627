"""The five real seed reports through `govreport extract` (rules baseline) and `govreport evaluate`."""

from __future__ import annotations

import json
import shutil

import pytest
from govreport.evaluation.metrics import evaluate_dirs
from typer.testing import CliRunner

from govreport.cli import app
from tests.conftest import DEV_GOLD, SEEDS

runner = CliRunner()


@pytest.fixture(scope="module")
def extracted(tmp_path_factory, seed_names):
    out = tmp_path_factory.mktemp("pred")
    result = runner.invoke(app, ["extract", str(SEEDS), "--out", str(out), "--tagger", "rules"])
    assert result.exit_code == 0, result.output
    gold = tmp_path_factory.mktemp("gold")
    for name in seed_names:
        shutil.copy(DEV_GOLD / f"{name}.json", gold / f"{name}.json")
    return gold, out


def test_every_seed_has_an_output(extracted, seed_names):
    _, out = extracted
    assert sorted(p.stem for p in out.glob("*.json")) == seed_names


def test_cell_f1_and_violations(extracted):
    gold, out = extracted
    scores = evaluate_dirs(gold, out)
    assert scores["cells"]["f1"] >= 0.97
    for doc in scores["per_document"]:
        assert doc["violations_missed"] == [] and doc["violations_extra"] == [], doc["doc"]
    assert scores["inferred_recall"] == 1.0
    assert scores["template_accuracy"] == 1.0
    assert scores["sections"]["f1"] == 1.0


def test_inferred_cells_are_marked(extracted, seed_names):
    gold_dir, out = extracted
    for name in seed_names:
        gold = json.loads((gold_dir / f"{name}.json").read_text(encoding="utf-8"))
        pred = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        for key in gold["inferred"]:
            row = key.rsplit(".", 1)[0]
            marked = [
                k
                for k, c in pred["cells"].items()
                if c["status"] == "inferred" and k.rsplit(".", 1)[0] == row
            ]
            assert marked, f"{name}: no inferred cell in the row of {key}"
            assert all(pred["cells"][k]["value"] == gold["cells"][k] for k in marked)
            assert all(pred["cells"][k]["span"] is None for k in marked)


def test_observed_spans_point_at_the_figure(extracted, seed_names):
    _, out = extracted
    for name in seed_names:
        text = (SEEDS / f"{name}.txt").read_text(encoding="utf-8")
        pred = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        for key, cell in pred["cells"].items():
            if cell["status"] == "observed" and cell["value"] is not None:
                start, end = cell["span"]
                assert float(text[start:end].replace(",", "")) == cell["value"], (name, key)


def test_spam_word_is_resolved(extracted):
    _, out = extracted
    pred = json.loads((out / "002_b6ebaffc46ffe707.json").read_text(encoding="utf-8"))
    spam = [g for g in pred["garbled"] if g["text"] == "球迷网"]
    assert spam, "the spam in the report is not reported"
    assert {g["stands_for"] for g in spam} == {"关于"}


def test_evaluate_command_prints_and_writes_json(extracted, tmp_path):
    gold, out = extracted
    target = tmp_path / "scores.json"
    result = runner.invoke(app, ["evaluate", "--gold", str(gold), "--pred", str(out), "--json", str(target)])
    assert result.exit_code == 0, result.output
    assert "cell F1" in result.output
    assert json.loads(target.read_text(encoding="utf-8"))["documents"] == 5


@pytest.mark.parametrize("tagger", ["rules", "model"])
def test_traditional_copies_read_like_the_originals(tmp_path, seed_names, tagger):
    """A seed converted to Traditional script (OpenCC s2t, as mirror sites print them) gives the same
    cells and sections: Traditional characters are read as their Simplified forms, offsets unchanged."""
    import opencc
    from govreport.inference.normalize import to_simplified

    convert = opencc.OpenCC("s2t").convert
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in seed_names:
        text = (SEEDS / f"{name}.txt").read_text(encoding="utf-8")
        traditional = convert(text)
        assert traditional != text and len(to_simplified(traditional)) == len(traditional)
        (inputs / f"{name}.txt").write_text(traditional, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["extract", str(inputs), "--out", str(out), "--tagger", tagger])
    assert result.exit_code == 0, result.output
    scores = evaluate_dirs(DEV_GOLD, out, seed_names)
    assert scores["cells"]["f1"] >= 0.97
    assert scores["sections"]["f1"] >= 0.9
    for name in seed_names:
        pred = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        text = (inputs / f"{name}.txt").read_text(encoding="utf-8")
        for section in pred["sections"]:  # headings are quoted from the text as printed
            assert text[section["start"] : section["end"]] == section["heading"]


def test_simplified_text_is_left_alone():
    from govreport.inference.normalize import to_simplified

    text = "关于印发2023年政务公开工作要点的通知\t於 乾 著 後"  # 於 乾 著 後 are GB2312 characters too
    assert to_simplified(text) == text
    assert to_simplified("資訊公開年度報告") == "资讯公开年度报告"
