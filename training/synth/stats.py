"""Realism statistics: seeds vs generator (line lengths, share of digits, label shares), for training/DATA.md.

    .venv/bin/python -m training.synth.stats [--n 300] [--seed 5] [--seeds ../shared/seeds]
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter
from pathlib import Path

from govreport.inference.spans import Span, label_names

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def text_stats(texts: list[str]) -> dict[str, float]:
    lines = [line for t in texts for line in t.split("\n") if line.strip()]
    lengths = [len(line) for line in lines]
    chars = sum(len(t) for t in texts)
    return {
        "docs": len(texts), "chars/doc": chars / len(texts), "lines/doc": len(lines) / len(texts),
        "line len median": statistics.median(lengths), "line len mean": statistics.fmean(lengths),
        "line len p90": statistics.quantiles(lengths, n=10)[-1],
        "digits %": 100 * sum(ch.isdigit() for t in texts for ch in t) / chars,
        "tabs %": 100 * sum(t.count("\t") for t in texts) / chars,
        "blank lines %": 100 * sum(not line.strip() for t in texts for line in t.split("\n"))
        / sum(t.count("\n") + 1 for t in texts),
    }


def label_shares(texts: list[str], spans: list[list[Span]]) -> dict[str, float]:
    """Percent of characters under each label (O = the rest), and spans per document per label."""
    chars = Counter()
    for s in spans:
        for sp in s:
            chars[sp.label] += sp.end - sp.start
    total = sum(len(t) for t in texts)
    out = {name: 100 * chars[name] / total for name in label_names()}
    out["O"] = 100 - sum(out.values())
    return out


def span_counts(spans: list[list[Span]]) -> dict[str, float]:
    c = Counter(sp.label for s in spans for sp in s)
    return {name: c[name] / len(spans) for name in label_names()}


def _md(title: str, cols: dict[str, dict[str, float]]) -> str:
    keys = list(next(iter(cols.values())))
    out = [f"| {title} | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    out += [f"| {k} | " + " | ".join(f"{v[k]:.1f}" for v in cols.values()) + " |" for k in keys]
    return "\n".join(out)


def main() -> None:
    from govreport.inference.taggers import get_tagger
    from govreport.training.synth import generate
    from govreport.training.synth.layouts import TEXT_LAYOUTS

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--seeds", type=Path, default=SEEDS)
    args = ap.parse_args()
    seed_texts = [p.read_text(encoding="utf-8") for p in sorted(args.seeds.glob("*.txt"))]
    docs = [generate(args.seed, i, TEXT_LAYOUTS) for i in range(args.n)]
    texts = [d.text for d in docs]
    rules = get_tagger("rules")
    seed_rules = [rules.tag(t) for t in seed_texts]
    synth_rules = [rules.tag(t) for t in texts]
    synth_gen = [d.spans for d in docs]
    print(_md("text", {"seeds": text_stats(seed_texts), "synthetic": text_stats(texts)}))
    print()
    print(_md("% of characters", {"seeds (rules tagger)": label_shares(seed_texts, seed_rules),
                                  "synthetic (rules tagger)": label_shares(texts, synth_rules),
                                  "synthetic (generator labels)": label_shares(texts, synth_gen)}))
    print()
    print(_md("spans per document", {"seeds (rules tagger)": span_counts(seed_rules),
                                     "synthetic (rules tagger)": span_counts(synth_rules),
                                     "synthetic (generator labels)": span_counts(synth_gen)}))
    print()
    for layout in TEXT_LAYOUTS:
        sub = [d.text for d in docs if d.layout == layout]
        if len(sub) > 1:
            s = text_stats(sub)
            print(f"* {layout}: {len(sub)} docs, line len median {s['line len median']:.0f}, "
                  f"digits {s['digits %']:.1f}%, chars/doc {s['chars/doc']:.0f}")


if __name__ == "__main__":
    main()
