"""Masked-language (continued) pretraining of the tagger's encoder on unlabelled real report texts.

Why: the tagger learnt from synthetic reports only. The real pool has no labels, but an MLM objective over
its text can still teach the encoder real character statistics (chrome, mirror spam, Traditional copies).
The encoder starts from the shipped tagger (same architecture, same char tokenizer, same windows); the
result is written twice: ``mlm/`` (the ``*ForMaskedLM`` model, fp32) and ``model/`` (a token classifier
with this encoder and the starting checkpoint's classifier head) for ``govreport train --init-from``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from datasets import Dataset
from govreport.configs import load
from govreport.models.encoding import content_size, encode, special_ids
from govreport.models.modeling import save_model
from govreport.models.windows import window_starts
from govreport.training.train import REPO, JsonlLog
from transformers import (
    AutoModelForMaskedLM,
    AutoModelForTokenClassification,
    AutoTokenizer,
    DataCollatorForLanguageModeling,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)
from transformers.trainer_utils import get_last_checkpoint

log = logging.getLogger(__name__)
MLM_DIR = "mlm"
MODEL_DIR = "model"


def mlm_windows(tokenizer: PreTrainedTokenizerBase, texts: list[str], max_length: int, stride: int) -> list[list[int]]:
    """Token windows of every text, cut as the tagger cuts them ([CLS] … [SEP], Traditional read as Simplified)."""
    head, tail = special_ids(tokenizer)
    size = content_size(tokenizer, max_length)
    out = []
    for text in texts:
        ids = encode(tokenizer, text).ids
        if not len(ids):
            continue
        out += [head + ids[s : s + size].tolist() + tail for s in window_starts(len(ids), size, stride)]
    return out


def collator(tokenizer: PreTrainedTokenizerBase, probability: float, seed: int | None = None) -> DataCollatorForLanguageModeling:
    """BERT-style masking: ``probability`` of the non-special tokens become targets; labels are -100 elsewhere."""
    return DataCollatorForLanguageModeling(tokenizer, mlm=True, mlm_probability=probability, seed=seed)


def mlm_model(init_from: str | Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The ``*ForMaskedLM`` class matching the checkpoint's model type, its encoder loaded from ``init_from``
    (a token-classification checkpoint: the classifier is dropped, the MLM head starts fresh, tied to the
    word embeddings), in fp32 for training."""
    model = AutoModelForMaskedLM.from_pretrained(str(init_from), dtype=torch.float32)
    return model, AutoTokenizer.from_pretrained(str(init_from))


def token_classifier(encoder_from: PreTrainedModel, head_from: str | Path) -> PreTrainedModel:
    """The token classifier of ``head_from`` (labels, head) with the encoder of ``encoder_from`` put in.

    Loading the MLM checkpoint into a token classifier directly would also keep the encoder but start a
    random head; the head already trained on synthetic reports is the better start for a short fine-tune.
    """
    model = AutoModelForTokenClassification.from_pretrained(str(head_from), dtype=torch.float32)
    model.base_model.load_state_dict(encoder_from.base_model.state_dict())
    return model


class LoadLog(TrainerCallback):
    """Keeps the 1-minute load average at every log step: on this shared machine minutes mean little without it."""

    def __init__(self) -> None:
        self.seen: list[float] = []

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        self.seen.append(round(os.getloadavg()[0], 2))


def pool_texts(pool: Path) -> list[tuple[str, str]]:
    """(name, text) of every ``*.txt`` in the pool, sorted by name."""
    files = sorted(pool.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"{pool}: no *.txt report texts here")
    return [(f.stem, f.read_text(encoding="utf-8")) for f in files]


