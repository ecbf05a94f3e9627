"""The review page in a real browser: Debian's Chromium (installed by ``make test``) driven by Playwright
against a real ``govreport serve``. A person's steps: drop a seed report, a PDF and a bad file; read table 3;
see the inferred cells marked; click a cell and see its evidence in the text (and, for the PDF, the box on
the rendered page); read the bad file's error. A screenshot is kept in ``out/screenshots/``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import DEV_GOLD, ROOT, SEEDS, SHARED
from tests.service_server import Server

CHROMIUM = Path("/usr/bin/chromium")
SEED = "001_0126e23b7202ee31"
PDF = SHARED / "dev" / "pdf" / "huaian_city_2024.pdf"
SHOTS = ROOT / "out" / "screenshots"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: `apt-get install chromium` (make test does it as root)",
)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server():
    with Server("--workers", "1") as running:
        yield running
    assert running.leftovers() == []
    running.discard()


def _t3_rows(section) -> dict[str, list[str]]:
    rows = {}
    for row in section.locator("table.t3 tr[data-row]").all():
        rows[row.get_attribute("data-row")] = [t.strip() for t in row.locator("td").all_inner_texts()]
    return rows


def _gold_rows(name: str) -> dict[str, list[str]]:
    cells = json.loads((DEV_GOLD / f"{name}.json").read_text("utf-8"))["cells"]
    rows: dict[str, list[str]] = {}
    for key, value in cells.items():
        table, row, _ = key.split(".")
        if table == "t3":
            rows.setdefault(row, []).append(str(value))
    return rows


def test_review_page_in_chromium(browser, server, tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\nnot really a PDF\n%%EOF")
    seed = tmp_path / f"{SEED}.txt"
    shutil.copy(SEEDS / f"{SEED}.txt", seed)
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(server.url + "/")
    older = SEEDS / "002_b6ebaffc46ffe707.txt"  # the 2019 template
    one_row = SHARED / "dev" / "pdf" / "hongze_district_2023.pdf"  # （六）其他处理 printed as one row
    page.set_input_files("#files", [str(seed), str(PDF), str(bad), str(older), str(one_row)])

    error = page.locator("div.error")
    error.wait_for(timeout=60_000)
    assert "broken.pdf" in error.inner_text() and "damaged or truncated PDF" in error.inner_text()

    report = page.locator(f'section.report[data-name="{SEED}"]')
    report.wait_for(timeout=60_000)
    assert (
        report.locator("b.format").inner_text() == "2021" and report.locator("b.year").inner_text() == "2021"
    )
    assert _t3_rows(report) == _gold_rows(SEED)  # every figure of table 3 in its row and column
    inferred = report.locator('td[data-key="t3.new.natural"]')
    assert "inferred" in inferred.get_attribute("class").split() and inferred.inner_text() == "6"

    cell = report.locator('td[data-key="t3.new.total"]')
    cell.click()
    assert "hl" in cell.get_attribute("class").split()
    evidence = report.locator(f'pre.text [data-ev~="{cell.get_attribute("data-span")}"]')
    assert evidence.count() >= 1 and "hl" in evidence.first.get_attribute("class")
    assert "".join(evidence.all_inner_texts()) == "6"
    page.wait_for_function(
        "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight }",
        arg=evidence.first.element_handle(),
        timeout=5_000,
    )
    inferred.click()
    assert "inferred" in report.locator(".ev-note").inner_text()

    pdf = page.locator(f'section.report[data-name="{PDF.stem}"]')
    pdf.wait_for(timeout=60_000)
    assert _t3_rows(pdf) == _gold_rows(PDF.stem)
    for other in (older, one_row):
        section = page.locator(f'section.report[data-name="{other.stem}"]')
        section.wait_for(timeout=60_000)
        assert _t3_rows(section) == _gold_rows(other.stem), other.name
    figure = pdf.locator('td[data-key="t3.new.total"]')
    figure.click()
    box = pdf.locator("figure.page:not([hidden]) .sheet .box")
    assert box.count() == 1 and box.is_visible()
    shown = box.evaluate("""b => { const f = b.closest("figure").getBoundingClientRect(), r = b.getBoundingClientRect();
                                   return r.top >= f.top && r.bottom <= f.bottom && r.left >= f.left && r.right <= f.right }""")
    assert shown, "the box is scrolled out of its page's view"
    assert "page" in pdf.locator(".ev-note").inner_text()

    SHOTS.mkdir(parents=True, exist_ok=True)
    report.locator('td[data-key="t3.new.total"]').click()
    page.screenshot(path=str(SHOTS / "review_page.png"), full_page=False)
    figure.click()
    page.screenshot(path=str(SHOTS / "review_page_pdf.png"))
    downloads = []
    with page.expect_download() as info:
        report.locator('button.download[data-what="csv"]').click()
    downloads.append(info.value)
    csv_text = Path(downloads[0].path()).read_text("utf-8")
    assert csv_text.splitlines()[0] == "key,value,status,confidence,span_start,span_end"
    assert "t3.new.natural,6,inferred," in csv_text
