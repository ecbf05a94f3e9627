"""Active-learning experiment: does picking reports by uncertainty + product signals beat random picks?

A pool of synthetic reports plays the unlabelled reports, their generator labels the annotator (the
oracle). Each seed trains a weak tagger from scratch on a few reports; then, round after round, a
strategy picks ``batch`` reports from the pool, they are "annotated" (oracle tags), and the weak
model is fine-tuned on everything labelled so far (same steps for every strategy and round). After
each round: cell F1 of the whole product (tagger → extraction) on a fixed synthetic test set with gold.

    .venv/bin/python benchmarks/active_learning.py            # the settings in the results file
    .venv/bin/python benchmarks/active_learning.py --pool 24 --rounds 2 --seeds 0   # a quick look

Writes benchmarks/results/active_learning.{json,md,png}. CPU only; every setting is in the output.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from datasets import Dataset
from govreport.annotations.pull import example_features
from govreport.annotations.selection import analyse, rank
from govreport.evaluation.metrics import aggregate, score_document
from govreport.inference.pipeline import build_extraction
from govreport.inference.taggers.model import ModelTagger
from govreport.training.synth import generate
from govreport.training.synth.generate import Rendered
from govreport.training.train import train

RESULTS = Path(__file__).resolve().parent / "results"


def corpus(docs: list[Rendered], out: Path) -> Path:
    """Oracle-labelled reports as a dataset dir ``train`` reads (the features ``pull`` writes)."""
    names = example_features()["tags"].feature.names
    ids = {t: i for i, t in enumerate(names)}
    rows = {
        "id": [d.id for d in docs],
        "text": [d.text for d in docs],
        "tags": [[ids[t] for t in d.tags] for d in docs],
        "layout": [d.layout for d in docs],
        "noise": [d.noise for d in docs],
        "format": [d.gold["format"] for d in docs],
        "year": [d.gold["year"] for d in docs],
    }
    Dataset.from_dict(rows, features=example_features()).save_to_disk(str(out))
    return out


def recipe(path: Path, seed: int, steps: int, eval_dir: Path) -> Path:
    """A short training recipe for ``training.train.train`` (no checkpoints, no progress bars)."""
    cfg = {
        "seed": seed,
        "output_dir": "unused",
        "export_dir": "unused",
        "data": {"train": {"dir": str(eval_dir)}, "eval": {"dir": str(eval_dir)}},
        "windows": {"max_length": 512, "stride": 448},
        "args": {
            "max_steps": steps,
            "per_device_train_batch_size": 4,
            "per_device_eval_batch_size": 16,
            "learning_rate": 1e-3,
            "warmup_steps": max(1, steps // 10),
            "weight_decay": 0.01,
            "logging_steps": 50,
            "eval_strategy": "no",
            "save_strategy": "no",
            "disable_tqdm": True,
        },
        "cpu_threads": 2,
    }
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def cell_f1(model_dir: Path, test: list[Rendered]) -> float:
    """Cell F1 of tagger + extraction on the test reports against their gold."""
    tagger = ModelTagger(model_dir)
    scores = []
    for doc, spans in zip(test, tagger.tag_batch([d.text for d in test]), strict=True):
        extraction = build_extraction(doc.id, doc.text, spans)
        scores.append(score_document(doc.gold, extraction.model_dump()))
    return aggregate(scores)["cells"]["f1"]


def pick(strategy: str, model_dir: Path, pool: list[Rendered], k: int, rng: random.Random) -> list[Rendered]:
    if strategy == "random":
        return rng.sample(pool, k)
    ranked = rank(analyse([(d.id, d.text) for d in pool], ModelTagger(model_dir)))
    by_id = {d.id: d for d in pool}
    return [by_id[r.doc] for r in ranked[:k]]


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The experiment; results are rewritten after every round, so a cut-short run still reports."""
    t0 = time.monotonic()
    pool_all = [generate(args.pool_seed, i) for i in range(args.pool)]
    test = [generate(args.test_seed, i) for i in range(args.test)]
    eval_dir = corpus(test[:2], work / "eval")  # train() logs metrics on it; the score is cell F1 below
    curves: dict[str, dict[int, list[float]]] = {"random": {}, "uncertainty+rules": {}}
    picks: dict[str, list[dict[str, Any]]] = {name: [] for name in curves}
    start = random.Random(0).sample(pool_all, args.start)
    weak = train(
        recipe(work / "weak.yaml", 0, args.weak_steps, eval_dir),
        data_dirs=[corpus(start, work / "start")],
        output_dir=work / "weak",
    )
    base = cell_f1(weak, test)
    logging.info("weak model: cell F1 %.3f", base)
    for seed in args.seeds:
        for strategy in curves:
            curves[strategy].setdefault(0, []).append(base)
            labelled = list(start)
            pool = [d for d in pool_all if d not in start]
            model, srng = weak, random.Random(seed * 1000 + 1)
            for r in range(1, args.rounds + 1):
                chosen = pick(strategy, model, pool, args.batch, srng)
                pool = [d for d in pool if d not in chosen]
                labelled += chosen
                picks[strategy] += [
                    {
                        "seed": seed,
                        "round": r,
                        "id": d.id,
                        "layout": d.layout,
                        "noise": d.noise,
                        "chars": len(d.text),
                    }
                    for d in chosen
                ]
                tag = f"{strategy.replace('+', '_')}-s{seed}-r{r}"
                model = train(
                    recipe(work / f"{tag}.yaml", seed, args.steps, eval_dir),
                    init_from=weak,
                    data_dirs=[corpus(labelled, work / f"{tag}-data")],
                    output_dir=work / tag,
                )
                f1 = cell_f1(model, test)
                curves[strategy].setdefault(r * args.batch, []).append(f1)
                logging.info(
                    "%s seed %d round %d: +%d reports, cell F1 %.3f", strategy, seed, r, r * args.batch, f1
                )
                write(result(args, curves, picks), time.monotonic() - t0)
    return result(args, curves, picks)


