"""Export a project's annotations and turn them into training examples (the synthetic corpus' features).

Output dir (what ``train --annotations DIR`` reads): ``dataset/`` (``save_to_disk``), ``meta.jsonl``
(doc, task, annotation, layout, noise) and ``problems.jsonl`` (tasks rejected, with the reason).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import ClassLabel, Dataset, Features, Value
from datasets import Sequence as SequenceFeature
from govreport.annotations.client import project_id
from govreport.annotations.results import AnnotationProblem, annotation_spans
from govreport.configs import load
from govreport.inference.readers.limits import limit
from govreport.inference.spans import bio_tags, spans_to_bio
from label_studio_sdk import LabelStudio


@dataclass
class PullReport:
    examples: int = 0
    unannotated: int = 0
    problems: list[AnnotationProblem] = field(default_factory=list)


def example_features() -> Features:
    """The synthetic corpus' features (training.synth contract): one BIO tag per character."""
    return Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "tags": SequenceFeature(ClassLabel(names=bio_tags())),
            "layout": Value("string"),
            "noise": SequenceFeature(Value("string")),
            "format": Value("string"),
            "year": Value("int32"),
        }
    )


def chosen_annotation(task: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The annotation to learn from: a ground-truth one if marked, else the latest not cancelled."""
    done = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not done:
        return None
    return max(
        done, key=lambda a: (bool(a.get("ground_truth")), str(a.get("updated_at") or ""), a.get("id") or 0)
    )


def _year(task: Mapping[str, Any]) -> int:
    """The task's report year as the ``year`` feature (int32, 0 when unknown), or AnnotationProblem: one
    value the feature cannot hold would make every later dataset build fail."""
    data = task["data"]
    year = data.get("year") or 0
    if isinstance(year, str) and year.strip().isdigit():
        year = int(year)
    if isinstance(year, bool) or not isinstance(year, int) or not 0 <= year < 2**31:
        raise AnnotationProblem(
            task.get("id"), data.get("doc"), f"data.year {year!r} is not a year (a whole number 0 … 2^31-1)"
        )
    return year


def example(task: Mapping[str, Any], annotation: Mapping[str, Any]) -> dict[str, Any]:
    """One training example from a task and one of its annotations, checked against the training features
    (raises AnnotationProblem naming the task)."""
    spans = annotation_spans(task, annotation.get("result") or [])
    data = task["data"]
    text = data["text"]
    most = limit("max_text_chars")
    if len(text) > most:
        raise AnnotationProblem(
            task.get("id"),
            data.get("doc"),
            f"{len(text):,} characters, more than limits.max_text_chars ({most:,})",
        )
    return {
        "id": str(data.get("doc") or f"task-{task.get('id')}"),
        "text": text,
        "tags": spans_to_bio(len(text), spans),
        "layout": load("annotate")["pull"]["layout"],
        "noise": [],
        "format": str(data.get("format") or ""),
        "year": _year(task),
    }


def examples(tasks: Iterable[Mapping[str, Any]], report: PullReport) -> list[dict[str, Any]]:
    """Examples of every annotated task; rejected tasks go to ``report.problems``."""
    out = []
    for task in tasks:
        ann = chosen_annotation(task)
        if ann is None:
            report.unannotated += 1
            continue
        try:
            out.append({**example(task, ann), "_task": task.get("id"), "_annotation": ann.get("id")})
        except AnnotationProblem as problem:
            report.problems.append(problem)
    report.examples = len(out)
    return out


def write_examples(
    rows: Sequence[Mapping[str, Any]], out_dir: str | Path, problems: Sequence[AnnotationProblem] = ()
) -> Path:
    """Write the dataset, its meta lines and the rejected tasks under ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    features = example_features()
    ds = Dataset.from_dict({k: [r[k] for r in rows] for k in features}, features=features)
    ds.save_to_disk(str(out / "dataset"))
    with (out / "meta.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            meta = {
                "id": r["id"],
                "task": r.get("_task"),
                "annotation": r.get("_annotation"),
                "layout": r["layout"],
                "noise": r["noise"],
            }
            fh.write(json.dumps(meta, ensure_ascii=False) + "\n")
    with (out / "problems.jsonl").open("w", encoding="utf-8") as fh:
        for p in problems:
            fh.write(
                json.dumps({"task": p.task_id, "doc": p.doc, "reason": p.reason}, ensure_ascii=False) + "\n"
            )
    return out


def pull(client: LabelStudio, project: str, out_dir: str | Path) -> PullReport:
    """Export ``project`` (all tasks) and write its annotations as training examples to ``out_dir``."""
    pid = project_id(client, project)
    tasks = client.projects.exports.as_json(pid)
    report = PullReport()
    rows = examples(tasks, report)
    write_examples(rows, out_dir, report.problems)
    return report
