"""Warm speed of the model tagger: a 10,000-character report tagged and post-processed, the alternatives
side by side in one run, and where the time of the default goes.

Target: ≤ 0.15 s for tagging + post-processing on this 2-core machine. Every alternative (backend,
weights, intra-op threads, busy-waiting threads, batch size, window stride) is a row; their runs are
interleaved (each repeat runs every row once), so a change in the shared machine's load hits all rows alike.
Wall and CPU time (all threads of the process) are medians over the repeats. "Tag + post-process" is the
product path, ``Extractor.extract``: the rules baseline's second opinion (for the review) included. The stage
table splits the default into tokenizer, forward passes, window merging, span decoding, the second opinion and
the post-processor, and times the ``tokenizers`` call the char lookup replaced. The text is synthetic (training.synth, a seed never trained
on) cut to exactly 10,000 characters.

    .venv/bin/python benchmarks/model_speed.py [--model-dir models/tagger] [--repeats 9]
Writes benchmarks/results/model_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from govreport.configs import load
from govreport.inference.decoding import decode_spans
from govreport.inference.document import Document
from govreport.inference.normalize import to_simplified
from govreport.inference.pipeline import Extractor, build_extraction
from govreport.inference.taggers.model import ModelTagger
from govreport.models.encoding import char_probs, encode
from govreport.models.export import export_onnx
from govreport.models.onnx_model import OnnxTagModel
from govreport.models.predict import windowed_probs
from govreport.models.tokenizer import build_tokenizer
from govreport.training.synth import iter_docs

ROOT = Path(__file__).resolve().parents[1]
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


def clock(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and process CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def variants(model_dir: Path, fp32_dir: Path) -> dict[str, tuple[ModelTagger, str]]:
    """The rows: a tagger each, with what distinguishes it from the default (first row)."""
    cfg = load("model")
    settings = cfg["inference"]["onnx"]
    stride = int(cfg["windows"]["stride"])

    def onnx(stride: int | None = None, batch_size: int | None = None, **runtime: object) -> ModelTagger:
        """The default ONNX tagger with some of its runtime settings (configs/model.yaml) changed."""
        tagger = ModelTagger(model_dir, backend="onnx", batch_size=batch_size)
        options = {k: settings[k] for k in ("threads", "spin", "disabled_optimizers", "parallel")} | runtime
        tagger.runtime = OnnxTagModel(model_dir, **options)  # type: ignore[arg-type]
        tagger.stride = stride or tagger.stride
        return tagger

    return {
        "onnx int8, default": (onnx(), "the shipped default (configs/model.yaml)"),
        "onnx int8, 1 window at a time": (onnx(parallel=1), "no windows in parallel"),
        "onnx int8, 1 window at a time, 2 threads": (onnx(parallel=1, threads=2), "intra-op threads instead"),
        "onnx int8, 1 window at a time, 2 spinning threads": (
            onnx(parallel=1, threads=2, spin=True),
            "the same, busy-waiting pool threads",
        ),
        "onnx int8, SkipLayerNorm fusion on": (onnx(disabled_optimizers=()), "ONNX Runtime's fused layer norm"),
        "onnx int8, batch 4": (onnx(batch_size=4), "batch size"),
        "onnx int8, batch 8": (onnx(batch_size=8), "batch size"),
        "onnx int8, stride 448": (onnx(stride=448), f"window stride (default {stride})"),
        "onnx int8, stride 510": (onnx(stride=510), f"window stride (default {stride}); 510 = no overlap"),
        "onnx fp32": (ModelTagger(fp32_dir, backend="onnx"), "weights"),
        "torch fp32": (ModelTagger(model_dir, backend="torch", device="cpu"), "backend (the old default)"),
        "torch int8 (dynamic)": (ModelTagger(model_dir, backend="torch", device="cpu", quantize=True), "backend"),
    }


def stages(tagger: ModelTagger, text: str, repeats: int) -> dict[str, float]:
    """Median wall seconds of each stage of the default tagger plus post-processing."""
    runtime = tagger.runtime
    hf = build_tokenizer()
    enc = runtime.tokenizer.encode(text)
    window = (runtime.specials, tagger.max_length, tagger.stride, tagger.batch_size, runtime.pool)
    merged = windowed_probs([enc], runtime.run, *window)
    probs = char_probs(len(text), enc, merged[0], tagger.tags)
    spans = decode_spans(text, probs, tagger.tags)
    extractor, doc = Extractor(tagger), Document(source="bench", text=text)
    second = extractor.second_opinion(doc)
    calls = {
        "Traditional → Simplified fold": lambda: to_simplified(text),
        "char lookup (fold included)": lambda: runtime.tokenizer.encode(text),
        "`tokenizers` call it replaced (fold included)": lambda: encode(hf, text),
        "forward passes + window merge": lambda: windowed_probs([enc], runtime.run, *window),
        "char probabilities": lambda: char_probs(len(text), enc, merged[0], tagger.tags),
        "spans from probabilities (line-aware decoding)": lambda: decode_spans(text, probs, tagger.tags),
        "rules baseline's second opinion (rules tagger + reading)": lambda: extractor.second_opinion(doc),
        "post-processor (spans → output, findings and review)": lambda: build_extraction(
            "bench", text, spans, second),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats + 1):  # the first round warms up
        for name, fn in calls.items():
            times[name].append(clock(fn)[0])
    return {name: statistics.median(t[1:]) for name, t in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", type=Path, default=ROOT / "models" / "tagger")
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--out", default="model_speed", help="results file stem under benchmarks/results/")
    args = ap.parse_args()

    text = report_text()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        fp32_dir = Path(tmp) / "fp32"
        shutil.copytree(args.model_dir, fp32_dir)
        export_onnx(fp32_dir, quantize=False)
        rows = variants(args.model_dir, fp32_dir)
        reference = rows["onnx int8, default"][0].probs_batch([text])[0].argmax(1)
        timings: dict[str, dict[str, list[float]]] = {name: {"tag": [], "tag_cpu": [], "full": [], "full_cpu": []}
                                                      for name in rows}
        doc = Document(source="bench", text=text)
        extractors = {name: Extractor(tagger) for name, (tagger, _) in rows.items()}
        for extractor in extractors.values():  # warm-up
            extractor.extract(doc)
        for _ in range(args.repeats):
            for name, (tagger, _) in rows.items():
                wall, cpu = clock(lambda t=tagger: t.tag(text))
                timings[name]["tag"].append(wall)
                timings[name]["tag_cpu"].append(cpu)
                wall, cpu = clock(lambda e=extractors[name]: e.extract(doc))  # the product path, second opinion included
                timings[name]["full"].append(wall)
                timings[name]["full_cpu"].append(cpu)
        table = []
        for name, (tagger, change) in rows.items():
            labels = tagger.probs_batch([text])[0].argmax(1)
            med = {k: statistics.median(v) for k, v in timings[name].items()}
            table.append({
                "variant": name,
                "changes": change,
                "tag_s": round(med["tag"], 4),
                "tag_cpu_s": round(med["tag_cpu"], 4),
                "tokens_per_s": round(CHARS / med["tag"]),
                "tag_plus_postprocess_s": round(med["full"], 4),
                "tag_plus_postprocess_cpu_s": round(med["full_cpu"], 4),
                "tag_plus_postprocess_max_s": round(max(timings[name]["full"]), 4),
                "same_labels_as_default": round(float((labels == reference).mean()), 6),
            })
        stage_s = stages(rows["onnx int8, default"][0], text, args.repeats)
    result = {
        "model_dir": str(args.model_dir),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "chars": CHARS,
        "repeats": args.repeats,
        "rows": table,
        "stages_s": {k: round(v, 5) for k, v in stage_s.items()},
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.out}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    lines = [
        "# Model tagger speed (warm)",
        "",
        f"Model `{args.model_dir.name}` on {result['machine']}; load average (1/5/15 min) "
        f"{'/'.join(map(str, result['load_average_before']))} before, "
        f"{'/'.join(map(str, result['load_average_after']))} after (the machine is shared). A {CHARS:,}-character "
        f"synthetic report; medians of {args.repeats} interleaved runs after a warm-up. CPU = process time of all "
        "threads. Target: tag + post-process ≤ 0.15 s.",
        "",
        "| variant | what changes | tag s | tag CPU s | tokens/s | tag + post-process s | CPU s | max s "
        "| labels as default |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in table:
        lines.append(
            f"| {r['variant']} | {r['changes']} | {r['tag_s']:.4f} | {r['tag_cpu_s']:.4f} | {r['tokens_per_s']:,} "
            f"| {r['tag_plus_postprocess_s']:.4f} | {r['tag_plus_postprocess_cpu_s']:.4f} "
            f"| {r['tag_plus_postprocess_max_s']:.4f} | {100 * r['same_labels_as_default']:.3f} % |"
        )
    lines += ["", "Where the default's time goes (median wall seconds of each stage alone):", "",
              "| stage | s |", "|---|---:|"]
    lines += [f"| {k} | {v:.5f} |" for k, v in result["stages_s"].items()]
    (out / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
