"""Synthetic corpus of 政府信息公开工作年度报告: realistic text in every real layout, with character
labels and gold that are correct by construction (see training/DATA.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from govreport.training.synth.generate import Rendered, generate

if TYPE_CHECKING:
    from datasets import Dataset, Features

__all__ = ["Rendered", "build_dataset", "generate", "iter_docs", "write_corpus", "write_docs"]


def iter_docs(n: int, seed: int, layouts: list[str] | None = None) -> Iterator[Rendered]:
    """Documents 0..n-1 of the corpus with ``seed``."""
    for i in range(n):
        yield generate(seed, i, layouts)


def _features() -> Features:
    from datasets import ClassLabel, Features, Sequence, Value
    from govreport.inference.spans import bio_tags

    return Features({"id": Value("string"), "text": Value("string"),
                     "tags": Sequence(ClassLabel(names=bio_tags())), "layout": Value("string"),
                     "noise": Sequence(Value("string")), "format": Value("string"), "year": Value("int32")})


def _dataset(docs: list[Rendered]) -> Dataset:
    from datasets import Dataset
    from govreport.inference.spans import bio_tags

    ids = {t: i for i, t in enumerate(bio_tags())}
    cols = {"id": [d.id for d in docs], "text": [d.text for d in docs],
            "tags": [[ids[t] for t in d.tags] for d in docs], "layout": [d.layout for d in docs],
            "noise": [d.noise for d in docs], "format": [d.gold["format"] for d in docs],
            "year": [d.gold["year"] for d in docs]}
    return Dataset.from_dict(cols, features=_features())


def build_dataset(n: int, seed: int, layouts: list[str] | None = None) -> Dataset:
    """A ``datasets.Dataset`` of ``n`` generated reports (one BIO tag per character of ``text``)."""
    return _dataset(list(iter_docs(n, seed, layouts)))


def write_docs(out_dir: str | Path, docs: list[Rendered]) -> None:
    """Write ``text/<id>.txt`` and ``gold/<id>.json`` and append to ``meta.jsonl``."""
    out = Path(out_dir)
    (out / "text").mkdir(parents=True, exist_ok=True)
    (out / "gold").mkdir(parents=True, exist_ok=True)
    with (out / "meta.jsonl").open("a", encoding="utf-8") as meta:
        for d in docs:
            (out / "text" / f"{d.id}.txt").write_text(d.text, encoding="utf-8")
            (out / "gold" / f"{d.id}.json").write_text(json.dumps(d.gold, ensure_ascii=False, indent=1),
                                                     encoding="utf-8")
            meta.write(json.dumps({"id": d.id, "layout": d.layout, "noise": d.noise}, ensure_ascii=False) + "\n")


def write_corpus(out_dir: str | Path, n: int, seed: int, layouts: list[str] | None = None) -> Path:
    """Write ``dataset/`` (save_to_disk), ``text/<id>.txt``, ``gold/<id>.json`` and ``meta.jsonl``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "meta.jsonl").unlink(missing_ok=True)
    docs = list(iter_docs(n, seed, layouts))
    write_docs(out, docs)
    _dataset(docs).save_to_disk(str(out / "dataset"))
    return out
