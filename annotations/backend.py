"""An ML backend speaking Label Studio's protocol, so the project's Model settings can connect to it.

``GET /health`` and ``POST /setup`` (Label Studio checks the connection and reads ``model_version``),
``POST /predict`` (batched tasks → scored span predictions), ``POST /webhook`` (annotation created or
updated, or START_TRAINING → fine-tune in the background). Annotations arrive with the webhook
payload (task data included), are validated like ``pull`` does and kept in the work dir, so no API
key is needed here. The old model keeps serving until the fine-tuned one is loaded; then the model
version is bumped.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from govreport.annotations.pull import example, write_examples
from govreport.annotations.results import AnnotationProblem, prediction
from govreport.configs import load
from govreport.inference.taggers.base import Tagger
from pydantic import BaseModel

log = logging.getLogger(__name__)

TaggerLoader = Callable[[Path], Tagger]
Trainer = Callable[..., Path]  # training.train.train's signature


def _load_model_tagger(model_dir: Path) -> Tagger:
    from govreport.inference.taggers.model import ModelTagger

    return ModelTagger(model_dir)


def _train(*args: Any, **kwargs: Any) -> Path:
    from govreport.training.train import train

    return train(*args, **kwargs)


def _round_of(config_json: Path) -> int:
    """N of ``round-N/train/model/config.json``."""
    return int(config_json.parents[2].name.removeprefix("round-"))


class PredictRequest(BaseModel):
    tasks: list[dict[str, Any]]
    project: str | None = None
    label_config: str | None = None
    params: dict[str, Any] | None = None


class WebhookEvent(BaseModel):
    """Label Studio sends every project event here; payload shapes differ by action (lists on bulk ones)."""

    action: str
    task: Any = None
    annotation: Any = None
    project: Any = None


class ModelService:
    """The served tagger, its version, the annotations received and the background fine-tune."""

    def __init__(
        self,
        model_dir: str | Path,
        work_dir: str | Path,
        train_config: str | Path,
        load_tagger: TaggerLoader = _load_model_tagger,
        trainer: Trainer = _train,
    ) -> None:
        self.cfg = load("annotate")["backend"]
        self.model_dir = Path(model_dir)
        self.base_name = self.model_dir.name
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.train_config = Path(train_config)
        self.load_tagger, self.trainer = load_tagger, trainer
        self.round = 0
        for done in sorted(self.work_dir.glob("round-*/train/model/config.json"), key=_round_of):
            # a restarted backend serves its latest fine-tuned model again
            self.round, self.model_dir = _round_of(done), done.parent
        self.tagger = load_tagger(self.model_dir)
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._running = False  # a fine-tune thread is on (set and cleared under the lock)
        self._again = False
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

    def predict(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One prediction per task, all from the same model (a swap may happen meanwhile)."""
        with self._lock:
            tagger, version = self.tagger, self.model_version
        key = load("annotate")["labelling"]["text_name"]
        texts = [t.get("data", {}).get(key, "") for t in tasks]
        return [
            prediction(text, spans, version)
            for text, spans in zip(texts, tagger.tag_batch(texts), strict=True)
        ]

    def receive(self, event: WebhookEvent) -> dict[str, Any]:
        """Keep the event's annotation (if any) and start a fine-tune when the action asks for one."""
        reply: dict[str, Any] = {"action": event.action, "stored": False, "training": False}
        task, ann = event.task, event.annotation
        if isinstance(task, dict) and isinstance(ann, dict) and not ann.get("was_cancelled"):
            try:
                row = example(task, ann)
            except AnnotationProblem as problem:
                reply["problem"] = str(problem)
                log.warning("annotation rejected: %s", problem)
                return reply
            with self._lock:
                self.examples[str(task.get("id"))] = row
                self.store.write_text(json.dumps(self.examples, ensure_ascii=False), encoding="utf-8")
            reply["stored"] = True
        if event.action in self.cfg["train_actions"] and len(self.examples) >= int(
            self.cfg["min_annotations"]
        ):
            reply["training"] = self.start_training()
        return reply

    def start_training(self) -> bool:
        """Start a fine-tune now, or once more after the running one (it will not see new annotations)."""
        with self._lock:
            if self._running:
                self._again = True
                return True
            self._running = True
        threading.Thread(target=self._train_loop, name="fine-tune", daemon=True).start()
        return True

    def _train_loop(self) -> None:
        while True:
            self._fine_tune()
            with self._lock:
                if not self._again:
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
            self.last_error = f"{type(err).__name__}: {err}"
            log.exception("fine-tune failed; still serving %s", self.model_version)
            return
        with self._lock:
            self.tagger, self.model_dir = tagger, Path(new_dir)
            self.round += 1
            self.last_error = None
        log.info("now serving %s", self.model_version)


def create_app(service: ModelService) -> FastAPI:
    """The HTTP app around ``service``."""
    app = FastAPI(title="govreport ML backend")

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
        return service.receive(event)

    return app
