"""An ML backend speaking Label Studio's protocol, so the project's Model settings can connect to it.

``GET /health`` and ``POST /setup`` (Label Studio checks the connection and reads ``model_version``),
``POST /predict`` (batched tasks → scored span predictions), ``POST /webhook`` (annotation created or
updated, or START_TRAINING → fine-tune in the background). Annotations arrive with the webhook
payload (task data included), are validated like ``pull`` does and kept in the work dir, so no API
key is needed here. The old model keeps serving until the fine-tuned one is loaded; then the model
version is bumped.

Nothing a client sends can break the service: bodies over ``backend.max_body_bytes`` get 413, every
payload is validated (422 with the reason, never a 500), a task's text is held to the tagger's
``limits.max_text_chars``, and only annotations that make valid training examples are stored. The
fine-tune runs in a child process, so a shutdown (Ctrl-C) stops it cleanly instead of aborting inside
torch; the unfinished round is removed and the served model is untouched.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from govreport.annotations.pull import example, write_examples
from govreport.annotations.results import AnnotationProblem, prediction
from govreport.configs import load
from govreport.inference.batch import write_atomic
from govreport.inference.readers.limits import limit
from govreport.inference.taggers.base import Tagger
from pydantic import BaseModel, ConfigDict, StrictInt, field_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

TaggerLoader = Callable[[Path], Tagger]
Trainer = Callable[..., Path]  # training.train.train's signature


def _load_model_tagger(model_dir: Path) -> Tagger:
    from govreport.inference.taggers.model import ModelTagger

    return ModelTagger(model_dir)


def _train(*args: Any, **kwargs: Any) -> Path:
    from govreport.training.train import train

    return train(*args, **kwargs)


def _train_child(conn: Connection, target: Trainer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """The fine-tune process: Ctrl-C at the terminal is the server's to handle (it stops this process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        conn.send(("done", str(target(*args, **kwargs))))
    except Exception as err:
        conn.send(("failed", f"{type(err).__name__}: {err}"))


class ProcessTrainer:
    """A trainer run in a child process (``target`` is picklable: by default training.train.train), so the
    server can stop it at once and cleanly; torch never runs in the server process."""

    def __init__(self, target: Trainer = _train) -> None:
        self.target = target
        self._process: BaseProcess | None = None
        self._stopped = False
        self._lock = threading.Lock()  # a stop never slips between the check and the start

    def __call__(self, *args: Any, **kwargs: Any) -> Path:
        context = get_context("spawn")
        parent, child = context.Pipe(duplex=False)
        with self._lock:
            if self._stopped:
                raise RuntimeError("stopped by shutdown")
            self._process = context.Process(target=_train_child, args=(child, self.target, args, kwargs))
            self._process.start()
        child.close()
        try:
            status, detail = parent.recv()
        except EOFError:
            status, detail = "failed", f"the fine-tune process ended with exit code {self._process.exitcode}"
        finally:
            self._process.join()
            parent.close()
        if status != "done":
            raise RuntimeError("stopped by shutdown" if self._stopped else detail)
        return Path(detail)

    def stop(self, timeout: float = 10.0) -> None:
        """End the running fine-tune (and any later one): terminated, killed if it does not go."""
        with self._lock:
            self._stopped = True
            process = self._process
        if process is not None and process.is_alive():
            process.terminate()
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join()


def _round_of(config_json: Path) -> int:
    """N of ``round-N/train/model/config.json``."""
    return int(config_json.parents[2].name.removeprefix("round-"))


class Task(BaseModel):
    """A Label Studio task as the backend reads it: the report text under the labelling config's text
    name, no longer than the tagger takes."""

    model_config = ConfigDict(extra="allow")
    id: StrictInt | str | None = None
    data: dict[str, Any]

    @field_validator("data")
    @classmethod
    def _report_text(cls, data: dict[str, Any]) -> dict[str, Any]:
        key = load("annotate")["labelling"]["text_name"]
        text = data.get(key)
        if not isinstance(text, str):
            raise ValueError(f"data.{key} must be the report text (a string)")
        most = limit("max_text_chars")
        if len(text) > most:
            raise ValueError(
                f"data.{key} holds {len(text):,} characters, more than limits.max_text_chars ({most:,})"
            )
        return data


class Region(BaseModel):
    model_config = ConfigDict(extra="allow")
    value: dict[str, Any] = {}


