"""The tagger on ONNX Runtime: ``model.onnx`` (int8, written by ``govreport export-onnx``) and the char
tokenizer as a table lookup. No torch, transformers or tokenizers: this is what the light install runs, and
it starts in a fraction of the time and memory PyTorch needs for the same 3 MB model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from govreport.inference.spans import bio_tags
from govreport.models.chars import CharTokenizer
from govreport.models.encoding import char_probs, special_ids
from govreport.models.predict import windowed_probs

ONNX_FILE = "model.onnx"
WEIGHTS_FILE = "model.safetensors"
# Metadata written into model.onnx at export: the tags of its output, and the weights it was made from.
META_LABELS = "labels"
META_WEIGHTS = "weights_sha256"


class StaleExportError(RuntimeError):
    """model.onnx was exported from other weights than the folder's model.safetensors (a retrain since)."""


def weights_digest(model_dir: str | Path) -> str | None:
    """sha256 of the folder's safetensors weights (None when the folder ships only model.onnx)."""
    path = Path(model_dir) / WEIGHTS_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def export_hint(model_dir: str | Path) -> str:
    return f"run `govreport export-onnx --model-dir {model_dir}` (needs govreport[train]) or use --backend torch"


class OnnxTagModel:
    """``model_dir``'s exported tagger on ONNX Runtime's CPU provider.

    ``threads`` is ONNX Runtime's intra-op thread count (0: one per core); ``spin`` lets idle pool threads
    busy-wait for the next operator, which costs CPU time for little gain on a small model;
    ``disabled_optimizers`` names graph fusions to leave out (configs/model.yaml says which and why);
    ``parallel`` windows run at once, each on its own thread (coarse-grained, unlike intra-op threads).
    """

    def __init__(
        self,
        model_dir: str | Path,
        threads: int = 1,
        spin: bool = False,
        disabled_optimizers: Sequence[str] = (),
        parallel: int = 1,
    ) -> None:
        import onnxruntime as ort

        path = Path(model_dir)
        if not (path / ONNX_FILE).is_file():
            raise FileNotFoundError(f"{path}: no {ONNX_FILE}; {export_hint(path)}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        self.session = ort.InferenceSession(
            str(path / ONNX_FILE),
            options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=list(disabled_optimizers),
        )
        meta = self.session.get_modelmeta().custom_metadata_map
        digest = weights_digest(path)
        if digest is not None and meta.get(META_WEIGHTS) != digest:
            raise StaleExportError(f"{path}: {ONNX_FILE} was exported from other weights; {export_hint(path)}")
        self.tags: list[str] = json.loads(meta[META_LABELS])
        if self.tags != bio_tags():
            raise ValueError(f"{path}: the model's labels differ from configs/labels.yaml")
        self.tokenizer = CharTokenizer.from_dir(path)
        self.specials = (*special_ids(self.tokenizer), self.tokenizer.pad_token_id or 0)
        self.pool = ThreadPoolExecutor(parallel, thread_name_prefix="govreport-onnx") if parallel > 1 else None

    def run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Tag probabilities ``[batch, width, n_tags]`` of a padded batch of windows."""
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    def probs(
        self, texts: Sequence[str], max_length: int = 512, stride: int = 384, batch_size: int = 8
    ) -> list[np.ndarray]:
        """Per-character probabilities ``[len(text), n_tags]`` for each text."""
        encoded = [self.tokenizer.encode(t) for t in texts]
        merged = windowed_probs(encoded, self.run, self.specials, max_length, stride, batch_size, self.pool)
        return [char_probs(len(t), enc, m, self.tags) for t, enc, m in zip(texts, encoded, merged, strict=True)]
