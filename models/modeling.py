"""Building, saving and loading the token-classification encoder behind the model tagger."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from govreport.configs import load
from govreport.inference.spans import bio_tags
from govreport.models.onnx_model import ONNX_FILE
from govreport.models.tokenizer import build_tokenizer
from transformers import (
    AutoConfig,
    AutoModelForTokenClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

LABELS_FILE = "labels.json"


def label_maps() -> tuple[dict[int, str], dict[str, int]]:
    """id2label / label2id of the BIO tag inventory (configs/labels.yaml order)."""
    tags = bio_tags()
    return dict(enumerate(tags)), {t: i for i, t in enumerate(tags)}


def pick_device(device: str | None = None) -> torch.device:
    """The requested device, else CUDA when present, else CPU."""
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def new_model(size: str | None = None) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A randomly initialised encoder (``model_type``, preset ``size`` of configs/model.yaml) with our char tokenizer."""
    cfg = load("model")
    size = size or cfg["size"]
    if size not in cfg["sizes"]:
        raise ValueError(f"unknown model size {size!r}; configs/model.yaml has {sorted(cfg['sizes'])}")
    tokenizer = build_tokenizer()
    id2label, label2id = label_maps()
    config = AutoConfig.for_model(
        cfg["model_type"],
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        id2label=id2label,
        label2id=label2id,
        **cfg["sizes"][size],
        **cfg["encoder"],
    )
    return AutoModelForTokenClassification.from_config(config), tokenizer


def pretrained_model(name_or_dir: str | Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A pretrained encoder (local dir or hub name) with its own tokenizer and a fresh head for our tags."""
    id2label, label2id = label_maps()
    tokenizer = AutoTokenizer.from_pretrained(str(name_or_dir))
    if not tokenizer.is_fast:
        raise ValueError(f"{name_or_dir}: the tokenizer must be a fast one (offsets are needed)")
    model = AutoModelForTokenClassification.from_pretrained(
        str(name_or_dir),
        num_labels=len(id2label),
        id2label=id2label,
        label2id=label2id,
        ignore_mismatched_sizes=True,
        dtype=torch.float32,
    )
    return model, tokenizer


def save_model(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out_dir: str | Path) -> Path:
    """Write the model as fp16 safetensors (half the size, loaded back as fp32), tokenizer and label map.

    A ``model.onnx`` already there was exported from the weights replaced here, so it is removed; run
    ``govreport export-onnx`` on the folder to make a new one.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / ONNX_FILE).unlink(missing_ok=True)
    half = model.to("cpu", dtype=torch.float16)
    half.save_pretrained(str(out), safe_serialization=True)
    model.to(dtype=torch.float32)
    tokenizer.save_pretrained(str(out))
    id2label, _ = label_maps()
    (out / LABELS_FILE).write_text(
        json.dumps([id2label[i] for i in range(len(id2label))], ensure_ascii=False)
    )
    return out


def load_model(
    model_dir: str | Path, device: str | None = None, quantize: bool = False
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, torch.device]:
    """Load a saved tagger for inference: fp32 on CPU (fp16 matmuls are slow there), bf16 on GPU.

    ``quantize`` applies int8 dynamic quantisation to the linear layers (CPU only).
    """
    path = Path(model_dir)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path}: no model here (config.json missing); run `make model` to train one")
    dev = pick_device(device)
    dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
    model = AutoModelForTokenClassification.from_pretrained(str(path), dtype=dtype)
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if [model.config.id2label[i] for i in range(model.config.num_labels)] != bio_tags():
        raise ValueError(f"{path}: the model's labels differ from configs/labels.yaml")
    model.eval()
    if quantize:
        if dev.type != "cpu":
            raise ValueError("int8 dynamic quantisation runs on CPU only")
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return model.to(dev), tokenizer, dev
