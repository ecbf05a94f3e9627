"""Export of a trained tagger folder to ``model.onnx``: dynamic batch and sequence axes, softmax inside the
graph, weights quantised to int8 by ONNX Runtime (``govreport export-onnx``, also the last step of
``make model``). Needs the [train] extra (torch, transformers, onnx, onnxscript); running the result needs
only onnxruntime.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from govreport.models.modeling import load_model
from govreport.models.onnx_model import META_LABELS, META_WEIGHTS, ONNX_FILE, weights_digest
from onnxruntime.quantization import QuantType, quant_pre_process, quantize_dynamic
from transformers import PreTrainedModel

INPUTS = ("input_ids", "attention_mask")


class _Probs(torch.nn.Module):
    """The token classifier with its softmax, so the ONNX graph returns probabilities as predict_probs does."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        logits = self.model(input_ids=input_ids, attention_mask=attention_mask).logits
        return torch.softmax(logits.float(), dim=-1)


def _example(vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two windows of different lengths (the shorter one padded), for tracing and for the check."""
    ids = torch.randint(5, vocab_size, (2, 48), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)
    mask[1, 30:] = 0
    return ids, mask


def export_onnx(model_dir: str | Path, out: str | Path | None = None, quantize: bool = True) -> Path:
    """Write ``model_dir``'s tagger as ONNX to ``out`` (default ``model_dir/model.onnx``) and return the path.

    The fp32 graph is checked against PyTorch before it is quantised; the file records the tags and the
    sha256 of the weights it came from, so a stale export is refused at load time after a retrain.
    """
    path = Path(model_dir)
    target = Path(out) if out else path / ONNX_FILE
    model, _, _ = load_model(path, device="cpu")
    probs = _Probs(model).eval()
    example = _example(model.config.vocab_size)
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence", max=model.config.max_position_embeddings)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # not the torchvision notices of every export
    with warnings.catch_warnings():  # the two inputs share their axes, which the exporter remarks on
        warnings.filterwarnings("ignore", message=".*axis name", category=UserWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)  # torch's own deprecations, not ours to fix
        program = torch.onnx.export(
            probs,
            example,
            input_names=list(INPUTS),
            output_names=["probs"],
            dynamic_shapes={name: {0: batch, 1: seq} for name in INPUTS},
            dynamo=True,
            optimize=True,
            verbose=False,
        )
    proto = program.model_proto
    _check(proto, probs, example)
    if quantize:  # shape inference and graph clean-up first, as ONNX Runtime advises (and a smaller file)
        with tempfile.TemporaryDirectory() as tmp:
            prepared, quantized = Path(tmp) / "prepared.onnx", Path(tmp) / ONNX_FILE
            quant_pre_process(proto, prepared)
            quantize_dynamic(prepared, quantized, weight_type=QuantType.QInt8)
            proto = onnx.load(str(quantized))
    meta = {
        META_LABELS: json.dumps([model.config.id2label[i] for i in range(model.config.num_labels)], ensure_ascii=False),
        META_WEIGHTS: weights_digest(path) or "",
        "precision": "int8" if quantize else "fp32",
    }
    onnx.helper.set_model_props(proto, meta)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_target = target.with_name(f".{target.name}.tmp")
    onnx.save(proto, str(tmp_target))
    os.replace(tmp_target, target)
    return target


def _check(proto: onnx.ModelProto, probs: _Probs, example: tuple[torch.Tensor, torch.Tensor]) -> None:
    """The exported fp32 graph must give PyTorch's probabilities (an exporter bug stops here, not in use)."""
    import onnxruntime as ort

    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {name: t.numpy() for name, t in zip(INPUTS, example, strict=True)})[0]
    with torch.inference_mode():
        want = probs(*example).numpy()
    mask = example[1].numpy().astype(bool)
    if not np.allclose(got[mask], want[mask], atol=1e-4):
        raise RuntimeError(f"ONNX export differs from PyTorch (max {np.abs(got - want)[mask].max():.2e})")
