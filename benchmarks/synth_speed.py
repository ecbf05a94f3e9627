"""Synthetic corpus speed: documents per second for the text layouts (issue 3 target: ≥ 100 docs/s).

Generation only (text, labels, gold), measured in one process after a warm-up, per layout and overall;
writes benchmarks/results/synth_speed.md and .json.

    .venv/bin/python benchmarks/synth_speed.py [--n 600] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from govreport.training.synth import generate
from govreport.training.synth.layouts import TEXT_LAYOUTS

RESULTS = Path(__file__).resolve().parent / "results"


def rate(n: int, seed: int, layouts: list[str] | None) -> dict[str, float]:
    start = time.perf_counter()
    chars = 0
    for i in range(n):
        chars += len(generate(seed, i, layouts).text)
    seconds = time.perf_counter() - start
    return {"docs": n, "seconds": round(seconds, 3), "docs_per_s": round(n / seconds, 1),
            "chars_per_doc": round(chars / n)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=600, help="documents for the all-text-layouts run")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    for i in range(20):  # warm-up: imports, config loading, converters
        generate(args.seed + 1, i, TEXT_LAYOUTS)
    results = {"all_text_layouts": rate(args.n, args.seed, TEXT_LAYOUTS)}
    for layout in TEXT_LAYOUTS:
        results[layout] = rate(max(args.n // 4, 50), args.seed, [layout])
    # for information (no target): the default mix includes html/docx, rendered as files and read back
    results["default_mix (incl. html, docx)"] = rate(max(args.n // 2, 50), args.seed, None)
    env = {"cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "synth_speed.json").write_text(json.dumps({"env": env, "results": results}, indent=1) + "\n")
    lines = ["# Synthetic corpus generation speed", "",
             f"`benchmarks/synth_speed.py --n {args.n} --seed {args.seed}` on {env['cpus']} CPUs, "
             f"Python {env['python']}; one process, generation of text + labels + gold (no disk writes). "
             "Target (issue 3): ≥ 100 docs/s for text layouts. Measured while other jobs shared the machine "
             f"(load average {os.getloadavg()[0]:.1f} at the end).", "",
             "| layouts | docs | seconds | docs/s | chars/doc |", "|---|---:|---:|---:|---:|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['docs']} | {r['seconds']} | {r['docs_per_s']} | {r['chars_per_doc']} |")
    (RESULTS / "synth_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
