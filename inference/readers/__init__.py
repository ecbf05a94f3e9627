"""Readers: every kind of file a report is published as, turned into a Document (text + page boxes).

``read_document`` picks the reader from the file's content (magic bytes, markup) and only falls back to
the extension, so a misnamed file is read correctly or refused with a reason that names the mismatch.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path

from govreport.inference.document import Document, InputError
from govreport.inference.readers.limits import limit

IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"GIF8")
_HTML_HEAD = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|table|div|p)[\s>/]", re.IGNORECASE)
_KIND_OF_SUFFIX = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".htm": "html",
    ".html": "html",
    ".shtml": "html",
    ".xhtml": "html",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
    ".bmp": "image",
    ".txt": "text",
    ".text": "text",
    ".csv": "text",
    ".md": "text",
}


def sniff(data: bytes, suffix: str) -> str:
    """The input kind from the content: pdf, docx, image, html or text (refusals raise ValueError)."""
    head = data[:2048]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(BytesIO(data)).namelist()
        except zipfile.BadZipFile as exc:
            raise ValueError(f"damaged ZIP/Office file: {exc}") from None
        if "word/document.xml" in names:
            return "docx"
        raise ValueError("a ZIP archive that is not a Word .docx file")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValueError("legacy binary Office file (.doc/.xls); save it as .docx")
    expected = _KIND_OF_SUFFIX.get(suffix)
    if expected in ("pdf", "docx", "image"):
        raise ValueError(f"named {suffix} but its content is not a {expected.upper()} file")
    if expected == "html" or _HTML_HEAD.search(head):
        return "html"
    return "text"


def read_document(path: str | Path) -> Document:
    """Read any supported input. Raises InputError(path, stage, reason) for anything unusable."""
    path = Path(path)
    name = str(path)
    if path.is_dir():
        raise InputError(name, "open", "is a directory, not a file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(name, "open", "no such file") from None
    except PermissionError:
        raise InputError(name, "open", "permission denied (file not readable)") from None
    except OSError as exc:
        raise InputError(name, "open", f"cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise InputError(name, "open", "empty file")
    try:
        kind = sniff(data, path.suffix.lower())
    except ValueError as exc:
        raise InputError(name, "sniff", str(exc)) from None
    most = limit("max_text_bytes")
    if kind in ("text", "html") and len(data) > most:
        raise InputError(
            name,
            "open",
            f"{len(data) / 1e6:.1f} MB of text; a report is far smaller "
            f"(limits.max_text_bytes: {most / 1e6:g} MB), so this is not one report",
        )
    if kind == "pdf":
        from govreport.inference.readers.pdf import read_pdf

        return read_pdf(path, data)
    if kind == "image":
        from govreport.inference.readers.ocr import read_image

        return read_image(path, data)
    if kind == "docx":
        from govreport.inference.readers.docx import read_docx

        return read_docx(path, data)
    if kind == "html":
        from govreport.inference.readers.html import read_html

        return read_html(path, data)
    from govreport.inference.readers.text import read_text

    return read_text(path, data)
