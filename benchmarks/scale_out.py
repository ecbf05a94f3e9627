"""The local engine against the Ray engine on this machine, measured in one run so that their ratio means
something on a shared machine (issue 11).

Inputs: 200 synthetic text reports (``govreport synth``, seed 11) and 20 text-layer PDF pages (the two
five-page real PDFs, copied twice each). Each engine runs the real batch (``run_batch``: read, tag with
the bundled model, rebuild, write JSON) with 2 workers / 2 actors, the settings of
``govreport extract --workers 2`` and ``--engine ray --actors 2``:

* reports (or pages) per second, start-up included (Ray's own start excluded: it is paid once per
  session, and given apart);
* Ray's fixed start-up cost: ``ray.init`` of a local instance, and an actor pool's start (actors built,
  tagger loaded: a run of one report);
* per-report overhead of each engine: (time for N − time for 1) / (N − 1), against the same figure for
  one process extracting in a loop (no engine at all).

Run: .venv/bin/python benchmarks/scale_out.py [--n 200] [--batch-sizes 1,4,16]
Writes benchmarks/results/scale_out.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from govreport.inference.batch import BatchResult, extractor_factory, run_batch
from govreport.inference.ray_engine import RayExecutor

ROOT = Path(__file__).resolve().parents[1]
PDF_DIR = ROOT.parent / "shared" / "dev" / "pdf"
RESULTS = ROOT / "benchmarks" / "results"
PDFS = ("hongze_district_2023", "hongze_district_2024")  # five pages each


def _inputs(root: Path, n: int) -> dict[str, list[Path]]:
    from govreport.training.synth import write_corpus

    corpus = write_corpus(root / "synth", n, seed=11)
    text = sorted((corpus / "text").glob("*.txt"))
    pdf_dir = root / "pdf"
    pdf_dir.mkdir()
    for copy in range(2):
        for name in PDFS:
            shutil.copy(PDF_DIR / f"{name}.pdf", pdf_dir / f"{name}_{copy}.pdf")
    return {"text": text, "pdf": sorted(pdf_dir.iterdir())}


def _timed(run: Callable[[Path], BatchResult], out: Path) -> tuple[float, float]:
    """Seconds of one run, and the machine's load (1-minute average) as it started."""
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    result = run(out)
    seconds = time.perf_counter() - start
    assert not result.failed, result.failed
    print(f"  {seconds:7.2f} s  (load {load:.1f})", flush=True)
    return seconds, load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--batch-sizes", default="1,4,16")
    args = parser.parse_args()
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    import ray

    make = extractor_factory("model")
    work = Path(tempfile.mkdtemp(prefix="scale-out-"))
    rows: list[dict] = []
    try:
        inputs = _inputs(work, args.n)
        units = {"text": len(inputs["text"]), "pdf": 20}

        def engines() -> dict[str, Callable[[list[Path], Path], BatchResult]]:
            local = {"local --workers 2": lambda f, o: run_batch(f, o, workers=2, make_extractor=make)}
            on_ray = {
                f"ray --actors 2 --batch-size {b}": (
                    lambda f, o, b=b: run_batch(f, o, executor=RayExecutor(make, o, actors=2, batch_size=b))
                )
                for b in batch_sizes
            }
            return {"one process (no engine)": lambda f, o: run_batch(f, o, make()), **local, **on_ray}

        start = time.perf_counter()
        ray.init(num_cpus=2, object_store_memory=200 * 1024**2, include_dashboard=False, logging_level="ERROR")
        ray_init = time.perf_counter() - start
        print(f"ray.init: {ray_init:.2f} s", flush=True)
        for kind, files in inputs.items():
            for name, run in engines().items():
                print(f"{kind} × {len(files)}, {name}", flush=True)
                whole, load = _timed(lambda o, r=run, f=files: r(f, o), work / "out")
                print(f"{kind} × 1, {name}", flush=True)
                one, _ = _timed(lambda o, r=run, f=files: r(f[:1], o), work / "out")
                rows.append(
                    {
                        "input": kind,
                        "engine": name,
                        "files": len(files),
                        "units": units[kind],
                        "seconds": round(whole, 3),
                        "load": round(load, 1),
                        "units_per_s": round(units[kind] / whole, 2),
                        "one_file_seconds": round(one, 3),
                        "per_unit_after_first_s": round(
                            (whole - one) / (units[kind] - units[kind] / len(files)), 4
                        ),
                    }
                )
        ray.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "ray_version": ray.__version__,
        "ray_init_s": round(ray_init, 2),
        "load_after": round(os.getloadavg()[0], 1),
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale_out.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Scale-out: local engine vs Ray engine (benchmarks/scale_out.py)",
        "",
        f"{report['machine']}, Ray {report['ray_version']}, model tagger (ONNX Runtime). One run; the "
        "machine is shared: its load (1-minute average) as each row started is given.",
        "",
        f"Ray's fixed start-up: `ray.init` of a local instance {ray_init:.2f} s; an actor pool's start is the "
        "'one file' column of the ray rows (actors built, tagger loaded, one report).",
        "",
        "| input | engine | files | units | seconds | units/s | one file (s) | s per unit after the first | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {r['input']} | {r['engine']} | {r['files']} | {r['units']} | {r['seconds']:.2f} | "
            f"{r['units_per_s']:.2f} | {r['one_file_seconds']:.2f} | {r['per_unit_after_first_s']:.4f} | {r['load']} |"
            for r in rows
        ),
        "",
        "Units: reports for text, pages for PDF.",
    ]
    (RESULTS / "scale_out.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
