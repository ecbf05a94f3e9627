"""The annotation loop without a server: labelling config, span ↔ region conversion and its checks,
the training examples pull writes, selection and the ML backend's serve/fine-tune logic."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest
from datasets import load_from_disk
from fastapi.testclient import TestClient
from govreport.annotations.backend import ModelService, create_app
from govreport.annotations.labelconfig import label_config
from govreport.annotations.pull import (
    PullReport,
    chosen_annotation,
    example_features,
    examples,
    write_examples,
)
from govreport.annotations.results import AnnotationProblem, annotation_spans, spans_to_results, task_score
from govreport.annotations.selection import Analysis, analyse, rank, signals
from govreport.configs import load
from govreport.inference.schema import CellOut, Extraction, ViolationOut
from govreport.inference.spans import Span, bio_tags, label_names, spans_to_bio
from govreport.training.synth import build_dataset
from label_studio_sdk.label_interface import LabelInterface

TEXT = "某县2021年政府信息公开工作年度报告\n一、总体情况\n行政许可\t12\t3\n"


class RegexTagger:
    """A small real tagger over the Tagger protocol: figures are NUM, 一、… lines are SEC."""

    name = "regex"

    def tag(self, text: str) -> list[Span]:
        spans = [Span(m.start(), m.end(), "NUM", 0.6) for m in re.finditer(r"\d+", text)]
        spans += [
            Span(m.start(), m.end(), "SEC", 0.9) for m in re.finditer(r"^[一二三四五六]、\S+", text, re.M)
        ]
        return sorted(spans)

    def tag_batch(self, texts: list[str]) -> list[list[Span]]:
        return [self.tag(t) for t in texts]


def task(text: str, result: list[dict], tid: int = 7) -> dict:
    return {
        "id": tid,
        "data": {"doc": "r1", "text": text, "format": "2021", "year": 2021},
        "annotations": [{"id": 1, "result": result, "was_cancelled": False, "updated_at": "2026-01-01"}],
    }


def test_label_config_matches_the_tagger_labels() -> None:
    li = LabelInterface(label_config())
    control = li.get_control("label")
    assert control.labels == label_names()
    assert li.get_object("text").attr["granularity"] == "symbol"


def test_spans_round_trip_through_region_results() -> None:
    spans = RegexTagger().tag(TEXT)
    results = spans_to_results(TEXT, spans)
    assert [r["value"]["text"] for r in results] == [s.text(TEXT) for s in spans]
    assert annotation_spans(task(TEXT, results), results) == [Span(s.start, s.end, s.label) for s in spans]
    assert task_score(spans) == 0.6


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ({"start": 0, "end": 5, "labels": ["FOO"]}, "unknown label 'FOO'"),
        ({"start": 5, "end": 500, "labels": ["NUM"]}, "outside the text"),
        ({"start": 2, "end": 6, "text": "别的字", "labels": ["NUM"]}, "region text"),
        ({"start": 2, "end": 6, "labels": ["NUM", "ROW"]}, "exactly one label"),
    ],
)
def test_bad_regions_are_rejected_naming_the_task(region: dict, message: str) -> None:
    result = [{"id": "x", "from_name": "label", "to_name": "text", "type": "labels", "value": region}]
    with pytest.raises(AnnotationProblem, match=rf"task 7 \(r1\): region x: .*{message}"):
        annotation_spans(task(TEXT, result), result)


def test_overlapping_regions_are_rejected() -> None:
    result = spans_to_results(TEXT, [Span(0, 4, "TITLE"), Span(2, 6, "NUM")])
    with pytest.raises(AnnotationProblem, match="overlap"):
        annotation_spans(task(TEXT, result), result)


def test_pulled_examples_have_the_synthetic_corpus_features(tmp_path: Path) -> None:
    spans = RegexTagger().tag(TEXT)
    good = task(TEXT, spans_to_results(TEXT, spans))
    bad = task(TEXT, spans_to_results(TEXT, [Span(0, 3, "BOGUS")]), tid=8)
    unlabelled = {"id": 9, "data": {"doc": "r3", "text": TEXT}, "annotations": []}
    report = PullReport()
    rows = examples([good, bad, unlabelled], report)
    assert (report.examples, report.unannotated, [p.task_id for p in report.problems]) == (1, 1, [8])
    out = write_examples(rows, tmp_path, report.problems)
    ds = load_from_disk(str(out / "dataset"))
    assert ds.features == example_features() == build_dataset(1, 3).features
    assert [bio_tags()[i] for i in ds[0]["tags"]] == spans_to_bio(len(TEXT), spans)
    assert (ds[0]["format"], ds[0]["year"]) == ("2021", 2021)
    assert "BOGUS" in (out / "problems.jsonl").read_text(encoding="utf-8")


def test_the_latest_annotation_wins_unless_one_is_ground_truth() -> None:
    t = {
        "annotations": [
            {"id": 1, "updated_at": "2026-01-02", "result": []},
            {"id": 2, "updated_at": "2026-01-03", "result": []},
            {"id": 3, "updated_at": "2026-01-04", "was_cancelled": True},
        ]
    }
    assert chosen_annotation(t)["id"] == 2
    t["annotations"][0]["ground_truth"] = True
    assert chosen_annotation(t)["id"] == 1


def _extraction(conflicts: int, low: int, broken: int) -> Extraction:
    cells = {
        f"t3.c{i}": CellOut(value=1, status="conflict", span=None, confidence=0.9) for i in range(conflicts)
    }
    cells |= {f"t3.l{i}": CellOut(value=1, status="observed", span=None, confidence=0.2) for i in range(low)}
    cells["t3.m"] = CellOut(value=None, status="missing", span=None, confidence=0.0)
    # each broken rule involves a doubtful (low-confidence) cell when there is one, else a confident one
    cells["t3.sure"] = CellOut(value=5, status="observed", span=(0, 1), confidence=0.99)
    doubtful = ["t3.l0"] if low else []
    violations = [
        ViolationOut(rule=f"r{i}", lhs=1, rhs=2, cells=["t3.sure", *doubtful]) for i in range(broken)
    ]
    return Extraction(
        source="x",
        format="2021",
        title=None,
        year=2021,
        sections=[],
        cells=cells,
        violations=violations,
        garbled=[],
        warnings=[],
    )


def test_product_signals_count_doubtful_cells_and_broken_rules() -> None:
    a = Analysis("d", TEXT, [Span(0, 2, "NUM", 0.4)], _extraction(conflicts=2, low=3, broken=1))
    s = signals(a, load("annotate")["selection"])
    # the same broken rule over confidently read figures is the report's own error: no signal
    printed_error = Analysis("e", TEXT, [], _extraction(conflicts=0, low=0, broken=2))
    assert signals(printed_error, load("annotate")["selection"])["broken_rules"] == 0
    assert s == {
        "review": 0.0,  # the hand-made extraction carries no review
        "uncertainty": pytest.approx(0.6),
        "broken_rules": 1.0,
        "low_confidence": 3.0,
        "conflict": 2.0,
    }


def test_ranking_prefers_doubtful_reports_but_spreads_over_layouts() -> None:
    cfg = {**load("annotate")["selection"], "clusters": 2, "density_weight": 0}
    tabbed = "一、总体情况\n行政许可\t{n}\t{n}\t{n}\n行政处罚\t{n}\t0\n"
    prose = "本年度共办理依申请公开{n}件，全部按时答复。" * 3
    docs = [(f"tab{i}", tabbed.format(n=i)) for i in range(5)] + [("prose", prose.format(n=9))]
    analyses = analyse(docs, RegexTagger())
    for i, a in enumerate(analyses[:5]):  # tables: more and more broken rules
        a.extraction = _extraction(conflicts=0, low=1, broken=i + 1)
    analyses[5].extraction = _extraction(conflicts=0, low=0, broken=0)
    ranked = rank(analyses, cfg)
    assert [r.rank for r in ranked] == list(range(6))
    assert ranked[0].doc == "tab4"  # most broken rules, same uncertainty
    assert ranked[1].doc == "prose"  # the other cluster comes second despite its lower score
    assert [r.doc for r in ranked[2:]] == ["tab3", "tab2", "tab1", "tab0"]
    assert len({r.cluster for r in ranked[:2]}) == 2


def test_density_puts_typical_reports_before_an_uncertain_outlier() -> None:
    cfg = {**load("annotate")["selection"], "clusters": 1}
    typical = "一、总体情况\n行政许可\t{n}\t{n}\n行政处罚\t{n}\t0\n"
    docs = [(f"t{i}", typical.format(n=i)) for i in range(4)] + [("odd", "ＸＹＺ｜｜｜ａｂｃ 99 ｜｜ 77")]
    analyses = analyse(docs, RegexTagger())
    for a in analyses:
        a.extraction = _extraction(conflicts=1, low=1, broken=1)
    # only NUM spans: the outlier is the most uncertain report, first without density, last with it
    assert rank(analyses, {**cfg, "density_weight": 0})[0].doc == "odd"
    assert rank(analyses, cfg)[-1].doc == "odd"


class BlockingTrainer:
    """Fine-tune stand-in for the backend's threading: waits for a go, then 'exports' a model dir."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.calls: list[dict] = []

    def __call__(self, config: Path, init_from: Path, annotations_dir: Path, output_dir: Path) -> Path:
        rows = len(load_from_disk(str(annotations_dir / "dataset")))
        self.calls.append({"init_from": init_from, "rows": rows})
        assert self.go.wait(30)
        out = Path(output_dir) / "model"
        out.mkdir(parents=True)
        (out / "config.json").write_text("{}", encoding="utf-8")
        return out


