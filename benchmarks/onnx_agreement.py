"""Does the ONNX Runtime tagger extract what the PyTorch one does? Measured on the synthetic yardstick and
the real development sets, against PyTorch fp32 (the trained weights as they are):

* the shipped ``model.onnx`` (int8, the default backend) and the same weights exported as fp32 ONNX;
* per set: documents whose cells (value and status), violations and spans are identical, and the share of
  characters given the same label (argmax), plus the largest probability difference.

Each document is read once (readers, OCR included) and tagged by every backend; the post-processor is the
same for all. Rerun after a retrain (after ``make onnx``) and copy the table into models/tagger/README.md.

    .venv/bin/python benchmarks/onnx_agreement.py [--model-dir models/tagger] [--synth data/synth_test] [--limit N]
Writes benchmarks/results/onnx_agreement.{json,md}. ``make synth-test`` builds data/synth_test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from govreport.inference.pipeline import build_extraction
from govreport.inference.readers import read_document
from govreport.inference.schema import Extraction
from govreport.inference.taggers.model import ModelTagger
from govreport.models.export import export_onnx

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Tally:
    """Agreement of one backend with the reference over one set of documents."""

    docs: int = 0
    same_cells: int = 0
    same_violations: int = 0
    same_spans: int = 0
    chars: int = 0
    same_labels: int = 0
    max_prob_diff: float = 0.0
    differing: list[str] = field(default_factory=list)

    def add(self, doc: str, ref: tuple, got: tuple) -> None:
        (ref_x, ref_spans, ref_probs), (x, spans, probs) = ref, got
        cells = _cells(x) == _cells(ref_x)
        violations = _violations(x) == _violations(ref_x)
        self.docs += 1
        self.same_cells += cells
        self.same_violations += violations
        self.same_spans += [(s.start, s.end, s.label) for s in spans] == [(s.start, s.end, s.label) for s in ref_spans]
        self.chars += len(probs)
        self.same_labels += int((probs.argmax(1) == ref_probs.argmax(1)).sum()) if len(probs) else 0
        self.max_prob_diff = max(self.max_prob_diff, float(np.abs(probs - ref_probs).max()) if len(probs) else 0.0)
        if not (cells and violations):
            self.differing.append(doc)

    def row(self) -> dict:
        return {
            "docs": self.docs,
            "same_cells": self.same_cells,
            "same_violations": self.same_violations,
            "same_spans": self.same_spans,
            "chars": self.chars,
            "label_agreement": round(self.same_labels / self.chars, 6) if self.chars else None,
            "max_prob_diff": round(self.max_prob_diff, 4),
            "differing": self.differing,
        }


def _cells(x: Extraction) -> dict:
    return {k: (c.value, c.status) for k, c in x.cells.items()}


def _violations(x: Extraction) -> list:
    return [v.model_dump() for v in x.violations]


def document_sets(synth: Path, limit: int | None) -> dict[str, list[Path]]:
    sets = {
        "synthetic yardstick": sorted((synth / "text").glob("*"))[:limit],
        "seeds (../shared/seeds)": sorted((SHARED / "seeds").glob("*.txt")),
        "dev PDFs (../shared/dev/pdf)": sorted((SHARED / "dev" / "pdf").glob("*.pdf")),
        "dev web (../shared/dev/web/docs)": sorted((SHARED / "dev" / "web" / "docs").glob("*.txt")),
    }
    return {name: paths for name, paths in sets.items() if paths}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", type=Path, default=ROOT / "models" / "tagger")
    ap.add_argument("--synth", type=Path, default=ROOT / "data" / "synth_test")
    ap.add_argument("--limit", type=int, default=None, help="first N synthetic documents only")
    ap.add_argument("--out", default="onnx_agreement", help="results file stem under benchmarks/results/")
    args = ap.parse_args()
    if not (args.synth / "text").is_dir():
        raise SystemExit(f"{args.synth}: no synthetic yardstick; run `make synth-test` first")

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        fp32_dir = Path(tmp) / "fp32"
        shutil.copytree(args.model_dir, fp32_dir)
        export_onnx(fp32_dir, quantize=False)
        taggers = {
            "torch fp32": ModelTagger(args.model_dir, backend="torch", device="cpu"),
            "onnx int8 (shipped)": ModelTagger(args.model_dir, backend="onnx"),
            "onnx fp32": ModelTagger(fp32_dir, backend="onnx"),
        }
        sets = document_sets(args.synth, args.limit)
        tallies = {name: {b: Tally() for b in list(taggers)[1:]} for name in sets}
        for name, paths in sets.items():
            for path in paths:
                doc = read_document(path)
                runs = {}
                for backend, tagger in taggers.items():
                    spans, probs = tagger.tag_with_probs(doc.text)
                    runs[backend] = (build_extraction(doc.source, doc.text, spans), spans, probs)
                for backend, tally in tallies[name].items():
                    tally.add(path.name, runs["torch fp32"], runs[backend])
            print(name, {b: t.row()["label_agreement"] for b, t in tallies[name].items()}, flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    result = {
        "model_dir": str(args.model_dir),
        "reference": "torch fp32",
        "git_commit": commit.strip(),
        "synthetic_limit": args.limit,
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "seconds": round(time.perf_counter() - started),
        "sets": {name: {b: t.row() for b, t in by.items()} for name, by in tallies.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    lines = [
        "# ONNX Runtime vs PyTorch: agreement",
        "",
        f"Reference: PyTorch fp32 on `{args.model_dir.name}` (commit {result['git_commit']}). Each document read "
        "once and extracted with every backend; the post-processor is the same. "
        + (f"Synthetic set limited to its first {args.limit} documents. " if args.limit else "")
        + f"{result['seconds']} s, load average {result['load_average_before']} before, "
        f"{result['load_average_after']} after.",
        "",
        "| set | backend | docs | same cells+statuses | same violations | same spans | characters "
        "| same label | max Δp |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, by in result["sets"].items():
        for backend, r in by.items():
            lines.append(
                f"| {name} | {backend} | {r['docs']} | {r['same_cells']} | {r['same_violations']} | {r['same_spans']} "
                f"| {r['chars']:,} | {100 * r['label_agreement']:.3f} % | {r['max_prob_diff']:.3f} |"
            )
    differing = [(n, b, r["differing"]) for n, by in result["sets"].items() for b, r in by.items() if r["differing"]]
    lines += ["", "Documents whose cells or violations differ from the reference: "
              + ("; ".join(f"{b} on {n}: {', '.join(d)}" for n, b, d in differing) if differing else "none.")]
    (RESULTS / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
