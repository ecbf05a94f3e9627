"""The generator's web-page family (training/synth/web.py): each class as real copies print it, labels
right by construction."""

from __future__ import annotations

import random
import re

import pytest
from govreport.training.synth import web
from govreport.training.synth.generate import generate
from govreport.training.synth.model import Cell, Piece, Row, SynthDoc, Table


@pytest.fixture(scope="module")
def docs():
    return [generate(41, i) for i in range(160)]


def test_page_chrome_stands_above_the_title_unlabelled(docs) -> None:
    chromed = [d for d in docs if re.search(r"当前位置|您的位置|索引号|无障碍|字体|点击数|首页 >", d.text[: d.text.find("一")])]
    assert len(chromed) >= 15
    for d in chromed:
        first_title = next(s.start for s in d.spans if s.label == "TITLE")
        for m in re.finditer(r"当前位置|您的位置|索引号|无障碍|点击数", d.text):
            assert not any(s.start <= m.start() < s.end for s in d.spans), d.id  # chrome is O
        assert d.gold["title"] and d.text.find(d.gold["title"][:4]) >= 0
        assert first_title >= 0


def test_titles_over_two_lines_after_a_label_or_without_a_year(docs) -> None:
    titles = [d.gold["title"] for d in docs]
    assert any("标题" not in t and not re.search(r"20\d\d", t) for t in titles)  # no year
    two = [d for d in docs if len([s for s in d.spans if s.label == "TITLE"]) == 2]
    assert two
    for d in two:
        a, b = [s for s in d.spans if s.label == "TITLE"]
        assert "\n" in d.text[a.end : b.start] and d.gold["title"] == a.text(d.text) + b.text(d.text)
    prefixed = [d for d in docs if re.search(r"^(标题：|标 题:|名称：)", d.text, re.M)]
    for d in prefixed:
        assert not d.gold["title"].startswith(("标题", "标 题", "名称"))


def test_heading_variants_and_headings_run_into_text(docs) -> None:
    heads = {h["heading"] for d in docs for h in d.gold["sections"]}
    assert heads & {"一、概述", "一、总体概述", "一、基本情况", "二、行政机关主动公开政府信息情况"}
    run_in = [d for d in docs if "lost_breaks" in d.noise]
    assert run_in
    for d in run_in:
        lines = d.text.split("\n")
        assert all(any(line.strip().startswith(h["heading"]) for line in lines) for h in d.gold["sections"])


def _table(*cells: Cell) -> Table:
    return Table("t2", [Row("data", list(cells), 1, [p.key for c in cells for p in c if p.key])])


def test_amounts_carry_units_and_changes_sign_words() -> None:
    rng = random.Random(3)
    seen = set()
    for _ in range(60):
        amount = [Piece("25.1", "NUM", "t2.procurement.amount")]
        change = [Piece("-4", "NUM", "t2.fees.change")]
        web.figure_forms(rng, _table([Piece("政府集中采购", "ROW")], amount, change))
        text = "".join(p.text for p in amount)
        seen.add(text)
        if text.endswith("元") and not text.endswith("万元"):
            assert amount[0].text == "251000" and amount[0].label == "NUM"  # printed in 元, gold stays 25.1 万元
        seen.add("".join(p.text for p in change))
    assert {"25.1万元", "251000元", "25.1", "减4", "（-4）", "-4"} <= seen


def test_long_labels_keep_their_notes_inside_the_label() -> None:
    rng = random.Random(5)
    label = [Piece("规范性文件", "ROW")]
    col = [Piece("上一年项目数量", "COL")]
    for _ in range(10):
        web.long_labels(rng, _table(label, col), 2020)
    assert label[0].text.startswith("规范性文件（") and label[0].label == "ROW"
    assert "2019" in col[0].text or "上一年" in col[0].text[7:]


def test_copies_cut_anywhere_keep_labels_on_what_is_left() -> None:
    doc = SynthDoc("x", 2021, "2021", "某局", "某局", pieces=[Piece("标题", "TITLE"), Piece("\n"),
                   Piece("一、总体情况", "SEC"), Piece("\n正文正文正文。\n"), Piece("规章", "ROW"), Piece("\t"),
                   Piece("0", "NUM", "t2.regulations.issued"), Piece("\n")])
    web.cut_anywhere(random.Random(1), doc)
    assert 1 <= len(doc.pieces) <= 8 and doc.pieces[0].label == "TITLE"
