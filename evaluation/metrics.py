"""Scoring extractions against gold (format of ../shared/spec/README.md).

Cells: a gold figure is right when the prediction has the same figure; a gold null is right only when no
figure is predicted; every predicted figure counts towards precision, also for cells the gold does not
list. Inferred gold cells are found when the prediction marks that cell inferred, or, when the lost figure
is a 0, another 0 cell of the same row (which zero was lost cannot be seen; the dev gold says so too).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, StrictFloat, StrictInt, ValidationError

TOL = 1e-6
Figure = StrictInt | StrictFloat | None  # a bool or a string is no figure


class EvaluationError(ValueError):
    """Gold or predictions that cannot be scored; the message names the folder or file and the problem."""


class _Section(BaseModel):
    id: StrictInt


class _Gold(BaseModel):
    """What scoring reads of a gold file (the spec's format; other keys are ignored)."""

    cells: dict[str, Figure]
    doc: str | None = None
    format: str | None = None
    title: str | None = None
    sections: list[_Section] = []
    inferred: list[str] = []
    violations: list[str] = []


class _PredCell(BaseModel):
    value: Figure
    status: str


class _Rule(BaseModel):
    rule: str


class _Prediction(BaseModel):
    """What scoring reads of an extraction (the output contract; other keys are ignored)."""

    cells: dict[str, _PredCell]
    format: str | None = None
    title: str | None = None
    sections: list[_Section] = []
    violations: list[_Rule] = []


def _is_figure(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _same(a: object, b: object) -> bool:
    return _is_figure(a) and _is_figure(b) and abs(float(a) - float(b)) < TOL  # type: ignore[arg-type]


def _row(key: str) -> str:
    return key.rsplit(".", 1)[0]


def _prf(tp: float, n_pred: float, n_gold: float) -> dict[str, float]:
    p = tp / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    r = tp / n_gold if n_gold else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def score_document(gold: Mapping[str, Any], pred: Mapping[str, Any]) -> dict[str, Any]:
    """Counts and lists for one document; ``pred`` is an extraction as JSON (dict)."""
    gcells: dict[str, Any] = gold.get("cells", {})
    pcells = {k: c.get("value") for k, c in pred.get("cells", {}).items()}
    pstatus = {k: c.get("status") for k, c in pred.get("cells", {}).items()}
    correct, wrong = 0, []
    for key, gv in gcells.items():
        pv = pcells.get(key)
        ok = (pv is None) if gv is None else _same(gv, pv)
        correct += ok
        if not ok:
            wrong.append({"cell": key, "gold": gv, "pred": pv})
    null_right = sum(1 for k, gv in gcells.items() if gv is None and pcells.get(k) is None)
    pred_figures = [k for k, v in pcells.items() if _is_figure(v)]
    wrong += [{"cell": k, "gold": None, "pred": pcells[k]} for k in pred_figures if k not in gcells]
    inferred_pred = {k for k, s in pstatus.items() if s == "inferred"}
    found = 0
    for key in gold.get("inferred", []):
        if key in inferred_pred or (
            gcells.get(key) == 0 and any(_row(k) == _row(key) and pcells.get(k) == 0 for k in inferred_pred)
        ):
            found += 1
    gsec = {s["id"] for s in gold.get("sections", [])}
    psec = {s["id"] for s in pred.get("sections", [])}
    gviol = set(gold.get("violations", []))
    pviol = {v["rule"] for v in pred.get("violations", [])}
    return {
        "doc": gold.get("doc"),
        "cells_gold": len(gcells),
        "cells_pred": len(pred_figures) + null_right,
        "cells_correct": correct,
        "all_cells_right": not wrong,
        "wrong_cells": wrong,
        "inferred_gold": len(gold.get("inferred", [])),
        "inferred_found": found,
        "sections_gold": len(gsec),
        "sections_pred": len(psec),
        "sections_correct": len(gsec & psec),
        "title_match": (gold.get("title") or "").strip() == (pred.get("title") or "").strip(),
        "format_match": gold.get("format") == pred.get("format"),
        "violations_match": gviol == pviol,
        "violations_missed": sorted(gviol - pviol),
        "violations_extra": sorted(pviol - gviol),
    }


def aggregate(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Corpus figures from per-document scores."""
    n = len(docs)

    def total(key: str) -> int:
        return sum(d[key] for d in docs)

    def share(key: str) -> float:
        return sum(bool(d[key]) for d in docs) / n if n else 0.0

    return {
        "documents": n,
        "cells": _prf(total("cells_correct"), total("cells_pred"), total("cells_gold")),
        "documents_all_cells_right": share("all_cells_right"),
        "inferred_recall": total("inferred_found") / total("inferred_gold")
        if total("inferred_gold")
        else 1.0,
        "sections": _prf(total("sections_correct"), total("sections_pred"), total("sections_gold")),
        "title_exact": share("title_match"),
        "template_accuracy": share("format_match"),
        "violations_exact": share("violations_match"),
        "per_document": docs,
    }


def _load(path: Path, kind: type[BaseModel]) -> dict[str, Any]:
    """A gold or prediction file as a dict, checked against what scoring reads of it."""
    what = "gold" if kind is _Gold else "prediction"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvaluationError(f"{path}: cannot read this {what} file ({exc.strerror or exc})") from None
    except ValueError as exc:  # bad JSON, or bytes that are not UTF-8
        raise EvaluationError(f"{path}: this {what} file is not valid JSON ({exc})") from None
    try:
        kind.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the top level"
        raise EvaluationError(f"{path}: not a {what} file: {where}: {first['msg']}") from None
    return data


def evaluate_dirs(
    gold_dir: str | Path,
    pred_dir: str | Path,
    docs: Iterable[str] | None = None,
    only_predicted: bool = False,
) -> dict[str, Any]:
    """Score every gold document (or those named in ``docs``; with ``only_predicted`` those that have a
    prediction) against ``pred_dir/<doc>.json``.

    A gold document without a prediction is scored against an empty prediction (everything missed).
    Raises EvaluationError for a missing folder, no documents to score, or a file that cannot be read.
    """
    gold_dir, pred_dir = Path(gold_dir), Path(pred_dir)
    for folder, what in ((gold_dir, "gold"), (pred_dir, "prediction")):
        if not folder.is_dir():
            raise EvaluationError(f"{folder}: {what} folder not found")
    names = sorted(docs) if docs is not None else sorted(p.stem for p in gold_dir.glob("*.json"))
    if only_predicted:
        names = [n for n in names if (pred_dir / f"{n}.json").exists()]
        if not names:
            raise EvaluationError(f"{pred_dir}: no prediction for any gold document of {gold_dir}")
    elif docs is None and not names:
        raise EvaluationError(f"{gold_dir}: no gold files (*.json) to score against")
    scores = []
    for name in names:
        gold = _load(gold_dir / f"{name}.json", _Gold)
        pred_path = pred_dir / f"{name}.json"
        pred = _load(pred_path, _Prediction) if pred_path.exists() else {}
        scores.append(score_document(gold, pred) | {"predicted": pred_path.exists()})
    return aggregate(scores)
