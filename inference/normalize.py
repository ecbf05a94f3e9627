"""Normalising noisy text for label matching, and parsing printed figures."""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache, lru_cache

from govreport.configs import load

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PLAIN = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$")
PLACEHOLDERS = frozenset({"/", "／", "—", "——", "-", "－", "–", "─", "无"})


@cache
def _tables() -> tuple[dict[int, None], list[tuple[str, str]]]:
    cfg = load("normalize")
    drop = dict.fromkeys(ord(c) for c in cfg["drop_chars"])
    return drop, list(cfg["ocr_confusions"].items())


@cache
def _simplified_table() -> dict[int, str]:
    """Traditional character → its Simplified form, for characters outside GB2312 whose OpenCC t2s form is
    one GB2312 character. Characters GB2312 already has are left alone, so Simplified text never changes."""
    import opencc

    convert = opencc.OpenCC("t2s").convert
    table: dict[int, str] = {}
    for lo, hi in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00)):
        for cp in range(lo, hi):
            ch = chr(cp)
            if _in_gb2312(ch):
                continue
            simple = convert(ch)
            if len(simple) == 1 and simple != ch and _in_gb2312(simple):
                table[cp] = simple
    return table


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def to_simplified(text: str) -> str:
    """Traditional characters folded to Simplified one for one, so every offset stays valid: reports
    copied in Traditional script are tagged and matched as the Simplified text they mirror."""
    return text.translate(_simplified_table())


# A pinyin gloss after a character, as mirror sites print Traditional copies: 規(guī)章, 關(guān)於.
PINYIN_GLOSS = re.compile(r"[(（][a-zA-Z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]{1,8}[)）]")


@lru_cache(maxsize=65536)
def for_match(text: str) -> str:
    """Text reduced to what identifies a label: NFKC, Simplified script, no pinyin glosses, no
    spaces/punctuation, known OCR slips repaired."""
    drop, confusions = _tables()
    out = PINYIN_GLOSS.sub("", to_simplified(unicodedata.normalize("NFKC", text))).translate(drop)
    for slip, right in confusions:
        out = out.replace(slip, right)
    return out


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


def parse_number(raw: str) -> int | float | None:
    """The value of a printed figure; None for a blank placeholder (/ —). Raises ValueError if not a figure.

    Thousands separators are dropped (12,053 → 12053); O/o read as 0 and l/I as 1 (OCR slips) when the
    rest of the token is numeric. A figure is parsed as printed, however implausible (-5, 2.5, 1e30): the
    rules judge it, so nothing is silently changed; only a value no arithmetic can hold (beyond the float
    range) is refused.
    """
    s = unicodedata.normalize("NFKC", raw).strip().replace("，", ",").replace("−", "-")
    if s in PLACEHOLDERS:
        return None
    s = s.translate(str.maketrans("OolI", "0011")).replace(" ", "")
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if not _PLAIN.match(s):
        raise ValueError(f"not a figure: {raw!r}")
    value = float(s) if "." in s or "e" in s.lower() else int(s)
    try:
        finite = math.isfinite(float(value))
    except OverflowError:
        finite = False
    if not finite:
        raise ValueError(f"not a figure: {raw!r} (beyond any count or amount)")
    return value
