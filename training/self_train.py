"""Rule-verified self-training: real report texts tagged by the current model, keeping only what the
post-processor can vouch for.

A table whose every row label names a template row, whose every figure went to a cell with confidence,
with no hole before its last figure, every checkable rule holding and the rules baseline reading the same
cells (``inference.review.verified_tables``) was almost certainly read right: its characters become labels.
So do section headings the model marked confidently (or that name a canonical section outright), a title
line the model marked that has a title's structure, and prose lines the model reads as plain text with
near certainty. Everything else is masked out of the loss (mask 0), not labelled O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from govreport.configs import load
from govreport.inference.decoding import lines
from govreport.inference.pipeline import read_report
from govreport.inference.review import review, table_zones, verified_tables
from govreport.inference.sections import section_id
from govreport.inference.spans import Span, bio_tags, spans_to_bio
from govreport.inference.taggers.model import ModelTagger
from govreport.inference.taggers.rules import RulesTagger
from govreport.inference.titles import candidates


@dataclass
class Verified:
    """One text with BIO tag ids per character and a mask (1: trusted label, 0: out of the loss)."""

    doc: str
    text: str
    tags: list[int]
    mask: list[int]
    parts: list[str]  # what was trusted: t2/t3/t4, sec:N, title, prose

    @property
    def share(self) -> float:
        return sum(self.mask) / max(1, len(self.mask))


def verify(doc: str, text: str, spans: list[Span], probs: np.ndarray, rules_spans: list[Span]) -> Verified:
    """The trusted parts of one model-tagged text (see the module docstring)."""
    cfg = load("self_train")["verify"]
    ours, spans, blank = read_report(doc, text, spans)
    rev = review(text, spans, ours, probs, read_report(doc, text, rules_spans).extraction, blank)
    mask = np.zeros(len(text), dtype=np.int8)
    keep: list[Span] = []
    parts: list[str] = []
    zones = table_zones(text, ours)
    for table in verified_tables(rev):
        a, b = zones[table]
        mask[a:b] = 1
        keep += [s for s in spans if a <= s.start and s.end <= b]
        parts.append(table)
    line_of = {start: end for start, end in lines(text)}
    heads = {(s.start, s.end): s.score for s in spans if s.label == "SEC"}
    for sec in ours.sections:
        confident = heads.get((sec.start, sec.end), 0.0) >= cfg["min_heading_score"]
        if confident or (section_id(sec.heading) is not None and sec.heading[:1] in "一二三四五六"):
            start = max((s for s in line_of if s <= sec.start), default=sec.start)
            mask[start : line_of.get(start, sec.end)] = 1
            keep.append(Span(sec.start, sec.end, "SEC"))
            parts.append(f"sec:{sec.id}")
    found = candidates(text, spans, min((s.start for s in ours.sections), default=len(text)))
    best = max(found, key=lambda c: c.tagger + c.structure, default=None)
    if (best and best.text == ours.title and best.tagger >= cfg["min_title_score"]
            and best.structure >= cfg["min_title_structure"] and text[best.start : best.end] == best.text):
        mask[best.start : best.end] = 1
        keep.append(Span(best.start, best.end, "TITLE"))
        parts.append("title")
    plain = probs[:, 0] if len(probs) else np.zeros(0)
    for start, end in lines(text):
        line = text[start:end]
        if (end - start >= cfg["prose_min_chars"] and any(p in line for p in "。，")
                and not any(s.start < end and start < s.end for s in spans)
                and float(plain[start:end].min()) >= cfg["prose_min_o"]):
            mask[start:end] = 1
            parts.append("prose")
    index = {t: i for i, t in enumerate(bio_tags())}
    tags = [index[t] for t in spans_to_bio(len(text), keep)]
    return Verified(doc, text, tags, mask.tolist(), parts)


def verify_pool(paths: Iterable[Path], model_dir: str | Path) -> list[Verified]:
    """Tag each text of the pool with the model in ``model_dir`` and keep its verified parts."""
    model, rules = ModelTagger(model_dir), RulesTagger()
    out = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        spans, probs = model.tag_with_probs(text)
        out.append(verify(path.stem, text, spans, probs, rules.tag(text)))
    return out


def as_dataset(docs: list[Verified]):
    """A ``datasets`` dataset (text, tags, mask) of the texts with anything verified."""
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    kept = [d for d in docs if sum(d.mask) >= load("self_train")["verify"]["min_chars"]]
    features = Features({"text": Value("string"), "tags": Sequence(ClassLabel(names=bio_tags())),
                         "mask": Sequence(Value("int8"))})
    return Dataset.from_dict({"text": [d.text for d in kept], "tags": [d.tags for d in kept],
                              "mask": [d.mask for d in kept]}, features=features)
