"""The OCR reader on scans with real defects: the three real reports rendered at 200 dpi, then skewed,
blurred, speckled and saved as JPEG (a fixed seed), read cell by cell and scored against gold.
``scan_defects`` is also what benchmarks/ocr_stages.py degrades pages with."""

from __future__ import annotations

import io
import random

import pytest
from govreport.training.synth.layouts import scan
from PIL import Image

from tests.conftest import SHARED

PDF_DIR = SHARED / "dev" / "pdf"
GOLD_DIR = SHARED / "dev" / "gold"
DPI = 200
NAMES = ["huaian_city_2024", "hongze_district_2023", "hongze_district_2024"]


def scan_defects(
    page: Image.Image,
    rng: random.Random,
    skew: float = 0.5,
    blur: float = 0.6,
    quality: int = 60,
    speckle: float = 0.002,
) -> Image.Image:
    """A page as a cheap scanner returns it: turned by up to ``skew`` degrees either way, blurred
    (Gaussian, ``blur`` px), ``speckle`` of its pixels flipped to black or white (salt and pepper), then
    saved as JPEG at ``quality``: the synthetic scans' own defects (training/synth/layouts/scan.py)."""
    out = scan.skew(page.convert("L"), rng.uniform(-skew, skew))
    out = scan.speckle(scan.blur(out, blur), speckle, rng)
    return Image.open(io.BytesIO(scan.jpeg(out.convert("RGB"), quality))).convert("RGB")


def render(name: str, pages: list[int] | None = None) -> list[Image.Image]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(PDF_DIR / f"{name}.pdf"))
    try:
        wanted = range(len(pdf)) if pages is None else pages
        return [pdf[i].render(scale=DPI / 72).to_pil().convert("RGB") for i in wanted]
    finally:
        pdf.close()


def noisy_tiff(name: str, seed: int = 14) -> bytes:
    """The report's pages with ``scan_defects`` (seeded per report) as one lossless multi-page TIFF."""
    rng = random.Random(f"{seed}-{name}")
    pages = [scan_defects(p, rng) for p in render(name)]
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:], dpi=(DPI, DPI), compression="tiff_lzw")
    return out.getvalue()


@pytest.mark.slow
def test_noisy_scans_of_the_real_reports_keep_cell_f1(tmp_path):
    from govreport.evaluation.metrics import evaluate_dirs
    from govreport.inference.pipeline import Extractor
    from govreport.inference.readers import read_document
    from govreport.inference.taggers import get_tagger

    extractor = Extractor(get_tagger("rules"))
    out = tmp_path / "out"
    out.mkdir()
    for name in NAMES:
        path = tmp_path / f"{name}.tif"
        path.write_bytes(noisy_tiff(name))
        doc = read_document(path)
        (out / f"{name}.json").write_text(extractor.extract(doc).model_dump_json(), encoding="utf-8")
    scores = evaluate_dirs(GOLD_DIR, out, NAMES)
    assert scores["cells"]["f1"] >= 0.99, scores["cells"]
