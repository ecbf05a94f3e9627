"""Scan yardstick (issue 14): generated reports printed on ruled A4 pages at 200 dpi, scanned clean and
noisy (the SAME reports), read by the real reader and extracted by the default pipeline, against the same
reports fed as text.

Generates reports (seed fixed) until they fill ``--pages`` pages (``training/synth/layouts/scan.py``,
parameters in configs/synth.yaml ``ocr.scan``), writes each as text, as an image-only clean PDF and as a
noisy one (skew ±0.5°, blur, JPEG 60, speckle, faint rulings on some pages) into a work folder (not
committed), then reads every PDF with both OCR paths in one run, each in its own subprocesses: the
page-level path (``GOVREPORT_OCR_CELL_READING=0``) and the cell-by-cell path (``=1``; a reader that does
not know the switch reads both the same way). The paths take turns, ``--chunk`` documents at a time, so a
change in the load of this shared machine falls on both; each subprocess reads one page first, untimed
(start-up is reported apart). Reports cell F1 (``evaluation.metrics.evaluate_dirs``) for text / clean /
noisy per path, seconds per page (median over the pages, a page timed as its document's read time / its
pages), the reader's peak RSS (before the tagger loads), and the load (1-minute average) around each run.

    .venv/bin/python benchmarks/scan_yardstick.py [--pages 40] [--seed 20261214] [--tagger model] [--work DIR]
    .venv/bin/python benchmarks/scan_yardstick.py --pages 6 --no-write     # a quick check (≈ 3 min)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from govreport.evaluation.metrics import evaluate_dirs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PATHS = {"old": "0", "new": "1"}
VARIANTS = ("clean", "noisy")


def build(work: Path, pages: int, seed: int, borderless_every: int) -> list[dict[str, Any]]:
    """Reports 0, 1, … of ``seed`` until they fill ``pages`` pages: text, gold, clean and noisy PDFs. Every
    ``borderless_every``-th report prints its tables without rulings (the others as the mix draws them),
    so that a sample of ten reports surely holds some."""
    from govreport.training.synth.layouts import scan

    for sub in ("text", "gold", *VARIANTS):
        (work / sub).mkdir(parents=True, exist_ok=True)
    meta: list[dict[str, Any]] = []
    index = 0
    while sum(m["pages"] for m in meta) < pages:
        forced = borderless_every and index % borderless_every == borderless_every - 1
        rep = scan.report(seed, index, True if forced else None)
        (work / "text" / f"{rep.id}.txt").write_text(rep.text, encoding="utf-8")
        (work / "gold" / f"{rep.id}.json").write_text(json.dumps(rep.gold, ensure_ascii=False, indent=1),
                                                      encoding="utf-8")
        rng = random.Random(f"{rep.id}:noisy")
        for variant in VARIANTS:
            (work / variant / f"{rep.id}.pdf").write_bytes(scan.scan_pdf(rng, rep.drawn, variant == "noisy"))
        borderless = not any(p.rulings.getbbox() for p in rep.drawn.pages)
        meta.append({"id": rep.id, "pages": len(rep.drawn.pages), "borderless": borderless,
                     "blank_cells": len(rep.drawn.blank_keys), "format": rep.gold["format"]})
        if not index:
            (work / "warmup.pdf").write_bytes(scan.pdf([rep.drawn.pages[0].image], scan.cfg()["clean_jpeg"]))
        index += 1
    (work / "meta.json").write_text(json.dumps(meta, indent=1))
    return meta


def _extractor(tagger: str) -> Any:
    from govreport.inference.pipeline import Extractor
    from govreport.inference.taggers import get_tagger

    return Extractor(get_tagger(tagger))


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(work: Path, label: str, tagger: str, ids: list[str], chunk: int) -> None:
    """One path in this process, on the documents ``ids``: warm the reader up on one page (untimed), read
    every scanned PDF (timed), note the peak RSS, then extract."""
    from govreport.inference.readers import read_document

    meta = {m["id"]: m for m in json.loads((work / "meta.json").read_text())}
    t0 = time.perf_counter()
    read_document(work / "warmup.pdf")  # models loaded, caches filled: start-up is not a page's cost
    warmup = time.perf_counter() - t0
    reads, docs = [], {}
    for variant in VARIANTS:
        for doc_id in ids:
            t0 = time.perf_counter()
            try:
                docs[variant, doc_id] = read_document(work / variant / f"{doc_id}.pdf")
                error = None
            except Exception as exc:  # a reader failure is a result: the document scores nothing
                error = f"{type(exc).__name__}: {exc}"
            reads.append({"variant": variant, "id": doc_id, "pages": meta[doc_id]["pages"],
                          "seconds": time.perf_counter() - t0, "error": error})
    read_mb = _peak_mb()
    extractor = _extractor(tagger)
    for (variant, doc_id), doc in docs.items():
        out = work / f"pred_{label}_{variant}"
        out.mkdir(exist_ok=True)
        (out / f"{doc_id}.json").write_text(extractor.extract(doc).model_dump_json(indent=1), encoding="utf-8")
        (out / f"{doc_id}.txt").write_text(doc.text, encoding="utf-8")
    result = {"reads": reads, "warmup_s": warmup, "rss_read_mb": read_mb, "rss_total_mb": _peak_mb()}
    (work / f"worker_{label}_{chunk}.json").write_text(json.dumps(result, indent=1))


def text_reference(work: Path, tagger: str) -> None:
    """The same reports fed as text, read and extracted as ``govreport extract`` would."""
    from govreport.inference.readers import read_document

    extractor = _extractor(tagger)
    out = work / "pred_text"
    out.mkdir(exist_ok=True)
    for path in sorted((work / "text").glob("*.txt")):
        (out / f"{path.stem}.json").write_text(extractor.extract(read_document(path)).model_dump_json(indent=1),
                                               encoding="utf-8")


def per_page_median(reads: list[dict[str, Any]]) -> float:
    """Median seconds per page over the pages, each page timed as its document's read time / pages."""
    return statistics.median(r["seconds"] / r["pages"] for r in reads for _ in range(r["pages"]))


