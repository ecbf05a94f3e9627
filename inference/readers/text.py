"""Plain text in any encoding Chinese reports are published in: UTF-8 (with or without BOM), UTF-16/32
with BOM, GB18030/GBK, Big5; binary data is refused rather than decoded into mojibake."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from charset_normalizer import from_bytes
from govreport.configs import load
from govreport.inference.document import Document, InputError
from govreport.inference.readers.limits import limit

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def _strict(data: bytes, encoding: str) -> str | None:
    """``data`` decoded strictly, tolerating only a multi-byte character cut off at the very end."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=False)
    except UnicodeDecodeError:
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL in every other byte of ASCII-heavy text."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    for share, enc in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if share > len(sample) // 8 and (even if enc.endswith("le") else odd) == 0:
            return _strict(data, enc)
    return None


def _bad_ratio(text: str) -> float:
    """Share of characters that never occur in a real document (controls, private use, U+FFFD)."""
    if not text:
        return 0.0
    sample = text[:200_000]
    bad = sum(
        1
        for ch in sample
        if ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") and ch not in "\t\n\r\f")
    )
    return bad / len(sample)


def decode_bytes(data: bytes, path: str, stage: str = "decode") -> str:
    """Bytes → str; raises InputError for empty or binary data. Line ends are normalised to LF."""
    if not data.strip():
        raise InputError(path, stage, "empty file")
    text = None
    for bom, enc in _BOMS:
        if data.startswith(bom):
            text = _strict(data, enc)
            if text is None:
                raise InputError(path, stage, f"has a {enc} byte-order mark but is not valid {enc}")
            break
    most = limit("max_bad_char_ratio")
    if text is None:
        for candidate in (_strict(data, "utf-8"), _utf16_without_bom(data), _strict(data, "gb18030")):
            if candidate is not None and _bad_ratio(candidate) <= most:
                text = candidate
                break
        else:
            text = _detect(data, path, stage)
    if _bad_ratio(text) > most:
        raise InputError(path, stage, "binary data, not text (control or undecodable characters)")
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _detect(data: bytes, path: str, stage: str) -> str:
    best = from_bytes(data[:1_000_000]).best()
    if best is None:
        raise InputError(path, stage, "binary data, not text (no character encoding fits)")
    aliases = load("readers")["text"]["cjk_aliases"]
    encoding = aliases.get(best.encoding, best.encoding)
    return data.decode(encoding, errors="replace")


def read_text(path: str | Path, data: bytes | None = None) -> Document:
    """A text file as a Document (no pages, no boxes)."""
    path = Path(path)
    data = path.read_bytes() if data is None else data
    return Document(str(path), decode_bytes(data, str(path)), kind="text")
