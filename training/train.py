"""Fine-tune (or train from scratch) the character tagger with the Hugging Face Trainer.

Data: synthetic reports (training.synth) or corpus dirs written by ``write_corpus``, plus optional
real annotations in the same dataset format. Metrics: seqeval, strict IOB2, per label, measured on
whole held-out documents through the same sliding-window inference the product uses.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
import yaml
from datasets import Dataset, Value, concatenate_datasets, load_from_disk
from govreport.configs import load
from govreport.inference.spans import bio_tags
from govreport.models.encoding import IGNORE, training_windows
from govreport.models.modeling import new_model, pretrained_model, save_model
from govreport.models.predict import predict_probs
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2
from transformers import (
    DataCollatorForTokenClassification,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)
from transformers.trainer_utils import get_last_checkpoint

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[1]


def load_corpus(path: str | Path) -> Dataset:
    """A dataset saved with ``save_to_disk``: a corpus dir from ``write_corpus`` (its ``dataset/``) or the dataset dir."""
    path = Path(path)
    target = path / "dataset" if (path / "dataset").is_dir() else path
    if not target.is_dir():
        raise FileNotFoundError(
            f"{path}: no dataset here (expected a write_corpus dir or a save_to_disk dir)"
        )
    return load_from_disk(str(target))


def tag_names(ds: Dataset) -> list[str]:
    """The dataset's tag names; they must be the model's label order (configs/labels.yaml)."""
    names = ds.features["tags"].feature.names
    if names != bio_tags():
        raise ValueError(f"dataset tags {names} differ from configs/labels.yaml {bio_tags()}")
    return names


def documents(spec: dict[str, Any]) -> Dataset:
    """Documents named in train.yaml: ``{dir: corpus}`` or ``{n, seed}`` synthetic reports from the generator."""
    if "dir" in spec:
        return load_corpus(REPO / spec["dir"])
    from govreport.training.synth import build_dataset  # heavy; only training needs it

    return build_dataset(int(spec["n"]), int(spec["seed"]), spec.get("layouts"))


def to_windows(ds: Dataset, tokenizer: PreTrainedTokenizerBase, max_length: int, stride: int) -> Dataset:
    """Documents → (input_ids, labels) windows of at most ``max_length`` tokens; a ``mask`` column (1 keep,
    0 ignore) takes characters out of the loss."""

    def split(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"input_ids": [], "labels": []}
        masks = batch.get("mask") or [None] * len(batch["text"])
        for text, tags, mask in zip(batch["text"], batch["tags"], masks, strict=True):
            if mask is not None:  # characters nobody vouched for stay out of the loss (self-training)
                tags = [t if m else IGNORE for t, m in zip(tags, mask, strict=True)]
            for ids, labels in training_windows(tokenizer, text, tags, max_length, stride):
                out["input_ids"].append(ids)
                out["labels"].append(labels)
        return out

    return ds.map(split, batched=True, remove_columns=ds.column_names)


def with_mask(ds: Dataset) -> Dataset:
    """text, tags and mask (all ones where the data has no mask: synthetic and annotated labels are trusted)."""
    ds = ds.select_columns([c for c in ("text", "tags", "mask") if c in ds.column_names])
    if "mask" in ds.column_names:
        return ds
    features = datasets.Features({**ds.features, "mask": datasets.Sequence(Value("int8"))})
    return ds.map(lambda row: {"mask": [1] * len(row["text"])}, features=features)


def self_training_part(pool: str | Path, model_dir: str | Path) -> tuple[Dataset, dict[str, Any]]:
    """The pool's verified parts (training/self_train.py), repeated per configs/self_train.yaml."""
    from govreport.training.self_train import as_dataset, verify_pool

    docs = verify_pool(sorted(Path(pool).glob("*.txt")), model_dir)
    real = as_dataset(docs)
    chars = sum(len(d.text) for d in docs)
    stats = {
        "pool_texts": len(docs), "texts_used": len(real),
        "verified_char_share": round(sum(sum(d.mask) for d in docs) / max(1, chars), 4),
        "parts": {p: sum(p in d.parts for d in docs) for p in ("title", "t2", "t3", "t4", "prose")},
        "repeat": int(load("self_train")["mix"]["real_repeat"]),
    }
    log.info("self-training: %s", stats)
    return concatenate_datasets([real] * stats["repeat"]), stats


def window_metrics(names: Sequence[str]):
    """Trainer ``compute_metrics``: seqeval strict IOB2 over eval windows (a quick signal in the log)."""

    def compute(pred: Any) -> dict[str, float]:
        logits, labels = pred
        best = np.argmax(logits, axis=-1)
        true, guess = [], []
        for p_row, l_row in zip(best, labels, strict=True):
            keep = l_row != IGNORE
            true.append([names[i] for i in l_row[keep]])
            guess.append([names[i] for i in p_row[keep]])
        report = classification_report(
            true, guess, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
        )
        return {"f1_micro": report["micro avg"]["f1-score"]}

    return compute


