"""Readers on real inputs: the three published PDFs against their gold, and text/HTML/DOCX built here."""

from __future__ import annotations

import json
import re

import docx
import pytest
from govreport.inference.document import InputError
from govreport.inference.readers import read_document
from govreport.inference.readers.builder import Cell, TextBuilder
from govreport.inference.readers.grids import Word
from govreport.inference.readers.layout import (
    Line,
    Page,
    Table,
    drop_furniture,
    emit,
    stitch_tables,
    words_to_lines,
)

from tests.conftest import SHARED

PDF_DIR = SHARED / "dev" / "pdf"
GOLD_DIR = SHARED / "dev" / "gold"
PDFS = ["huaian_city_2024", "hongze_district_2023", "hongze_district_2024"]
T3_COLS = ["natural", "commercial", "research", "social", "legal", "other", "total"]
T4 = [
    f"{g}.{c}"
    for g in ("review", "suit_direct", "suit_after_review")
    for c in ("upheld", "corrected", "other", "pending", "total")
]


def _fields(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.split("\n")]


def _gold_rows(name: str) -> tuple[dict[str, list[str]], list[str], dict[str, str]]:
    """Gold figures as the reader must print them: t3 rows of 7, the t4 line of 15, t2 values."""
    cells = json.loads((GOLD_DIR / f"{name}.json").read_text(encoding="utf-8"))["cells"]
    t3: dict[str, list[str]] = {}
    for key, value in cells.items():
        table, row, col = key.split(".")
        if table == "t3":
            t3.setdefault(row, [""] * 7)[T3_COLS.index(col)] = "" if value is None else str(value)
    t4 = [str(cells[f"t4.{k}"]) for k in T4]
    t2 = {k: str(v) for k, v in cells.items() if k.startswith("t2.")}
    return t3, t4, t2


@pytest.fixture(scope="module")
def pdf_docs():
    return {name: read_document(PDF_DIR / f"{name}.pdf") for name in PDFS}


@pytest.mark.parametrize("name", PDFS)
def test_pdf_table_rows_match_gold(pdf_docs, name):
    """Every gold row of tables 3 and 4 is one line of the text, its figures in column order."""
    doc = pdf_docs[name]
    assert doc.kind == "pdf" and doc.pages >= 5
    lines = _fields(doc.text)
    t3, t4, t2 = _gold_rows(name)
    for row, figures in t3.items():
        assert any(fields[-7:] == figures for fields in lines), f"t3 row {row} {figures} not on one line"
    assert sum(fields == t4 for fields in lines) == 1, "table 4 is not one line of 15 figures in column order"
    for key, value in t2.items():
        assert any(fields[0] and value in fields[1:] for fields in lines), f"{key}={value} not in a table row"


@pytest.mark.parametrize("name", PDFS)
def test_pdf_row_labels_whole(pdf_docs, name):
    """Labels split over lines, and the group label cut by the page break, come out whole."""
    text = pdf_docs[name].text
    assert "（四）无法提供\t1.本机关不掌握相关政府信息\t" in text
    assert "5.要求行政机关确认或重新出具已获取信息\t" in text
    assert "\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他" in text
    assert re.search(r"^三、本年度办理结果\t", text, re.MULTILINE) or "\n三、本年度办理结果" in text


@pytest.mark.parametrize("name", PDFS)
def test_pdf_page_furniture_dropped(pdf_docs, name):
    """Page numbers (- 3 -) do not reach the text; section headings are lines of their own."""
    text = pdf_docs[name].text
    assert not re.search(r"^[-－—\s]*\d{1,3}[-－—\s]*$", text, re.MULTILINE)
    for heading in ("一、总体情况", "二、主动公开政府信息情况", "六、其他需要报告的事项"):
        assert re.search(rf"^{heading}$", text, re.MULTILINE)