def result(
    args: argparse.Namespace, curves: dict[str, dict[int, list[float]]], picks: dict
) -> dict[str, Any]:
    return {
        "settings": vars(args),
        "curves": {s: {str(n): v for n, v in c.items()} for s, c in curves.items()},
        "picks": picks,
    }


def needed(curve: dict[str, list[float]], target: float) -> int | None:
    """Fewest annotated reports whose mean F1 reaches ``target``."""
    for n in sorted(curve, key=int):
        if np.mean(curve[n]) >= target:
            return int(n)
    return None


def write(result: dict[str, Any], elapsed: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    RESULTS.mkdir(exist_ok=True)
    curves, s = result["curves"], result["settings"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, curve in curves.items():
        xs = sorted(curve, key=int)
        if not xs:
            continue
        mean = np.array([np.mean(curve[x]) for x in xs])
        std = np.array([np.std(curve[x]) for x in xs])
        ax.plot([int(x) for x in xs], mean, marker="o", label=name)
        ax.fill_between([int(x) for x in xs], mean - std, mean + std, alpha=0.2)
    ax.set_xlabel(f"reports annotated (beyond the {s['start']} of the weak model)")
    ax.set_ylabel("cell F1 on the test set")
    ax.set_title(f"Active learning vs random ({len(s['seeds'])} seeds, {s['test']} test reports)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "active_learning.png", dpi=120)
    (RESULTS / "active_learning.json").write_text(json.dumps(result, indent=1), encoding="utf-8")

    xs = sorted(curves["random"], key=int)
    lines = [
        "# Active learning: uncertainty + rules vs random selection",
        "",
        f"`benchmarks/active_learning.py`, {elapsed / 60:.0f} min on a shared 2-core CPU. Pool {s['pool']} synthetic reports "
        f"(seed {s['pool_seed']}), test set {s['test']} (seed {s['test_seed']}). A weak tagger is trained "
        f"from scratch on {s['start']} pool reports ({s['weak_steps']} steps of 4 windows); then, per seed "
        f"and strategy, {s['rounds']} rounds of {s['batch']} reports, each followed by {s['steps']} fine-tuning steps from the weak "
        f"model on all labelled reports. Seeds (random picks, fine-tune order): {s['seeds']}. Cell F1 = the product's cells (tagger → "
        "extraction) against gold, mean ± std over seeds.",
        "",
        *([f"Note: {s['note']}.", ""] if s.get("note") else []),
        "| reports annotated | " + " | ".join(curves) + " |",
        "|---:|" + "---:|" * len(curves),
    ]
    for x in xs:
        cells = [
            f"{np.mean(c[x]):.3f} ± {np.std(c[x]):.3f} (n={len(c[x])})" if x in c else "—"
            for c in curves.values()
        ]
        lines.append(f"| {x} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Reports the active-learning order needs to match random's F1 (means over seeds; — = not reached "
        "within the rounds run):",
        "",
        "| random: reports | random: cell F1 | uncertainty+rules: reports needed |",
        "|---:|---:|---:|",
    ]
    for x in xs[1:]:
        target = float(np.mean(curves["random"][x]))
        n = needed(curves["uncertainty+rules"], target)
        lines.append(f"| {x} | {target:.3f} | {'—' if n is None else n} |")
    if result.get("picks"):
        lines += [
            "",
            "What each strategy picked (all seeds and rounds):",
            "",
            "| strategy | reports | mean length (chars) | layouts | with noise |",
            "|---|---:|---:|---|---:|",
        ]
        pool = [generate(s["pool_seed"], i) for i in range(s["pool"])]
        every = [{"layout": d.layout, "noise": d.noise, "chars": len(d.text)} for d in pool]
        for name, picked in [*result["picks"].items(), ("(whole pool)", every)]:
            layouts = Counter(p["layout"] for p in picked)
            noisy = sum(bool(p["noise"]) for p in picked)
            mean_len = np.mean([p["chars"] for p in picked]) if picked else 0
            lines.append(
                f"| {name} | {len(picked)} | {mean_len:.0f} | "
                + ", ".join(f"{k} {v}" for k, v in layouts.most_common())
                + f" | {noisy} |"
            )
    lines += ["", "![curves](active_learning.png)", ""]
    (RESULTS / "active_learning.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pool", type=int, default=30)
    parser.add_argument("--test", type=int, default=12)
    parser.add_argument("--start", type=int, default=3, help="reports the weak model is trained on")
    parser.add_argument("--weak-steps", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=3, help="reports annotated per round")
    parser.add_argument("--steps", type=int, default=40, help="fine-tuning steps per round")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--pool-seed", type=int, default=7001)
    parser.add_argument("--test-seed", type=int, default=7002)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("transformers", "datasets", "govreport.training.train"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="al-bench-") as work:
        run(args, Path(work))


if __name__ == "__main__":
    main()
