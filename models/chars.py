"""The char tokenizer as a plain code point → id lookup, read from the saved ``tokenizer.json``.

The ONNX Runtime tagger must not need ``tokenizers`` or ``transformers``, and for a one-character-per-token
vocabulary a table lookup gives the very ids and offsets the ``tokenizers`` call gives (tested against it),
many times faster: Traditional characters folded to Simplified first (``models.encoding.encode`` does the
same), a literal special token such as ``[SEP]`` in the text taken whole (as ``tokenizers`` takes added
tokens), every other character one token, [UNK] when outside the vocabulary.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from govreport.inference.normalize import to_simplified
from govreport.models.encoding import Encoded

CHAR_SPLIT = r"[\s\S]"  # the pre-tokenizer pattern of models/tokenizer.py: one token per character


@dataclass(frozen=True)
class CharTokenizer:
    """Ids of the char tokenizer saved in a model folder (``tokenizer.json`` + ``tokenizer_config.json``)."""

    table: np.ndarray  # id of each code point below len(table)
    unk_token_id: int
    cls_token_id: int | None
    sep_token_id: int | None
    pad_token_id: int | None
    added: dict[str, int]  # multi-character added tokens (the special ones), matched before splitting
    added_pattern: re.Pattern[str] | None  # longest first, as ``tokenizers`` prefers the longest match

    @classmethod
    def from_dir(cls, model_dir: str | Path) -> CharTokenizer:
        """Read the tokenizer of ``model_dir``; a tokenizer that is not one char per token is refused."""
        path = Path(model_dir)
        spec = json.loads((path / "tokenizer.json").read_text(encoding="utf-8"))
        config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
        pre = spec.get("pre_tokenizer") or {}
        model = spec["model"]
        if (
            model.get("type") != "WordLevel"
            or spec.get("normalizer") is not None
            or pre.get("type") != "Split"
            or pre.get("pattern", {}).get("Regex") != CHAR_SPLIT
            or pre.get("behavior") != "Isolated"
        ):
            raise ValueError(
                f"{path}: not the char tokenizer of models/tokenizer.py; tag with --backend torch instead"
            )
        vocab: dict[str, int] = model["vocab"]
        singles = {ord(tok): i for tok, i in vocab.items() if len(tok) == 1}
        unk = vocab[model["unk_token"]]
        table = np.full(max(singles) + 1, unk, dtype=np.int64)
        table[list(singles)] = list(singles.values())

        def token_id(key: str) -> int | None:
            return vocab.get(config[key]) if config.get(key) else None

        added = {t["content"]: int(t["id"]) for t in spec.get("added_tokens", []) if len(t["content"]) > 1}
        pattern = re.compile("|".join(map(re.escape, sorted(added, key=len, reverse=True)))) if added else None
        specials = (token_id("cls_token"), token_id("sep_token"), token_id("pad_token"))
        return cls(table, unk, *specials, added, pattern)

    def encode(self, text: str) -> Encoded:
        """Ids and ``[start, end)`` offsets of ``text``'s tokens, no special tokens added."""
        text = to_simplified(text)
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        ids = np.full(len(codes), self.unk_token_id, dtype=np.int64)
        known = codes < len(self.table)
        ids[known] = self.table[codes[known]]
        starts = np.arange(len(codes), dtype=np.int64)
        ends = starts + 1
        matches = list(self.added_pattern.finditer(text)) if self.added_pattern else []
        if matches:
            keep = np.ones(len(codes), dtype=bool)
            for m in matches:
                ids[m.start()] = self.added[m.group()]
                ends[m.start()] = m.end()
                keep[m.start() + 1 : m.end()] = False
            ids, starts, ends = ids[keep], starts[keep], ends[keep]
        return Encoded(ids, np.stack([starts, ends], axis=1))