def evaluate_documents(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    ds: Dataset,
    max_length: int = 512,
    stride: int = 384,
) -> dict[str, Any]:
    """seqeval (strict IOB2) per label on whole documents, overall and per layout when the data has one."""
    names = tag_names(ds)
    model.eval()
    probs = predict_probs(model, tokenizer, ds["text"], max_length=max_length, stride=stride, batch_size=16)
    true = [[names[i] for i in tags] for tags in ds["tags"]]
    pred = [[names[i] for i in p.argmax(axis=1)] for p in probs]

    def report(idx: Sequence[int]) -> dict[str, Any]:
        r = classification_report(
            [true[i] for i in idx],
            [pred[i] for i in idx],
            mode="strict",
            scheme=IOB2,
            output_dict=True,
            zero_division=0,
        )
        return {k: {m: round(float(v), 4) for m, v in d.items()} for k, d in r.items()}

    out: dict[str, Any] = {"documents": len(ds), "overall": report(range(len(ds)))}
    if "layout" in ds.column_names:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, layout in enumerate(ds["layout"]):
            groups[layout].append(i)
        out["by_layout"] = {k: report(v)["micro avg"] for k, v in sorted(groups.items())}
    return out


def data_fingerprint(ds: Dataset) -> str:
    """sha256 over the documents' texts and tags: the data version the model card cites."""
    digest = hashlib.sha256()
    for text, tags in zip(ds["text"], ds["tags"], strict=True):
        digest.update(text.encode("utf-8"))
        digest.update(bytes(tags))
    return digest.hexdigest()


class JsonlLog(TrainerCallback):
    """Appends every Trainer log record (loss, learning rate, eval metrics) to a JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"step": state.global_step, **(logs or {})}) + "\n")


def train(
    config_path: str | Path,
    init_from: str | Path | None = None,
    data_dirs: Sequence[str | Path] | None = None,
    annotations_dir: str | Path | None = None,
    output_dir: str | Path | None = None,
    self_train_dir: str | Path | None = None,
) -> Path:
    """Train per ``config_path``; returns the exported fp16 model dir.

    Checkpoints and the log go to ``output_dir`` (default: the config's ``output_dir``); a rerun
    resumes from its last checkpoint. The model is exported to the config's ``export_dir``, or to
    ``output_dir/model`` when ``output_dir`` is given.
    """
    cfg = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    seed = int(cfg["seed"])
    set_seed(seed)
    run_dir = Path(output_dir) if output_dir else REPO / cfg["output_dir"]
    export_dir = run_dir / "model" if output_dir else REPO / cfg["export_dir"]
    run_dir.mkdir(parents=True, exist_ok=True)
    if not torch.cuda.is_available():
        torch.set_num_threads(int(cfg.get("cpu_threads", 2)))

    model, tokenizer = pretrained_model(init_from) if init_from else new_model(cfg.get("size"))
    parts = [load_corpus(d) for d in data_dirs] if data_dirs else [documents(cfg["data"]["train"])]
    if annotations_dir:
        parts.append(load_corpus(annotations_dir))
    self_stats = None
    if self_train_dir:
        real, self_stats = self_training_part(self_train_dir, init_from or REPO / "models" / "tagger")
        parts.append(real)
    train_docs = concatenate_datasets([with_mask(p) for p in parts])
    eval_docs = documents(cfg["data"]["eval"])
    names = tag_names(eval_docs)
    for part in parts:
        tag_names(part)
    win = cfg["windows"]
    train_ds = to_windows(train_docs, tokenizer, win["max_length"], win["stride"]).shuffle(seed=seed)
    eval_ds = to_windows(eval_docs, tokenizer, win["max_length"], win["stride"])

    args = TrainingArguments(
        output_dir=str(run_dir),
        seed=seed,
        data_seed=seed,
        report_to="none",
        bf16=torch.cuda.is_available(),
        dataloader_num_workers=0,
        **cfg["args"],
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=eval_ds,
        processing_class=tokenizer,  # saved with each checkpoint, so a checkpoint loads like an export
        data_collator=DataCollatorForTokenClassification(tokenizer, label_pad_token_id=IGNORE),
        compute_metrics=window_metrics(names),
        callbacks=[JsonlLog(run_dir / "train_log.jsonl")],
    )
    last = get_last_checkpoint(str(run_dir)) if run_dir.is_dir() else None
    if last:
        log.info("resuming from %s", last)
    trainer.train(resume_from_checkpoint=last)

    model = trainer.model.to("cpu", dtype=torch.float32)
    infer = load("model")["windows"]
    metrics = evaluate_documents(model, tokenizer, eval_docs, infer["max_length"], infer["stride"])
    metrics["train"] = {
        "documents": len(train_docs),
        "windows": len(train_ds),
        "config": cfg,
        "init_from": str(init_from) if init_from else None,
        "self_training": self_stats,
        "data_sha256": data_fingerprint(train_docs),
        "eval_sha256": data_fingerprint(eval_docs),
    }
    (run_dir / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    save_model(model, tokenizer, export_dir)
    (export_dir / "metrics.json").write_text(
        json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return export_dir
