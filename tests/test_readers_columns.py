"""Tables printed without rulings keep one field per column, blanks included (inference/readers/columns.py):
rows built from word boxes, pages drawn with PIL and read by the real OCR, and a PDF text layer read by
the real PDF reader; lines whose figures do not fall clearly into columns stay as they read."""

from __future__ import annotations

import random

from govreport.inference.readers import read_document
from govreport.inference.readers.grids import Word
from govreport.inference.readers.layout import Line, words_to_lines

from tests.test_readers_ocr_cells import _borderless, _read
from tests.test_readers_ocr_noisy import scan_defects

LABELS = [
    "一、本年新收政府信息公开申请数量",
    "二、上年结转政府信息公开申请数量",
    "（一）予以公开",
    "1.属于国家秘密",
]
FIGURES = [
    ["51", "7", "", "", "1", "", "59"],
    ["1", "", "", "", "1", "", "2"],
    ["6", "0", "0", "0", "1", "0", "7"],
    ["", "", "", "3", "", "", "3"],
]
HEADER = ["维持", "纠正", "其他", "未结", "总计"] * 3
T4 = ["10", "1", "3", "", "14", "4", "1", "1", "1", "7", "23", "", "3", "8", "34"]


def _words(rows: list[list[tuple[float, str]]], height: float = 10.0) -> list[Word]:
    """Word boxes centred at the given x, one line every two heights; a word is ``height`` tall and half
    as wide per character."""
    out = []
    for i, row in enumerate(rows):
        top = 100 + 2 * height * i
        for x, text in row:
            half = len(text) * height / 4
            out.append(Word(text, (x - half, top, x + half, top + height)))
    return out


def _row(label: str, xs: list[float], figures: list[str], label_x: float = 100) -> list[tuple[float, str]]:
    return [*([(label_x, label)] if label else []), *((x, f) for x, f in zip(xs, figures, strict=True) if f)]


def _texts(words: list[Word]) -> list[str]:
    return [line.text for line in words_to_lines(words, 0)]


COLUMNS = [300.0 + 40 * k for k in range(7)]


def test_blank_cells_become_empty_fields():
    rows = [_row(label, COLUMNS, figs) for label, figs in zip(LABELS, FIGURES, strict=True)]
    assert _texts(_words(rows)) == [
        "\t".join([label, *figs]) for label, figs in zip(LABELS, FIGURES, strict=True)
    ]


def test_rows_without_a_label_and_wrapped_labels():
    """Figures printed between the two lines of their wrapped label get a field per column too (a line
    starting with a blank field opens with a tab, so the post-processor still counts it)."""
    rows = [
        [(100, "5.属于三类内部")],
        _row("", COLUMNS, ["1", "", "", "", "", "", "1"]),
        [(100, "事务信息")],
        _row("", COLUMNS, ["", "2", "", "", "", "", "2"]),
        _row("（七）总计", COLUMNS, ["46", "7", "0", "0", "2", "0", "55"]),
    ]
    assert _texts(_words(rows)) == [
        "5.属于三类内部",
        "1\t\t\t\t\t\t1",
        "事务信息",
        "\t\t2\t\t\t\t\t2",
        "（七）总计\t46\t7\t0\t0\t2\t0\t55",
    ]


def test_figures_not_clearly_in_a_column_are_left_as_read():
    """A figure midway between two columns (or two figures nearest one column) says nothing sure about
    its column: the line stays as joined today."""
    rows = [
        _row("（一）予以公开", COLUMNS, ["6", "0", "0", "0", "1", "0", "7"]),
        [(100, "二、上年结转"), (320, "1"), (540, "2")],
        [(100, "三、本年"), (300, "4"), (312, "2"), (540, "6")],
        _row("（七）总计", COLUMNS, ["46", "7", "0", "0", "2", "0", "55"]),
    ]
    assert _texts(_words(rows))[1:3] == ["二、上年结转\t1\t2", "三、本年\t4 2\t6"]


def test_single_row_takes_its_columns_from_the_header_line():
    """Table 4: one row of fifteen cells with blanks under a header line of fifteen words; without the
    header the row alone cannot tell where its blanks are."""
    xs = [80.0 + 30 * k for k in range(15)]
    header = [(x, h) for x, h in zip(xs, HEADER, strict=True)]
    assert _texts(_words([header, _row("", xs, T4)]))[1] == "\t".join(T4)
    assert _texts(_words([_row("", xs, T4)])) == ["\t".join(f for f in T4 if f)]