def test_pdf_boxes_map_offsets_to_pages(pdf_docs):
    """Each box covers text it was read from, on the right page, inside the page."""
    doc = pdf_docs["huaian_city_2024"]
    assert doc.boxes
    previous_end = 0
    for box in doc.boxes:
        assert previous_end <= box.start < box.end <= len(doc.text)
        assert "\n" not in doc.text[box.start : box.end]
        assert 0 <= box.page < doc.pages
        x0, top, x1, bottom = box.bbox
        assert 0 <= x0 < x1 <= 595 and 0 <= top < bottom <= 842
        previous_end = box.end
    line = next(m for m in re.finditer(r"^一、本年新收.*$", doc.text, re.MULTILINE))
    figure = line.start() + line.group().rindex("3119")
    box = next(b for b in doc.boxes if b.start <= figure < b.end)
    assert box.page == 3 and doc.text[box.start : box.end] == "3119"
    title = next(b for b in doc.boxes if doc.text[b.start : b.end] == "淮安市人民政府")
    assert title.page == 0 and title.bbox[1] < 200


# ---------- text ----------

REPORT = "某县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n行政许可\t550\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gb18030", "gbk"])
def test_text_encodings(tmp_path, encoding):
    path = tmp_path / "r.txt"
    path.write_bytes(REPORT.encode(encoding))
    assert read_document(path).text == REPORT


def test_text_crlf_normalised(tmp_path):
    path = tmp_path / "r.txt"
    path.write_bytes(REPORT.replace("\n", "\r\n").encode("gbk"))
    doc = read_document(path)
    assert doc.text == REPORT and doc.kind == "text" and doc.boxes == []


def test_text_binary_refused(tmp_path):
    path = tmp_path / "r.txt"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(InputError, match="binary data"):
        read_document(path)


# ---------- HTML ----------

PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>网站</title><style>p {color: red}</style><script>var x = "脚本";</script></head><body>
<div class="top-nav"><a>首页</a> | <a>政务公开</a></div><nav>导航菜单</nav>
<div class="article"><h1>某县人民政府2023年政府信息公开工作年度报告</h1><p>一、总体情况</p>
<p>正文<b>加粗</b>继续。<br>第二行</p>
<table border="1">
<tr><td rowspan="2" colspan="3">（本列数据的勾稽关系）</td><td colspan="7">申请人情况</td></tr>
<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>
<tr><td colspan="3"></td><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>
<tr><td colspan="3">一、本年新收政府信息公开申请数量</td><td>1</td><td>2</td><td>3</td><td>4</td><td>5</td><td>6</td>
<td>21</td></tr>
<tr><td rowspan="3">三、本年度办理结果</td><td colspan="2">（一）予以公开</td><td>1</td><td>0</td><td>0</td><td>0</td>
<td>0</td><td>0</td><td>1</td></tr>
<tr><td rowspan="2">（三）不予公开</td><td>1.属于国家秘密</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td>
<td>0</td><td>0</td></tr>
<tr><td>2.其他法律<br>行政法规禁止公开</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>
</table></div><div id="footer">版权所有 网站标识码</div></body></html>"""


def test_html_gbk_tables_expanded_and_chrome_dropped(tmp_path):
    path = tmp_path / "report.html"
    path.write_bytes(PAGE.encode("gbk"))
    doc = read_document(path)
    assert doc.kind == "html"
    for chrome in ("脚本", "首页", "导航菜单", "版权所有", "color"):
        assert chrome not in doc.text
    assert doc.text.startswith(
        "某县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n正文加粗继续。\n第二行\n"
    )
    rows = [line for line in doc.text.split("\n") if "\t" in line]
    assert len(rows) == 7 and {row.count("\t") for row in rows} == {9}
    assert "一、本年新收政府信息公开申请数量\t\t\t1\t2\t3\t4\t5\t6\t21" in rows
    assert "\t（三）不予公开\t1.属于国家秘密\t0\t0\t0\t0\t0\t0\t0" in rows
    assert "\t\t2.其他法律行政法规禁止公开\t0\t0\t0\t0\t0\t0\t0" in rows


def test_html_sniffed_without_extension(tmp_path):
    path = tmp_path / "saved_page"
    path.write_bytes(PAGE.encode("gbk"))
    assert read_document(path).kind == "html"


# ---------- DOCX ----------


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    document = docx.Document()
    document.add_paragraph("某县人民政府2023年政府信息公开工作年度报告")
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    table = document.add_table(rows=4, cols=5)
    table.cell(0, 0).merge(table.cell(1, 1)).text = "（本列数据的勾稽关系）"
    table.cell(0, 2).merge(table.cell(0, 4)).text = "申请人情况"
    for j, label in enumerate(["自然人", "商业企业", "总计"]):
        table.cell(1, 2 + j).text = label
    table.cell(2, 0).merge(table.cell(3, 0)).text = "三、本年度办理结果"
    table.cell(2, 1).text, table.cell(3, 1).text = "（一）予以公开", "（二）部分公开"
    for i in (2, 3):
        for j in (2, 3, 4):
            table.cell(i, j).text = str(i * j)
    document.add_paragraph("五、存在的主要问题及改进情况")
    path = tmp_path / "report.docx"
    document.save(path)
    doc = read_document(path)
    assert doc.kind == "docx"
    assert doc.text == (
        "某县人民政府2023年政府信息公开工作年度报告\n四、政府信息公开行政复议、行政诉讼情况\n"
        "（本列数据的勾稽关系）\t\t申请人情况\t\t\n\t\t自然人\t商业企业\t总计\n"
        "三、本年度办理结果\t（一）予以公开\t4\t6\t8\n\t（二）部分公开\t6\t9\t12\n"
        "五、存在的主要问题及改进情况\n"
    )


# ---------- layout rules on synthetic pages ----------


def _page(number: int, *blocks) -> Page:
    return Page(number, 595.0, 842.0, list(blocks))


def test_running_header_and_page_numbers_dropped():
    pages = [
        _page(
            i,
            Line("某市人民政府办公室文件", (200, 30, 400, 45), i),
            Line(f"正文第{i}页的内容。", (74, 300, 500, 315), i),
            Line(f"第 {i + 1} 页 共 3 页", (260, 800, 330, 812), i),
        )
        for i in range(3)
    ]
    pages[1].blocks.insert(
        1, Line("二、主动公开政府信息情况", (74, 50, 300, 65), 1)
    )  # in the band, not repeated
    drop_furniture(pages)
    assert [[b.text for b in p.blocks] for p in pages] == [
        ["正文第0页的内容。"],
        ["二、主动公开政府信息情况", "正文第1页的内容。"],
        ["正文第2页的内容。"],
    ]


def test_table_continued_on_next_page_is_stitched():
    def cell(text: str) -> Cell:
        return Cell(text, 0, (0, 0, 1, 1))

    first = Table(
        [[cell("（四）无"), cell("1.本机关不掌握相关政府信息"), cell("746")]], (70, 600, 520, 780), 0
    )
    second = Table(
        [
            [cell("法提供"), cell("2.没有现成信息需要另行制作"), cell("11")],
            [None, cell("3.补正后申请内容仍不明确"), cell("1")],
            [cell("（五）不予处理"), cell("1.信访举报投诉类申请"), cell("56")],
        ],
        (70, 80, 520, 200),
        1,
    )
    pages = [
        _page(0, Line("正文", (74, 100, 300, 115), 0), first),
        _page(1, second, Line("后文", (74, 300, 300, 315), 1)),
    ]
    stitch_tables(pages)
    builder = TextBuilder("x", "pdf")
    emit(builder, pages)
    assert builder.build().text == (
        "正文\n（四）无法提供\t1.本机关不掌握相关政府信息\t746\n\t2.没有现成信息需要另行制作\t11\n"
        "\t3.补正后申请内容仍不明确\t1\n（五）不予处理\t1.信访举报投诉类申请\t56\n后文\n"
    )


def test_words_to_lines_wide_gaps_become_tabs():
    words = [
        Word("行政许可", (74, 100, 122, 112)),
        Word("550", (300, 101, 318, 112)),
        Word("号 ，", (74, 130, 90, 142)),
        Word("邮 编", (93, 130, 110, 142)),
    ]
    lines = words_to_lines(words, 0)
    assert [line.text for line in lines] == ["行政许可\t550", "号 ， 邮 编"]
    builder = TextBuilder("x", "pdf")
    emit(builder, [_page(0, *lines)])
    assert builder.build().text == "行政许可\t550\n号，邮编\n"
