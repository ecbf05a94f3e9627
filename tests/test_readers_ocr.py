"""OCR on the three real reports rendered to 200-dpi images (nothing downloaded): a scanned PDF, a
multi-page TIFF and a PNG page go through the reader and the full pipeline and are scored against gold."""

from __future__ import annotations

import io

import numpy as np
import pytest
from govreport.evaluation.metrics import evaluate_dirs
from govreport.inference.pipeline import Extractor
from govreport.inference.readers import read_document
from govreport.inference.taggers import get_tagger
from PIL import Image

from tests.conftest import SHARED
from tests.test_readers_ocr_noisy import render as _render

PDF_DIR = SHARED / "dev" / "pdf"
GOLD_DIR = SHARED / "dev" / "gold"
DPI = 200


def _scanned_pdf(images: list[Image.Image]) -> bytes:
    """An image-only PDF, as a scanner writes it: no text layer at all."""
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=images[1:])
    return out.getvalue()


@pytest.mark.slow
def test_ocr_rendered_reports_cell_f1(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "huaian_city_2024.pdf").write_bytes(_scanned_pdf(_render("huaian_city_2024")))
    (inputs / "hongze_district_2024.pdf").write_bytes(_scanned_pdf(_render("hongze_district_2024")))
    pages = _render("hongze_district_2023")
    pages[0].save(
        inputs / "hongze_district_2023.tif",
        save_all=True,
        append_images=pages[1:],
        dpi=(DPI, DPI),
        compression="tiff_lzw",
    )
    extractor = Extractor(get_tagger("rules"))
    out = tmp_path / "out"
    out.mkdir()
    for path in sorted(inputs.iterdir()):
        doc = read_document(path)
        assert doc.kind == ("image" if path.suffix == ".tif" else "pdf-ocr")
        assert doc.pages == (5 if path.stem.startswith("hongze") else 6)
        assert doc.boxes and all(0 <= b.bbox[0] < b.bbox[2] <= 596 and b.bbox[3] <= 843 for b in doc.boxes)
        (out / f"{path.stem}.json").write_text(extractor.extract(doc).model_dump_json(), encoding="utf-8")
    scores = evaluate_dirs(
        GOLD_DIR, out, ["huaian_city_2024", "hongze_district_2023", "hongze_district_2024"]
    )
    assert scores["cells"]["f1"] == 1.0, scores["cells"]  # 0.95 before cell reading (issue 14)


@pytest.mark.slow
def test_ocr_png_page_table4_in_layout_order(tmp_path):
    """The table-4 page of a report as a PNG: the two lawsuit groups keep their column order."""
    page = _render("huaian_city_2024", [4])[0]
    path = tmp_path / "page.png"
    page.save(path, dpi=(DPI, DPI))
    doc = read_document(path)
    assert doc.kind == "image" and doc.pages == 1
    assert "72\t64\t178\t37\t351\t13\t4\t8\t1\t26\t12\t1\t1\t6\t20" in doc.text.split("\n")
    assert "未经复议直接起诉" in doc.text and doc.text.index("未经复议直接起诉") < doc.text.index(
        "复议后起诉"
    )


def test_blank_image_has_no_text(tmp_path):
    from govreport.inference.document import InputError

    path = tmp_path / "blank.png"
    Image.fromarray(np.full((800, 600, 3), 255, np.uint8)).save(path)
    with pytest.raises(InputError, match="no text"):
        read_document(path)


@pytest.mark.slow
def test_mixed_pdf_text_page_and_scanned_page(tmp_path):
    """A text-layer page is read from its text layer, a scanned page by OCR, into one document."""
    from pypdf import PdfReader, PdfWriter

    scan = io.BytesIO()
    _render("huaian_city_2024", [4])[0].save(scan, "PDF", resolution=DPI)
    writer = PdfWriter()
    writer.add_page(PdfReader(PDF_DIR / "hongze_district_2024.pdf").pages[0])
    writer.add_page(PdfReader(scan).pages[0])
    path = tmp_path / "mixed.pdf"
    writer.write(path)
    doc = read_document(path)
    assert doc.kind == "pdf-mixed" and doc.pages == 2
    assert doc.text.startswith("淮安市洪泽区人民政府2024 年政府信息公开工作年度报告\n")
    assert "72\t64\t178\t37\t351\t13\t4\t8\t1\t26\t12\t1\t1\t6\t20" in doc.text.split("\n")
    assert {b.page for b in doc.boxes} == {0, 1}


def test_table_pasted_as_picture_on_a_text_page(tmp_path):
    """A text-layer page carrying a table as an image: the prose from the text layer, the table by OCR,
    in page order."""
    from pypdf import PdfReader, PdfWriter, Transformation

    top, bottom = 495, 700  # table 4 of the Huai'an report, in points
    picture = _render("huaian_city_2024", [4])[0].crop(
        (0, top * DPI // 72, 595 * DPI // 72, bottom * DPI // 72)
    )
    buffer = io.BytesIO()
    picture.save(buffer, "PDF", resolution=DPI)
    writer = PdfWriter()
    page = writer.add_page(PdfReader(PDF_DIR / "hongze_district_2024.pdf").pages[4])
    page.merge_transformed_page(
        PdfReader(buffer).pages[0], Transformation().translate(0, 842 - 300 - (bottom - top))
    )
    path = tmp_path / "picture.pdf"
    writer.write(path)
    doc = read_document(path)
    lines = doc.text.split("\n")
    assert doc.kind == "pdf-mixed"
    assert lines.index("72\t64\t178\t37\t351\t13\t4\t8\t1\t26\t12\t1\t1\t6\t20") > lines.index(
        "六、其他需要报告的事项"
    )
    assert any(b.bbox[1] > 300 and doc.text[b.start : b.end] == "351" for b in doc.boxes)


def _without_rulings(page: Image.Image) -> Image.Image:
    """The page with its table rulings painted white: a table laid out by alignment only."""
    import cv2

    rgb = np.asarray(page).copy()
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    ink = cv2.adaptiveThreshold(255 - gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, -2)
    lines = np.zeros_like(ink)
    for size in ((60, 1), (1, 60)):
        lines |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))
    rgb[cv2.dilate(lines, np.ones((5, 5), np.uint8)) > 0] = 255
    return Image.fromarray(rgb)


@pytest.mark.slow
def test_table_without_rulings_rows_from_alignment(tmp_path):
    """No rulings to find: rows come from box alignment, cells from the gaps between boxes."""
    path = tmp_path / "borderless.png"
    _without_rulings(_render("huaian_city_2024", [4])[0]).save(path, dpi=(DPI, DPI))
    lines = read_document(path).text.split("\n")
    assert "72\t64\t178\t37\t351\t13\t4\t8\t1\t26\t12\t1\t1\t6\t20" in lines
    assert any(line.endswith("\t2932\t53\t0\t0\t61\t4\t3050") and "总计" in line for line in lines)
    assert any(line.endswith("\t56\t6\t0\t0\t0\t0\t62") and "信访举报投诉类申请" in line for line in lines)
