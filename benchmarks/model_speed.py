"""Speed and memory of the model tagger: tokens/s (fp32, int8), a 10,000-character report through tagging
and post-processing, and peak RSS.

Target: 10,000 characters tagged + post-processed in ≤ 0.5 s on this 2-core machine; peak RSS ≤ 1 GB.
The report is synthetic (training.synth, a seed never used in training) cut to exactly 10,000 characters
from consecutive generated reports. The machine's load average is recorded with the figures, since the
machine is shared.

    .venv/bin/python benchmarks/model_speed.py [--model-dir models/tagger] [--repeats 7] [--device cpu]
Writes benchmarks/results/model_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import torch  # noqa: E402
from govreport.inference.pipeline import build_extraction  # noqa: E402
from govreport.inference.taggers.model import ModelTagger  # noqa: E402
from govreport.training.synth import iter_docs  # noqa: E402

CHARS = 10_000
SEED = 424242


def report_text(chars: int = CHARS) -> str:
    """Consecutive synthetic reports joined and cut to ``chars`` characters."""
    text = ""
    for doc in iter_docs(20, SEED):
        text += doc.text + "\n\n"
        if len(text) >= chars:
            return text[:chars]
    raise RuntimeError("synthetic reports too short for the benchmark text")


def timed(fn, repeats: int) -> list[float]:
    """Wall seconds of ``repeats`` calls of ``fn`` after one warm-up call."""
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", type=Path, default=ROOT / "models" / "tagger")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--device", default=None, help="cpu or cuda (default: CUDA when present)")
    ap.add_argument("--out", default="model_speed", help="results file stem under benchmarks/results/")
    args = ap.parse_args()

    text = report_text()
    load_before = os.getloadavg()[0]
    rows = []
    for quantize in (False, True):
        device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
        if quantize and device != "cpu":
            continue
        tagger = ModelTagger(args.model_dir, device=device, quantize=quantize)
        tag_s = timed(lambda t=tagger: t.tag(text), args.repeats)
        full_s = timed(lambda t=tagger: build_extraction("bench", text, t.tag(text)), args.repeats)
        rows.append(
            {
                "device": device,
                "dtype": "int8" if quantize else str(next(tagger.model.parameters()).dtype),
                "threads": torch.get_num_threads(),
                "tag_median_s": round(statistics.median(tag_s), 4),
                "tokens_per_s": round(CHARS / statistics.median(tag_s)),
                "tag_plus_postprocess_median_s": round(statistics.median(full_s), 4),
                "tag_plus_postprocess_max_s": round(max(full_s), 4),
            }
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "model_dir": str(args.model_dir.resolve().relative_to(ROOT))
        if args.model_dir.resolve().is_relative_to(ROOT)
        else str(args.model_dir),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores"
        + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "chars": CHARS,
        "repeats": args.repeats,
        "peak_rss_mb": round(peak_mb),
        "rows": rows,
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Model tagger speed",
        "",
        f"Model `{result['model_dir']}` on {result['machine']}; load average {result['load_average_before']} before, "
        f"{result['load_average_after']} after (the machine is shared). A {CHARS:,}-character synthetic report; "
        f"median of {args.repeats} runs after a warm-up. Peak RSS of the whole benchmark process: "
        f"{result['peak_rss_mb']} MB.",
        "",
        "| device | weights | threads | tag s | tokens/s | tag + post-process s (median) | (max) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['device']} | {r['dtype']} | {r['threads']} | {r['tag_median_s']} | {r['tokens_per_s']:,} | "
            f"{r['tag_plus_postprocess_median_s']} | {r['tag_plus_postprocess_max_s']} |"
        )
    (out / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
