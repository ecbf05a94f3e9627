"""Figures as prose writes them: Arabic or Chinese numerals, thousands separators, 万, and approximations
(5500余条, 近百件, 约30件). The narrative checks compare such a figure with a table cell, so each is read as
the range of counts it allows, not as one number."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_SECTIONS = {"万": 10**4, "亿": 10**8}
_CHINESE = "〇零一二两三四五六七八九十百千万亿"

# The fragment a check's pattern writes as {N}: one figure with its approximation words, in named groups.
FIGURE = (
    r"(?P<before>约|近|将近|接近)?\s*"
    r"(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[" + _CHINESE + r"]+)"
    r"\s*(?P<wan>万|亿)?\s*(?P<after>余|多|左右)?"
)


@dataclass(frozen=True)
class Stated:
    """A figure the text states: its value as written and the counts it allows (``low`` ≤ count ≤ ``high``)."""

    value: int | float
    low: float
    high: float

    def allows(self, count: float) -> bool:
        return self.low <= count <= self.high


def chinese_number(text: str) -> int:
    """一百二十三 → 123, 十五 → 15, 两千零五 → 2005, 三万五千 → 35000, 二〇二 → 202. Raises ValueError."""
    if not text or any(c not in _CHINESE for c in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    if all(c in _DIGITS for c in text):  # read digit by digit (二〇二)
        return int("".join(str(_DIGITS[c]) for c in text))
    total, section, digit = 0, 0, None
    for c in text:
        if c in _DIGITS:
            digit = _DIGITS[c]
        elif c in _UNITS:
            section += (1 if digit is None else digit) * _UNITS[c]
            digit = None
        else:
            total += (section + (digit or 0)) * _SECTIONS[c]
            section, digit = 0, None
    return total + section + (digit or 0)


def stated(match: re.Match[str]) -> Stated:
    """The figure a match of ``FIGURE`` states. 余/多 (more than) allow up to the next step of the last
    written digit (5500余 → 5500–5599); 约/近/左右 one step either way."""
    raw = match.group("n").replace(",", "")
    value: int | float = chinese_number(raw) if raw[0] in _CHINESE else (float(raw) if "." in raw else int(raw))
    if wan := match.group("wan"):
        value = value * _SECTIONS[wan]
        value = int(value) if float(value).is_integer() else value
    step = _step(value)
    if match.group("after") in ("余", "多"):
        return Stated(value, value, value + step - 1)
    if match.group("before") or match.group("after"):
        return Stated(value, value - step, value + step)
    return Stated(value, value, value)


def _step(value: float) -> int:
    """The place of the last non-zero digit of a whole number (5500 → 100, 20 → 10, 7 → 1)."""
    if not float(value).is_integer() or value == 0:
        return 1
    step, n = 1, int(value)
    while n % 10 == 0:
        n //= 10
        step *= 10
    return step
