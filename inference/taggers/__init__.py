"""Tagger registry: ``--tagger rules`` (the baseline) or ``--tagger model`` (the trained default)."""

from __future__ import annotations

from pathlib import Path

from govreport.inference.taggers.base import Tagger

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "tagger"


def get_tagger(name: str, model_dir: str | Path | None = None, **options: object) -> Tagger:
    """Build a tagger by name; ``options`` go to the model tagger (device, quantize, batch_size)."""
    if name == "rules":
        from govreport.inference.taggers.rules import RulesTagger

        return RulesTagger()
    if name == "model":
        from govreport.inference.taggers.model import ModelTagger

        return ModelTagger(model_dir or DEFAULT_MODEL_DIR, **options)
    raise ValueError(f"unknown tagger {name!r}: choose 'model' or 'rules'")
