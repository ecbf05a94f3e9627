"""Masked-language pretraining on the real pool, measured: the shipped tagger vs candidates, side by side.

Why a script: the three measuring sticks each write their own files for the shipped model; this runs them for
several model dirs under the same commit and load and puts the figures in one table. Per model: the real dev
sets (``benchmarks/real_dev.py --taggers model --model-dir``), the review score on 3 damaged copies of each
real web copy (``benchmarks/review_score.py --stress 3 --model-dir``) and the synthetic yardstick's 608
documents (``govreport extract --model-dir`` on ``data/synth_test/text``, scored as ``synth_yardstick.py``
scores). Writes the figures as JSON to ``--out`` (``benchmarks/results/pretraining.md`` is written by hand from
them); per-model raw outputs go to ``runs/measure/``.

    .venv/bin/python benchmarks/pretraining.py shipped=models/tagger mlm=runs/tagger-mlm/model [control=...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from govreport.evaluation.metrics import evaluate_dirs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RAW = ROOT / "runs" / "measure"
PY = sys.executable
REVIEW_KEYS = ["texts", "wrong", "with_wrong_cells", "roc_auc", "precision_top20", "wrong_flagged",
               "wrong_cells_flagged", "right_flagged"]


def run(cmd: list[str]) -> float:
    """Run a measuring command from the repository root; returns its wall seconds."""
    began = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return round(time.perf_counter() - began, 1)


def real_dev(name: str, model_dir: Path) -> dict:
    """Every set and class of real_dev.py for the model tagger only."""
    out = RAW / name / "real_dev"
    seconds = run([PY, "benchmarks/real_dev.py", "--taggers", "model", "--model-dir", str(model_dir), "--out", str(out)])
    results = json.loads((out / "real_dev.json").read_text(encoding="utf-8"))["results"]
    return {"seconds": seconds, "sets": {group: by["model"] for group, by in results.items()}}


def review(name: str, model_dir: Path) -> dict:
    """review_score.py --stress 3 with this model; its result files are moved out of benchmarks/results."""
    seconds = run([PY, "benchmarks/review_score.py", "--stress", "3", "--model-dir", str(model_dir)])
    stem = f"review_score_model_stress_{model_dir.resolve().parent.name}"
    (RAW / name).mkdir(parents=True, exist_ok=True)
    for ext in ("json", "md"):
        shutil.move(RESULTS / f"{stem}.{ext}", RAW / name / f"review_score_stress.{ext}")
    summary = json.loads((RAW / name / "review_score_stress.json").read_text(encoding="utf-8"))["summary"]
    return {"seconds": seconds, **{k: summary[k] for k in REVIEW_KEYS}}


def yardstick(name: str, model_dir: Path, test: Path) -> dict:
    """The synthetic yardstick's overall row (the test set must exist: synth_yardstick.py writes it)."""
    pred = RAW / name / "synth_pred"
    shutil.rmtree(pred, ignore_errors=True)
    seconds = run([str(Path(PY).parent / "govreport"), "extract", str(test / "text"), "--out", str(pred),
                   "--tagger", "model", "--model-dir", str(model_dir)])
    ids = [json.loads(line)["id"] for line in (test / "meta.jsonl").read_text(encoding="utf-8").splitlines()]
    s = evaluate_dirs(test / "gold", pred, ids)
    return {"seconds": seconds, "docs": s["documents"], "cell P": s["cells"]["precision"],
            "cell R": s["cells"]["recall"], "cell F1": s["cells"]["f1"], "all cells right": s["documents_all_cells_right"],
            "inferred recall": s["inferred_recall"], "sections F1": s["sections"]["f1"], "title exact": s["title_exact"],
            "template acc": s["template_accuracy"], "violations exact": s["violations_exact"]}


def heldout(model_dir: Path) -> dict | None:
    """The training run's own held-out figure (metrics.json beside the model: seqeval micro F1, arg-max BIO, 120
    synthetic documents) and its training section (data, steps' config, init)."""
    path = model_dir / "metrics.json"
    if not path.is_file():
        return None
    m = json.loads(path.read_text(encoding="utf-8"))
    train = m.get("train", {})
    return {"micro_f1": m["overall"]["micro avg"]["f1-score"],
            "per_label_f1": {k: v["f1-score"] for k, v in m["overall"].items() if "avg" not in k},
            "train_documents": train.get("documents"), "train_windows": train.get("windows"),
            "init_from": train.get("init_from")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", help="NAME=MODEL_DIR (each dir needs model.onnx: govreport export-onnx)")
    ap.add_argument("--synth-test", type=Path, default=ROOT / "data" / "synth_test")
    ap.add_argument("--pretrain-run", type=Path, default=ROOT / "runs" / "pretrain-mlm",
                    help="run dir of `govreport pretrain`: its pretrain.json (pool size, steps, minutes) is copied in")
    ap.add_argument("--out", type=Path, default=RESULTS / "pretraining.json")
    args = ap.parse_args()
    models = dict(m.split("=", 1) for m in args.models)
    figures: dict[str, dict] = {}
    for name, model_dir in models.items():
        load_before = os.getloadavg()[0]
        figures[name] = {"model_dir": model_dir, "real_dev": real_dev(name, Path(model_dir)),
                         "review_stress3": review(name, Path(model_dir)),
                         "synth_yardstick": yardstick(name, Path(model_dir), args.synth_test),
                         "heldout_seqeval": heldout(Path(model_dir)),
                         "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
        print(name, json.dumps(figures[name], ensure_ascii=False))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    stats = args.pretrain_run / "pretrain.json"
    pretraining = json.loads(stats.read_text(encoding="utf-8")) if stats.is_file() else None
    args.out.write_text(json.dumps({"commit": commit.stdout.strip(), "pretraining": pretraining, "models": figures}, ensure_ascii=False, indent=2)
                        + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
