"""The shipped checkpoint: small fp16 weights, our tokenizer and labels, and it tags an unseen report."""

from __future__ import annotations

import json

from govreport.inference.spans import bio_tags, spans_to_bio
from govreport.inference.taggers import DEFAULT_MODEL_DIR, get_tagger
from govreport.training.synth import generate
from safetensors import safe_open

HELD_OUT_SEED = 777001  # not a training seed (configs/train.yaml)


def test_checkpoint_is_fp16_and_within_the_size_limit() -> None:
    weights = DEFAULT_MODEL_DIR / "model.safetensors"
    assert weights.stat().st_size <= 15 * 1024 * 1024
    with safe_open(str(weights), framework="pt") as fh:
        assert {str(fh.get_tensor(k).dtype) for k in fh.keys()} == {"torch.float16"}  # noqa: SIM118
    assert json.loads((DEFAULT_MODEL_DIR / "labels.json").read_text()) == bio_tags()
    assert (DEFAULT_MODEL_DIR / "README.md").is_file()


def test_default_tagger_finds_the_table_spans_of_an_unseen_synthetic_report() -> None:
    tagger = get_tagger("model", device="cpu")
    doc = generate(HELD_OUT_SEED, 0)
    spans = tagger.tag(doc.text)
    pred = spans_to_bio(len(doc.text), spans)
    gold_nums = {i for i, t in enumerate(doc.tags) if t.endswith("-NUM")}
    hit = sum(pred[i].endswith("-NUM") for i in gold_nums)
    assert gold_nums and hit / len(gold_nums) >= 0.9
