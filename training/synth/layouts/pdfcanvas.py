"""What a PDF text layer does to a report: lines on a character canvas, then pages.

Both PDF families place every cell at a column position on a canvas of lines (headers stacked over
several lines, long labels wrapped with the figures on their middle line, the 三、本年度办理结果 group label
spread down the rows). ``pdf_layout`` renders the canvas with aligned spaces (pdftotext -layout);
``pdf_reading`` collapses each line to single spaces (reading-order extraction). Pages get a number
line such as ``- 3 -`` and break wherever they fall, tables included.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from govreport.training.synth.model import Block, Cell, Piece, SynthDoc, Table

Line = list[tuple[int, Cell]]


_WIDE = re.compile("[\u2e80-\U0010ffff]")


def dw(text: str) -> int:
    """Display width: CJK and full-width characters take two columns."""
    return len(text) + len(_WIDE.findall(text))


def _columns(ch: str) -> float:
    return 2 if ch >= "\u2e80" else 1


def wrap(cell: Cell, width: float, measure: Callable[[str], float] = _columns) -> list[Cell]:
    """Split ``cell`` into lines of at most ``width`` (display columns, or whatever ``measure`` gives a
    character: pixels for drawn pages), keeping each piece's label."""
    lines: list[Cell] = [[]]
    used = 0.0
    for p in cell:
        buf = ""
        for ch in p.text:
            w = measure(ch)
            if used + w > width and used:
                if buf:
                    lines[-1].append(Piece(buf, p.label, p.key))
                lines.append([])
                buf, used = "", 0.0
            buf += ch
            used += w
        if buf:
            lines[-1].append(Piece(buf, p.label, p.key))
    return [line for line in lines if line] or [[]]


@dataclass
class Style:
    """One report's PDF look."""

    margin: int
    width: int  # text width of prose lines, in display columns
    page_len: int
    head_chunk: int  # characters per line of stacked header cells
    fig_w: int  # width of a figure column
    vertical_group: bool  # 三、本年度办理结果 spread one character per line
    fig_above: float  # share of rows whose figures stand on a line above their label (tall merged rows)
    column_block: bool  # reading order: a run of rows printed column by column (labels, then each column)
    footer: str  # "- {n} -" …
    formfeed: bool
    reading: bool  # collapse to single spaces (reading order) instead of aligned columns


def style_for(rng: random.Random, reading: bool) -> Style:
    return Style(
        margin=0 if reading else rng.choice([0, 4, 8, 10]), width=rng.choice([52, 56, 60, 66]),
        page_len=rng.randint(30, 48), head_chunk=rng.choice([1, 2, 2]) if reading else rng.choice([2, 2, 3, 4]),
        fig_w=rng.choice([5, 6, 8]), vertical_group=rng.random() < 0.7,
        fig_above=rng.choice([0.0, 0.0, 0.15, 0.3]), column_block=reading and rng.random() < 0.3,
        footer=rng.choice(["- {n} -", "-{n}-", "— {n} —", "{n}"]), formfeed=rng.random() < 0.5, reading=reading,
    )


class Canvas:
    """Lines of cells at display-column positions."""

    def __init__(self) -> None:
        self.lines: list[Line] = []

    def put(self, y: int, x: int, cell: Cell) -> None:
        while len(self.lines) <= y:
            self.lines.append([])
        if cell:
            self.lines[y].append((x, cell))

    def put_wrapped(self, y: int, x: int, cell: Cell, width: int) -> int:
        """Place ``cell`` wrapped to ``width`` from line ``y``; returns the number of lines used."""
        parts = wrap(cell, width)
        for i, part in enumerate(parts):
            self.put(y + i, x, part)
        return len(parts)


def render_line(line: Line, reading: bool) -> list[Piece]:
    out: list[Piece] = []
    cur = 0
    for x, cell in sorted(line, key=lambda item: item[0]):
        if reading:  # reading order: single spaces, no columns to keep
            if out:
                out.append(Piece(" "))
            out += cell
            continue
        gap = max(x - cur, 1 if out else 0)
        if gap:
            out.append(Piece(" " * gap))
        out += cell
        cur += gap + dw("".join(p.text for p in cell))
    return out


# --- tables ---------------------------------------------------------------------------------------


