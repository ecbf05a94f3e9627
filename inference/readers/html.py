"""Saved web pages: the declared charset (often GBK) honoured, page chrome (scripts, styles, navigation,
headers/footers) dropped, block elements as lines, and data tables as one row per line with
rowspan/colspan expanded so every row has the table's full width. Tables that hold other tables are
page layout, not data: their cells are read as blocks."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, ProcessingInstruction, Tag
from govreport.configs import load
from govreport.inference.document import Document, InputError
from govreport.inference.readers.builder import Cell, Grid, TextBuilder, clean_cell
from govreport.inference.readers.text import decode_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "html",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "tbody",
        "tfoot",
        "thead",
        "title",
        "tr",
        "ul",
    }
)


def decode_html(data: bytes, path: str) -> str:
    """The page's text: its declared charset when that decodes cleanly, else detection as for text."""
    declared = _META_CHARSET.search(data[:8192])
    if declared:
        name = declared.group(1).decode("ascii", "ignore").lower()
        name = load("readers")["text"]["cjk_aliases"].get(name.replace("-", ""), name)
        try:
            return data.decode(name).replace("\r\n", "\n").replace("\r", "\n")
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(data, path)


def _is_chrome(tag: Tag, pattern: re.Pattern[str], roles: set[str]) -> bool:
    if tag.attrs is None:
        return False
    if str(tag.get("role", "")).lower() in roles:
        return True
    style = str(tag.get("style", "")).replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    names = [*tag.get("class", []), str(tag.get("id", ""))]
    return any(pattern.search(n) for n in names if n) and tag.find("table") is None


def _drop_chrome(soup: BeautifulSoup) -> None:
    cfg = load("readers")["html"]
    for tag in soup.find_all(cfg["drop_tags"]):
        tag.decompose()
    pattern, roles = re.compile(cfg["drop_class_pattern"]), set(cfg["drop_roles"])
    for tag in soup.find_all(True):
        if not tag.decomposed and tag.name not in ("html", "body") and _is_chrome(tag, pattern, roles):
            tag.decompose()


def _span(cell: Tag, attr: str) -> int:
    try:
        return max(1, min(int(str(cell.get(attr, 1)).strip() or 1), 1000))
    except ValueError:
        return 1


def table_grid(table: Tag) -> Grid:
    """The table's cells on a full grid: a cell spanning rows/columns keeps its text in its top-left slot
    and leaves the slots it covers empty (None), so every row has the table's full width."""
    taken: dict[tuple[int, int], bool] = {}
    grid: Grid = []
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    for i, tr in enumerate(rows):
        row: list[Cell | None] = []
        j = 0
        for td in tr.find_all(["td", "th"], recursive=False):
            while taken.get((i, j)):
                j += 1
            text = td.get_text("\n")
            width, height = _span(td, "colspan"), _span(td, "rowspan")
            for di in range(height):
                for dj in range(width):
                    taken[(i + di, j + dj)] = True
            while len(row) < j:
                row.append(None)
            row.append(Cell(text))
            row.extend([None] * (width - 1))
            j += width
        grid.append(row)
    return grid


class _Walker:
    """Emits the page's text: inline text gathered into lines, blocks and <br> ending lines."""

    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder
        self.line: list[str] = []

    def flush(self) -> None:
        text = clean_cell(" ".join("".join(self.line).split()))
        self.line = []
        self.builder.line(text)

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Comment | Doctype | ProcessingInstruction):
                continue
            if isinstance(child, NavigableString):
                self.line.append(str(child))  # whitespace collapses at the line's end, as a browser does
                continue
            if not isinstance(child, Tag):
                continue
            if child.name == "br":
                self.flush()
            elif child.name == "table" and child.find("table") is None:
                self.flush()
                self.builder.table(table_grid(child))
            elif child.name in _BLOCKS or child.name in ("table", "td", "th"):
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)


def read_html(path: str | Path, data: bytes | None = None) -> Document:
    """A saved web page as a Document (no pages, no boxes)."""
    path = Path(path)
    data = path.read_bytes() if data is None else data
    soup = BeautifulSoup(decode_html(data, str(path)), "lxml")
    _drop_chrome(soup)
    builder = TextBuilder(str(path), "html")
    walker = _Walker(builder)
    walker.walk(soup.body or soup)
    walker.flush()
    doc = builder.build()
    if not doc.text.strip():
        raise InputError(str(path), "read-html", "no text in the page after removing scripts and navigation")
    return doc