def annotate_event(tid: int, spans: list[Span]) -> dict:
    result = spans_to_results(TEXT, spans)
    return {
        "action": "ANNOTATION_CREATED",
        "task": task(TEXT, result, tid),
        "annotation": {"id": tid, "result": result},
    }


def test_backend_serves_the_old_model_until_the_fine_tuned_one_is_ready(tmp_path: Path) -> None:
    loaded: list[Path] = []

    def load_tagger(path: Path) -> RegexTagger:
        loaded.append(path)
        return RegexTagger()

    trainer = BlockingTrainer()
    base, work = tmp_path / "tagger-v1", tmp_path / "work"
    service = ModelService(base, work, tmp_path / "train.yaml", load_tagger, trainer)
    http = TestClient(create_app(service))
    assert http.get("/health").json()["status"] == "UP"
    assert http.post("/setup", json={"project": "1.1"}).json() == {"model_version": "govreport-tagger-v1-r0"}
    tasks = [{"id": 1, "data": {"text": TEXT}}, {"id": 2, "data": {"text": "无数字"}}]
    pred = http.post("/predict", json={"tasks": tasks}).json()["results"]
    assert [len(p["result"]) for p in pred] == [len(RegexTagger().tag(TEXT)), 0]
    assert pred[0]["model_version"] == "govreport-tagger-v1-r0"

    rejected = http.post("/webhook", json=annotate_event(5, [Span(0, 2, "NOPE")]))
    assert rejected.status_code == 422 and "NOPE" in rejected.json()["detail"]
    reply = http.post("/webhook", json={"action": "PROJECT_UPDATED", "project": {"id": 1}}).json()
    assert reply == {"action": "PROJECT_UPDATED", "stored": False, "training": False}

    reply = http.post("/webhook", json=annotate_event(6, [Span(0, 4, "TITLE")])).json()
    assert reply["stored"] and reply["training"]
    # a second annotation during the fine-tune queues one more round
    assert http.post("/webhook", json=annotate_event(7, [Span(5, 7, "NUM")])).json()["training"]
    assert http.get("/health").json()["training"]
    assert http.post("/predict", json={"tasks": tasks}).json()["results"][0]["model_version"].endswith("-r0")
    trainer.go.set()
    deadline = time.monotonic() + 30
    while http.get("/health").json()["training"] and time.monotonic() < deadline:
        time.sleep(0.05)
    health = http.get("/health").json()
    assert (health["model_version"], health["annotations"], health["training"]) == (
        "govreport-tagger-v1-r2",
        2,
        False,
    )
    assert trainer.calls == [
        {"init_from": base, "rows": 1},
        {"init_from": work / "round-1" / "train" / "model", "rows": 2},
    ]
    assert loaded[-1] == work / "round-2" / "train" / "model"
    # a restarted backend serves its latest fine-tuned model and keeps the annotations it was sent
    again = ModelService(base, work, tmp_path / "train.yaml", load_tagger, trainer)
    assert (again.model_version, len(again.examples)) == ("govreport-tagger-v1-r2", 2)
    assert loaded[-1] == work / "round-2" / "train" / "model"


def test_select_command_ranks_a_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from govreport.cli import app

    pool = build_dataset(3, 41)
    for doc, text in zip(pool["id"], pool["text"], strict=True):
        (tmp_path / f"{doc}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "ranking.jsonl"
    res = CliRunner().invoke(
        app, ["annotate", "select", str(tmp_path), "--tagger", "rules", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["doc"] for r in rows) == sorted(pool["id"]) and [r["rank"] for r in rows] == [0, 1, 2]
    assert all(
        set(r["signals"]) == {"review", "uncertainty", "broken_rules", "low_confidence", "conflict"} for r in rows
    )


def test_config_command_prints_the_labelling_config() -> None:
    from typer.testing import CliRunner

    from govreport.cli import app

    res = CliRunner().invoke(app, ["annotate", "config"])
    assert res.exit_code == 0 and res.output.strip() == label_config()