def score(work: Path, pred: str, ids: list[str]) -> dict[str, Any]:
    s = evaluate_dirs(work / "gold", work / pred, ids)
    wrong = [w | {"doc": d["doc"]} for d in s["per_document"] for w in d["wrong_cells"]]
    return {"docs": s["documents"], "cell_p": s["cells"]["precision"], "cell_r": s["cells"]["recall"],
            "cell_f1": s["cells"]["f1"], "all_cells_right": s["documents_all_cells_right"],
            "sections_f1": s["sections"]["f1"], "wrong_cells": len(wrong), "wrong_examples": wrong[:12]}


def run_worker(work: Path, label: str, tagger: str, ids: list[str], chunk: int) -> dict[str, Any]:
    """One worker subprocess with the path's switch set; its result with the wall time and the load."""
    env = os.environ | {"GOVREPORT_OCR_CELL_READING": PATHS[label]}
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--worker", label, "--work", str(work), "--tagger", tagger,
                           "--ids", ",".join(ids), "--run", str(chunk)],
                          env=env, check=False, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{label} worker failed:\n{done.stderr[-3000:]}")
    res = json.loads((work / f"worker_{label}_{chunk}.json").read_text())
    return res | {"wall_s": time.perf_counter() - t0, "load_before": load_before, "load_after": os.getloadavg()}


