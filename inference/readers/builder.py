"""Accumulates reader output: the text and, for each piece, the page and box it was read from.

Every reader writes through one ``TextBuilder`` so offsets in ``Document.boxes`` always point into the
returned text, and every table is rendered the same way (one row per line, tab-separated cells).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govreport.inference.document import Document, TextBox

BBox = tuple[float, float, float, float]

_CJK_GAP = re.compile(
    r"(?<=[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef])[ \u3000]+"
    r"(?=[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef])"
)
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


def clean_cell(text: str) -> str:
    """One cell's text on one line: wrapped fragments joined, spaces between CJK characters dropped.

    Justified PDF text and OCR put spaces inside words ("总 计"); a cell never holds a tab or newline,
    which would break the row-per-line contract.
    """
    joined = ""
    for part in text.replace("\r", "\n").split("\n"):
        part = part.strip()
        if not part:
            continue
        if joined and not (_is_cjk(joined[-1]) or _is_cjk(part[0])):
            joined += " "
        joined += part
    return _CJK_GAP.sub("", _SPACES.sub(" ", joined)).strip()


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u303f" or "\u3400" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


@dataclass
class Cell:
    """A table cell as read: text plus where it sits (page None for inputs without pages)."""

    text: str
    page: int | None = None
    bbox: BBox | None = None


# A table grid: every row has the table's full width; ``None`` marks a position covered by a
# rowspan/colspan whose text sits in the span's top-left cell.
Grid = list[list[Cell | None]]


def pad_grid(grid: Grid) -> Grid:
    """Every row as wide as the widest one (ragged HTML/DOCX rows), fully empty rows dropped."""
    width = max((len(r) for r in grid), default=0)
    rows = [[*r, *([None] * (width - len(r)))] for r in grid]
    return [r for r in rows if any(c is not None and c.text for c in r)]


class TextBuilder:
    """Text plus offset→page/box map, built line by line."""

    def __init__(self, source: str, kind: str) -> None:
        self.source, self.kind = source, kind
        self._parts: list[str] = []
        self._len = 0
        self.boxes: list[TextBox] = []
        self.pages = 0

    def add(self, text: str, page: int | None = None, bbox: BBox | None = None) -> None:
        """Append ``text``; when it came from a page, remember where."""
        if not text:
            return
        if page is not None and bbox is not None:
            self.boxes.append(TextBox(self._len, self._len + len(text), page, tuple(float(v) for v in bbox)))
        self._parts.append(text)
        self._len += len(text)

    def end_line(self) -> None:
        """End the current line if something is on it."""
        if self._parts and not self._parts[-1].endswith("\n"):
            self.add("\n")

    def line(self, text: str) -> None:
        """A whole line (inputs without pages: HTML, DOCX)."""
        if text:
            self.end_line()
            self.add(text + "\n")

    def table(self, grid: Grid) -> None:
        """A table as one line per row, cells tab-separated, covered span positions left empty."""
        self.end_line()
        for row in pad_grid(grid):
            for i, cell in enumerate(row):
                if i:
                    self.add("\t")
                if cell is not None:
                    self.add(clean_cell(cell.text), cell.page, cell.bbox)
            self.add("\n")

    def build(self) -> Document:
        """The document; trailing blank lines trimmed (boxes never cover them)."""
        text = "".join(self._parts).rstrip("\n")
        return Document(self.source, text + "\n" if text else "", self.kind, self.pages, self.boxes)
