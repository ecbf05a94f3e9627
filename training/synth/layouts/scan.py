"""Scanned reports as they are printed: A4 pages at 200 dpi, prose wrapped in a CJK font, the three tables
as ruled grids (merged label cells, stacked headers, zeros left blank in some rows, or no rulings at all),
then what a scanner does to the pages (skew, blur, speckle, JPEG, faint rulings). Every parameter is
data: configs/synth.yaml ``ocr.scan``.

``draw`` returns the page images together with the text of the same layout (one line per printed line,
table rows as tab-separated cells) whose pieces carry the labels, so a drawn report has its gold by
construction; the ocr layout family reads the pages back through the real reader, the scan yardstick
(benchmarks/scan_yardstick.py) compares text, clean and noisy scans of the same reports.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from govreport.configs import load
from govreport.training.synth.layouts.pdfcanvas import wrap
from govreport.training.synth.model import Block, Cell, Piece, SynthDoc, Table, join
from PIL import Image, ImageDraw, ImageFilter, ImageFont


def cfg() -> dict[str, Any]:
    """configs/synth.yaml ``ocr.scan``: every size, share and defect of the drawn scans."""
    return load("synth")["ocr"]["scan"]


@cache
def font(px: int) -> ImageFont.FreeTypeFont:
    """The CJK font of configs/synth.yaml ``ocr.fonts`` at ``px`` pixels (the proportional face)."""
    from govreport.training.synth.layouts.ocr import font_path  # here: the ocr family imports this module

    return ImageFont.truetype(str(font_path()), px, index=0)


@cache
def _advance(px: int, ch: str) -> float:
    return font(px).getlength(ch)


def measure(px: int) -> Callable[[str], float]:
    """A character's advance in pixels at ``px``: what ``wrap`` needs to fill a line or a cell as printed."""
    return lambda ch: _advance(px, ch)


def text_of(cell: Cell) -> str:
    """The printed text of a cell or line (the pieces joined)."""
    return "".join(p.text for p in cell)


# --- one report's look and the pages ----------------------------------------------------------------


@dataclass
class Look:
    """One report's print: page and margins (pixels), font sizes (pixels), rulings or none."""

    width: int
    height: int
    margin: int
    body: int
    table: int
    title: int
    borderless: bool

    @staticmethod
    def sample(rng: random.Random) -> Look:
        c = cfg()
        px = c["dpi"] / 25.4
        pt = c["dpi"] / 72
        return Look(round(c["page_mm"][0] * px), round(c["page_mm"][1] * px), round(rng.uniform(*c["margin_mm"]) * px),
                    round(rng.choice(c["body_pt"]) * pt), round(rng.choice(c["table_pt"]) * pt),
                    round(rng.choice(c["title_pt"]) * pt), rng.random() < c["borderless"])

    def line_h(self, px: int) -> int:
        return round(px * (1 + cfg()["line_gap"]))


@dataclass
class Page:
    """A drawn page and the mask of its rulings (where a scan can make them faint)."""

    image: Image.Image
    rulings: Image.Image


@dataclass
class Drawn:
    """A drawn report: its pages and the labelled text of the same layout."""

    pages: list[Page]
    pieces: list[Piece]
    blank_keys: list[str] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)  # per page, the index in ``pieces`` where it ends

    def page_text(self, number: int) -> str:
        """The text of page ``number`` (0-based), its page number included."""
        return join(self.pieces[self.ends[number - 1] if number else 0 : self.ends[number]])[0]


class Sheet:
    """Pages filled top to bottom; a page number is printed at the foot of each, in the text too."""

    def __init__(self, look: Look) -> None:
        self.look = look
        self.pages: list[Page] = []
        self.pieces: list[Piece] = []
        self.ends: list[int] = []
        self.y = 0
        self._new()

    def _new(self) -> None:
        size = (self.look.width, self.look.height)
        self.pages.append(Page(Image.new("L", size, 255), Image.new("L", size, 0)))
        self.y = self.look.margin

    def _foot(self) -> None:
        label = f"- {len(self.pages)} -"
        px = self.look.table
        x = (self.look.width - font(px).getlength(label)) / 2
        ImageDraw.Draw(self.pages[-1].image).text((x, self.look.height - self.look.margin * 0.6), label,
                                                  font=font(px), fill=0)
        self.pieces += [Piece(label), Piece("\n")]
        self.ends.append(len(self.pieces))

    def place(self, h: int) -> tuple[int, int]:
        """Room for ``h`` pixels: (page index, top), on a new page when this one is full."""
        if self.y + h > self.look.height - self.look.margin and self.y > self.look.margin:
            self._foot()
            self._new()
        top = self.y
        self.y += h
        return len(self.pages) - 1, top

    def line(self, cell: Cell, px: int, x: float) -> None:
        """One printed line of prose at ``x``."""
        _, top = self.place(self.look.line_h(px))
        ImageDraw.Draw(self.pages[-1].image).text((x, top), text_of(cell), font=font(px), fill=0)
        self.pieces += [*cell, Piece("\n")]

    def finish(self) -> None:
        self._foot()


