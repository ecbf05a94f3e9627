"""Synthetic scans (issue 14): reports printed on ruled A4 pages with gold by construction, and the scan
defects doing what configs/synth.yaml says they do. One end-to-end read through the real OCR reader."""

from __future__ import annotations

import difflib
import io
import math
import random
import re

import numpy as np
import pytest
from govreport.training.synth import arith
from govreport.training.synth.layouts import available, scan
from govreport.training.synth.model import join
from PIL import Image, ImageDraw

pytestmark = pytest.mark.skipif("ocr" not in available(), reason="drawing scans needs a CJK font (ocr.fonts)")

REPORTS = [scan.report(31, i) for i in range(8)]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _skew_angle(image: Image.Image) -> float:
    """The angle (degrees, counter-clockwise positive) of the one dark horizontal stroke on the image."""
    dark = np.array(image) < 128
    cols = np.flatnonzero(dark.any(axis=0))
    a, b = cols[0] + 5, cols[-1] - 5
    ya, yb = np.flatnonzero(dark[:, a]).mean(), np.flatnonzero(dark[:, b]).mean()
    return math.degrees(math.atan2(ya - yb, b - a))


def _longest_dark_run(image: Image.Image) -> int:
    """The longest run of dark pixels along any pixel row: a ruling spans a table, a glyph stroke does not."""
    dark = np.array(image) < 128
    best = 0
    for row in dark[:: 2]:
        if row.any():
            edges = np.flatnonzero(np.diff(np.concatenate(([0], row.astype(np.int8), [0]))))
            best = max(best, int((edges[1::2] - edges[::2]).max()))
    return best


def _line_image() -> Image.Image:
    image = Image.new("L", (1600, 400), 255)
    ImageDraw.Draw(image).line((100, 200, 1500, 200), fill=0, width=3)
    return image


@pytest.mark.parametrize("degrees", [0.5, -0.5, 0.2])
def test_skew_turns_the_page_by_the_angle(degrees):
    assert abs(_skew_angle(_line_image())) < 0.02
    assert _skew_angle(scan.skew(_line_image(), degrees)) == pytest.approx(degrees, abs=0.05)


def test_jpeg_quality_changes_the_bytes_and_the_pixels():
    page = REPORTS[0].drawn.pages[1].image
    low, high = scan.jpeg(page, 60), scan.jpeg(page, 95)
    assert len(low) < 0.8 * len(high)
    clean = np.array(page, dtype=float)
    err = {q: np.abs(np.array(Image.open(io.BytesIO(b)), dtype=float) - clean).mean() for q, b in ((60, low), (95, high))}
    assert err[60] > 1.5 * err[95] > 0


def test_speckle_density_is_the_configured_share():
    white = Image.new("L", (1000, 1000), 255)
    share = scan.cfg()["noisy"]["speckle"]
    dotted = np.array(scan.speckle(white, share, random.Random(1)))
    assert (dotted == 0).mean() == pytest.approx(share / 2, rel=0.1)  # half the hits are pepper on white
    assert set(np.unique(dotted)) == {0, 255}
    assert (np.array(scan.speckle(white, 0.0, random.Random(1))) == 255).all()


def test_blur_softens_strokes():
    sharp = np.array(_line_image())
    soft = np.array(scan.blur(_line_image(), 0.8))
    grey = lambda a: ((a > 20) & (a < 235)).sum()  # noqa: E731
    assert grey(soft) > grey(sharp) + 1000


def test_faint_rulings_lighten_only_the_rulings():
    ruled = next(r for r in REPORTS if any(p.rulings.getbbox() for p in r.drawn.pages))
    page = next(p for p in ruled.drawn.pages if p.rulings.getbbox())
    faint = np.array(scan.faint(page, 180))
    mask = np.array(page.rulings) > 0
    assert faint[mask].min() >= 180
    assert (faint[~mask] == np.array(page.image)[~mask]).all()


def test_pages_are_a4_at_200_dpi_and_the_pdf_says_so():
    import pypdfium2 as pdfium

    rep = REPORTS[0]
    assert {p.image.size for p in rep.drawn.pages} == {(1654, 2339)}
    for defects in (False, True):
        pdf = pdfium.PdfDocument(scan.scan_pdf(random.Random(0), rep.drawn, defects))
        assert len(pdf) == len(rep.drawn.pages)
        assert pdf[0].get_size() == pytest.approx((595.3, 841.9), abs=1)
        assert next(pdf[0].get_objects()).type == pdfium.raw.FPDF_PAGEOBJ_IMAGE  # image only: no text layer
        pdf.close()


def test_noisy_scan_is_the_same_pages_degraded():
    rep = REPORTS[0]
    page = rep.drawn.pages[1]
    noisy = np.array(scan.noisy(random.Random(2), page), dtype=float)
    clean = np.array(page.image, dtype=float)
    assert noisy.shape == clean.shape
    assert 1 < np.abs(noisy - clean).mean() < 40


