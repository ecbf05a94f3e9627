"""Does the review score find the reports the pipeline gets wrong? Measured on the real web copies.

For every text of ``../shared/dev/web`` the default pipeline (model tagger) extracts the report, the rules
baseline reads it too (the disagreement signal), and ``inference.review`` scores it. A text counts as wrong
when any cell, the title or any section heading id differs from the gold. Reported: ROC AUC of the score,
precision of the top 20 %, the share of wrong texts flagged (and of those with a wrong cell), the share of
right texts flagged, and each signal's own AUC. The formula's weights (configs/review_weights.yaml) are fitted on
synthetic reports (training/review_fit.py), never fitted here. ``--tagger rules`` measures how well the score
finds the rules pipeline's mistakes (the model then gives the second opinion). The default pipeline reads every
text of the set right, so it has no mistakes there to rank; ``--stress K`` reads K damaged copies of each text
instead (one copying accident each, drawn at random: a figure, a row or a heading numeral gone, two rows run
together, a digit misread, the title line gone, or none) and asks the same question against the report's true
figures, which the gold still holds (a first line gone takes its title or heading out of the gold: the set's
gold conventions list titles and headings as printed). Results: ``benchmarks/results/review_score_<tagger>[_stress].{md,json}``.

    .venv/bin/python benchmarks/review_score.py [--tagger model|rules] [--stress K]
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

from govreport.evaluation.metrics import score_document
from govreport.inference.pipeline import read_report
from govreport.inference.review import review
from govreport.inference.taggers import get_tagger
from govreport.inference.taggers.base import Tagger

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


_FIGURE = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
_NUMERAL = re.compile(r"^[一二三四五六][、.．]", re.M)


def _table_lines(text: str) -> list[tuple[int, int]]:
    """Lines that look like table rows: two figures or more between delimiters (bars or tabs)."""
    out, at = [], 0
    for line in text.split("\n"):
        if ("|" in line or "\t" in line) and len(_FIGURE.findall(line)) >= 2:
            out.append((at, at + len(line)))
        at += len(line) + 1
    return out


def stress(text: str, rng: random.Random) -> tuple[str, str]:
    """One copying accident of the kinds real copies show, drawn at random: a figure gone from its row, a
    table row gone, two rows run together, a digit misread, a heading numeral lost, the title line gone,
    or none. Returns the damaged text and the accident's name. The gold stays the report's truth."""
    rows = _table_lines(text)
    kind = rng.choice(["figure", "row", "merged", "digit", "numeral", "first_line", "none"])
    if kind in ("figure", "digit") and rows:
        a, b = rng.choice(rows)
        m = rng.choice(list(_FIGURE.finditer(text, a, b)))
        new = "" if kind == "figure" else m.group().replace("0", "O", 1).replace("1", "l", 1)
        return text[: m.start()] + new + text[m.end() :], kind
    if kind == "row" and rows:
        a, b = rng.choice(rows)
        return text[:a] + text[b + 1 :], kind
    if kind == "merged" and len(rows) > 1:
        a, b = rng.choice(rows[:-1])
        return text[:b] + " " + text[b + 1 :], kind
    if kind == "numeral" and (heads := list(_NUMERAL.finditer(text))):
        m = rng.choice(heads)
        return text[: m.start()] + text[m.end() :], kind
    if kind == "first_line" and "\n" in text:
        return text.split("\n", 1)[1], kind
    return text, "none"


def shown(gold: dict, removed: str, damaged: str) -> dict:
    """The gold of a copy whose first line (``removed``) is gone, by the set's own conventions (its README):
    the title is a title line as printed and headings are as printed, so a title or heading that the copy
    no longer prints is not in its gold (the rest of a two-line title is the title). Figures keep the
    report's truth: a lost figure is a mistake for the review to catch."""
    squeeze = "".join(removed.split())
    gold = gold | {"sections": [s for s in gold["sections"] if "".join(s["heading"].split()) != squeeze]}
    title = "".join((gold.get("title") or "").split())
    if squeeze and title.startswith(squeeze) and title not in "".join(damaged.split()):
        gold["title"] = title[len(squeeze) :] or None
    return gold


def judge(doc: str, text: str, gold: dict, ours_tagger: Tagger, other_tagger: Tagger) -> dict:
    """One text read by the pipeline under test, its review, and whether it got anything wrong."""
    if ours_tagger.name == "model":
        spans, probs = ours_tagger.tag_with_probs(text)  # type: ignore[attr-defined]
    else:
        spans, probs = ours_tagger.tag(text), None
    ours, spans, blank = read_report(doc, text, spans)
    theirs = read_report(doc, text, other_tagger.tag(text)).extraction
    rev = review(text, spans, ours, probs, theirs, blank)
    s = score_document(gold, json.loads(ours.model_dump_json()))
    wrong_cells = not s["all_cells_right"]
    wrong = wrong_cells or not s["title_match"] or s["sections_correct"] != max(s["sections_gold"], s["sections_pred"])
    return {"doc": doc, "score": rev.score, "flag": rev.flag, "reasons": rev.reasons,
            "wrong": wrong, "wrong_cells": wrong_cells, "signals": rev.signals}


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tagger", choices=["model", "rules"], default="model",
                    help="the pipeline whose mistakes are to be found (the other tagger gives the second opinion)")
    ap.add_argument("--stress", type=int, default=0, metavar="K",
                    help="read K damaged copies of each text instead (see stress()), seed 17")
    ap.add_argument("--model-dir", type=Path, default=None,
                    help="a candidate checkpoint for the model tagger (default: the shipped one); results then go to "
                         "review_score_<tagger>[_stress]_<its parent dir's name>.{md,json}")
    args = ap.parse_args()
    model = get_tagger("model", args.model_dir)
    ours_tagger, other_tagger = (model, get_tagger("rules")) if args.tagger == "model" else (get_tagger("rules"), model)
    rng = random.Random(17)
    rows = []
    for f in sorted((WEB / "docs").glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        gold = json.loads((WEB / "gold" / f"{f.stem}.json").read_text(encoding="utf-8"))
        if not args.stress:
            rows.append(judge(f.stem, text, gold, ours_tagger, other_tagger))
        for k in range(args.stress):
            damaged, kind = stress(text, rng)
            truth = shown(gold, text.split("\n", 1)[0], damaged) if kind == "first_line" else gold
            rows.append(judge(f"{f.stem}.{k}.{kind}", damaged, truth, ours_tagger, other_tagger))
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
    name = f"review_score_{args.tagger}" + ("_stress" if args.stress else "")
    name += f"_{args.model_dir.resolve().parent.name}" if args.model_dir else ""
    (RESULTS / f"{name}.json").write_text(json.dumps({"summary": summary, "texts": rows}, ensure_ascii=False,
                                                          indent=2), encoding="utf-8")
    what = f"{args.stress} damaged copies of each real web copy" if args.stress else "the real web copies"
    lines = [f"# Review score on {what}: the {args.tagger} pipeline's mistakes "
             f"(`benchmarks/review_score.py --tagger {args.tagger}" + (f" --stress {args.stress}" if args.stress else "")
             + (f" --model-dir {args.model_dir}" if args.model_dir else "") + "`)", "",
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