def _title_lines(pieces: list[Piece], width: float, px: int) -> list[Cell]:
    """A title too long for one line breaks where printed titles do, before the year (the body's name
    above, 2024年政府信息公开工作年度报告 below), and wraps only what is still too long."""
    text = text_of(pieces)
    m = re.search(r"\s*\d{4}", text)
    if font(px).getlength(text) <= width or not m or not m.start() or len(pieces) != 1:
        return wrap(pieces, width, measure(px))
    p = pieces[0]
    first, rest = Piece(text[: m.start()], p.label, p.key), Piece(text[m.start() :].strip(), p.label, p.key)
    return [*wrap([first], width, measure(px)), *wrap([rest], width, measure(px))]


def _block(sheet: Sheet, block: Block) -> None:
    look = sheet.look
    width = look.width - 2 * look.margin
    if block.kind == "title":
        for line in _title_lines(block.pieces, width, look.title):
            sheet.line(line, look.title, (look.width - font(look.title).getlength(text_of(line))) / 2)
        return
    if block.kind == "chrome":
        for part in text_of(block.pieces).split("\n"):
            for line in wrap([Piece(part)], width, measure(look.table)):
                sheet.line(line, look.table, look.margin)
        return
    indent = [Piece("\u3000\u3000")] if block.kind in ("para", "sub") else []
    for line in wrap([*indent, *block.pieces], width, measure(look.body)):
        sheet.line(line, look.body, look.margin)


# --- tables as grids of merged cells ---------------------------------------------------------------


@dataclass
class GridCell:
    """A cell of a drawn table: content, horizontal extent (share of the table width) and rows [r0, r1)."""

    cell: Cell
    x0: float
    x1: float
    r0: int
    r1: int
    centre: bool = True


def _t3_grid(table: Table) -> list[GridCell]:
    """Table 3 as the State Council form prints it: the note over three header rows, 申请人情况 over the
    seven columns, 法人或其他组织 over five; group and sub-group labels merged down their rows."""
    s = table.slots
    lab = [0.0, 0.11, 0.25, 0.46]
    fig = [lab[3] + i * (1 - lab[3]) / 7 for i in range(8)]
    out = [GridCell(s["note"], 0, lab[3], 0, 3), GridCell(s["applicant"], fig[0], 1, 0, 1),
           GridCell(s["natural"], fig[0], fig[1], 1, 3), GridCell(s["legal_persons"], fig[1], fig[6], 1, 2),
           GridCell(s["total"], fig[6], 1, 1, 3)]
    out += [GridCell(s[k], fig[i + 1], fig[i + 2], 2, 3)
            for i, k in enumerate(("commercial", "research", "social", "legal", "other"))]
    data = [r for r in table.rows if r.kind == "data"]
    spans: dict[tuple[int, str], GridCell] = {}  # (label column, group or sub key) -> merged cell
    for n, row in enumerate(data, 3):
        top, sub, leaf = (row.cells[:3] if row.n_label >= 3 else [*row.cells[: row.n_label], [], [], []][:3])
        if row.group:
            spans.setdefault((0, row.group), GridCell(top, lab[0], lab[1], n, n, False)).r1 = n + 1
            if leaf:
                spans.setdefault((1, row.sub or f"row{n}"), GridCell(sub, lab[1], lab[2], n, n, False)).r1 = n + 1
                out.append(GridCell(leaf, lab[2], lab[3], n, n + 1, False))
            else:
                out.append(GridCell(sub, lab[1], lab[3], n, n + 1, False))
        else:
            out.append(GridCell(top, lab[0], lab[3], n, n + 1, False))
        out += _figures(row.figures, fig, n)
    return out + list(spans.values())


def _figures(figs: list[Cell], xs: list[float], n: int) -> list[GridCell]:
    """A row's figure cells in the columns ``xs``; any beyond the last column share it (a noisy row)."""
    slots = len(xs) - 1
    cells = [*figs[: slots - 1], [p for c in figs[slots - 1 :] for p in [*c, Piece(" ")]][:-1]] \
        if len(figs) > slots else figs
    return [GridCell(c, xs[i], xs[i + 1], n, n + 1) for i, c in enumerate(cells)]


