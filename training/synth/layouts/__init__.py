"""Layout families, one module each: how a report's tables and text reach us as plain text."""

from __future__ import annotations

import random
from collections.abc import Callable

from govreport.training.synth.layouts import (
    lines,
    ocr,
    pdf_layout,
    pdf_reading,
    pipe,
    pipe_lines,
    rendered,
    tab,
)
from govreport.training.synth.model import Piece, SynthDoc

Layout = Callable[[random.Random, SynthDoc], list[Piece]]

LAYOUTS: dict[str, Layout] = {
    "tab": tab.render, "lines": lines.render, "pipe": pipe.render, "pipe_lines": pipe_lines.render,
    "pdf_layout": pdf_layout.render, "pdf_reading": pdf_reading.render,
    "html": rendered.render_html, "docx": rendered.render_docx, "ocr": ocr.render,
}
TEXT_LAYOUTS = ["tab", "lines", "pipe", "pipe_lines", "pdf_layout", "pdf_reading"]


def available() -> set[str]:
    """Layouts usable now: the text layouts, plus those whose project reader (and, for OCR, a CJK font
    to draw the pages) exists."""
    out = set(TEXT_LAYOUTS) | {name for name in ("html", "docx") if rendered.reader_exists(name)}
    return out | ({"ocr"} if rendered.reader_exists("ocr") and ocr.font_path() else set())
