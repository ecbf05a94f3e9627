"""Spans ↔ Label Studio region results, both ways, with the checks Label Studio itself does not make.

Label Studio stores whatever offsets and label names a client sends; a region whose offsets do not
cover its own text, or whose label is not in the tagger's set, would silently become a wrong
training example. ``annotation_spans`` rejects such a task with a message naming the task.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from govreport.configs import load
from govreport.inference.spans import Span, label_names


class AnnotationProblem(ValueError):
    """An annotation that cannot become a training example; the message names the task and the region."""

    def __init__(self, task_id: object, doc: object, reason: str) -> None:
        super().__init__(f"task {task_id} ({doc}): {reason}")
        self.task_id, self.doc, self.reason = task_id, doc, reason


def _names() -> tuple[str, str]:
    cfg = load("annotate")["labelling"]
    return cfg["labels_name"], cfg["text_name"]


VERIFIED = "verified: the tables' rules and the post-processor vouch for this region"


def spans_to_results(
    text: str, spans: Sequence[Span], verified: Sequence[tuple[int, int]] = ()
) -> list[dict[str, Any]]:
    """Region results for a prediction (or an annotation): one ``labels`` region per span, with its score.
    A region inside a ``verified`` range carries a note, so an annotator sees what needs no correction."""
    from_name, to_name = _names()
    out = []
    for i, s in enumerate(spans):
        region: dict[str, Any] = {
            "id": f"r{i}",
            "from_name": from_name,
            "to_name": to_name,
            "type": "labels",
            "value": {"start": s.start, "end": s.end, "text": text[s.start : s.end], "labels": [s.label]},
            "score": round(float(s.score), 4),
        }
        if any(a <= s.start and s.end <= b for a, b in verified):
            region["meta"] = {"text": [VERIFIED]}
        out.append(region)
    return out


def task_score(spans: Sequence[Span]) -> float:
    """Per-task prediction score: the least confident span (one bad span makes a report worth a look)."""
    return round(min((s.score for s in spans), default=1.0), 4)


def prediction(
    text: str, spans: Sequence[Span], model_version: str, verified: Sequence[tuple[int, int]] = ()
) -> dict[str, Any]:
    """A Label Studio prediction: the spans as regions (verified ones marked), the task score, the model version."""
    return {
        "model_version": model_version,
        "score": task_score(spans),
        "result": spans_to_results(text, spans, verified),
    }


def _same_text(a: str, b: str) -> bool:
    """Compare a region's text with the task text, ignoring whitespace (the browser may fold it)."""
    return "".join(a.split()) == "".join(b.split())


def annotation_spans(task: Mapping[str, Any], result: Sequence[Mapping[str, Any]]) -> list[Span]:
    """Validated, sorted spans of one annotation's ``result`` over ``task['data']['text']``."""
    from_name, to_name = _names()
    data = task.get("data", {})
    text, tid, doc = data.get(to_name), task.get("id"), data.get("doc")
    if not isinstance(text, str):
        raise AnnotationProblem(tid, doc, f"task data has no {to_name!r} string")
    known = set(label_names())
    spans: list[Span] = []
    for region in result:
        if region.get("type") != "labels" or region.get("from_name") != from_name:
            continue
        value = region.get("value", {})
        start, end, labels = value.get("start"), value.get("end"), value.get("labels") or []
        where = f"region {region.get('id')}"
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise AnnotationProblem(
                tid, doc, f"{where}: offsets {start}..{end} outside the text (0..{len(text)})"
            )
        if len(labels) != 1:
            raise AnnotationProblem(tid, doc, f"{where}: expected exactly one label, got {labels}")
        if labels[0] not in known:
            raise AnnotationProblem(
                tid, doc, f"{where}: unknown label {labels[0]!r} (known: {sorted(known)})"
            )
        if "text" in value and not _same_text(value["text"], text[start:end]):
            raise AnnotationProblem(
                tid,
                doc,
                f"{where}: region text {value['text']!r} != task text {text[start:end]!r} at {start}..{end}",
            )
        spans.append(Span(start, end, labels[0]))
    spans.sort()
    for a, b in pairwise(spans):
        if b.start < a.end:
            raise AnnotationProblem(
                tid, doc, f"regions overlap: {a.label} {a.start}..{a.end} and {b.label} {b.start}..{b.end}"
            )
    return spans
