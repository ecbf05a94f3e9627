"""The trained tagger (the default): a character-level encoder over sliding windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from govreport.configs import load
from govreport.inference.decoding import decode_spans
from govreport.inference.spans import Span
from govreport.models.modeling import load_model
from govreport.models.predict import predict_probs


class ModelTagger:
    """Tags with the checkpoint in ``model_dir``; ``device`` None picks CUDA when present.

    ``quantize`` turns on int8 dynamic quantisation of the linear layers (CPU); ``batch_size`` is the
    number of 512-token windows run together.
    """

    name = "model"

    def __init__(
        self,
        model_dir: str | Path,
        device: str | None = None,
        quantize: bool = False,
        batch_size: int | None = None,
    ) -> None:
        self.model, self.tokenizer, self.device = load_model(model_dir, device=device, quantize=quantize)
        cfg = load("model")
        self.max_length = int(cfg["windows"]["max_length"])
        self.stride = int(cfg["windows"]["stride"])
        self.batch_size = int(batch_size or cfg["inference"]["batch_size"])
        self.tags = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]

    def probs_batch(self, texts: list[str]) -> list[np.ndarray]:
        """Per-character tag probabilities ``[len(text), n_tags]`` for each text."""
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