def _t4_grid(table: Table) -> list[GridCell]:
    """Table 4: 行政复议 and 行政诉讼 (直接起诉 / 复议后起诉) over fifteen outcome columns, one figure row."""
    s = table.slots
    xs = [i / 15 for i in range(16)]
    groups = ("review", "suit_direct", "suit_after_review")
    out = [GridCell(s["review_label"], 0, xs[5], 0, 2), GridCell(s["suit_label"], xs[5], 1, 0, 1),
           GridCell(s["suit_direct_label"], xs[5], xs[10], 1, 2), GridCell(s["suit_after_review_label"], xs[10], 1, 1, 2)]
    out += [GridCell(s[f"{g}.{i}"], xs[5 * gi + i], xs[5 * gi + i + 1], 2, 3)
            for gi, g in enumerate(groups) for i in range(5)]
    for row in table.rows:
        if row.kind == "data":
            out += _figures(row.figures, xs, 3)
    return out


def _t2_grid(table: Table) -> list[GridCell]:
    """Table 2: per caption a full-width caption row, then its own columns (their number differs between
    captions, so the rulings do not line up down the table, as in the printed form)."""
    out: list[GridCell] = []
    xs = [0.0, 1.0]
    for n, row in enumerate(table.rows):
        if row.kind == "caption":
            out.append(GridCell(row.cells[0], 0, 1, n, n + 1))
            continue
        if row.kind == "header":
            k = len(row.cells) - 1
            xs = [0.0, *(0.34 + i * 0.66 / k for i in range(k + 1))]
            out += [GridCell(c, xs[i], xs[i + 1], n, n + 1) for i, c in enumerate(row.cells[: len(xs) - 1])]
            continue
        out.append(GridCell(row.cells[0], 0, xs[1], n, n + 1, False))
        out += _figures(row.figures, xs[1:], n)
    return out


GRIDS = {"t2": _t2_grid, "t3": _t3_grid, "t4": _t4_grid}


def _row_text(cells: list[GridCell], r: int) -> list[Piece]:
    """A table row as the text of the same layout: its cells left to right, tab-separated; a cell merged
    down from the row above is an empty field."""
    out: list[Piece] = []
    for i, c in enumerate(sorted((c for c in cells if c.r0 <= r < c.r1), key=lambda c: c.x0)):
        if i:
            out.append(Piece("\t"))
        if c.r0 == r:
            out += c.cell
    return out


def _table(sheet: Sheet, table: Table) -> None:
    """Draw a table's grid: row heights from the wrapped cell text, rows placed down the pages (a merged
    cell cut by a page break is ruled on each page, its text on the first), each row's text emitted."""
    look = sheet.look
    cells = GRIDS[table.name](table)
    n_rows = max(c.r1 for c in cells)
    left, width = look.margin, look.width - 2 * look.margin
    px, pad = look.table, round(look.table * 0.35)
    line_h = look.line_h(px)
    lines = {id(c): wrap(c.cell, (c.x1 - c.x0) * width - 2 * pad, measure(px)) for c in cells}
    heights = [line_h + 2 * pad] * n_rows
    for c in sorted(cells, key=lambda c: c.r1 - c.r0):
        need = len(lines[id(c)]) * line_h + 2 * pad
        have = sum(heights[c.r0 : c.r1])
        if need > have:
            heights[c.r1 - 1] += need - have
    where = []
    for r in range(n_rows):
        where.append(sheet.place(heights[r]))
        sheet.pieces += [*_row_text(cells, r), Piece("\n")]
    thick = cfg()["ruling_px"]
    for c in cells:
        x0, x1 = left + c.x0 * width, left + c.x1 * width
        frags: dict[int, list[int]] = {}
        for r in range(c.r0, c.r1):
            frags.setdefault(where[r][0], []).append(r)
        for k, (page, rows) in enumerate(frags.items()):
            top, bottom = where[rows[0]][1], where[rows[-1]][1] + heights[rows[-1]]
            image = sheet.pages[page].image
            if not look.borderless:
                for target, fill in ((image, 0), (sheet.pages[page].rulings, 255)):
                    ImageDraw.Draw(target).rectangle((x0, top, x1, bottom), outline=fill, width=thick)
            if k == 0:
                text = lines[id(c)]
                y = top + max(pad, (bottom - top - len(text) * line_h) / 2)
                for line in text:
                    s = text_of(line)
                    x = (x0 + x1 - font(px).getlength(s)) / 2 if c.centre else x0 + pad
                    ImageDraw.Draw(image).text((x, y), s, font=font(px), fill=0)
                    y += line_h


