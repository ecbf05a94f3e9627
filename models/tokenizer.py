"""A character-level tokenizer built by our own code: one character, one token, exact offsets.

Stock BERT tokenizers drop whitespace, but in these reports the tabs, newlines and spaces carry
the table layout, so they are tokens of their own here. Characters outside the vocabulary map to
[UNK] and keep their offsets.
"""

from __future__ import annotations

from pathlib import Path

from govreport.configs import load
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = {
    "pad_token": "[PAD]",
    "unk_token": "[UNK]",
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "mask_token": "[MASK]",
}


def gb2312_chars() -> list[str]:
    """Every character GB2312 encodes in its two-byte area (the 6,763 hanzi and its 682 symbols)."""
    chars: list[str] = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def _ranges(spec: list[list[str]]) -> list[str]:
    """Characters of inclusive code point ranges written as hex strings in configs/model.yaml."""
    return [chr(cp) for lo, hi in spec for cp in range(int(lo, 16), int(hi, 16) + 1)]


def build_vocab() -> dict[str, int]:
    """Special tokens, whitespace, ASCII, extra symbol ranges, then GB2312; ids in that order, no repeats."""
    spec = load("model")["vocab"]
    ordered = list(SPECIAL_TOKENS.values()) + list(spec["whitespace"])
    ordered += [chr(cp) for cp in range(0x21, 0x7F)] + _ranges(spec["extra_ranges"]) + gb2312_chars()
    vocab: dict[str, int] = {}
    for token in ordered:
        vocab.setdefault(token, len(vocab))
    return vocab


def build_tokenizer(vocab: dict[str, int] | None = None) -> PreTrainedTokenizerFast:
    """The char tokenizer as a ``PreTrainedTokenizerFast`` ([CLS] text [SEP], offsets per character)."""
    vocab = vocab or build_vocab()
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=SPECIAL_TOKENS["unk_token"]))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    cls, sep = SPECIAL_TOKENS["cls_token"], SPECIAL_TOKENS["sep_token"]
    core.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}",
        pair=f"{cls} $A {sep} $B:1 {sep}:1",
        special_tokens=[(cls, vocab[cls]), (sep, vocab[sep])],
    )
    # No length limit here: long reports are cut into windows by models/windows.py, not truncated.
    return PreTrainedTokenizerFast(tokenizer_object=core, model_max_length=10**9, **SPECIAL_TOKENS)


def save_tokenizer(out_dir: str | Path) -> PreTrainedTokenizerFast:
    """Build the tokenizer and write it (tokenizer.json and friends) into ``out_dir``."""
    tokenizer = build_tokenizer()
    tokenizer.save_pretrained(str(out_dir))
    return tokenizer
