"""The whole loop against a real Label Studio server: config → push with predictions → an annotator's
annotation through the API → pull → a small fine-tune in the ML backend, which Label Studio has
connected to (setup), sent the annotation webhook to, and asks for predictions."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import torch
import yaml
from datasets import load_from_disk
from govreport.annotations.backend import ModelService, create_app
from govreport.annotations.client import connect
from govreport.annotations.labelconfig import label_config
from govreport.annotations.pull import pull
from govreport.annotations.push import push
from govreport.annotations.rescore import rescore
from govreport.annotations.results import spans_to_results
from govreport.inference.spans import Span, bio_tags, bio_to_spans
from govreport.inference.taggers.model import ModelTagger
from govreport.models.modeling import new_model, save_model
from govreport.training.synth import build_dataset
from label_studio_sdk import LabelStudio

pytest_plugins = ["tests.conftest_labelstudio"]
pytestmark = [pytest.mark.slow, pytest.mark.labelstudio]


@pytest.fixture(scope="module")
def weak_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained tagger of the shipped architecture: the weakest starting point of active learning."""
    torch.manual_seed(0)
    model, tokenizer = new_model()
    return save_model(model, tokenizer, tmp_path_factory.mktemp("weak") / "weak-tagger")


def tiny_recipe(path: Path) -> Path:
    """A fine-tune recipe of a few steps: two synthetic reports mixed with the annotations."""
    recipe = {
        "seed": 3,
        "output_dir": "unused",
        "export_dir": "unused",
        "data": {"train": {"n": 2, "seed": 11}, "eval": {"n": 1, "seed": 12}},
        "windows": {"max_length": 512, "stride": 448},
        "args": {
            "max_steps": 3,
            "per_device_train_batch_size": 4,
            "per_device_eval_batch_size": 4,
            "learning_rate": 0.001,
            "logging_steps": 1,
            "eval_strategy": "no",
            "save_strategy": "no",
        },
        "cpu_threads": 1,
    }
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return path