def run_paths(work: Path, labels: list[str], tagger: str, ids: list[str], chunk: int) -> dict[str, Any]:
    """Every path over the documents, a few at a time and in turns (the first path of a turn alternates),
    so that a change in the machine's load falls on both paths alike."""
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in labels}
    for k, start in enumerate(range(0, len(ids), chunk)):
        for label in labels[::-1] if k % 2 else labels:
            runs[label].append(run_worker(work, label, tagger, ids[start : start + chunk], k))
    out = {}
    for label, rs in runs.items():
        reads = [r for run in rs for r in run["reads"]]
        loads = [run[k][0] for run in rs for k in ("load_before", "load_after")]
        out[label] = {"s_per_page_median": per_page_median(reads), "read_s_total": sum(r["seconds"] for r in reads),
                      "pages_read": sum(r["pages"] for r in reads), "read_errors": sum(bool(r["error"]) for r in reads),
                      "warmup_s": statistics.median(run["warmup_s"] for run in rs),
                      "rss_read_mb": max(run["rss_read_mb"] for run in rs),
                      "rss_total_mb": max(run["rss_total_mb"] for run in rs),
                      "load_min": min(loads), "load_max": max(loads), "wall_s": sum(run["wall_s"] for run in rs),
                      "reads": reads}
    return out


