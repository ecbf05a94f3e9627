"""Saved web pages: the declared charset (often GBK) checked against the bytes, page chrome (scripts,
styles, navigation, headers/footers) dropped, block elements as lines, and data tables as one row per
line with rowspan/colspan expanded so every row has the table's full width. Tables that hold other
tables are page layout, not data: their cells are read as blocks. Pages nested deeper than
``limits.max_html_depth`` are refused before the tree is built (parsing and walking them grows with the
square of the depth)."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, ProcessingInstruction, Tag
from govreport.configs import load
from govreport.inference.document import Document, InputError
from govreport.inference.readers.builder import Cell, Grid, TextBuilder, clean_cell
from govreport.inference.readers.limits import limit
from govreport.inference.readers.text import decode_bytes
from lxml import etree

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


def _vocabulary(text: str) -> int:
    """How much report vocabulary a decoding yields (mojibake yields none)."""
    sample = text[:200_000]
    return sum(sample.count(word) for word in load("readers")["text"]["report_vocabulary"])


def decode_html(data: bytes, path: str) -> str:
    """The page's text. The declared charset is not trusted blindly (CMSs re-save UTF-8 pages under a
    ``charset=gbk`` meta): of the strict decodings (valid UTF-8 with non-ASCII bytes first, then the
    declared charset, then GB18030) the one that reads the most report vocabulary wins, ties to the first;
    when none decodes, the bytes are detected as for text."""
    names = ["utf-8"] if not data.isascii() else []
    declared = _META_CHARSET.search(data[:8192])
    if declared:
        name = declared.group(1).decode("ascii", "ignore").lower()
        names.append(load("readers")["text"]["cjk_aliases"].get(name.replace("-", ""), name))
    candidates = []
    for name in dict.fromkeys([*names, "utf-8", "gb18030"]):
        try:
            candidates.append(data.decode(name))
        except (LookupError, UnicodeDecodeError):
            continue
    if not candidates:
        return decode_bytes(data, path)
    return max(candidates, key=_vocabulary).lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


class _TooDeep(Exception):
    pass


class _DepthProbe:
    """An lxml parser target that only counts open elements and stops the parse past ``most``."""

    def __init__(self, most: int) -> None:
        self.most, self.depth = most, 0

    def start(self, tag: str, attrib: object) -> None:
        self.depth += 1
        if self.depth > self.most:
            raise _TooDeep

    def end(self, tag: str) -> None:
        self.depth -= 1

    def close(self) -> None:
        return None


def check_depth(page: str, path: str) -> None:
    """Refuse a page nested deeper than ``limits.max_html_depth``: libxml2 reports elements as the tree
    builder will see them, and the probe stops at the limit, so a hostile page costs only its first
    ``max_html_depth`` levels."""
    most = limit("max_html_depth")
    parser = etree.HTMLParser(target=_DepthProbe(most))
    try:
        parser.feed(page)
        parser.close()
    except _TooDeep:
        raise InputError(
            path,
            "read-html",
            f"elements nested more than {most} deep (limits.max_html_depth); not a report page",
        ) from None
    except etree.LxmlError:
        return  # broken markup: BeautifulSoup's repairs decide, as before


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
    page = decode_html(data, str(path))
    check_depth(page, str(path))
    soup = BeautifulSoup(page, "lxml")
    _drop_chrome(soup)
    builder = TextBuilder(str(path), "html")
    walker = _Walker(builder)
    walker.walk(soup.body or soup)
    walker.flush()
    doc = builder.build()
    if not doc.text.strip():
        raise InputError(str(path), "read-html", "no text in the page after removing scripts and navigation")
    return doc
