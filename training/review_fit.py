"""Fit the review score's weights on synthetic reports (never on the real dev set).

Generates reports, runs the default pipeline and the rules baseline on each, computes the review signals
(``inference.review``), labels a report wrong when any cell, the title or a section id differs from its
gold, and fits a class-balanced logistic regression on the capped signals. The non-negative coefficients
become the score's weights in ``configs/review_weights.yaml`` (a signal the fit finds no evidence for gets
weight 0: a doubt never makes a report look safer).

    .venv/bin/python -m govreport.training.review_fit [--n 300] [--seed 777]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import yaml
from govreport.configs import CONFIG_DIR, load
from govreport.evaluation.metrics import score_document
from govreport.inference.pipeline import read_report
from govreport.inference.review import review
from govreport.inference.taggers import get_tagger
from govreport.training.synth.generate import generate


def wrong(gold: dict, pred: dict) -> bool:
    """The pipeline got something a reader would see wrong: a cell, the title or a section id."""
    s = score_document(gold, pred)
    return not s["all_cells_right"] or not s["title_match"] or s["sections_correct"] != max(
        s["sections_gold"], s["sections_pred"])


def signals_and_labels(n: int, seed: int) -> tuple[list[dict[str, float]], list[bool]]:
    model, rules = get_tagger("model"), get_tagger("rules")
    rows, labels = [], []
    for i in range(n):
        doc = generate(seed, i)
        spans, probs = model.tag_with_probs(doc.text)
        ours, spans, blank = read_report(doc.id, doc.text, spans)
        other = read_report(doc.id, doc.text, rules.tag(doc.text)).extraction
        rows.append(review(doc.text, spans, ours, probs, other, blank).signals)
        labels.append(wrong(doc.gold, json.loads(ours.model_dump_json())))
    return rows, labels


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=777)
    args = ap.parse_args()
    rows, labels = signals_and_labels(args.n, args.seed)
    caps = load("review")["caps"]
    names = list(rows[0])
    x = np.array([[min(r[k], caps.get(k, 1.0)) for k in names] for r in rows])
    y = np.array(labels)
    fit = LogisticRegression(class_weight="balanced", max_iter=1000)
    cv_auc = roc_auc_score(y, cross_val_predict(fit, x, y, cv=5, method="predict_proba")[:, 1])
    fit.fit(x, y)
    weights = {k: round(max(0.0, float(c)), 3) for k, c in zip(names, fit.coef_[0], strict=True)}
    header = (f"# Written by `python -m govreport.training.review_fit --n {args.n} --seed {args.seed}`: weights of the\n"
              f"# review score fitted on {args.n} synthetic reports ({int(y.sum())} read wrong by the pipeline;\n"
              f"# 5-fold ROC AUC {cv_auc:.3f} there). Negative coefficients are set to 0. Never fitted on real dev data.\n")
    (CONFIG_DIR / "review_weights.yaml").write_text(
        header + yaml.safe_dump({"weights": weights}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print(header + json.dumps(weights, ensure_ascii=False))


if __name__ == "__main__":
    main()
