"""Yardstick on a held-out synthetic test set: a tagger's extraction scored per layout and noise family.

Generates the test set (seed fixed, all families), runs ``govreport extract DIR/text --tagger T`` (the
product path), and scores with ``evaluation.metrics.evaluate_dirs`` per layout family, per noise family
(documents carrying it; ``none`` = no noise) and overall. Writes
``benchmarks/results/synth_yardstick_<tagger>.md`` and ``.json``. The model issue must beat the rules row.

    .venv/bin/python benchmarks/synth_yardstick.py [--n 600] [--ocr-n 8] [--seed 20261121] [--tagger rules] [--out DIR]

The ocr slice (page images read back by RapidOCR) takes about 10 s per page on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from govreport.evaluation.metrics import evaluate_dirs
from govreport.training.synth import generate, write_corpus, write_docs
from govreport.training.synth.layouts import available

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
COLUMNS = ["docs", "cell P", "cell R", "cell F1", "all cells right", "inferred recall", "sections F1",
           "title exact", "template acc", "violations exact"]


def summary(scores: dict) -> dict[str, float]:
    return {"docs": scores["documents"], "cell P": scores["cells"]["precision"],
            "cell R": scores["cells"]["recall"], "cell F1": scores["cells"]["f1"],
            "all cells right": scores["documents_all_cells_right"], "inferred recall": scores["inferred_recall"],
            "sections F1": scores["sections"]["f1"], "title exact": scores["title_exact"],
            "template acc": scores["template_accuracy"], "violations exact": scores["violations_exact"]}


def table(title: str, rows: dict[str, dict[str, float]]) -> list[str]:
    out = [f"### {title}", "", "| group | " + " | ".join(COLUMNS) + " |", "|---|" + "---:|" * len(COLUMNS)]
    for name, r in rows.items():
        cells = [str(r["docs"])] + [f"{r[c]:.3f}" for c in COLUMNS[1:]]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*out, ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--seed", type=int, default=20261121)
    ap.add_argument("--tagger", default="rules")
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--ocr-n", type=int, default=8, help="extra documents of the slow ocr family")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "synth_test")
    args = ap.parse_args()
    if not (args.out / "meta.jsonl").exists():
        write_corpus(args.out, args.n, args.seed)
        if args.ocr_n and "ocr" in available():  # appended after the others: ids n .. n+ocr_n-1
            write_docs(args.out, [generate(args.seed, args.n + i, ["ocr"]) for i in range(args.ocr_n)])
    meta = [json.loads(line) for line in (args.out / "meta.jsonl").read_text(encoding="utf-8").splitlines()]
    pred = args.out / f"pred_{args.tagger}"
    cmd = [str(Path(sys.executable).parent / "govreport"), "extract", str(args.out / "text"), "--out", str(pred),
           "--tagger", args.tagger] + (["--model-dir", args.model_dir] if args.model_dir else [])
    start = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    gold = args.out / "gold"
    overall = summary(evaluate_dirs(gold, pred, [m["id"] for m in meta]))
    by_layout = {lay: summary(evaluate_dirs(gold, pred, [m["id"] for m in meta if m["layout"] == lay]))
                 for lay in sorted({m["layout"] for m in meta})}
    families = sorted({n for m in meta for n in m["noise"]})
    by_noise = {"none": summary(evaluate_dirs(gold, pred, [m["id"] for m in meta if not m["noise"]]))}
    by_noise |= {f: summary(evaluate_dirs(gold, pred, [m["id"] for m in meta if f in m["noise"]])) for f in families}
    result = {"tagger": args.tagger, "n": len(meta), "seed": args.seed, "extract_seconds": round(seconds, 1),
              "overall": overall, "by_layout": by_layout, "by_noise": by_noise}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"synth_yardstick_{args.tagger}.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [f"# Synthetic yardstick: `--tagger {args.tagger}`", "",
             f"Held-out synthetic test set: {len(meta)} documents, seed {args.seed}, all layout and noise families "
             f"(`benchmarks/synth_yardstick.py --n {args.n} --ocr-n {args.ocr_n} --seed {args.seed} "
             f"--tagger {args.tagger}`; the ocr rows are the extra slice read back by real OCR). "
             f"Extraction by `govreport extract --tagger {args.tagger}` took {seconds:.0f} s; scores by "
             "`evaluation.metrics.evaluate_dirs`. A noise row counts the documents that carry that family "
             "(a document can carry several).", ""]
    lines += table("Overall", {"all": overall}) + table("Per layout family", by_layout)
    lines += table("Per noise family", by_noise)
    (RESULTS / f"synth_yardstick_{args.tagger}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