def report_md(res: dict[str, Any]) -> str:
    a = res["args"]
    lines = [
        "# Scan yardstick: generated scanned reports, page-level vs cell-by-cell OCR", "",
        f"`benchmarks/scan_yardstick.py --pages {a['pages']} --seed {a['seed']} --tagger {a['tagger']} "
        f"--chunk {a['chunk']} --borderless-every {a['borderless_every']}` on "
        f"{res['cores']} cores ({res['date']}): {res['docs']} generated reports, {res['pages']} pages "
        f"({res['borderless_docs']} reports with borderless tables, {res['blank_docs']} with zeros left blank), "
        "printed on A4 at 200 dpi (`training/synth/layouts/scan.py`, configs/synth.yaml `ocr.scan`), written "
        "as image-only PDFs: clean (JPEG 95) and noisy (the same pages: skew ±0.5°, blur, JPEG 60, speckle, "
        "faint rulings on some pages). Both OCR paths read every PDF in one run, in subprocesses "
        "(`GOVREPORT_OCR_CELL_READING=0` old page-level, `=1` new cell-by-cell) that take turns "
        f"{a['chunk']} documents at a time, with the real reader (`read_document`; start-up, one page read "
        "first, is not counted in s/page), and extract with the default pipeline; the text row feeds the same "
        "reports' text (the drawn layout, tab-separated table rows) through the same pipeline. Cell F1 by "
        f"`evaluation.metrics.evaluate_dirs`. Code at commit {res['commit']}.", "",
        "| input | path | cell P | cell R | cell F1 | docs all cells right | sections F1 | wrong cells |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    t = res["scores"]["text"]
    lines.append(f"| text (reference) | — | {t['cell_p']:.4f} | {t['cell_r']:.4f} | **{t['cell_f1']:.4f}** | "
                 f"{t['all_cells_right']:.3f} | {t['sections_f1']:.3f} | {t['wrong_cells']} |")
    for label in res["paths"]:
        for variant in VARIANTS:
            s = res["scores"][f"{label}_{variant}"]
            lines.append(f"| {variant} scans | {label} | {s['cell_p']:.4f} | {s['cell_r']:.4f} | "
                         f"**{s['cell_f1']:.4f}** | {s['all_cells_right']:.3f} | {s['sections_f1']:.3f} | "
                         f"{s['wrong_cells']} |")
    lines += ["", "| path | s/page (median) | read s total | pages read | read errors | start-up s (median) | "
              "peak RSS reading (MB) | peak RSS with tagging (MB) | load (1 min) min – max | wall s |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for label, p in res["paths"].items():
        lines.append(f"| {label} | {p['s_per_page_median']:.2f} | {p['read_s_total']:.0f} | {p['pages_read']} | "
                     f"{p['read_errors']} | {p['warmup_s']:.1f} | {p['rss_read_mb']:.0f} | {p['rss_total_mb']:.0f} | "
                     f"{p['load_min']:.2f} – {p['load_max']:.2f} | {p['wall_s']:.0f} |")
    if {"old", "new"} <= set(res["paths"]):
        ratio = res["paths"]["new"]["s_per_page_median"] / res["paths"]["old"]["s_per_page_median"]
        lines += ["", f"New / old time per page (median): **{ratio:.2f}×**."]
    groups = list(next(iter(res["by_look"].values())))
    lines += ["", "Targets (issue 14): noisy-scan cell F1 within 0.01 of text, clean ≥ 0.99, new ≤ 0.5× old "
              "s/page, peak RSS ≤ 1 GB.", "", "## Cell F1 by table look", "",
              "(report counts: " + ", ".join(f"{g} {n}" for g, n in res["group_docs"].items()) + ")", "",
              "| input | path | " + " | ".join(groups) + " |", "|---|---|" + "---:|" * len(groups)]
    for key, s in res["by_look"].items():
        label, _, variant = key.partition("_")
        lines.append(f"| {variant or label} | {label if variant else '—'} | "
                     + " | ".join(f"{s[g]:.4f}" for g in groups) + " |")
    lines += ["", "## First wrong cells", ""]
    for key, s in res["scores"].items():
        ex = "; ".join(f"{w['doc'][-3:]} {w['cell']} gold {w['gold']} pred {w['pred']}" for w in s["wrong_examples"])
        lines.append(f"* {key}: {ex or 'none'}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=40, help="generate reports until they fill this many pages")
    ap.add_argument("--seed", type=int, default=20261214)
    ap.add_argument("--tagger", default="model")
    ap.add_argument("--work", type=Path, default=None, help="work folder (default: a fresh temporary one)")
    ap.add_argument("--paths", default="old,new", help="reader paths to run, comma-separated")
    ap.add_argument("--no-write", action="store_true", help="print the results, leave benchmarks/results alone")
    ap.add_argument("--borderless-every", type=int, default=4, help="every N-th report without rulings (0: as drawn)")
    ap.add_argument("--chunk", type=int, default=3, help="documents per worker run (paths take turns)")
    ap.add_argument("--worker", choices=sorted(PATHS), help=argparse.SUPPRESS)
    ap.add_argument("--ids", help=argparse.SUPPRESS)
    ap.add_argument("--run", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.work, args.worker, args.tagger, args.ids.split(","), args.run)
        return
    commit = _commit()  # before the long run: the code measured, whatever lands meanwhile
    work = args.work or Path(tempfile.mkdtemp(prefix="scan_yardstick_"))
    meta = build(work, args.pages, args.seed, args.borderless_every)
    ids = [m["id"] for m in meta]
    text_reference(work, args.tagger)
    paths = run_paths(work, args.paths.split(","), args.tagger, ids, args.chunk)
    scores = {"text": score(work, "pred_text", ids)}
    scores |= {f"{label}_{v}": score(work, f"pred_{label}_{v}", ids) for label in paths for v in VARIANTS}
    looks = {"ruled": [m["id"] for m in meta if not m["borderless"]],
             "borderless": [m["id"] for m in meta if m["borderless"]],
             "zeros blank": [m["id"] for m in meta if m["blank_cells"]],
             "no blank cell": [m["id"] for m in meta if not m["blank_cells"]]}
    by_look = {key: {look: (evaluate_dirs(work / "gold", work / pred, d)["cells"]["f1"] if d else float("nan"))
                     for look, d in looks.items()}
               for key, pred in [("text", "pred_text")] + [(f"{lab}_{v}", f"pred_{lab}_{v}") for lab in paths for v in VARIANTS]}
    res = {
        "args": {"pages": args.pages, "seed": args.seed, "tagger": args.tagger, "chunk": args.chunk,
                 "borderless_every": args.borderless_every},
        "cores": os.cpu_count(), "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M"), "docs": len(meta), "pages": sum(m["pages"] for m in meta),
        "borderless_docs": sum(m["borderless"] for m in meta), "blank_docs": sum(bool(m["blank_cells"]) for m in meta),
        "work": str(work), "scores": scores, "by_look": by_look, "group_docs": {g: len(d) for g, d in looks.items()},
        "paths": paths,
    }
    md = report_md(res)
    print(md)
    print(f"work folder: {work}")
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "scan_yardstick.json").write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n")
        (RESULTS / "scan_yardstick.md").write_text(md)


if __name__ == "__main__":
    main()
