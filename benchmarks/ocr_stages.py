"""The OCR reader, new (cell by cell) against old (page level), side by side in one run: the three real
PDFs rendered at 200 dpi, clean and with scan defects (tests/test_readers_ocr_noisy.py ``scan_defects``:
±0.5° skew, blur 0.6 px, 0.2 % salt and pepper, JPEG 60; fixed seed), each read as a multi-page TIFF.

Each (path, pages) case runs in a fresh process (``GOVREPORT_OCR_CELL_READING=0|1``), cases alternate
old/new so load drifts hit both; reported per case: seconds per page (wall and CPU), per-stage seconds
per page (the new path's stages; the old one has only its render), peak RSS of the process, cell F1
of the rules pipeline against gold, and the load average before and after.

Run: .venv/bin/python benchmarks/ocr_stages.py [--rounds N]
Writes benchmarks/results/ocr_reader_stages.{json,md}.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
PATHS = {"old": "0", "new": "1"}


def _prepare(folder: Path) -> None:
    """clean/<name>.tif and noisy/<name>.tif for the three reports."""
    from tests.test_readers_ocr_noisy import DPI, NAMES, noisy_tiff, render

    for variant in ("clean", "noisy"):
        (folder / variant).mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        pages = render(name)
        buffer = io.BytesIO()
        pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:], dpi=(DPI, DPI), compression="tiff_lzw")
        (folder / "clean" / f"{name}.tif").write_bytes(buffer.getvalue())
        (folder / "noisy" / f"{name}.tif").write_bytes(noisy_tiff(name))


def _child(folder: Path, out: Path) -> dict:
    """Read every TIFF in ``folder`` (in this process), tag with the rules pipeline, score against gold."""
    import resource

    from govreport.evaluation.metrics import evaluate_dirs
    from govreport.inference.pipeline import Extractor
    from govreport.inference.readers import ocr, read_document
    from govreport.inference.taggers import get_tagger

    from tests.test_readers_ocr_noisy import GOLD_DIR, NAMES

    extractor = Extractor(get_tagger("rules"))
    started = time.perf_counter()
    ocr.engine()._load_det_model()
    ocr.engine()._load_rec_model()
    load_seconds = time.perf_counter() - started
    ocr.reset_stage_times()
    wall = cpu = 0.0
    pages = 0
    out.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        w0, c0 = time.perf_counter(), time.process_time()
        doc = read_document(folder / f"{name}.tif")
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
        pages += doc.pages
        (out / f"{name}.json").write_text(extractor.extract(doc).model_dump_json(), encoding="utf-8")
    scores = evaluate_dirs(GOLD_DIR, out, NAMES)
    return {
        "pages": pages,
        "s_per_page": wall / pages,
        "cpu_s_per_page": cpu / pages,
        "stages_s_per_page": {k: v / pages for k, v in ocr.stage_times().items()},
        "model_load_s": load_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cell_f1": scores["cells"]["f1"],
        "wrong_cells": {d["doc"]: d["wrong_cells"] for d in scores["per_document"] if d["wrong_cells"]},
    }


def _run_case(path: str, variant: str, folder: Path) -> dict:
    env = {**os.environ, "GOVREPORT_OCR_CELL_READING": PATHS[path]}
    before = os.getloadavg()
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(folder / variant), str(folder / f"out_{path}_{variant}")],
        env=env, capture_output=True, text=True, check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"path": path, "variant": variant, **result, "load_before": before, "load_after": os.getloadavg()}


def _markdown(report: dict) -> str:
    rows = report["cases"]
    stages = sorted({s for r in rows for s in r["stages_s_per_page"]}, key=["render", "clean", "layout", "detect", "recognise", "second_pass"].index)
    lines = [
        "# OCR reader: cell by cell (new) vs page level (old), per stage",
        "",
        f"Run {report['date']} on {report['machine']} ({report['cpus']} CPUs), one process per case, "
        "cases alternating old/new. The three real PDFs rendered at 200 dpi (16 pages), clean and with "
        "scan defects (±0.5° skew, Gaussian blur 0.6 px, 0.2 % salt and pepper, JPEG 60; seeded), read as "
        "multi-page TIFFs; cell F1 of the rules pipeline against gold. `load` is the 1-minute load average "
        "before → after the case (2 cores: above ~1 the machine was shared).",
        "",
        "| path | input | s/page | CPU s/page | " + " | ".join(stages) + " | peak RSS MB | cell F1 | load |",
        "|---|---|---|---|" + "---|" * len(stages) + "---|---|---|",
    ]
    for r in rows:
        cells = " | ".join(f"{r['stages_s_per_page'].get(s, 0):.3f}" for s in stages)
        lines.append(
            f"| {r['path']} | {r['variant']} | {r['s_per_page']:.2f} | {r['cpu_s_per_page']:.2f} | {cells} | "
            f"{r['peak_rss_mb']:.0f} | {r['cell_f1']:.4f} | {r['load_before'][0]:.1f} → {r['load_after'][0]:.1f} |"
        )
    lines += ["", "Ratio new/old (s per page, same round): " + ", ".join(
        f"{v}: {ratio:.2f}" for v, ratio in report["ratios"].items()
    ), ""]
    wrong = [(r["path"], r["variant"], r["wrong_cells"]) for r in rows if r["wrong_cells"]]
    if wrong:
        lines += ["Wrong cells:", ""]
        lines += [f"* {p} {v}: {json.dumps(w, ensure_ascii=False)}" for p, v, w in wrong]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(Path(args.child[0]), Path(args.child[1]))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _prepare(folder)
        cases = []
        for round_ in range(args.rounds):
            order = ["old", "new"] if round_ % 2 == 0 else ["new", "old"]
            for variant in ("clean", "noisy"):
                for path in order:
                    cases.append({"round": round_, **_run_case(path, variant, folder)})
                    print(json.dumps({k: v for k, v in cases[-1].items() if k != "wrong_cells"}), flush=True)
    ratios = {}
    for variant in ("clean", "noisy"):
        old = [c["s_per_page"] for c in cases if c["variant"] == variant and c["path"] == "old"]
        new = [c["s_per_page"] for c in cases if c["variant"] == variant and c["path"] == "new"]
        ratios[variant] = sum(new) / sum(old)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "cases": cases,
        "ratios": ratios,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ocr_reader_stages.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    (RESULTS / "ocr_reader_stages.md").write_text(_markdown(report), encoding="utf-8")
    print(_markdown(report))


if __name__ == "__main__":
    main()