class Annotation(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: StrictInt | str | None = None
    result: list[Region] = []
    was_cancelled: bool = False


class PredictRequest(BaseModel):
    tasks: list[Task]
    project: str | None = None
    label_config: str | None = None
    params: dict[str, Any] | None = None


class WebhookEvent(BaseModel):
    """Label Studio sends every project event here; payload shapes differ by action (lists on bulk ones).
    A single task or annotation is validated in full."""

    action: str
    task: Task | list[Any] | None = None
    annotation: Annotation | list[Any] | None = None
    project: Any = None


class ModelService:
    """The served tagger, its version, the annotations received and the background fine-tune."""

    def __init__(
        self,
        model_dir: str | Path,
        work_dir: str | Path,
        train_config: str | Path,
        load_tagger: TaggerLoader = _load_model_tagger,
        trainer: Trainer | None = None,
    ) -> None:
        self.cfg = load("annotate")["backend"]
        self.model_dir = Path(model_dir)
        self.base_name = self.model_dir.name
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.train_config = Path(train_config)
        self.load_tagger, self.trainer = load_tagger, trainer or ProcessTrainer()
        self.round = 0
        for done in sorted(self.work_dir.glob("round-*/train/model/config.json"), key=_round_of):
            # a restarted backend serves its latest fine-tuned model again
            self.round, self.model_dir = _round_of(done), done.parent
        self.tagger = load_tagger(self.model_dir)
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._running = False  # a fine-tune thread is on (set and cleared under the lock)
        self._again = False
        self._closing = False
        self._thread: threading.Thread | None = None
        self.store = self.work_dir / "annotations.json"
        self.examples: dict[str, dict[str, Any]] = (
            json.loads(self.store.read_text(encoding="utf-8")) if self.store.is_file() else {}
        )

    @property
    def model_version(self) -> str:
        return f"govreport-{self.base_name}-r{self.round}"

    @property
    def training(self) -> bool:
        return self._running

    def predict(self, tasks: list[Task]) -> list[dict[str, Any]]:
        """One prediction per task, all from the same model (a swap may happen meanwhile)."""
        with self._lock:
            tagger, version = self.tagger, self.model_version
        key = load("annotate")["labelling"]["text_name"]
        texts = [t.data[key] for t in tasks]
        return [
            prediction(text, spans, version)
            for text, spans in zip(texts, tagger.tag_batch(texts), strict=True)
        ]

    def receive(self, event: WebhookEvent) -> dict[str, Any]:
        """Keep the event's annotation (if any) and start a fine-tune when the action asks for one. An
        annotation that cannot become a training example raises AnnotationProblem and is not stored."""
        reply: dict[str, Any] = {"action": event.action, "stored": False, "training": False}
        task, ann = event.task, event.annotation
        if isinstance(task, Task) and isinstance(ann, Annotation) and not ann.was_cancelled:
            row = example(task.model_dump(), ann.model_dump())
            with self._lock:
                self.examples[str(task.id)] = row
                write_atomic(self.store, json.dumps(self.examples, ensure_ascii=False))
            reply["stored"] = True
        if event.action in self.cfg["train_actions"] and len(self.examples) >= int(
            self.cfg["min_annotations"]
        ):
            reply["training"] = self.start_training()
        return reply

    def start_training(self) -> bool:
        """Start a fine-tune now, or once more after the running one (it will not see new annotations)."""
        with self._lock:
            if self._closing:
                return False
            if self._running:
                self._again = True
                return True
            self._running = True
            self._thread = threading.Thread(target=self._train_loop, name="fine-tune")
            self._thread.start()
        return True

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop for good: no new round starts, a running fine-tune is stopped and its round removed."""
        with self._lock:
            self._closing, self._again = True, False
            thread = self._thread
        stop = getattr(self.trainer, "stop", None)
        if stop is not None:
            stop()
        if thread is not None:
            thread.join(timeout)

    def _train_loop(self) -> None:
        while True:
            self._fine_tune()
            with self._lock:
                if not self._again or self._closing:
                    self._running = False
                    return
                self._again = False

    def _fine_tune(self) -> None:
        with self._lock:
            rows = list(self.examples.values())
        run = self.work_dir / f"round-{self.round + 1}"
        try:
            data = write_examples(rows, run / "annotations")
            new_dir = self.trainer(
                self.train_config,
                init_from=self.model_dir,
                annotations_dir=data,
                output_dir=run / "train",
            )
            tagger = self.load_tagger(Path(new_dir))
        except Exception as err:  # a failed fine-tune must not take the serving model down
            if self._closing:
                shutil.rmtree(run, ignore_errors=True)  # an unfinished round is never served or resumed
                log.info("fine-tune stopped by shutdown; %s removed", run)
                return
            self.last_error = f"{type(err).__name__}: {err}"
            log.exception("fine-tune failed; still serving %s", self.model_version)
            return
        with self._lock:
            self.tagger, self.model_dir = tagger, Path(new_dir)
            self.round += 1
            self.last_error = None
        log.info("now serving %s", self.model_version)


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` is answered 413 before the app sees any of it
    (the body is read up to the limit, never further)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        body, more = bytearray(), True
        too_big = int(declared) > self.max_bytes if declared.isdigit() else False
        while more and not too_big:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            too_big = len(body) > self.max_bytes
        if too_big:
            reason = f"request body over {self.max_bytes:,} bytes (backend.max_body_bytes)"
            await JSONResponse({"detail": reason}, status_code=413)(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


def create_app(service: ModelService) -> FastAPI:
    """The HTTP app around ``service``; stopping the server (Ctrl-C) shuts the service down."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        service.shutdown()

    app = FastAPI(title="govreport ML backend", lifespan=lifespan)
    app.add_middleware(BodyLimit, max_bytes=int(service.cfg["max_body_bytes"]))

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {
            "status": "UP",
            "model_class": "govreport-tagger",
            "model_version": service.model_version,
            "training": service.training,
            "annotations": len(service.examples),
            "last_error": service.last_error,
        }

    @app.post("/setup")
    def setup(body: dict[str, Any]) -> dict[str, Any]:
        return {"model_version": service.model_version}

    @app.post("/predict")
    def predict(req: PredictRequest) -> dict[str, Any]:
        return {"results": service.predict(req.tasks), "model_version": service.model_version}

    @app.post("/webhook")
    def webhook(event: WebhookEvent) -> dict[str, Any]:
        try:
            return service.receive(event)
        except AnnotationProblem as problem:
            log.warning("annotation rejected: %s", problem)
            raise HTTPException(422, str(problem)) from None

    return app