@pytest.mark.parametrize("rep", REPORTS, ids=lambda r: r.id)
def test_gold_is_what_the_page_prints(rep):
    """Every gold figure is printed once, in its cell of the drawn layout; a gold null is a blank cell or
    a placeholder; the text is the pieces; violations follow the rules."""
    pieces = {}
    for p in rep.drawn.pieces:
        if p.label == "NUM" and p.key:
            assert p.key not in pieces
            pieces[p.key] = p.text
    assert join(rep.drawn.pieces)[0] == rep.text
    assert len(rep.gold["cells"]) > 100
    for key, value in rep.gold["cells"].items():
        if value is None:
            assert pieces[key] in ("", "/", "—") or not re.search(r"\d", pieces[key])
        else:
            assert _number(pieces[key]) == pytest.approx(value)
    assert rep.gold["violations"] == arith.failing(rep.gold["format"], rep.gold["cells"])
    assert rep.gold["title"] and rep.gold["title"].replace(" ", "") in rep.text.replace("\n", "").replace(" ", "")
    assert [s["id"] for s in rep.gold["sections"]] == [1, 2, 3, 4, 5, 6]


def test_blank_zeros_are_empty_fields_and_null_gold():
    rep = next(r for i in range(40) if (r := scan.report(32, i)).drawn.blank_keys)
    for key in rep.drawn.blank_keys:
        assert rep.gold["cells"][key] is None
    rows = [line for line in rep.text.splitlines() if "\t\t" in line or line.endswith("\t")]
    assert rows  # a blank cell leaves an empty field in its row


def test_borderless_tables_have_no_rulings():
    """The same report printed ruled and borderless: only the ruled one has strokes spanning a table."""
    ruled, borderless = scan.report(33, 0, False), scan.report(33, 0, True)
    assert ruled.text == borderless.text
    table_w = 1654 - 2 * 300
    assert max(_longest_dark_run(p.image) for p in ruled.drawn.pages) > table_w
    assert max(_longest_dark_run(p.image) for p in borderless.drawn.pages) < 300
    assert not any(p.rulings.getbbox() for p in borderless.drawn.pages)
    share = sum(scan.Look.sample(random.Random(i)).borderless for i in range(400)) / 400
    assert share == pytest.approx(scan.cfg()["borderless"], abs=0.05)  # the mix's own share


def test_deterministic_for_a_seed():
    a, b = scan.report(31, 2), scan.report(31, 2)
    assert a.text == b.text and a.gold == b.gold
    assert np.array_equal(np.array(a.drawn.pages[1].image), np.array(b.drawn.pages[1].image))
    noisy = [np.array(scan.noisy(random.Random(5), r.drawn.pages[1])) for r in (a, b)]
    assert np.array_equal(*noisy)  # the PDFs differ only in their creation time


def test_real_reader_reads_a_generated_noisy_page(tmp_path):
    """The page with table 2 scanned with the noisy defects, read by the project's OCR reader: its text
    comes back (90 % of its characters, spaces aside) with the row labels of its tables."""
    from govreport.inference.readers import read_document

    rep = REPORTS[0]
    number = next(i for i in range(len(rep.drawn.pages)) if "信息内容\t" in rep.drawn.page_text(i))
    one = scan.Drawn([rep.drawn.pages[number]], [])
    path = tmp_path / "page.pdf"
    path.write_bytes(scan.scan_pdf(random.Random(3), one, True))
    doc = read_document(path)
    assert "ocr" in doc.kind and doc.pages == 1  # read by OCR: the PDF has no text layer
    drawn = re.sub(r"\s", "", rep.drawn.page_text(number))
    read = re.sub(r"\s", "", doc.text)
    assert difflib.SequenceMatcher(None, drawn, read, autojunk=False).ratio() > 0.9
    labels = [line.split("\t")[0] for line in rep.drawn.page_text(number).splitlines() if "\t" in line]
    assert labels and sum(label.replace(" ", "") in read for label in labels) >= 0.8 * len(labels)


def test_ocr_family_draws_ruled_pages_and_noisy_scans_for_their_shares():
    """The ocr layout family (read back by OCR in training) prints a share of its documents on ruled A4
    pages (table rows as tab-separated cells) and scans a share of the text-canvas ones with the defects
    (a JPEG PDF instead of a lossless TIFF), as configs/synth.yaml ``ocr`` says; no OCR runs here."""
    from govreport.configs import load
    from govreport.training.synth.generate import compose
    from govreport.training.synth.layouts import ocr

    kinds = []
    for i in range(30):
        rng = random.Random(f"41:{i}")
        doc, _ = compose(rng, 41, i)
        source, suffix, _, _ = ocr._scanned(doc, rng)
        assert sum(p.label == "NUM" for p in source) > 100
        kinds.append("ruled" if any(p.text == "\t" for p in source) else suffix)
    assert kinds.count("ruled") / len(kinds) == pytest.approx(load("synth")["ocr"]["ruled_pages"], abs=0.25)
    assert {".tiff", ".pdf"} <= set(kinds)  # canvas documents scanned clean and with the defects
