"""Import reports into a Label Studio project as tasks, pre-annotated by the model, best-to-annotate first.

Tasks are imported in ranking order (the project samples sequentially, so annotators get them in that
order) and carry their selection score in task data (``al_score`` and its parts, sortable columns in
the Data Manager of every edition). Reports already in the project (same ``doc``) are skipped, so a
push that lost a batch can simply be run again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from govreport.annotations.client import ensure_project
from govreport.annotations.results import prediction
from govreport.annotations.selection import Analysis, Ranked, analyse, rank
from govreport.configs import load
from govreport.inference.document import InputError
from govreport.inference.taggers.base import Tagger
from govreport.inference.taggers.rules import RulesTagger
from govreport.training.self_train import verify
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

log = logging.getLogger(__name__)


@dataclass
class PushReport:
    project: int
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # doc → error of its batch


def read_reports(directory: str | Path) -> list[tuple[str, str]]:
    """``(doc id, text)`` for every ``*.txt`` in ``directory`` (the id is the file stem)."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(str(root), "push", "not a directory of report texts (*.txt)")
    out = []
    for path in sorted(root.glob("*.txt")):
        try:
            out.append((path.stem, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError as err:
            raise InputError(str(path), "push", f"not UTF-8 text: {err}") from err
    if not out:
        raise InputError(str(root), "push", "no *.txt report texts here")
    return out


def existing_docs(client: LabelStudio, project: int) -> set[str]:
    """Report ids already imported into ``project``."""
    return {t.data.get("doc") for t in client.tasks.list(project=project, fields="all") if t.data}


def verified_ranges(a: Analysis) -> list[tuple[int, int]]:
    """Character ranges the rule verifier trusts (training/self_train.py); none without tag probabilities."""
    if a.probs is None:
        return []
    mask = [*verify(a.doc, a.text, a.spans, a.probs, RulesTagger().tag(a.text)).mask, 0]
    starts = [i for i, m in enumerate(mask) if m and (i == 0 or not mask[i - 1])]
    ends = [i + 1 for i, m in enumerate(mask[:-1]) if m and not mask[i + 1]]
    return list(zip(starts, ends, strict=True))


def build_task(a: Analysis, r: Ranked, model_version: str) -> dict[str, Any]:
    """Task JSON: report data + selection score, and the model's spans as a scored prediction whose verified
    regions are marked."""
    verified = verified_ranges(a)
    data = {"doc": a.doc, "text": a.text, "format": a.extraction.format, "year": a.extraction.year,
            "al_verified_share": round(sum(b - s for s, b in verified) / max(1, len(a.text)), 4)}
    return {"data": data | r.task_data(), "predictions": [prediction(a.text, a.spans, model_version, verified)]}


def _import_batch(client: LabelStudio, pid: int, batch: dict[str, dict[str, Any]], retries: int) -> str:
    """Import ``batch`` (doc → task); '' on success, else the last error after ``retries`` retries.

    Before a retry, reports that did land (the request went through but its answer was lost) are
    dropped from the batch, so a retry never duplicates tasks.
    """
    error = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(2**attempt)
            present = existing_docs(client, pid)
            batch = {d: t for d, t in batch.items() if d not in present}
            if not batch:
                return ""
        try:
            client.projects.import_tasks(pid, request=list(batch.values()), return_task_ids=True)
            return ""
        except (ApiError, httpx.HTTPError) as err:
            error = f"{type(err).__name__}: {getattr(err, 'status_code', '')} {getattr(err, 'body', err)}"
            log.warning("import of %d tasks failed (%s)", len(batch), error)
    return error


def push(
    client: LabelStudio,
    project: str,
    reports: Sequence[tuple[str, str]],
    tagger: Tagger,
    model_version: str,
    batch_size: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    on_report: Callable[[], None] | None = None,
) -> PushReport:
    """Create ``project`` if absent and import the not-yet-imported ``reports``; returns what happened.

    ``on_report`` is called after each report is analysed, ``on_batch`` with each batch's size (progress).
    A batch that still fails after the configured retries is recorded in ``failed`` and the push goes on.
    """
    cfg = load("annotate")["push"]
    batch_size = batch_size or int(cfg["batch_size"])
    pid = ensure_project(client, project, description="govreport active learning")
    report = PushReport(pid)
    present = existing_docs(client, pid)
    todo = [(d, t) for d, t in reports if d not in present]
    report.skipped = [d for d, _ in reports if d in present]
    analyses = {a.doc: a for a in analyse(todo, tagger, on_report)}
    tasks = [(r.doc, build_task(analyses[r.doc], r, model_version)) for r in rank(list(analyses.values()))]
    for i in range(0, len(tasks), batch_size):
        batch = dict(tasks[i : i + batch_size])
        error = _import_batch(client, pid, batch, int(cfg["retries"]))
        if error:
            report.failed.update(dict.fromkeys(batch, error))
        else:
            report.imported += list(batch)
        if on_batch:
            on_batch(len(batch))
    return report