def wait_for(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def test_active_learning_loop_with_a_real_server(
    label_studio, serve_asgi, weak_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.token)
    client: LabelStudio = connect(label_studio.url)
    pool = build_dataset(3, seed=21)
    reports = list(zip(pool["id"], pool["text"], strict=True))
    oracle = {
        d: bio_to_spans([bio_tags()[i] for i in tags])
        for d, tags in zip(pool["id"], pool["tags"], strict=True)
    }

    # push: the project is created with our config; one report's batch fails and is reported, a rerun adds it
    real_import = client.projects.import_tasks

    def flaky_import(pid: int, request: list, **kw: object) -> object:
        if any(t["data"]["doc"] == reports[0][0] for t in request):
            raise httpx.ConnectError("connection reset (injected)")
        return real_import(pid, request=request, **kw)

    monkeypatch.setattr(client.projects, "import_tasks", flaky_import)
    tagger = ModelTagger(weak_model)
    first = push(client, "e2e", reports, tagger, "govreport-model-weak", batch_size=1)
    assert sorted(first.imported) == sorted(d for d, _ in reports[1:]) and list(first.failed) == [
        reports[0][0]
    ]
    monkeypatch.setattr(client.projects, "import_tasks", real_import)
    again = push(client, "e2e", reports, tagger, "govreport-model-weak", batch_size=1)
    assert (again.imported, sorted(again.skipped)) == ([reports[0][0]], sorted(first.imported))
    pid = first.project
    assert client.projects.get(pid).label_config.strip() == label_config().strip()

    tasks = {t.data["doc"]: t for t in client.tasks.list(project=pid)}
    assert set(tasks) == {d for d, _ in reports}
    for t in tasks.values():
        assert {"al_score", "al_rank", "al_uncertainty", "al_broken_rules", "format", "year"} <= set(t.data)
        (pred,) = client.predictions.list(task=t.id)
        assert pred.model_version == "govreport-model-weak" and 0 <= pred.score <= 1
        assert pred.result and all(0 <= r["score"] <= 1 for r in pred.result)

    # the ML backend, connected the way Model settings does it: Label Studio calls /health and /setup
    service = ModelService(weak_model, tmp_path / "backend", tiny_recipe(tmp_path / "finetune.yaml"))
    with serve_asgi(create_app(service)) as backend_url:
        ml = client.ml.create(project=pid, url=backend_url, title="govreport", is_interactive=False)
        assert client.ml.get(ml.id).state == "CO", label_studio.log_tail()

        # an annotator submits the correct spans for one report, and a mislabelled region on another
        doc, bad_doc = reports[1][0], reports[2][0]
        good = spans_to_results(tasks[doc].data["text"], [Span(s.start, s.end, s.label) for s in oracle[doc]])
        client.annotations.create(id=tasks[doc].id, result=good, lead_time=42.0)
        wrong = spans_to_results(tasks[bad_doc].data["text"], [Span(0, 4, "HEADLINE")])
        client.annotations.create(id=tasks[bad_doc].id, result=wrong, lead_time=5.0)

        # pull: one training example, identical to the oracle; the bad task is rejected by name
        report = pull(client, "e2e", tmp_path / "pulled")
        assert (report.examples, report.unannotated) == (1, 1)
        assert [p.task_id for p in report.problems] == [tasks[bad_doc].id]
        assert "unknown label 'HEADLINE'" in str(report.problems[0])
        pulled = load_from_disk(str(tmp_path / "pulled" / "dataset"))
        assert pulled.features == pool.features
        assert pulled[0]["tags"] == pool[1]["tags"] and pulled[0]["id"] == doc

        # the webhook reached the backend and started the fine-tune; it ends with a new model version
        def finished() -> dict | None:
            h = httpx.get(f"{backend_url}/health").json()
            return h if h["model_version"].endswith("-r1") or h["last_error"] else None

        health = wait_for(finished, timeout=240, what="the backend's fine-tune")
        assert health["last_error"] is None and health["annotations"] == 1
        assert (tmp_path / "backend" / "round-1" / "train" / "model" / "config.json").is_file()

        # Label Studio asks the backend for predictions and stores them under the new version
        client.actions.create(
            id="retrieve_tasks_predictions", project=pid, selected_items={"all": True, "excluded": []}
        )
        versions = {p.model_version for t in tasks.values() for p in client.predictions.list(task=t.id)}
        assert versions == {"govreport-model-weak", "govreport-weak-tagger-r1"}, label_studio.log_tail()

    # rescore: the unannotated report gets the fine-tuned model's score and prediction
    tuned = ModelTagger(tmp_path / "backend" / "round-1" / "train" / "model")
    assert rescore(client, str(pid), tuned, "govreport-model-tuned") == 1
    (fresh,) = (t for t in client.tasks.list(project=pid) if t.data["doc"] == reports[0][0])
    assert fresh.data["al_rank"] == 0 and fresh.data["text"] == reports[0][1]
    assert "govreport-model-tuned" in {p.model_version for p in client.predictions.list(task=fresh.id)}


def test_cli_push_and_pull_never_print_the_key(
    label_studio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from govreport.cli import app

    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.token)
    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    pool = build_dataset(2, seed=31)
    for doc, text in zip(pool["id"], pool["text"], strict=True):
        (tmp_path / f"{doc}.txt").write_text(text, encoding="utf-8")
    runner = CliRunner()
    pushed = runner.invoke(app, ["annotate", "push", str(tmp_path), "--project", "cli", "--tagger", "rules"])
    assert pushed.exit_code == 0, pushed.output
    assert "2 imported" in pushed.output and "govreport-rules" in pushed.output
    client = connect(label_studio.url)
    (task, _) = client.tasks.list(project=int(pushed.output.split("project ")[1].split(":")[0]))
    client.annotations.create(id=task.id, result=spans_to_results(task.data["text"], [Span(0, 3, "TYPO")]))
    pulled = runner.invoke(
        app, ["annotate", "pull", "--project", "cli", "--out", str(tmp_path / "out"), "--strict"]
    )
    assert pulled.exit_code == 1 and "unknown label 'TYPO'" in pulled.output
    assert label_studio.token not in pushed.output + pulled.output


def test_real_pool_pushed_in_review_order_with_verified_regions(
    label_studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop on real text: pool reports (../shared/real_pool) tagged by the shipped model, ranked by the
    review score, pushed to the real server with the rule-verified regions of each prediction marked."""
    from govreport.annotations.results import VERIFIED
    from govreport.inference.taggers import DEFAULT_MODEL_DIR

    pool = Path(__file__).resolve().parents[2] / "shared" / "real_pool" / "docs"
    if not pool.is_dir():
        pytest.skip("../shared/real_pool is not beside the checkout")
    reports = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(pool.glob("*.txt"))[:8]]
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.token)
    client: LabelStudio = connect(label_studio.url)
    result = push(client, "real-pool", reports, ModelTagger(DEFAULT_MODEL_DIR), "govreport-shipped")
    assert sorted(result.imported) == sorted(d for d, _ in reports) and not result.failed
    (project,) = [p for p in client.projects.list() if p.title == "real-pool"]
    tasks = sorted(client.tasks.list(project=project.id, fields="all"), key=lambda t: t.data["al_rank"])
    assert [t.data["al_rank"] for t in tasks] == list(range(len(reports)))
    assert all("al_review" in t.data and "al_verified_share" in t.data for t in tasks)
    marked = 0
    for task in tasks:
        (pred,) = client.predictions.list(task=task.id)
        marked += sum(VERIFIED in (r.get("meta") or {}).get("text", []) for r in pred.result)
    assert marked > 0  # headings and tables the rules vouch for arrive marked for the annotator
    verified_share = [t.data["al_verified_share"] for t in tasks]
    assert any(v > 0 for v in verified_share)
