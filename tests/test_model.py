"""Model side of the tagger: windows and their merging, fp16→fp32 loading, training, --init-from."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from datasets import ClassLabel, Dataset, Features, Sequence, Value
from govreport.inference.spans import Span, bio_tags, spans_to_bio
from govreport.inference.taggers.model import ModelTagger
from govreport.models.encoding import Encoded, char_probs
from govreport.models.modeling import load_model, new_model, save_model
from govreport.models.windows import merge_windows, window_starts
from safetensors import safe_open

ROWS = ["本年新收政府信息公开申请数量", "上年结转政府信息公开申请数量", "予以公开", "部分公开", "不予公开"]
SECS = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"]


def tiny_doc(rng: random.Random) -> tuple[str, list[Span]]:
    """A small report-like text: a heading, then tab-separated table rows of a label and figures."""
    text, spans = "", []

    def put(piece: str, label: str | None) -> None:
        nonlocal text
        if label:
            spans.append(Span(len(text), len(text) + len(piece), label))
        text += piece

    put(rng.choice(SECS), "SEC")
    put("\n", None)
    for _ in range(rng.randint(2, 5)):
        put(rng.choice(ROWS), "ROW")
        for _ in range(rng.randint(1, 3)):
            put("\t", None)
            put(str(rng.randint(0, 999)), "NUM")
        put("\n", None)
    return text, spans


def tiny_dataset(n: int, seed: int) -> Dataset:
    rng = random.Random(seed)
    features = Features(
        {"id": Value("string"), "text": Value("string"), "tags": Sequence(ClassLabel(names=bio_tags()))}
    )
    rows = {"id": [], "text": [], "tags": []}
    for i in range(n):
        text, spans = tiny_doc(rng)
        rows["id"].append(f"tiny{i}")
        rows["text"].append(text)
        rows["tags"].append(spans_to_bio(len(text), spans))
    return Dataset.from_dict(rows, features=features)


def tiny_config(tmp_path: Path, **args: object) -> Path:
    tiny_dataset(60, 1).save_to_disk(str(tmp_path / "train"))
    tiny_dataset(10, 2).save_to_disk(str(tmp_path / "eval"))
    cfg = {
        "seed": 7,
        "size": "L2-H128",
        "output_dir": str(tmp_path / "run"),
        "export_dir": str(tmp_path / "x"),
        "data": {"train": {"dir": str(tmp_path / "train")}, "eval": {"dir": str(tmp_path / "eval")}},
        "windows": {"max_length": 512, "stride": 448},
        "args": {
            "max_steps": 300,
            "per_device_train_batch_size": 16,
            "learning_rate": 0.003,
            "logging_steps": 20,
            "save_steps": 150,
            "eval_strategy": "no",
            "use_cpu": True,
            **args,
        },
        "cpu_threads": 2,
    }
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def test_windows_cover_the_text_and_end_at_its_end() -> None:
    assert window_starts(100, 510, 384) == [0]
    starts = window_starts(1300, 510, 384)
    assert starts[0] == 0 and starts[-1] == 1300 - 510
    assert all(b - a <= 384 for a, b in itertools.pairwise(starts))
    with pytest.raises(ValueError):
        window_starts(10, 4, 5)


def test_merge_takes_each_token_from_the_window_where_it_is_farthest_from_a_cut() -> None:
    n, size = 30, 12
    starts = window_starts(n, size, 8)  # [0, 8, 16, 18]
    values = [np.full((min(size, n - s), 1), k, dtype=float) for k, s in enumerate(starts)]
    merged = merge_windows(n, starts, values)[:, 0].astype(int).tolist()
    # Token 9 sits 2 from window 0's cut end (11) and 1 from window 1's cut start (8): window 0 wins.
    # Token 10 sits 1 from window 0's end and 2 from window 1's start: window 1 wins.
    assert merged[:10] == [0] * 10
    assert merged[10] == 1
    # The document's own start and end are no cuts: the first and last tokens come from the edge windows.
    assert merged[-1] == 3 and merged[0] == 0
    for i in range(n):
        best = max(
            (min(i - s if s > 0 else np.inf, s + len(v) - 1 - i if s + len(v) < n else np.inf), -k)
            for k, (s, v) in enumerate(zip(starts, values, strict=True))
            if s <= i < s + len(v)
        )
        assert merged[i] == -best[1]


def test_multi_character_tokens_spread_to_their_characters_as_inside_tags() -> None:
    tags = ["O", "B-NUM", "I-NUM"]
    enc = Encoded(ids=np.array([5, 6]), offsets=np.array([[0, 3], [4, 5]]))
    token_probs = np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]], dtype=np.float32)
    out = char_probs(5, enc, token_probs, tags)
    np.testing.assert_allclose(out[0], [0.1, 0.8, 0.1])
    np.testing.assert_allclose(out[1], [0.1, 0.0, 0.9])
    np.testing.assert_allclose(out[2], [0.1, 0.0, 0.9])
    np.testing.assert_allclose(out[3], [1.0, 0.0, 0.0])  # no token covers it: O
    np.testing.assert_allclose(out[4], [0.7, 0.2, 0.1])


def test_fp16_checkpoint_loads_as_fp32_on_cpu(tmp_path: Path) -> None:
    model, tokenizer = new_model("L2-H128")
    model.eval()
    save_model(model, tokenizer, tmp_path)
    with safe_open(str(tmp_path / "model.safetensors"), framework="pt") as fh:
        assert {fh.get_tensor(k).dtype for k in fh.keys()}  # noqa: SIM118 (safe_open is no dict) == {torch.float16}
    loaded, tok, device = load_model(tmp_path, device="cpu")
    assert device.type == "cpu"
    assert {p.dtype for p in loaded.parameters()} == {torch.float32}
    ids = tok("二、主动公开\t12\n", return_tensors="pt")
    with torch.no_grad():
        a = model(**ids).logits
        b = loaded(**ids).logits
    torch.testing.assert_close(a, b, atol=2e-2, rtol=2e-2)
    assert json.loads((tmp_path / "labels.json").read_text()) == bio_tags()


def test_tagger_probs_cover_long_texts_and_quantised_model_agrees(tmp_path: Path) -> None:
    model, tokenizer = new_model("L2-H128")
    save_model(model, tokenizer, tmp_path)
    text = "".join(tiny_doc(random.Random(i))[0] for i in range(40))
    assert len(text) > 1500
    tagger = ModelTagger(tmp_path, device="cpu", batch_size=3)
    spans, probs = tagger.tag_with_probs(text)
    assert probs.shape == (len(text), len(bio_tags()))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert all(0 <= s.start < s.end <= len(text) and 0.0 <= s.score <= 1.0 for s in spans)
    assert tagger.tag_batch([text, "短"])[0] == spans
    quant = ModelTagger(tmp_path, device="cpu", quantize=True)
    q_probs = quant.tag_with_probs(text)[1]
    assert (q_probs.argmax(1) == probs.argmax(1)).mean() > 0.9


@pytest.mark.slow
def test_tiny_training_run_learns_and_resumes(tmp_path: Path) -> None:
    from govreport.training.train import train

    config = tiny_config(tmp_path)
    out = train(config, output_dir=tmp_path / "run")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["overall"]["NUM"]["f1-score"] >= 0.9
    assert metrics["overall"]["ROW"]["f1-score"] >= 0.9
    log = [json.loads(line) for line in (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in log if "loss" in r]
    assert losses[-1] < losses[0] / 2
    text, gold = tiny_doc(random.Random(12345))
    found = {(s.start, s.end, s.label) for s in ModelTagger(out, device="cpu").tag(text)}
    assert {(s.start, s.end, s.label) for s in gold} <= found
    # A rerun resumes from the last checkpoint instead of starting over.
    state = json.loads((tmp_path / "run" / "checkpoint-300" / "trainer_state.json").read_text())
    assert state["global_step"] == 300
    train(config, output_dir=tmp_path / "run")
    log2 = (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()
    assert len([r for r in map(json.loads, log2) if "loss" in r]) == len(losses)


@pytest.mark.slow
def test_init_from_a_saved_pretrained_encoder_with_its_own_tokenizer(tmp_path: Path) -> None:
    from govreport.training.train import train
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    # A tiny BERT-style checkpoint with a WordPiece tokenizer that drops whitespace, as hub models do.
    chars = sorted({c for i in range(200) for c in tiny_doc(random.Random(i))[0] if not c.isspace()})
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars])}
    core = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    core.normalizer = normalizers.BertNormalizer(lowercase=False)
    core.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    hub = tmp_path / "hub"
    BertModel(
        BertConfig(
            vocab_size=len(vocab),
            hidden_size=64,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=128,
        )
    ).save_pretrained(str(hub))
    tok.save_pretrained(str(hub))

    out = train(tiny_config(tmp_path), init_from=hub, output_dir=tmp_path / "run")
    tagger = ModelTagger(out, device="cpu")
    assert tagger.model.config.hidden_size == 64
    text = tiny_doc(random.Random(4242))[0]
    probs = tagger.tag_with_probs(text)[1]
    assert probs.shape == (len(text), len(bio_tags()))
    assert all(probs[i].argmax() == 0 for i, c in enumerate(text) if c.isspace())
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train"]["init_from"] == str(hub)
    assert metrics["overall"]["NUM"]["f1-score"] >= 0.8
