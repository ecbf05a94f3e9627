"""Does the review score find the reports the pipeline gets wrong? Measured on the real web copies.

For every text of ``../shared/dev/web`` the default pipeline (model tagger) extracts the report, the rules
baseline reads it too (the disagreement signal), and ``inference.review`` scores it. A text counts as wrong
when any cell, the title or any section heading id differs from the gold. Reported: ROC AUC of the score,
precision of the top 20 %, the share of wrong texts flagged (and of those with a wrong cell), the share of
right texts flagged, and each signal's own AUC. The formula's weights (configs/review_weights.yaml) are fitted on
synthetic reports (training/review_fit.py), never fitted here. ``--tagger rules`` measures how well the score
finds the rules pipeline's mistakes (the model then gives the second opinion): the default pipeline now reads
almost every text right, so its own mistakes are too few to rank. Results:
``benchmarks/results/review_score_<tagger>.{md,json}``.

    .venv/bin/python benchmarks/review_score.py [--tagger model|rules]
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from govreport.evaluation.metrics import score_document
from govreport.inference.pipeline import build_extraction
from govreport.inference.review import review
from govreport.inference.taggers import get_tagger

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT.parent / "shared" / "dev" / "web"
RESULTS = ROOT / "benchmarks" / "results"


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """Probability that a wrong text scores above a right one (ties count half)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tagger", choices=["model", "rules"], default="model",
                    help="the pipeline whose mistakes are to be found (the other tagger gives the second opinion)")
    args = ap.parse_args()
    ours_tagger, other_tagger = get_tagger(args.tagger), get_tagger("rules" if args.tagger == "model" else "model")
    rows = []
    for f in sorted((WEB / "docs").glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        if args.tagger == "model":
            spans, probs = ours_tagger.tag_with_probs(text)
        else:
            spans, probs = ours_tagger.tag(text), None
        ours = build_extraction(str(f), text, spans)
        theirs = build_extraction(str(f), text, other_tagger.tag(text))
        rev = review(text, spans, ours, probs, theirs)
        gold = json.loads((WEB / "gold" / f"{f.stem}.json").read_text(encoding="utf-8"))
        s = score_document(gold, json.loads(ours.model_dump_json()))
        wrong_cells = not s["all_cells_right"]
        wrong = wrong_cells or not s["title_match"] or s["sections_correct"] != max(s["sections_gold"], s["sections_pred"])
        rows.append({"doc": f.stem, "score": rev.score, "flag": rev.flag, "reasons": rev.reasons,
                     "wrong": wrong, "wrong_cells": wrong_cells, "signals": rev.signals})
    labels = [r["wrong"] for r in rows]
    scores = [r["score"] for r in rows]
    top = sorted(rows, key=lambda r: -r["score"])[: max(1, round(len(rows) * 0.2))]
    right = [r for r in rows if not r["wrong"]]
    summary = {
        "texts": len(rows),
        "wrong": sum(labels),
        "with_wrong_cells": sum(r["wrong_cells"] for r in rows),
        "roc_auc": round(roc_auc(scores, labels), 4),
        "precision_top20": round(sum(r["wrong"] for r in top) / len(top), 4),
        "wrong_flagged": round(sum(r["flag"] for r in rows if r["wrong"]) / max(1, sum(labels)), 4),
        "wrong_cells_flagged": round(sum(r["flag"] for r in rows if r["wrong_cells"])
                                     / max(1, sum(r["wrong_cells"] for r in rows)), 4),
        "right_flagged": round(sum(r["flag"] for r in right) / max(1, len(right)), 4),
        "signal_auc": {k: round(roc_auc([r["signals"][k] for r in rows], labels), 4) for k in rows[0]["signals"]},
        "load_average": os.getloadavg(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"review_score_{args.tagger}"
    (RESULTS / f"{name}.json").write_text(json.dumps({"summary": summary, "texts": rows}, ensure_ascii=False,
                                                          indent=2), encoding="utf-8")
    lines = [f"# Review score on the real web copies: the {args.tagger} pipeline's mistakes "
             f"(`benchmarks/review_score.py --tagger {args.tagger}`)", "",
             f"{summary['texts']} texts, {summary['wrong']} that the default pipeline gets wrong (cell, title or "
             f"heading), {summary['with_wrong_cells']} with a wrong cell.", "",
             "| measure | value |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in summary.items() if k not in ("signal_auc", "load_average")]
    lines += ["", "Each signal alone (ROC AUC; nan where it never varies):", "",
              "| signal | AUC |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in summary["signal_auc"].items()]
    lines += ["", "| text | wrong | score | flag | reasons |", "|---|---|---:|---|---|"]
    lines += [f"| {r['doc']} | {'yes' if r['wrong'] else ''} | {r['score']} | {'yes' if r['flag'] else ''} | "
              f"{', '.join(r['reasons'])} |" for r in sorted(rows, key=lambda r: -r["score"])]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:16]))


if __name__ == "__main__":
    main()
