"""Masked-language pretraining (training/pretrain.py): the masking is BERT's, and its checkpoint feeds the tagger."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from govreport.models.encoding import IGNORE
from govreport.models.modeling import label_maps, pretrained_model, save_model
from govreport.models.tokenizer import build_tokenizer
from govreport.training.pretrain import MLM_DIR, MODEL_DIR, collator, mlm_windows, pretrain
from transformers import AutoConfig, AutoModelForMaskedLM, AutoModelForTokenClassification

TEXT = "一、总体情况\n2023年，本机关主动公开政府信息\t128\t条，收到申请\t35\t件。\n二、主动公开政府信息情况\n" * 12
PROBE = "encoder.layer.0.attention.self.query.weight"


def test_collation_masks_about_15_percent_of_ordinary_tokens_and_ignores_the_rest() -> None:
    tokenizer = build_tokenizer()
    windows = mlm_windows(tokenizer, [TEXT, TEXT[:300]], max_length=128, stride=96)
    batch = collator(tokenizer, 0.15, seed=7)([{"input_ids": w} for w in windows])
    ids = torch.nn.utils.rnn.pad_sequence([torch.tensor(w) for w in windows], batch_first=True,
                                          padding_value=tokenizer.pad_token_id)
    special = torch.isin(ids, torch.tensor(tokenizer.all_special_ids))
    labels = batch["labels"]
    target = labels != IGNORE
    assert not (target & special).any()  # [CLS], [SEP] and padding are never targets
    share = target.sum().item() / (~special).sum().item()
    assert 0.11 < share < 0.19, share
    assert torch.equal(labels[target], ids[target])  # a target's label is the original token
    assert torch.equal(batch["input_ids"][~target], ids[~target])  # everything else is left as it was
    assert (batch["input_ids"][target] == tokenizer.mask_token_id).float().mean() > 0.6  # most become [MASK]


def _tiny_tagger(out: Path) -> Path:
    """A one-layer, hidden-32 token classifier saved like the shipped one (fp16 safetensors, labels)."""
    tokenizer = build_tokenizer()
    id2label, label2id = label_maps()
    config = AutoConfig.for_model(
        "roformer", vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, id2label=id2label,
        label2id=label2id, num_hidden_layers=1, hidden_size=32, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    return save_model(AutoModelForTokenClassification.from_config(config), tokenizer, out)


def test_tiny_pretraining_writes_a_checkpoint_the_tagger_loader_takes_with_its_encoder(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    pool.mkdir()
    (pool / "a.txt").write_text(TEXT[:200], encoding="utf-8")
    (pool / "b.txt").write_text(TEXT[200:330], encoding="utf-8")
    cfg = yaml.safe_load((Path(__file__).resolve().parents[1] / "configs" / "pretrain.yaml").read_text())
    cfg |= {"holdout_every": 0, "windows": {"max_length": 64, "stride": 48}, "cpu_threads": 1,
            "args": {"max_steps": 3, "per_device_train_batch_size": 4, "learning_rate": 0.005,
                     "logging_steps": 1, "save_strategy": "no", "eval_strategy": "no"}}
    config = tmp_path / "pretrain.yaml"
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    init = _tiny_tagger(tmp_path / "init")

    out = pretrain(config, pool=pool, init_from=init, output_dir=tmp_path / "run")

    assert out == tmp_path / "run" / MODEL_DIR
    mlm = AutoModelForMaskedLM.from_pretrained(str(tmp_path / "run" / MLM_DIR))
    start = AutoModelForTokenClassification.from_pretrained(str(init), dtype=torch.float32)
    learnt = mlm.base_model.state_dict()[PROBE]
    assert not torch.allclose(learnt, start.base_model.state_dict()[PROBE])  # the steps did move the encoder
    # `train --init-from` on the MLM checkpoint: the encoder comes over exactly, a fresh head is added.
    tagger, tokenizer = pretrained_model(tmp_path / "run" / MLM_DIR)
    assert torch.equal(tagger.base_model.state_dict()[PROBE], learnt)
    assert tagger.classifier.out_features == len(label_maps()[0]) and tokenizer.mask_token == "[MASK]"
    # ... and on OUTPUT/model: the same encoder (saved as fp16) with the starting checkpoint's head.
    tagger, _ = pretrained_model(out)
    assert torch.equal(tagger.base_model.state_dict()[PROBE], learnt.half().float())
    assert torch.equal(tagger.classifier.weight, start.classifier.weight)


def test_the_dev_sets_are_refused_as_a_pool(tmp_path: Path) -> None:
    dev = Path(__file__).resolve().parents[2] / "shared" / "dev" / "web" / "docs"
    with pytest.raises(ValueError, match="never trained on"):
        pretrain(pool=dev, output_dir=tmp_path / "run")
