"""Cold start: `govreport --help`, and one report extracted by a fresh `govreport extract` process with the
rules baseline and with the model on each backend, side by side in one run.

Targets (issue 13): the model's CPU time ≤ 1.5× the rules baseline's and peak RSS ≤ 250 MB; `--help`
≤ 0.5 s. Each run is a new process (imports, model load, reading, tagging, post-processing, writing the
JSON); the variants are interleaved over the repeats so that the shared machine's load hits them alike.
Wall time, CPU time (user + system of that process alone, from wait4) and its peak RSS; medians.

    .venv/bin/python benchmarks/cold_start.py [--report examples/002_b6ebaffc46ffe707.txt] [--repeats 7]
Writes benchmarks/results/cold_start.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOVREPORT = str(Path(sys.executable).parent / "govreport")


def run_once(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one process running ``cmd``."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} failed: {err.read().decode(errors='replace')[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", type=Path, default=ROOT / "examples" / "002_b6ebaffc46ffe707.txt")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default="cold_start", help="results file stem under benchmarks/results/")
    args = ap.parse_args()

    out_dir = Path(tempfile.mkdtemp())
    base = [GOVREPORT, "extract", str(args.report), "--out", str(out_dir), "--force"]
    variants = {
        "govreport --help": [GOVREPORT, "--help"],
        "extract --tagger rules (baseline)": [*base, "--tagger", "rules"],
        "extract --tagger model (default: onnx)": [*base, "--tagger", "model"],
        "extract --tagger model --backend torch": [*base, "--tagger", "model", "--backend", "torch"],
    }
    load_before = os.getloadavg()
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in variants}
    for cmd in variants.values():  # warm the page cache once; not counted
        run_once(cmd)
    for _ in range(args.repeats):
        for name, cmd in variants.items():
            runs[name].append(run_once(cmd))
    rows = {
        name: {
            "wall_s": round(statistics.median(r[0] for r in rs), 3),
            "cpu_s": round(statistics.median(r[1] for r in rs), 3),
            "peak_rss_mb": round(statistics.median(r[2] for r in rs)),
            "cpu_s_min_max": [round(min(r[1] for r in rs), 3), round(max(r[1] for r in rs), 3)],
        }
        for name, rs in runs.items()
    }
    rules_cpu = rows["extract --tagger rules (baseline)"]["cpu_s"]
    for row in rows.values():
        row["cpu_vs_rules"] = round(row["cpu_s"] / rules_cpu, 2)
    result = {
        "report": str(args.report.relative_to(ROOT)) if args.report.is_relative_to(ROOT) else str(args.report),
        "chars": len(args.report.read_text(encoding="utf-8")),
        "machine": f"{os.cpu_count()} cores",
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "repeats": args.repeats,
        "rows": rows,
    }
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Cold start",
        "",
        f"One report (`{result['report']}`, {result['chars']:,} characters) extracted by a fresh process per run; "
        f"medians of {args.repeats} interleaved runs on {result['machine']}, load average (1/5/15 min) "
        f"{'/'.join(map(str, result['load_average_before']))} before, "
        f"{'/'.join(map(str, result['load_average_after']))} after (the machine is shared). CPU = user + system "
        "time of the process. Targets: model CPU ≤ 1.5× rules, peak RSS ≤ 250 MB, `--help` ≤ 0.5 s.",
        "",
        "| command | wall s | CPU s (min–max) | CPU vs rules | peak RSS MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lo, hi = r["cpu_s_min_max"]
        lines.append(
            f"| {name} | {r['wall_s']:.3f} | {r['cpu_s']:.3f} ({lo:.3f}–{hi:.3f}) | {r['cpu_vs_rules']:.2f}× "
            f"| {r['peak_rss_mb']} |"
        )
    (results / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
