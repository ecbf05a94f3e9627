"""Web-page copies as portals and mirror sites publish them (the classes seen in real copies).

Page chrome before the title (breadcrumbs, 索引号 header blocks, login bars, a page-header copy of the
title with the site's name), titles printed over two lines, after a 标题： label or without a year,
heading variants (概述, 行政机关主动公开…, …的情况, a lost numeral), headings run into their text where a
copy lost its line breaks, the 2019 template's long explanatory row and column labels, amounts with
units (976.81万元, 251000元), changes printed 减4 or （-8）, and copies cut off at any point.
Everything is pieces with labels, so the labels stay right by construction.
"""

from __future__ import annotations

import random
import re

from govreport.configs import load
from govreport.training.synth.model import Block, Piece, SynthDoc, Table


def _cfg() -> dict:
    return load("synth")["web"]


def page_chrome(rng: random.Random, title: str, slots: dict) -> list[Block]:
    """Chrome above the title: one to three of the page furniture lines real copies keep."""
    cfg = _cfg()
    lines = [rng.choice(cfg["head_chrome"]).format(title=title, **slots)
             for _ in range(rng.randint(1, 3))]
    return [Block("chrome", [Piece(line)]) for line in dict.fromkeys(lines)]


def title_blocks(rng: random.Random, title: str, body: str, year: int) -> list[Block]:
    """The title as the page prints it: whole, over two lines, after a label, or without a year."""
    style = rng.choice(["two_lines", "prefix", "no_year", "annual", "whole"])
    if style == "two_lines" and title.startswith(body):
        return [Block("title", [Piece(body, "TITLE")]), Block("title", [Piece(title[len(body):].strip(), "TITLE")])]
    if style == "prefix":
        return [Block("title", [Piece(rng.choice(["标题：", "标 题:", "名称："])), Piece(title, "TITLE")])]
    if style == "no_year":
        return [Block("title", [Piece(re.sub(r"\s*20\d\d\s*年度?\s*", "", title), "TITLE")])]
    if style == "annual":
        return [Block("title", [Piece(re.sub(r"(20\d\d)\s*年(?!度)", r"\1年度", title, count=1), "TITLE")])]
    return [Block("title", [Piece(title, "TITLE")])]


def heading(rng: random.Random, sid: int, canonical: str) -> str:
    """A section heading in one of the variants real copies print, or with its numeral lost."""
    cfg = _cfg()
    variants = cfg["sec_variants"].get(sid, [])
    text = rng.choice(variants) if variants and rng.random() < 0.5 else canonical
    if rng.random() < cfg["lost_numeral"]:
        text = text[1:]
    return text


def long_labels(rng: random.Random, table: Table, year: int) -> None:
    """The 2019 template's explanatory notes printed inside row and column labels."""
    notes = _cfg()["label_notes"]
    for row in table.rows:
        for cell in row.cells:
            for piece in cell:
                note = notes.get(piece.text)
                if note and piece.label in ("ROW", "COL") and rng.random() < 0.7:
                    piece.text += rng.choice(note).format(year=year, prev=year - 1)


def figure_forms(rng: random.Random, table: Table) -> None:
    """Amounts with their unit (万元, or 元 with the figure ×10000), changes written 减4 or （-8）."""
    for row in table.rows:
        for cell in row.cells:
            for i, piece in enumerate(list(cell)):
                if piece.label != "NUM" or not piece.key or not re.fullmatch(r"-?\d+(\.\d+)?", piece.text):
                    continue
                if piece.key.endswith(".amount"):
                    if rng.random() < 0.5:
                        cell.insert(i + 1, Piece("万元"))
                    elif rng.random() < 0.5:
                        value = round(float(piece.text) * 10000, 2)
                        piece.text = str(int(value)) if value.is_integer() else str(value)
                        cell.insert(i + 1, Piece("元"))
                elif piece.key.endswith(".change") and piece.text.startswith("-") and rng.random() < 0.6:
                    if rng.random() < 0.5:
                        cell.insert(i, Piece("减"))
                        piece.text = piece.text[1:]
                    else:
                        cell.insert(i, Piece("（"))
                        cell.insert(i + 2, Piece("）"))


def lost_breaks(rng: random.Random, doc: SynthDoc) -> None:
    """Line breaks lost around headings: a heading runs into the text after it (一、总体情况2024年，…)."""
    ps = doc.pieces
    for i in range(len(ps) - 1):
        if (ps[i].label in ("SEC", "SUB") and ps[i + 1].label == "O" and ps[i + 1].text.startswith("\n")
                and rng.random() < 0.6):
            ps[i + 1] = Piece(rng.choice(["", " ", "  "]) + ps[i + 1].text.lstrip("\n"))


def cut_anywhere(rng: random.Random, doc: SynthDoc) -> None:
    """The copy stops at an arbitrary point (an excerpt), inside a label or a sentence."""
    if len(doc.pieces) < 4:
        return
    i = rng.randrange(len(doc.pieces) // 8, len(doc.pieces))
    piece = doc.pieces[i]
    doc.pieces = doc.pieces[:i]
    if piece.label == "O" and len(piece.text) > 2:
        doc.pieces.append(Piece(piece.text[: rng.randrange(1, len(piece.text))]))
