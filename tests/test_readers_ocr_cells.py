"""The cell-by-cell OCR reader on pages drawn here with PIL (a CJK font, real RapidOCR, no mocks): figures
the recogniser would split, blank cells, single digits under speckle, rows without rulings, heading
numerals under noise, and skew."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from govreport.configs import load
from govreport.inference.readers.layout import Line, Page, Table
from govreport.inference.readers.ocr import image_page
from govreport.inference.readers.ocr.clean import skew
from PIL import Image, ImageDraw, ImageFont

from tests.test_readers_ocr_noisy import scan_defects

UNIT = 72 / 200  # points per pixel: pages drawn at 200 dpi


def _font(size: int) -> ImageFont.FreeTypeFont:
    path = next((p for p in load("synth")["ocr"]["fonts"] if Path(p).exists()), None)
    if path is None:
        pytest.skip("no CJK font (configs/synth.yaml ocr.fonts)")
    return ImageFont.truetype(path, size, index=0)


def _text(draw: ImageDraw.ImageDraw, x: float, y: float, text: str, spacing: float = 0.0, size: int = 30) -> None:
    """Draw ``text`` centred at (x, y) (``size`` px); ``spacing`` extra pixels between its characters."""
    font = _font(size)
    widths = [draw.textlength(ch, font=font) for ch in text]
    left = x - (sum(widths) + spacing * (len(text) - 1)) / 2
    for ch, w in zip(text, widths, strict=True):
        draw.text((left, y), ch, font=font, fill=0, anchor="lm")
        left += w + spacing


def _ruled(
    rows: list[list[str]],
    widths: list[int],
    spacing: dict[tuple[int, int], float] | None = None,
    size: int = 30,
    row_px: int = 70,
) -> Image.Image:
    """A ruled table (2-px rulings) with ``rows`` of cell texts (``size`` px) on a white A4-wide page."""
    spacing = spacing or {}
    height = 120 + row_px * len(rows) + 120
    page = Image.new("L", (1654, height), 255)
    draw = ImageDraw.Draw(page)
    xs = [100]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [120 + row_px * i for i in range(len(rows) + 1)]
    for x in xs:
        draw.line([(x, ys[0]), (x, ys[-1])], fill=0, width=2)
    for y in ys:
        draw.line([(xs[0], y), (xs[-1], y)], fill=0, width=2)
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            if text:
                _text(draw, (xs[j] + xs[j + 1]) / 2, (ys[i] + ys[i + 1]) / 2, text, spacing.get((i, j), 0.0), size)
    return page.convert("RGB")


def _read(image: Image.Image) -> Page:
    return image_page(np.asarray(image), 0, UNIT)


def _grid(page: Page) -> list[list[str]]:
    tables = [b for b in page.blocks if isinstance(b, Table)]
    assert len(tables) == 1, page.blocks
    return [[c.text if c is not None else "" for c in row] for row in tables[0].grid]


def test_a_figure_spread_inside_its_cell_is_one_figure():
    """Digits drawn far apart inside one cell (the recogniser, or the detector, reads 8 59): one figure."""
    rows = [["项目", "甲", "乙"], ["收到", "859", "477"], ["办结", "1203", "12"]]
    spacing = {(1, 1): 14.0, (1, 2): 12.0, (2, 1): 10.0, (2, 2): 16.0}
    grid = _grid(_read(_ruled(rows, [300, 220, 220], spacing)))
    assert [row[1:] for row in grid] == [["甲", "乙"], ["859", "477"], ["1203", "12"]]


def test_blank_cells_stay_blank_and_nothing_shifts():
    rows = [
        ["类别", "一", "二", "三", "四", "五", "总计"],
        ["新收", "3", "", "0", "", "12", "15"],
        ["结转", "", "", "", "7", "", "7"],
    ]
    grid = _grid(_read(_ruled(rows, [200] + [150] * 6)))
    assert grid[1][1:] == ["3", "", "0", "", "12", "15"]
    assert grid[2][1:] == ["", "", "", "7", "", "7"]


def test_single_digits_in_noisy_ruled_cells():
    """Rows of seven isolated digits in small print (16 px) in narrow ruled cells, skewed, blurred,
    speckled and JPEG'd: all seven, nothing more (the page-level path read a speck after the 1: ``1.``)."""
    digits = ["7", "0", "4", "1", "0", "9", "2"]
    rows = [["名称", *"ABCDEFG"], ["数量", *digits], ["合计", *reversed(digits)]]
    image = scan_defects(_ruled(rows, [150] + [60] * 7, size=16, row_px=36), random.Random(7))
    grid = _grid(_read(image))
    assert grid[1][1:] == digits
    assert grid[2][1:] == digits[::-1]


def _borderless(lines: list[list[tuple[int, str]]], size: int = 30) -> Image.Image:
    page = Image.new("L", (1654, 140 + 80 * len(lines)), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        for x, text in line:
            _text(draw, x, 100 + 80 * i, text, size=size)
    return page.convert("RGB")


def test_rows_without_rulings_keep_their_figures_apart():
    """Figures of neighbouring columns in small print with no ruling between them, on a noisy scan (the
    detector boxes them as one run and the recogniser drops a repeated 0): cut where the ink stands
    apart, one figure per column."""
    columns = [560 + 70 * k for k in range(7)]
    rows = [
        ["信访举报投诉类申请", "56", "6", "0", "0", "0", "0", "62"],
        ["要求提供公开出版物", "0", "0", "0", "0", "0", "0", "0"],
        ["重复申请", "25", "0", "0", "0", "0", "0", "25"],
    ]
    image = _borderless([[(300, r[0]), *zip(columns, r[1:], strict=True)] for r in rows], size=18)
    image = scan_defects(image, random.Random(3))
    lines = [b.text for b in _read(image).blocks if isinstance(b, Line)]
    assert [line.split("\t") for line in lines] == rows


@pytest.mark.parametrize("size", [22, 18])
def test_heading_numerals_survive_noise(size):
    """一、 before a heading on a noisy scan (the page-level path lost it: 总体情况)."""
    lines = [[(300, "一、总体情况")], [(300, "二、主动公开政府信息情况")], [(300, "三、收到和处理政府信息公开申请情况")]]
    image = scan_defects(_borderless(lines, size=size), random.Random(3))
    texts = [b.text.replace(" ", "") for b in _read(image).blocks if isinstance(b, Line)]
    assert texts == ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"]


@pytest.mark.parametrize("angle", [-0.5, 0.3])
def test_skew_is_measured_and_undone(angle):
    rows = [["项目", "甲", "乙", "丙"], ["收到", "12", "0", "5"], ["办结", "3", "44", "0"]]
    image = _ruled(rows, [300, 200, 200, 200]).rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
    gray = np.asarray(image.convert("L"))
    assert skew(gray) == pytest.approx(-angle, abs=0.06)
    assert [row[1:] for row in _grid(_read(image))] == [["甲", "乙", "丙"], ["12", "0", "5"], ["3", "44", "0"]]