def pretrain(
    config_path: str | Path = REPO / "configs" / "pretrain.yaml",
    pool: str | Path | None = None,
    init_from: str | Path | None = None,
    output_dir: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Path:
    """Run MLM pretraining per ``config_path``; returns ``OUTPUT/model`` (the token classifier for --init-from).

    ``overrides`` replace TrainingArguments of the config (tests run a few steps). A rerun resumes from the
    run dir's last checkpoint.
    """
    cfg = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    seed = int(cfg["seed"])
    set_seed(seed)
    pool_dir = Path(pool) if pool else REPO / cfg["pool"]
    dev = (REPO.parent / "shared" / "dev").resolve()
    if pool_dir.resolve() == dev or dev in pool_dir.resolve().parents:
        raise ValueError(f"{pool_dir}: the dev sets measure the tagger; they are never trained on")
    start_dir = Path(init_from) if init_from else REPO / cfg["init_from"]
    run_dir = Path(output_dir) if output_dir else REPO / cfg["output_dir"]
    run_dir.mkdir(parents=True, exist_ok=True)
    if not torch.cuda.is_available():
        torch.set_num_threads(int(cfg.get("cpu_threads", 2)))

    model, tokenizer = mlm_model(start_dir)
    win = cfg.get("windows") or load("model")["windows"]
    docs = pool_texts(pool_dir)
    every = int(cfg.get("holdout_every") or 0)
    held = [t for i, (_, t) in enumerate(docs) if every and i % every == every - 1]
    train_texts = [t for i, (_, t) in enumerate(docs) if not (every and i % every == every - 1)]
    train_ds = Dataset.from_dict({"input_ids": mlm_windows(tokenizer, train_texts, win["max_length"], win["stride"])})
    eval_ds = (Dataset.from_dict({"input_ids": mlm_windows(tokenizer, held, win["max_length"], win["stride"])})
               if held else None)
    args_cfg = {**cfg["args"], **(overrides or {})}
    if eval_ds is None:
        args_cfg["eval_strategy"] = "no"
    args = TrainingArguments(
        output_dir=str(run_dir), seed=seed, data_seed=seed, report_to="none",
        bf16=torch.cuda.is_available(), dataloader_num_workers=0, **args_cfg,
    )
    loads = LoadLog()
    trainer = Trainer(
        model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds, processing_class=tokenizer,
        data_collator=collator(tokenizer, float(cfg["mlm_probability"]), seed),
        callbacks=[JsonlLog(run_dir / "pretrain_log.jsonl"), loads],
    )
    before = trainer.evaluate() if eval_ds is not None else {}
    last = get_last_checkpoint(str(run_dir))
    began = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=last)
    minutes = (time.perf_counter() - began) / 60
    after = trainer.evaluate() if eval_ds is not None else {}

    model = trainer.model.to("cpu", dtype=torch.float32)
    model.save_pretrained(str(run_dir / MLM_DIR), safe_serialization=True)
    tokenizer.save_pretrained(str(run_dir / MLM_DIR))
    export = save_model(token_classifier(model, start_dir), tokenizer, run_dir / MODEL_DIR)
    lengths = [len(t) for t in train_texts]
    stats = {
        "pool": str(pool_dir), "init_from": str(start_dir), "config": cfg, "overrides": overrides or {},
        "pool_texts": len(docs), "train_texts": len(train_texts), "holdout_texts": len(held),
        "train_chars": int(np.sum(lengths)), "holdout_chars": sum(len(t) for t in held),
        "train_windows": len(train_ds), "holdout_windows": len(eval_ds) if eval_ds is not None else 0,
        "steps": result.global_step, "train_loss": round(float(result.training_loss), 4),
        "minutes": round(minutes, 2), "load_1min": {"min": min(loads.seen, default=None), "max": max(loads.seen, default=None)},
        "holdout_mlm_loss": {"before": before.get("eval_loss"), "after": after.get("eval_loss")},
    }
    log.info("pretraining: %s", stats)
    (run_dir / "pretrain.json").write_text(json.dumps(stats, ensure_ascii=False, indent=2), encoding="utf-8")
    return export
