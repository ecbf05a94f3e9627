"""Time the post-processor alone (spans → output) and the whole extract per report on the seed reports.

Target: post-processor ≤ 20 ms per report on one core. Run: .venv/bin/python benchmarks/postprocess_speed.py
Writes benchmarks/results/postprocess_speed.{json,md}.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the target says

import json
import platform
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from govreport.inference.pipeline import build_extraction  # noqa: E402
from govreport.inference.readers import read_document  # noqa: E402
from govreport.inference.taggers import get_tagger  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
REPEATS = 20


def _median_ms(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    files = sorted(SEEDS.glob("*.txt"))
    taggers = ["rules"] + (["model"] if (ROOT / "models" / "tagger" / "config.json").exists() else [])
    rows = []
    for name in taggers:
        tagger = get_tagger(name)
        for path in files:
            doc = read_document(path)
            spans = tagger.tag(doc.text)
            post = _median_ms(lambda d=doc, s=spans: build_extraction(d.source, d.text, s))
            whole = _median_ms(
                lambda p=path, t=tagger: build_extraction(
                    str(p), (d := read_document(p)).text, t.tag(d.text)
                ),
                5,
            )
            rows.append(
                {
                    "tagger": name,
                    "report": path.stem,
                    "chars": len(doc.text),
                    "postprocess_ms": round(post, 2),
                    "extract_ms": round(whole, 2),
                }
            )
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}",
        "threads": os.environ["OMP_NUM_THREADS"],
        "rows": rows,
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "postprocess_speed.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    lines = [
        "# Post-processor and extract speed on the seed reports",
        "",
        f"Machine: {result['machine']}; median of {REPEATS} runs (extract: of 5).",
        "",
        "| tagger | report | chars | post-processor ms | whole extract ms |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [
        f"| {r['tagger']} | {r['report']} | {r['chars']} | {r['postprocess_ms']} | {r['extract_ms']} |"
        for r in rows
    ]
    (out / "postprocess_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
