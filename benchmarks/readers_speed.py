"""Batch throughput by input kind, with --workers 1 and 2, and peak RSS per worker; plus cell F1 of the
three real PDFs read from their text layer and read by OCR from 200-dpi renders of their pages.

Cases: text reports (the five seeds, copied 40×), text-layer PDF pages (the three real PDFs, copied 4×),
scanned pages (the three PDFs rendered at 200 dpi into image-only PDFs). Each case runs the real batch
(``inference.batch.run_batch``: read, tag, rebuild, write JSON) in a fresh process.

Targets (issue 5): scanned page ≤ 4 s, text-layer PDF page ≤ 0.2 s.
Run: .venv/bin/python benchmarks/readers_speed.py [--tagger rules|model] [--cases text,pdf,scan]
Writes benchmarks/results/readers_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PDFS = ["huaian_city_2024", "hongze_district_2023", "hongze_district_2024"]
RESULTS = ROOT / "benchmarks" / "results"


def _prepare(case: str, folder: Path) -> int:
    """Fill ``folder`` with the case's inputs; returns the number of units (reports or pages)."""
    import pypdfium2 as pdfium

    folder.mkdir(parents=True)
    if case == "text":
        for copy in range(40):
            for seed in sorted((SHARED / "seeds").glob("*.txt")):
                shutil.copy(seed, folder / f"{seed.stem}_{copy}.txt")
        return len(list(folder.iterdir()))
    pages = 0
    for name in PDFS:
        pdf = pdfium.PdfDocument(str(SHARED / "dev" / "pdf" / f"{name}.pdf"))
        if case == "pdf":
            for copy in range(4):
                shutil.copy(SHARED / "dev" / "pdf" / f"{name}.pdf", folder / f"{name}_{copy}.pdf")
            pages += 4 * len(pdf)
        else:
            images = [page.render(scale=200 / 72).to_pil().convert("RGB") for page in pdf]
            buffer = io.BytesIO()
            images[0].save(buffer, "PDF", resolution=200, save_all=True, append_images=images[1:])
            (folder / f"{name}.pdf").write_bytes(buffer.getvalue())
            pages += len(images)
        pdf.close()
    return pages


def _run_case(case: str, workers: int, tagger: str, inputs: Path, out: Path) -> dict:
    """In this (fresh) process: the batch over ``inputs``; wall time and peak RSS per worker."""
    from govreport.inference.batch import extractor_factory, run_batch

    files = sorted(inputs.iterdir())
    make = extractor_factory(tagger)
    start = time.perf_counter()
    result = run_batch(files, out, make_extractor=make, workers=workers, force=True)
    seconds = time.perf_counter() - start
    # the batch may read in worker processes even with one worker: count this process and its children
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": seconds,
        "cpu_seconds": sum(u.ru_utime + u.ru_stime for u in (own, children)),
        "done": len(result.done),
        "failed": len(result.failed),
        "peak_rss_mb_per_worker": max(own.ru_maxrss, children.ru_maxrss) / 1024,
    }


def _f1(out: Path, suffix: str = "") -> float:
    """Cell F1 of the three real reports' outputs (renamed to the gold names) against their gold."""
    from govreport.evaluation.metrics import evaluate_dirs

    scored = out.parent / f"{out.name}_scored"
    scored.mkdir(exist_ok=True)
    for name in PDFS:
        shutil.copy(out / f"{name}{suffix}.json", scored / f"{name}.json")
    return evaluate_dirs(SHARED / "dev" / "gold", scored, PDFS)["cells"]["f1"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tagger", default="rules")
    parser.add_argument("--cases", default="text,pdf,scan")
    parser.add_argument(
        "--one", nargs=4, metavar=("CASE", "WORKERS", "INPUTS", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.one:
        case, workers, inputs, out = args.one
        print(json.dumps(_run_case(case, int(workers), args.tagger, Path(inputs), Path(out))))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases.split(","):
            inputs = Path(tmp) / case
            units = _prepare(case, inputs)
            for workers in (1, 2):
                out = Path(tmp) / f"{case}_out_{workers}"
                load = os.getloadavg()[0]
                proc = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--tagger",
                        args.tagger,
                        "--one",
                        case,
                        str(workers),
                        str(inputs),
                        str(out),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
                run = json.loads(proc.stdout.strip().splitlines()[-1])
                row = {"case": case, "workers": workers, "units": units, "load_before": round(load, 2), **run}
                row["units_per_s"] = units / run["seconds"]
                row["s_per_unit"] = run["seconds"] / units
                row["cpu_s_per_unit"] = run["cpu_seconds"] / units
                if case != "text":
                    row["cell_f1"] = _f1(out, "_0" if case == "pdf" else "")
                rows.append(row)
                print(json.dumps(row), flush=True)
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared with other jobs)",
        "tagger": args.tagger,
        "python": platform.python_version(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "readers_speed.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2), "utf-8")
    unit = {"text": "report", "pdf": "page", "scan": "page"}
    lines = [
        "# Batch throughput by input kind",
        "",
        f"Machine: {meta['machine']}; tagger {args.tagger}; end-to-end batch (read, tag, rebuild, write JSON).",
        "Text: the 5 seed reports ×40. PDF: the 3 real text-layer PDFs ×4. Scan: the 3 PDFs rendered at 200 dpi "
        "into image-only PDFs (RapidOCR). Cell F1 against the gold of the 3 real reports.",
        "",
        "CPU s/unit is user+sys time of the batch process and its workers per unit, start-up included: on an",
        "idle machine 2 workers would need about half of it in wall time per unit. Peak RSS is the largest",
        "single process (the batch process or one worker).",
        "",
        "| case | workers | units | seconds | units/s | s/unit | CPU s/unit | peak RSS/process MB | cell F1 | "
        "load before |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        f1 = f"{r['cell_f1']:.4f}" if "cell_f1" in r else "-"
        lines.append(
            f"| {r['case']} ({unit[r['case']]}s) | {r['workers']} | {r['units']} | {r['seconds']:.1f} | "
            f"{r['units_per_s']:.2f} | {r['s_per_unit']:.3f} | {r['cpu_s_per_unit']:.3f} | "
            f"{r['peak_rss_mb_per_worker']:.0f} | {f1} | "
            f"{r['load_before']} |"
        )
    (RESULTS / "readers_speed.md").write_text("\n".join(lines) + "\n", "utf-8")


if __name__ == "__main__":
    main()
