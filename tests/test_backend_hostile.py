"""The ML backend against careless and hostile clients (issue 16): every bad payload gets a 4xx with the
reason (never a 500 with a traceback), oversized bodies and tasks are refused, nothing that would break a
fine-tune is stored, and Ctrl-C during a fine-tune stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from datasets import load_from_disk
from fastapi.testclient import TestClient
from govreport.annotations.backend import ModelService, create_app
from govreport.annotations.pull import write_examples
from govreport.annotations.results import spans_to_results
from govreport.inference.readers.limits import overridden
from govreport.inference.spans import Span
from govreport.inference.taggers.rules import RulesTagger

from tests.conftest import ROOT

TEXT = "某县2021年政府信息公开工作年度报告\n一、总体情况\n行政许可\t12\t3\n"


def never_trains(*args: object, **kwargs: object) -> Path:
    raise AssertionError("no fine-tune in these tests")


def endless_training(config: Path, init_from: Path, annotations_dir: Path, output_dir: Path) -> Path:
    """A fine-tune that never ends by itself (it says where it runs first)."""
    Path(output_dir).mkdir(parents=True)
    (Path(output_dir) / "pid").write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(600)
    raise AssertionError("not stopped")


@pytest.fixture
def service(tmp_path: Path) -> ModelService:
    service = ModelService(
        tmp_path / "tagger", tmp_path / "work", tmp_path / "t.yaml", lambda _: RulesTagger(), never_trains
    )
    service.cfg = {**service.cfg, "train_actions": [], "max_body_bytes": 50_000}
    return service


@pytest.fixture
def http(service: ModelService) -> TestClient:
    return TestClient(create_app(service))


def _event(data: dict, result: list | None = None, tid: int = 1) -> dict:
    result = spans_to_results(TEXT, [Span(0, 2, "TITLE")]) if result is None else result
    return {
        "action": "ANNOTATION_CREATED",
        "task": {"id": tid, "data": data},
        "annotation": {"id": tid, "result": result},
    }


GOOD = {"doc": "r1", "text": TEXT, "format": "2021", "year": 2021}


@pytest.mark.parametrize(
    ("year", "accepted"),
    [
        (99999999999, False),
        (-1, False),
        ("abc", False),
        (2.5, False),
        (True, False),
        ("2021", True),
        (None, True),
    ],
)
def test_only_training_examples_reach_the_store(service, http, tmp_path, year, accepted):
    reply = http.post("/webhook", json=_event({**GOOD, "year": year}))
    store = tmp_path / "work" / "annotations.json"
    if not accepted:
        assert reply.status_code == 422 and "data.year" in reply.json()["detail"]
        assert not store.exists() and not service.examples
        return
    assert reply.status_code == 200 and reply.json()["stored"]
    rows = list(json.loads(store.read_text("utf-8")).values())
    dataset = load_from_disk(
        str(write_examples(rows, tmp_path / "data") / "dataset")
    )  # a fine-tune can build it
    assert dataset[0]["year"] == (2021 if year else 0)


BAD_PREDICT = [
    "not json",
    {"tasks": "x"},
    {"tasks": [{"id": 1}]},
    {"tasks": [{"data": "text"}]},
    {"tasks": [{"data": {"text": 5}}]},
    {"tasks": [{"data": {"text": ["a"]}}]},
    {"tasks": [{"id": {"a": 1}, "data": {"text": "x"}}]},
]
BAD_WEBHOOK = [
    {"task": {}},
    {"action": 5},
    _event(GOOD, result="x"),
    _event(GOOD, result=[{"value": []}]),
    _event(
        GOOD,
        result=[
            {"type": "labels", "from_name": "label", "value": {"start": "a", "end": 3, "labels": ["NUM"]}}
        ],
    ),
    _event(
        GOOD,
        result=[{"type": "labels", "from_name": "label", "value": {"start": 0, "end": 2, "labels": "NUM"}}],
    ),
    _event({**GOOD, "text": None}),
    {**_event(GOOD), "annotation": {"result": [], "was_cancelled": "maybe"}},
]


@pytest.mark.parametrize("body", BAD_PREDICT, ids=range(len(BAD_PREDICT)))
def test_bad_predict_payloads_get_422_with_the_reason(http, body):
    reply = http.post("/predict", **({"content": body} if isinstance(body, str) else {"json": body}))
    assert reply.status_code == 422 and reply.json()["detail"]


@pytest.mark.parametrize("body", BAD_WEBHOOK, ids=range(len(BAD_WEBHOOK)))
def test_bad_webhook_payloads_get_422_with_the_reason(service, http, body):
    reply = http.post("/webhook", json=body)
    assert reply.status_code == 422 and reply.json()["detail"]
    assert not service.examples


def test_oversized_bodies_are_refused_unread(http):
    big = {"tasks": [{"data": {"text": "政" * 30_000}}]}  # 90 KB of UTF-8 over a 50 KB limit
    reply = http.post("/predict", json=big)
    assert reply.status_code == 413 and "backend.max_body_bytes" in reply.json()["detail"]
    chunks = (b"x" * 10_000 for _ in range(10))  # no Content-Length: counted as it arrives
    assert http.post("/webhook", content=chunks).status_code == 413
    assert http.post("/predict", json={"tasks": [{"data": {"text": TEXT}}]}).status_code == 200


def test_oversized_tasks_are_refused(http, service):
    long_task = {"data": {**GOOD, "text": TEXT * 40}}
    with overridden(max_text_chars=1000):
        reply = http.post("/predict", json={"tasks": [long_task]})
        assert reply.status_code == 422 and "limits.max_text_chars" in json.dumps(reply.json())
        reply = http.post("/webhook", json={**_event(GOOD), "task": {"id": 1, **long_task}})
        assert reply.status_code == 422 and not service.examples


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ctrl_c_during_a_fine_tune_stops_it_cleanly(tmp_path):
    port, work = _free_port(), tmp_path / "work"
    script = textwrap.dedent(
        f"""
        import logging, uvicorn
        from pathlib import Path
        from govreport.annotations.backend import ModelService, ProcessTrainer, create_app
        from govreport.inference.taggers.rules import RulesTagger
        from tests.test_backend_hostile import endless_training
        logging.basicConfig(level=logging.INFO)
        service = ModelService(Path("tagger"), Path({str(work)!r}), Path("t.yaml"), lambda _: RulesTagger(),
                               ProcessTrainer(endless_training))
        uvicorn.run(create_app(service), host="127.0.0.1", port={port})
        """
    )
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert httpx.post(f"{url}/webhook", json=_event(GOOD)).json()["training"]
        pid_file = work / "round-1" / "train" / "pid"
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        trainer_pid = int(pid_file.read_text("utf-8"))
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C at the terminal: the whole process group
        code = server.wait(timeout=60)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    said = log.read_text("utf-8", errors="replace")
    assert code in (0, -signal.SIGINT, 130), said  # not -6: no abort inside torch
    assert "fine-tune stopped by shutdown" in said and "Traceback" not in said
    with pytest.raises(ProcessLookupError):
        os.kill(trainer_pid, 0)
    assert not (work / "round-1").exists()  # the unfinished round is gone; the store is kept
    assert json.loads((work / "annotations.json").read_text("utf-8"))
