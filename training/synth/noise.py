"""Noise families, one function each. Table-level families edit the grid before layout; text-level
families edit the rendered pieces. Every edit keeps each piece's label, so labels stay correct."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from functools import cache

from govreport.configs import load
from govreport.training.synth.figures import fmt_figure
from govreport.training.synth.model import Block, LostCell, Piece, Row, SynthDoc, Table

# --- helpers -------------------------------------------------------------------------------------


def _tables(doc: SynthDoc) -> list[Table]:
    return [b for b in doc.blocks if isinstance(b, Table)]


def _data_rows(doc: SynthDoc, names: tuple[str, ...] = ("t3",)) -> list[Row]:
    return [r for t in _tables(doc) if t.name in names for r in t.rows if r.kind == "data"]


def _label_pieces(doc: SynthDoc, labels: set[str]) -> Iterator[Piece]:
    for b in doc.blocks:
        rows = b.rows if isinstance(b, Table) else [Row("text", [b.pieces])]
        for row in rows:
            for cell in row.cells:
                yield from (p for p in cell if p.label in labels)


def _split_o(pieces: list[Piece], pattern: re.Pattern[str],
             make: Callable[[str], Piece | list[Piece] | None]) -> list[Piece]:
    """Replace each match of ``pattern`` inside O pieces by ``make(match)`` (None keeps it)."""
    out: list[Piece] = []
    for p in pieces:
        if p.label != "O" or not pattern.search(p.text):
            out.append(p)
            continue
        pos = 0
        for m in pattern.finditer(p.text):
            new = make(m.group(0))
            if new is None:
                continue
            if m.start() > pos:
                out.append(Piece(p.text[pos : m.start()]))
            out += new if isinstance(new, list) else [new]
            pos = m.end()
        if pos < len(p.text):
            out.append(Piece(p.text[pos:]))
    return out


# --- table-level families (before layout) --------------------------------------------------------


def ocr_slips(rng: random.Random, doc: SynthDoc) -> None:
    """OCR slips: 数量→数里, 总计→总记 …, a dropped or doubled character, 0/O and 1/l in a figure,
    4+H-style garbage for table-4 header cells."""
    cfg = load("synth")["ocr"]
    slip_p = rng.uniform(0.2, 0.9)
    kinds = rng.sample(sorted(cfg["label_slips"].items()), rng.randint(1, 3))
    for p in _label_pieces(doc, {"COL", "ROW", "CAPTION", "SUB"}):
        for good, bad in kinds:
            if good in p.text and rng.random() < slip_p:
                p.text = p.text.replace(good, bad)
        if len(p.text) > 4 and rng.random() < 0.04:
            i = rng.randrange(1, len(p.text) - 1)
            p.text = p.text[:i] + p.text[i + 1 :] if rng.random() < 0.5 else p.text[:i] + p.text[i] + p.text[i:]
    nums = [p for r in _data_rows(doc, ("t2", "t3", "t4")) for c in r.figures for p in c if p.text[:1] in "01"]
    for p in rng.sample(nums, min(len(nums), rng.choice([0, 0, 1, 2]))):
        slips = cfg["digit_slips"][p.text[0]]
        p.text = rng.choice(slips) + p.text[1:]
    t4 = [t for t in _tables(doc) if t.name == "t4"]
    if t4 and rng.random() < 0.3:
        head = next(r for r in t4[0].rows if r.kind == "header" and any(c and c[0].text == "结果维持" for c in r.cells))
        cols = [c for c in head.cells if c and c[0].label == "COL"]
        for cell in cols[: rng.randint(1, 3)]:
            cell[:] = [Piece(rng.choice(cfg["header_garbage"]), "GARBLE")]


def spaced_words(rng: random.Random, doc: SynthDoc) -> None:
    """Spaces inside words: a stretch of prose spaced out (本 年 度 报 告), a label split (不 予公开)."""
    paras = [b for b in doc.blocks if isinstance(b, Block) and b.kind == "para"]
    for b in rng.sample(paras, min(len(paras), rng.randint(1, 2))):
        p = b.pieces[-1]
        if len(p.text) > 30:
            i = rng.randrange(0, len(p.text) - 20)
            j = i + rng.randint(6, 18)
            p.text = p.text[:i] + " ".join(p.text[i:j]) + p.text[j:]
    labels = [p for p in _label_pieces(doc, {"ROW", "NOTE", "COL"}) if len(p.text) >= 4]
    for p in rng.sample(labels, min(len(labels), rng.randint(1, 5))):
        i = rng.randrange(1, len(p.text) - 1)
        p.text = p.text[:i] + " " + p.text[i:]


def thousands(rng: random.Random, doc: SynthDoc) -> None:
    """Thousands separators in figures of 1000 and more (12,053; 5,736)."""
    for row in _data_rows(doc, ("t2", "t3", "t4")):
        for cell in row.figures:
            for p in cell:
                v = doc.printed.get(p.key or "")
                if v is not None and abs(v) >= 1000:
                    p.text = fmt_figure(v, thousands=True)


def _pick_rows(rng: random.Random, doc: SynthDoc, k: int) -> list[tuple[Row, int]]:
    """Up to ``k`` (row, figure index) picks in distinct rows and distinct columns, t3 mostly."""
    rows = _data_rows(doc, ("t3",)) * 4 + _data_rows(doc, ("t4", "t2"))
    picks: list[tuple[Row, int]] = []
    used_cols: set[str] = set()
    for row in rng.sample(rows, len(rows)):
        if len(picks) == k:
            break
        if any(r is row for r, _ in picks) or len(row.figures) < 1:
            continue
        i = rng.randrange(len(row.keys))
        col = row.keys[i].split(".", 1)[0] + "." + row.keys[i].rsplit(".", 1)[1]
        if col in used_cols:
            continue
        used_cols.add(col)
        picks.append((row, i))
    return picks


def lost_cells(rng: random.Random, doc: SynthDoc) -> None:
    """Cells lost in copying: the field left blank, or the field gone (the row one figure short)."""
    for row, i in _pick_rows(rng, doc, rng.choice([1, 1, 2, 3])):
        mode = rng.choice(["blank", "vanished"])
        doc.lost.append(LostCell(row.keys[i], list(row.keys), mode))
        if mode == "blank":
            row.cells[row.n_label + i] = []
        else:
            del row.cells[row.n_label + i]
            row.keys = row.keys[:i] + row.keys[i + 1 :]


def dup_cells(rng: random.Random, doc: SynthDoc) -> None:
    """A figure printed twice (the row one figure long)."""
    lost = {lc.key for lc in doc.lost}
    for row, i in _pick_rows(rng, doc, 1):
        if set(row.keys) & lost or any(set(row.keys) & set(d) for d, _ in doc.dup_rows):
            continue
        src = row.cells[row.n_label + i]
        row.cells.insert(row.n_label + i + 1, [Piece(p.text, p.label) for p in src])
        doc.dup_rows.append((list(row.keys), i))


def shifted_figure(rng: random.Random, doc: SynthDoc) -> None:
    """A row's figures shifted one column: an extra empty field before them (or one fewer)."""
    rows = _data_rows(doc, ("t3", "t2"))
    for row in rng.sample(rows, min(len(rows), rng.randint(1, 4))):
        if row.n_label and not row.cells[row.n_label - 1] and rng.random() < 0.5:
            del row.cells[row.n_label - 1]
            row.n_label -= 1
        else:
            row.cells.insert(row.n_label, [])
            row.n_label += 1


