"""The trained tagger (the default): a character-level encoder over sliding windows, run by ONNX Runtime
(the int8 ``model.onnx``; no torch needed) or by PyTorch (the safetensors weights)."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np
from govreport.configs import load
from govreport.inference.decoding import decode_spans
from govreport.inference.spans import Span
from govreport.models.onnx_model import ONNX_FILE, OnnxTagModel
from govreport.models.predict import predict_probs

BACKENDS = ("auto", "onnx", "torch")


@cache
def cuda_available() -> bool:
    """Whether PyTorch can use a CUDA device; torch is imported only when an NVIDIA driver is there, so
    that the check costs nothing on the CPU machines the ONNX backend is for."""
    gpus = Path("/proc/driver/nvidia/gpus")
    if importlib.util.find_spec("torch") is None or not (gpus.is_dir() and any(gpus.iterdir())):
        return False
    import torch

    return torch.cuda.is_available()


def resolve_backend(backend: str, model_dir: str | Path, device: str | None = None, quantize: bool = False) -> str:
    """``onnx`` or ``torch`` for a requested ``backend``.

    ``auto`` takes ONNX Runtime on CPU when the folder has ``model.onnx``, and PyTorch when a GPU is asked
    for or present, for torch's int8 ``quantize``, or for a folder not exported yet (a fine-tuned model);
    without torch installed it stays with ONNX Runtime, whose error then says how to export.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    if backend == "onnx" and (device not in (None, "cpu") or quantize):
        raise ValueError("the ONNX backend runs on CPU with int8 weights already: no device or quantize")
    if backend != "auto":
        return backend
    if quantize or device not in (None, "cpu") or (device is None and cuda_available()):
        return "torch"
    has_torch = importlib.util.find_spec("torch") is not None
    return "onnx" if (Path(model_dir) / ONNX_FILE).is_file() or not has_torch else "torch"


class ModelTagger:
    """Tags with the checkpoint in ``model_dir`` on the chosen ``backend`` (see ``resolve_backend``).

    Torch options: ``device`` (None picks CUDA when present) and ``quantize`` (int8 dynamic quantisation
    of the linear layers, CPU). ONNX Runtime option: ``threads`` (intra-op threads). ``batch_size`` is the
    number of windows run together; the defaults of both are the backend's in configs/model.yaml.
    """

    name = "model"

    def __init__(
        self,
        model_dir: str | Path,
        device: str | None = None,
        quantize: bool = False,
        batch_size: int | None = None,
        backend: str = "auto",
        threads: int | None = None,
    ) -> None:
        cfg = load("model")
        self.max_length = int(cfg["windows"]["max_length"])
        self.stride = int(cfg["windows"]["stride"])
        self.backend = resolve_backend(backend, model_dir, device, quantize)
        settings = cfg["inference"][self.backend]
        self.batch_size = int(batch_size or settings["batch_size"])
        if self.backend == "onnx":
            self.runtime = OnnxTagModel(
                model_dir,
                threads=settings["threads"] if threads is None else threads,
                spin=bool(settings["spin"]),
                disabled_optimizers=settings["disabled_optimizers"],
                parallel=int(settings["parallel"]),
            )
            self.tags = self.runtime.tags
        else:
            if importlib.util.find_spec("torch") is None:
                raise ModuleNotFoundError("the torch backend needs pip install 'govreport[train]'", name="torch")
            from govreport.models.modeling import load_model

            self.model, self.tokenizer, self.device = load_model(model_dir, device=device, quantize=quantize)
            self.tags = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]

    def probs_batch(self, texts: list[str]) -> list[np.ndarray]:
        """Per-character tag probabilities ``[len(text), n_tags]`` for each text."""
        if self.backend == "onnx":
            return self.runtime.probs(texts, self.max_length, self.stride, self.batch_size)
        return predict_probs(
            self.model,
            self.tokenizer,
            texts,
            max_length=self.max_length,
            stride=self.stride,
            batch_size=self.batch_size,
        )

    def tag_with_probs(self, text: str) -> tuple[list[Span], np.ndarray]:
        """Spans plus the per-character tag probabilities they came from (for active learning)."""
        probs = self.probs_batch([text])[0]
        return decode_spans(text, probs, self.tags), probs

    def tag(self, text: str) -> list[Span]:
        return self.tag_with_probs(text)[0]

    def tag_batch(self, texts: list[str]) -> list[list[Span]]:
        return [decode_spans(t, p, self.tags) for t, p in zip(texts, self.probs_batch(texts), strict=True)]
