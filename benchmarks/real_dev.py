"""The real development sets, model vs rules: the measuring stick for real text (re-run on every model change).

Extracts ``../shared/dev/web/docs`` (41 real web copies, gold in ``../shared/dev/web/gold``) and the real
reports with gold in ``../shared/dev/gold`` (five seeds, three PDFs) with both taggers through the product
path (readers → tagger → post-processor), scores them with ``evaluation.metrics``, and writes a table per
set and per class (layout of the web copies, garbled copies) to ``benchmarks/results/real_dev.{md,json}``.

    .venv/bin/python benchmarks/real_dev.py [--taggers model rules]

Never tune on these texts: they measure, they do not teach.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from govreport.evaluation.metrics import evaluate_dirs
from govreport.inference.pipeline import Extractor
from govreport.inference.readers import read_document
from govreport.inference.taggers import get_tagger

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
WEB = SHARED / "dev" / "web"
RESULTS = ROOT / "benchmarks" / "results"
COLUMNS = {
    "docs": lambda s: s["documents"],
    "cell P": lambda s: s["cells"]["precision"],
    "cell R": lambda s: s["cells"]["recall"],
    "cell F1": lambda s: s["cells"]["f1"],
    "all cells right": lambda s: s["documents_all_cells_right"],
    "sections F1": lambda s: s["sections"]["f1"],
    "title exact": lambda s: s["title_exact"],
    "template acc": lambda s: s["template_accuracy"],
    "violations exact": lambda s: s["violations_exact"],
}


def extract(tagger_name: str, files: list[Path], out: Path, model_dir: Path | None) -> None:
    extractor = Extractor(get_tagger(tagger_name, model_dir if tagger_name == "model" else None))
    out.mkdir(parents=True, exist_ok=True)
    for f in files:
        result = extractor.extract(read_document(f))
        (out / f"{f.stem}.json").write_text(result.model_dump_json(), encoding="utf-8")


def classes() -> dict[str, list[str]]:
    """The web copies grouped by table layout and by garbling, as ``sources.jsonl`` records them."""
    groups: dict[str, list[str]] = {"all": []}
    for line in (WEB / "sources.jsonl").read_text(encoding="utf-8").splitlines():
        src = json.loads(line)
        groups["all"].append(src["id"])
        groups.setdefault(f"layout {src['layout']}", []).append(src["id"])
        groups.setdefault("garbled" if src.get("garbled") else "not garbled", []).append(src["id"])
    return groups


def row(scores: dict) -> dict[str, float]:
    return {name: round(float(get(scores)), 4) for name, get in COLUMNS.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--taggers", nargs="+", default=["model", "rules"])
    ap.add_argument("--model-dir", type=Path, default=None, help="a candidate checkpoint (default: the shipped one)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="folder for real_dev.{md,json}")
    args = ap.parse_args()
    sets = {
        "web": (sorted((WEB / "docs").glob("*.txt")), WEB / "gold"),
        "seeds+pdf": (sorted((SHARED / "seeds").glob("*.txt")) + sorted((SHARED / "dev" / "pdf").glob("*.pdf")),
                      SHARED / "dev" / "gold"),
    }
    groups = classes()
    results: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    timing: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for tagger in args.taggers:
            began = time.perf_counter()
            for name, (files, gold) in sets.items():
                pred = Path(tmp) / tagger / name
                extract(tagger, files, pred, args.model_dir)
                if name == "web":
                    for group, docs in groups.items():
                        results.setdefault(f"web: {group}", {})[tagger] = row(evaluate_dirs(gold, pred, docs))
                else:
                    results.setdefault(name, {})[tagger] = row(evaluate_dirs(gold, pred))
            timing[tagger] = round(time.perf_counter() - began, 1)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "real_dev.json").write_text(
        json.dumps({"commit": commit.stdout.strip(), "seconds": timing, "results": results}, ensure_ascii=False,
                   indent=2), encoding="utf-8")
    lines = [
        "# Real development sets: model vs rules",
        "",
        f"Commit {commit.stdout.strip()}, model {args.model_dir or 'models/tagger'}; `benchmarks/real_dev.py` (product path: readers → tagger → "
        "post-processor). `web` = `../shared/dev/web` (41 real web copies, grouped by table layout and "
        "garbling as `sources.jsonl` records them); `seeds+pdf` = five seeds and three real PDFs. "
        f"Extraction time (s): {timing}.",
        "",
        "| set / class | tagger | " + " | ".join(COLUMNS) + " |",
        "|---|---|" + "---:|" * len(COLUMNS),
    ]
    for group, by_tagger in results.items():
        for tagger, figures in by_tagger.items():
            lines.append(f"| {group} | {tagger} | " + " | ".join(
                str(int(v)) if k == "docs" else f"{v:.4f}" for k, v in figures.items()) + " |")
    (args.out / "real_dev.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