# --- text-level families (after layout) -----------------------------------------------------------


def _is_sep(p: Piece) -> bool:
    return p.label == "O" and p.text.strip(" \t|") == "" and "\n" in p.text


def merged_rows(rng: random.Random, doc: SynthDoc) -> None:
    """Two table rows merged on one line, or a row broken over two lines between its figures."""
    ps = doc.pieces
    merge = [i for i in range(1, len(ps) - 1) if _is_sep(ps[i]) and ps[i - 1].label == "NUM"
             and ps[i + 1].label in ("ROW", "NUM") and ps[i].text.count("\n") == 1]
    split = [i for i in range(1, len(ps) - 1) if ps[i].label == "O" and ps[i].text in ("\t", " ", "  ", " | ")
             and ps[i - 1].label == "NUM" and ps[i + 1].label == "NUM"]
    for i in rng.sample(merge, min(len(merge), rng.randint(0, 2))):
        ps[i] = Piece(ps[i].text.replace("\n", rng.choice(["\t", " "])))
    for i in rng.sample(split, min(len(split), rng.randint(1, 2))):
        ps[i] = Piece("\n")


def truncated(rng: random.Random, doc: SynthDoc) -> None:
    """The text stops inside a table (a download cut short)."""
    nums = [i for i, p in enumerate(doc.pieces) if p.label == "NUM"]
    if nums:
        cut = rng.choice(nums[len(nums) // 10 :])
        doc.pieces = doc.pieces[: cut + 1]


def spam(rng: random.Random, doc: SynthDoc) -> None:
    """A fixed spam word replaces 关于 everywhere in the prose; a casino name replaces the body's name."""
    cfg = load("synth")["spam"]
    word = rng.choice(cfg["words"])
    doc.pieces = _split_o(doc.pieces, re.compile("关于"), lambda _: Piece(word, "GARBLE"))
    if rng.random() < 0.5 and len(doc.short) >= 2:
        casino = rng.choice(cfg["casinos"])
        doc.pieces = _split_o(doc.pieces, re.compile(re.escape(doc.short)),
                              lambda _: Piece(casino, "GARBLE") if rng.random() < 0.7 else None)


@cache
def _s2t() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("s2t").convert


def traditional(rng: random.Random, doc: SynthDoc) -> None:
    """A Traditional-character mirror of the report, with junk and pinyin glosses in the prose."""
    from pypinyin import Style, pinyin

    convert = _s2t()
    junk = load("synth")["spam"]["junk"]
    for p in doc.pieces:
        if any("\u4e00" <= ch <= "\u9fff" for ch in p.text):
            p.text = convert(p.text)

    def gloss(word: str) -> list[Piece] | None:
        if rng.random() < 0.7:
            return None
        if rng.random() < 0.5:
            return [Piece(rng.choice(junk), "GARBLE"), Piece(word)]
        return [Piece(word), Piece("（" + " ".join(s[0] for s in pinyin(word, style=Style.TONE)) + "）", "GARBLE")]

    doc.pieces = _split_o(doc.pieces, re.compile(r"(?<=[。，])[\u4e00-\u9fff]{2}"), gloss)


def masking(rng: random.Random, doc: SynthDoc) -> None:
    """Words masked with *** (contacts, names, or stretches of prose)."""
    pattern = re.compile(r"0\d{2,3}-\d{7,8}|\w+@\w+\.\w+|[\u4e00-\u9fff]{2,4}(?=[，。])")
    doc.pieces = _split_o(doc.pieces, pattern,
                          lambda _: Piece(rng.choice(["***", "****", "**"]), "GARBLE") if rng.random() < 0.25 else None)


_FULL, _HALF = "（），：；", "(),:;"


def punct_width(rng: random.Random, doc: SynthDoc) -> None:
    """Full-/half-width punctuation swapped, in all or part of the report."""
    src, dst = (_FULL, _HALF) if rng.random() < 0.7 else (_HALF, _FULL)
    k = rng.randint(1, len(src))
    table = str.maketrans(src[:k], dst[:k])
    start = rng.randrange(len(doc.pieces)) if rng.random() < 0.3 else 0
    for p in doc.pieces[start:]:
        if p.label != "NUM":
            p.text = p.text.translate(table)


TABLE_LEVEL: dict[str, Callable[[random.Random, SynthDoc], None]] = {
    "ocr_slips": ocr_slips, "spaced_words": spaced_words, "thousands": thousands, "lost_cells": lost_cells,
    "dup_cells": dup_cells, "shifted_figure": shifted_figure,
}
TEXT_LEVEL: dict[str, Callable[[random.Random, SynthDoc], None]] = {
    "merged_rows": merged_rows, "spam": spam, "traditional": traditional, "masking": masking,
    "punct_width": punct_width, "truncated": truncated,
}