def blank_zeros(rng: random.Random, doc: SynthDoc) -> list[str]:
    """Zeros left blank in some table 3/4 rows, as some reports print them: the printed figure becomes
    null (a blank cell is null in the gold), the field stays as an empty piece that keeps its key."""
    c = cfg()
    if rng.random() >= c["blank_zeros"]:
        return []
    keys = []
    for table in (b for b in doc.blocks if isinstance(b, Table) and b.name in ("t3", "t4")):
        for row in (r for r in table.rows if r.kind == "data"):
            if rng.random() >= c["blank_row"]:
                continue
            for cell in row.figures:
                if len(cell) == 1 and cell[0].key and doc.printed.get(cell[0].key) == 0:
                    doc.printed[cell[0].key] = None
                    keys.append(cell[0].key)
                    cell[0].text = ""
    return keys


def draw(rng: random.Random, doc: SynthDoc, borderless: bool | None = None) -> Drawn:
    """The report printed on A4 pages (with some zeros left blank), and the same layout as text;
    ``borderless`` overrides the look's own draw of rulings or none (the rest of the look stays)."""
    blanks = blank_zeros(rng, doc)
    look = Look.sample(rng)
    if borderless is not None:
        look.borderless = borderless
    sheet = Sheet(look)
    for b in doc.blocks:
        if isinstance(b, Table):
            _table(sheet, b)
        else:
            _block(sheet, b)
    sheet.finish()
    return Drawn(sheet.pages, sheet.pieces, blanks, sheet.ends)


# --- what a scanner does -----------------------------------------------------------------------------


def skew(image: Image.Image, degrees: float) -> Image.Image:
    """The page turned by ``degrees`` (counter-clockwise), paper-white where the turn uncovers it."""
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=255)


def blur(image: Image.Image, radius: float) -> Image.Image:
    """Scanner optics out of focus: strokes soften and thin gaps between digits fill in."""
    return image.filter(ImageFilter.GaussianBlur(radius))


def speckle(image: Image.Image, share: float, rng: random.Random) -> Image.Image:
    """Salt and pepper: ``share`` of the pixels turned black or white (half each)."""
    pixels = np.array(image)
    gen = np.random.default_rng(rng.getrandbits(32))
    hit = gen.random(pixels.shape) < share
    pixels[hit] = np.where(gen.random(int(hit.sum())) < 0.5, 0, 255)
    return Image.fromarray(pixels)


def faint(page: Page, grey: int) -> Image.Image:
    """The rulings printed or scanned light: their pixels no darker than ``grey``."""
    pixels = np.array(page.image)
    ruled = np.array(page.rulings) > 0
    pixels[ruled] = np.maximum(pixels[ruled], grey)
    return Image.fromarray(pixels)


def jpeg(image: Image.Image, quality: int) -> bytes:
    """The page as a JPEG of ``quality``, as scanners store pages (the PDF writer does the same)."""
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def noisy(rng: random.Random, page: Page) -> Image.Image:
    """A page through a mild real scan (configs/synth.yaml ``ocr.scan.noisy``), before its JPEG."""
    c = cfg()["noisy"]
    image = faint(page, rng.randint(*c["faint_grey"])) if rng.random() < c["faint"] else page.image
    image = skew(image, rng.uniform(-c["skew_deg"], c["skew_deg"]))
    return speckle(blur(image, rng.uniform(*c["blur_radius"])), c["speckle"], rng)


def pdf(images: list[Image.Image], quality: int, dpi: int | None = None) -> bytes:
    """An image-only PDF of the pages (at the scan's dpi unless given), each page a JPEG of ``quality``."""
    buf = io.BytesIO()
    dpi = dpi or cfg()["dpi"]
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=dpi, quality=quality)
    return buf.getvalue()


def scan_pdf(rng: random.Random, drawn: Drawn, defects: bool) -> bytes:
    """The drawn report as a scanned PDF: clean (high-quality JPEG) or through the noisy scan."""
    c = cfg()
    if not defects:
        return pdf([p.image for p in drawn.pages], c["clean_jpeg"])
    return pdf([noisy(rng, p) for p in drawn.pages], c["noisy"]["jpeg_quality"])



@dataclass
class ScannedReport:
    """A generated report printed for scanning: its drawing, the text of the same layout, and the gold."""

    id: str
    drawn: Drawn
    text: str
    gold: dict


def report(seed: int, index: int, borderless: bool | None = None) -> ScannedReport:
    """Report ``index`` of ``seed`` (the generator's content, no text noise) as printed pages with gold:
    the yardstick's unit, scanned clean or noisy by ``scan_pdf`` and read by the real reader. A sample
    of a few reports may hold no borderless table by chance: ``borderless`` sets it."""
    from govreport.training.synth.generate import compose
    from govreport.training.synth.gold import build_gold

    rng = random.Random(f"{seed}:{index}")
    doc, single_other = compose(rng, seed, index)
    doc.layout = "scan"
    drawn = draw(rng, doc, borderless)
    doc.pieces = drawn.pieces
    return ScannedReport(doc.id, drawn, join(doc.pieces)[0], build_gold(doc, single_other))