def test_a_header_line_between_tables_keeps_their_columns_apart():
    """Two tables with different columns one after the other, the first's three standing where three of
    the second's seven do: the second's header line reaches into the figure area and ends the first's run,
    so the first's rows do not take the second's columns."""
    first = [COLUMNS[0], COLUMNS[2], COLUMNS[6]]
    rows = [
        _row("规章", first, ["1", "2", "140"]),
        _row("行政规范性文件", first, ["4", "7", "16"]),
        [(100, "信息内容"), (300, "申请人情况"), (480, "总计")],
        _row("一、本年新收", COLUMNS, ["51", "7", "", "", "1", "", "59"]),
        _row("（一）予以公开", COLUMNS, ["6", "0", "0", "0", "1", "0", "7"]),
    ]
    assert _texts(_words(rows)) == [
        "规章\t1\t2\t140",
        "行政规范性文件\t4\t7\t16",
        "信息内容\t申请人情况\t总计",
        "一、本年新收\t51\t7\t\t\t1\t\t59",
        "（一）予以公开\t6\t0\t0\t0\t1\t0\t7",
    ]


def test_prose_ending_in_figures_is_left_alone():
    """Lines whose text runs over where the other line's figures stand are no table rows."""
    rows = [
        [(150, "全年共收到申请"), (300, "59"), (340, "48")],
        [(200, "其中当面申请、信函申请、网络申请均有"), (360, "3")],
    ]
    assert _texts(_words(rows)) == ["全年共收到申请\t59\t48", "其中当面申请、信函申请、网络申请均有\t3"]


def _ocr_lines(image) -> list[str]:
    return [b.text for b in _read(image).blocks if isinstance(b, Line)]


def test_ocr_borderless_rows_keep_their_blank_cells():
    """Drawn with PIL, read by the real OCR: rows with blank cells come back with one field per column."""
    xs = [560 + 80 * k for k in range(7)]
    lines = [
        [(300, label), *((x, f) for x, f in zip(xs, figs, strict=True) if f)]
        for label, figs in zip(LABELS, FIGURES, strict=True)
    ]
    fields = [line.split("\t") for line in _ocr_lines(_borderless(lines, size=18))]
    assert [f[1:] for f in fields] == FIGURES
    assert all(len(f) == 8 for f in fields)


def test_ocr_table_4_single_row_under_its_header():
    """One row of fifteen figure cells, two blank, under its header line, on a clean and a noisy scan."""
    xs = [100 + 96 * k for k in range(15)]
    image = _borderless(
        [list(zip(xs, HEADER, strict=True)), [(x, f) for x, f in zip(xs, T4, strict=True) if f]], size=20
    )
    for page in (image, scan_defects(image, random.Random(3))):
        assert _ocr_lines(page)[-1].split("\t") == T4


def _pdf(rows: list[list[tuple[float, str]]], size: float = 10.0) -> bytes:
    """A one-page PDF with a text layer (Helvetica, no rulings): each word centred at its x, a line every
    two sizes down from the top."""
    ops = []
    for i, row in enumerate(rows):
        for x, text in row:
            left = x - len(text) * 0.556 * size / 2 if text.isdigit() else x  # digits are 0.556 em wide
            ops.append(f"BT /F1 {size} Tf {left:.2f} {700 - 2 * size * i:.2f} Td ({text}) Tj ET")
    content = "\n".join(ops).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def test_pdf_text_layer_rows_keep_their_blank_cells(tmp_path):
    """The PDF text-layer reader goes through the same lines: a table without rulings in a text layer."""
    labels = ["new requests", "carried over", "granted", "secret"]
    rows = [
        [(60, label), *((x, f) for x, f in zip(COLUMNS, figs, strict=True) if f)]
        for label, figs in zip(labels, FIGURES, strict=True)
    ]
    path = tmp_path / "borderless.pdf"
    path.write_bytes(_pdf(rows))
    lines = read_document(path).text.splitlines()
    assert lines == ["\t".join([label, *figs]) for label, figs in zip(labels, FIGURES, strict=True)]
