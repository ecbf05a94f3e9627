"""The character tokenizer: one token per character, exact offsets, whitespace kept, unknowns as [UNK]."""

from __future__ import annotations

import unicodedata

import pytest
from govreport.models.tokenizer import build_tokenizer, build_vocab, gb2312_chars


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer()


def test_vocab_holds_all_gb2312_hanzi_ascii_and_whitespace() -> None:
    vocab = build_vocab()
    hanzi = [c for c in gb2312_chars() if unicodedata.name(c, "").startswith("CJK UNIFIED IDEOGRAPH")]
    assert len(hanzi) == 6763
    assert all(c in vocab for c in hanzi)
    assert all(chr(cp) in vocab for cp in range(0x21, 0x7F))
    assert all(c in vocab for c in ["\n", "\t", " ", "\u3000", "，", "（", "）", "、", "〔", "—", "×"])
    assert sorted(vocab.values()) == list(range(len(vocab)))


@pytest.mark.parametrize(
    "text",
    [
        "红旗区人民政府2021年政府信息公开工作年度报告",
        "一、总体情况\n\n（一）主动公开\t\t 12\t 3,456 \n",
        "  \t\t\n\n   多个   空白  \r\n",
        "本年新收\u3000申请数量：6件（含🙂）",
    ],
)
def test_one_token_per_character_with_exact_offsets(tokenizer, text: str) -> None:
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    assert enc["offset_mapping"] == [(i, i + 1) for i in range(len(text))]
    tokens = enc.tokens()
    for ch, tok in zip(text, tokens, strict=True):
        assert tok == ch or tok == "[UNK]"


def test_unknown_characters_map_to_unk_and_keep_offsets(tokenizer) -> None:
    text = "数𠀀量🙂\t"
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    assert enc.tokens() == ["数", "[UNK]", "量", "[UNK]", "\t"]
    assert enc["offset_mapping"] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]


def test_special_tokens_wrap_a_sequence(tokenizer) -> None:
    enc = tokenizer("年报")
    assert enc.tokens() == ["[CLS]", "年", "报", "[SEP]"]


def test_saved_tokenizer_round_trips(tokenizer, tmp_path) -> None:
    from transformers import AutoTokenizer

    tokenizer.save_pretrained(str(tmp_path))
    loaded = AutoTokenizer.from_pretrained(str(tmp_path))
    text = "（二）\t收到申请 6 件\n"
    assert loaded(text)["input_ids"] == tokenizer(text)["input_ids"]
    assert len(loaded(text, add_special_tokens=False)["input_ids"]) == len(text)