def _t2(canvas: Canvas, table: Table, st: Style, rng: random.Random) -> None:
    label_w = rng.choice([20, 24, 28])
    col_w = rng.choice([14, 16, 18])
    y = len(canvas.lines)
    for row in table.rows:
        if row.kind == "caption":
            canvas.put(y, st.margin + label_w, row.cells[0])
            y += 1
            continue
        cells = row.cells if row.kind == "header" else row.cells[: row.n_label] + row.figures
        h = 1
        for j, cell in enumerate(cells):
            x = st.margin + (0 if j == 0 else label_w + (j - 1) * col_w)
            w = label_w - 2 if j == 0 else col_w - 2
            h = max(h, canvas.put_wrapped(y, x + (4 if row.kind == "header" and j == 0 else 0), cell, w))
        y += h


def _stack(canvas: Canvas, y: int, x: int, cell: Cell, chunk: int) -> int:
    return canvas.put_wrapped(y, x, cell, 2 * chunk) if cell else 0


def _t3(canvas: Canvas, table: Table, st: Style, rng: random.Random) -> None:
    s = table.slots
    gw = 4 if st.vertical_group else 20
    sw, lw, fw = rng.choice([14, 16, 18]), rng.choice([22, 26, 30]), st.fig_w
    x0 = st.margin
    xf = x0 + gw + sw + lw
    fx = [xf + i * fw for i in range(7)]
    y = len(canvas.lines)
    # header: 申请人情况 over the figure columns, 法人或其他组织 over the five kinds, stacked kind names
    canvas.put(y, fx[2], s["applicant"])
    canvas.put(y + 1, fx[2], s["legal_persons"])
    h = canvas.put_wrapped(y + 2, x0, s["note"], gw + sw + lw - 2)
    ch = max(st.head_chunk, 2)
    hh = max(_stack(canvas, y + 2, fx[0], s["natural"], ch), _stack(canvas, y + 2, fx[6], s["total"], ch))
    for i, k in enumerate(("commercial", "research", "social", "legal", "other")):
        hh = max(hh, _stack(canvas, y + 3, fx[i + 1], s[k], st.head_chunk) + 1)
    y += 2 + max(h, hh)
    data = [r for r in table.rows if r.kind == "data"]
    spans: dict[str, list[int]] = {}  # group / sub key -> [first line, last line]
    group_label: dict[str, Cell] = {}
    leaves = [i for i, r in enumerate(data) if r.n_label == 3 and r.cells[2]]
    block: set[int] = set()
    if st.column_block and len(leaves) > 4:  # as in the 洪泽区 2023 text layer (ten rows column by column)
        start = rng.randrange(len(leaves) - 3)
        block = set(leaves[start : start + rng.randint(3, 10)])
    held: list[list[Cell]] = []
    for n, row in enumerate(data):
        top, sub, leaf = row.cells[:3] if row.n_label >= 3 else ([*row.cells[:row.n_label], [], [], []])[:3]
        figs = row.figures
        above = rng.random() < st.fig_above
        ly = y + 1 if above else y
        if leaf:
            h = canvas.put_wrapped(ly, x0 + gw + sw, leaf, lw - 2)
            if sub:
                group_label[row.sub] = sub
        elif row.group:
            h = canvas.put_wrapped(ly, x0 + gw, sub, sw + lw - 2)
        else:
            h = canvas.put_wrapped(ly, x0, top, gw + sw + lw - 2)
        if row.group and top:
            group_label[row.group] = top
        mid = y if above else y + (h - 1) // 2 if rng.random() < 0.7 else y
        h += above
        if n in block:
            held.append(figs)
        else:
            for i, cell in enumerate(figs):
                canvas.put(mid, fx[min(i, 6)] + (i - 6) * fw if i > 6 else fx[i], cell)
        if held and n + 1 not in block:  # end of the block: one line per column
            for c in range(max(len(f) for f in held)):
                for k, f in enumerate(held):
                    if c < len(f):
                        canvas.put(y + h, fx[0] + k, f[c])
                h += 1
            held = []
        for key in (row.group, row.sub):
            if key:
                spans.setdefault(key, [y, y + h - 1])[1] = y + h - 1
        y += h
    for key, cell in group_label.items():
        first, last = spans[key]
        if key == "results":
            if st.vertical_group:
                chars = wrap(cell, 2)
                step = max(1, (last - first + 1) // max(len(chars), 1))
                for i, part in enumerate(chars):
                    canvas.put(min(first + i * step, last), x0, part)
            else:
                canvas.put(first, x0, cell)
        else:
            parts = wrap(cell, sw - 6 if rng.random() < 0.5 else sw)
            start = first + max(0, (last - first + 1 - len(parts)) // 2)
            for i, part in enumerate(parts):
                canvas.put(start + i, x0 + gw, part)


def _t4(canvas: Canvas, table: Table, st: Style, rng: random.Random) -> None:
    s = table.slots
    fw = st.fig_w
    x0 = st.margin
    groups = ("review", "suit_direct", "suit_after_review")
    y = len(canvas.lines)
    canvas.put(y, x0 + fw, s["review_label"])
    canvas.put(y, x0 + 7 * fw, s["suit_label"])
    canvas.put(y + 1, x0 + 5 * fw + 1, s["suit_direct_label"])
    canvas.put(y + 1, x0 + 10 * fw + 1, s["suit_after_review_label"])
    h = 0
    for gi, g in enumerate(groups):
        for i in range(5):
            h = max(h, _stack(canvas, y + 2, x0 + (gi * 5 + i) * fw, s[f"{g}.{i}"], st.head_chunk))
    y += 2 + h
    for row in table.rows:
        if row.kind == "data":
            for i, cell in enumerate(row.figures):
                canvas.put(y, x0 + i * fw, cell)


TABLES = {"t2": _t2, "t3": _t3, "t4": _t4}


# --- the document ---------------------------------------------------------------------------------


def _spaced_digits(rng: random.Random, pieces: list[Piece]) -> list[Piece]:
    """Justified PDF text: runs of spaces around ASCII numbers in prose (2023   年)."""
    if rng.random() < 0.5:
        return pieces
    return [Piece(re.sub(r"(\d+)", lambda m: " " * rng.randint(1, 4) + m.group(1) + " " * rng.randint(1, 3),
                         p.text)) if p.label == "O" else p for p in pieces]


def _block(canvas: Canvas, block: Block, st: Style, rng: random.Random) -> None:
    y = len(canvas.lines)
    if block.kind == "title" and not st.reading and rng.random() < 0.4:
        text = block.pieces[0].text
        m = re.search(r"\s*\d{4}", text)
        if m and m.start() > 0:  # title over two lines: the body, then the year and the rest
            first, rest = text[: m.start()], text[m.start() :].strip()
            canvas.put(y, st.margin + max(0, (st.width - dw(first)) // 2), [Piece(first, "TITLE")])
            canvas.put(y + 1, st.margin + max(0, (st.width - dw(rest)) // 2), [Piece(rest, "TITLE")])
            return
    if block.kind in ("title", "sec", "sub", "chrome"):
        indent = max(0, (st.width - dw(block.pieces[0].text)) // 2) if block.kind == "title" else 4
        for i, part in enumerate("".join(p.text for p in block.pieces).split("\n")
                                 if block.kind == "chrome" else [None]):
            cell = [Piece(part)] if part is not None else block.pieces
            canvas.put(y + i, st.margin + (0 if st.reading else indent), cell)
        return
    pieces = _spaced_digits(rng, block.pieces)
    first_indent = 0 if st.reading else 4
    lines = wrap([Piece("\u3000" * 2), *pieces] if not st.reading else pieces, st.width)
    for i, line in enumerate(lines):
        if i == 0 and not st.reading:
            line = line[1:] if line and line[0].text == "\u3000\u3000" else line
            canvas.put(y, st.margin + first_indent, line)
        else:
            canvas.put(y + i, st.margin, line)


def canvas_lines(rng: random.Random, doc: SynthDoc, reading: bool) -> tuple[Style, list[list[Piece]]]:
    """The document as rendered lines (before pagination)."""
    st = style_for(rng, reading)
    canvas = Canvas()
    for b in doc.blocks:
        if isinstance(b, Table):
            TABLES[b.name](canvas, b, st, rng)
        else:
            _block(canvas, b, st, rng)
    return st, [render_line(line, st.reading) for line in canvas.lines]


def pages(st: Style, lines: list[list[Piece]]) -> list[list[list[Piece]]]:
    """Lines cut into pages, each but the last ending with its page-number line."""
    out = []
    for n, start in enumerate(range(0, len(lines), st.page_len), 1):
        page = lines[start : start + st.page_len]
        if start + st.page_len < len(lines):
            pad = "" if st.reading else " " * (st.margin + st.width // 2)
            page = [*page, [Piece(pad + st.footer.format(n=n))]]
        out.append(page)
    return out


def render(rng: random.Random, doc: SynthDoc, reading: bool) -> list[Piece]:
    st, lines = canvas_lines(rng, doc, reading)
    out: list[Piece] = []
    paged = pages(st, lines)
    for i, page in enumerate(paged):
        for line in page:
            out += [*line, Piece("\n")]
        if st.formfeed and i + 1 < len(paged):
            out.append(Piece("\f\n"))
    return out
