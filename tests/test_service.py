"""``govreport serve`` as clients meet it: a real server on a free loopback port, spoken to over HTTP. Each
input kind, a batch, bad files (4xx with the reason, never a 500), the upload limit (413), the time limit, a
full queue (503 with Retry-After), the bearer token (401 without it, never logged), the same JSON as
``govreport extract`` for the seeds, and no temporary file left behind."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from pathlib import Path

import docx
import httpx
import pypdfium2 as pdfium
import pytest
from govreport.inference.schema import json_schema
from typer.testing import CliRunner

from govreport.cli import app
from tests.conftest import DEV_GOLD, SEEDS, SHARED
from tests.service_server import Server

SEED = "001_0126e23b7202ee31"  # 红旗区 2021: four cells inferred, t3.new.total 6
PDF = SHARED / "dev" / "pdf" / "huaian_city_2024.pdf"
TOKEN = "s3cr3t-token-for-tests"


def _gold(name: str) -> dict:
    return json.loads((DEV_GOLD / f"{name}.json").read_text("utf-8"))["cells"]


def _pages(numbers: list[int]) -> list:
    pdf = pdfium.PdfDocument(str(PDF))
    try:
        return [pdf[n].render(scale=200 / 72).to_pil().convert("RGB") for n in numbers]
    finally:
        pdf.close()


def _scan_png() -> bytes:
    """Table 4's page of a real report as a 200-dpi scan (OCR takes seconds)."""
    out = io.BytesIO()
    _pages([4])[0].save(out, "PNG", dpi=(200, 200))
    return out.getvalue()


def _scanned_pdf() -> bytes:
    """Four pages of a real report scanned at 200 dpi into an image-only PDF: ≥ 2 s of OCR a page."""
    images = _pages([1, 2, 3, 4])
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=200, save_all=True, append_images=images[1:])
    return out.getvalue()


@pytest.fixture(scope="module")
def server():
    with Server("--workers", "1") as running:
        yield running
    assert running.proc.returncode == 0, running.output()
    assert running.leftovers() == [], "temporary files left behind"
    running.discard()


def _post(server: Server, name: str, data: bytes, **params: str) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/extract", files={"file": (name, data)}, params=params, timeout=120)


def _values(extraction: dict) -> dict:
    return {k: c["value"] for k, c in extraction["cells"].items()}


def _html_page(text: str) -> bytes:
    """The report as a web page in GBK: prose as paragraphs, tab-separated rows as table rows."""
    body, rows = [], []
    for line in [*text.split("\n"), ""]:
        if "\t" in line:
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in line.split("\t")) + "</tr>")
            continue
        if rows:
            body.append("<table>" + "".join(rows) + "</table>")
            rows = []
        body.append(f"<p>{line}</p>")
    page = "<html><head><meta charset='gbk'></head><body>" + "".join(body) + "</body></html>"
    return page.encode("gbk", errors="replace")


def _docx(text: str) -> bytes:
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_each_input_kind(server):
    text = (SEEDS / f"{SEED}.txt").read_text("utf-8")
    gold = _gold(SEED)
    plain = _post(server, f"{SEED}.txt", text.encode())
    assert plain.status_code == 200 and plain.headers["content-type"] == "application/json"
    extraction = plain.json()
    assert extraction["source"] == f"{SEED}.txt" and extraction["format"] == "2021"
    assert _values(extraction) == gold
    assert extraction["cells"]["t3.new.natural"]["status"] == "inferred"
    for name, data in (("report.html", _html_page(text)), ("report.docx", _docx(text))):
        got = _post(server, name, data)
        assert got.status_code == 200, got.text
        assert got.json()["source"] == name
        assert got.json()["cells"]["t3.new.total"]["value"] == 6, name
    as_json = httpx.post(
        f"{server.url}/v1/extract", json={"text": text, "source": "https://example.gov.cn/r"}, timeout=60
    )
    assert as_json.status_code == 200 and as_json.json()["source"] == "https://example.gov.cn/r"
    assert _values(as_json.json()) == gold
    pdf = _post(server, PDF.name, PDF.read_bytes())
    assert pdf.status_code == 200 and _values(pdf.json()) == _gold(PDF.stem)
    rules = _post(server, f"{SEED}.txt", text.encode(), tagger="rules")
    assert rules.status_code == 200 and _values(rules.json()) == gold
    scan = _post(server, "page5.png", _scan_png())
    assert scan.status_code == 200, scan.text
    cells = scan.json()["cells"]
    assert [
        cells[f"t4.review.{c}"]["value"] for c in ("upheld", "corrected", "other", "pending", "total")
    ] == [_gold(PDF.stem)[f"t4.review.{c}"] for c in ("upheld", "corrected", "other", "pending", "total")]


def test_batch_one_result_or_error_each(server):
    files = [
        ("files", ("000_95e8c7aec2b02128.txt", (SEEDS / "000_95e8c7aec2b02128.txt").read_bytes())),
        ("files", ("empty.txt", b"")),
        ("files", (f"{SEED}.txt", (SEEDS / f"{SEED}.txt").read_bytes())),
    ]
    got = httpx.post(f"{server.url}/v1/extract/batch", files=files, timeout=120)
    assert got.status_code == 200
    results = got.json()["results"]
    assert [(r["file"], r["status"]) for r in results] == [
        ("000_95e8c7aec2b02128.txt", 200),
        ("empty.txt", 422),
        (f"{SEED}.txt", 200),
    ]
    assert results[1]["detail"] == "empty file" and results[1]["stage"] == "open"
    assert _values(results[2]["extraction"]) == _gold(SEED)
    assert {v["rule"] for v in results[0]["extraction"]["violations"]} >= {"t3.balance.total"}


def _zip(names: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return out.getvalue()


BAD_FILES = [
    ("empty.txt", b"", 422, "open", "empty file"),
    ("blank.txt", b" \n\t\n", 422, "open", "empty file"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, 415, "sniff", "legacy binary Office file"),
    ("photo.png", "一、总体情况".encode(), 415, "sniff", "named .png but its content is not a IMAGE"),
    ("archive.docx", _zip(["a.txt"]), 415, "sniff", "a ZIP archive that is not a Word .docx file"),
    (
        "broken.pdf",
        b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF",
        422,
        "read-pdf",
        "damaged or truncated PDF",
    ),
    ("cut.pdf", PDF.read_bytes()[:5000], 422, "read-pdf", "PDF"),
    ("noise.txt", bytes(range(256)) * 64, 422, None, "binary"),
    ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, 422, "read-image", "unreadable or truncated image"),
]


@pytest.mark.parametrize(
    ("name", "data", "status", "stage", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES]
)
def test_bad_file_gets_4xx_with_the_reason(server, name, data, status, stage, reason):
    got = _post(server, name, data)
    assert got.status_code == status, got.text
    body = got.json()
    assert reason in body["detail"] and body["file"] == name
    assert stage is None or body["stage"] == stage


def test_bad_requests_are_4xx_never_500(server):
    url = f"{server.url}/v1/extract"
    cases = [
        httpx.post(url, json={"source": "no text"}),
        httpx.post(url, content=b"{not json", headers={"content-type": "application/json"}),
        httpx.post(url, content=b"plain body", headers={"content-type": "text/plain"}),
        httpx.post(url, files={"other": ("a.txt", b"x")}),
        httpx.post(url, params={"tagger": "magic"}, files={"file": ("a.txt", b"x")}),
        httpx.post(f"{server.url}/v1/extract/batch", files={"file": ("a.txt", b"x")}),
        httpx.post(
            url, content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data; boundary=x"}
        ),
    ]
    assert [c.status_code for c in cases] == [422, 422, 415, 422, 422, 422, 422]
    assert all(c.json()["detail"] for c in cases)


def test_page_schema_docs_and_health(server):
    page = httpx.get(server.url + "/")
    assert page.status_code == 200 and 'data-served="true"' in page.text and 'id="upload"' in page.text
    assert "access-control-allow-origin" not in page.headers  # CORS is off unless asked for
    assert httpx.get(server.url + "/v1/schema").json() == json.loads(json.dumps(json_schema()))
    assert httpx.get(server.url + "/docs").status_code == 200
    assert "/v1/extract/batch" in httpx.get(server.url + "/openapi.json").json()["paths"]
    health = httpx.get(server.url + "/health").json()
    assert health["status"] == "ok" and health["workers"] == 1 and health["busy"] == 0


def test_review_page_is_the_extract_html_page(server, tmp_path, monkeypatch):
    """/v1/review answers with the very page ``extract --html`` writes (one rendering)."""
    got = httpx.post(
        f"{server.url}/v1/review",
        files={"file": (f"{SEED}.txt", (SEEDS / f"{SEED}.txt").read_bytes())},
        timeout=60,
    )
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/html")
    monkeypatch.chdir(SEEDS)
    result = CliRunner().invoke(app, ["extract", f"{SEED}.txt", "--out", str(tmp_path), "--html"])
    assert result.exit_code == 0, result.output
    assert got.text == (tmp_path / f"{SEED}.report.html").read_text("utf-8")


def test_same_json_as_the_cli_for_the_seeds(server, tmp_path, monkeypatch):
    names = sorted(p.name for p in SEEDS.glob("*.txt"))
    monkeypatch.chdir(SEEDS)  # the CLI's source is the path it is given: the file name, as uploaded
    result = CliRunner().invoke(app, ["extract", *names, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    cli = {n: json.loads((tmp_path / f"{Path(n).stem}.json").read_text("utf-8")) for n in names}
    for name in names:
        got = _post(server, name, (SEEDS / name).read_bytes())
        assert got.json() == cli[name], name
    batch = httpx.post(
        f"{server.url}/v1/extract/batch",
        files=[("files", (n, (SEEDS / n).read_bytes())) for n in names],
        timeout=120,
    )
    assert [r["extraction"] for r in batch.json()["results"]] == [cli[n] for n in names]


# ------------------------------------------------------------------ a strict instance: limits and token


@pytest.fixture(scope="module")
def strict():
    args = ("--workers", "1", "--queue", "0", "--time-limit", "4", "--max-upload-mb", "2")
    with Server(*args, env={"GOVREPORT_API_TOKEN": TOKEN}) as running:
        yield running
    assert running.proc.returncode == 0, running.output()
    assert TOKEN not in running.output()
    assert running.leftovers() == [], "temporary files left behind"
    running.discard()


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_token_required(strict):
    seed = (SEEDS / f"{SEED}.txt").read_bytes()
    url = f"{strict.url}/v1/extract"
    without = httpx.post(url, files={"file": ("a.txt", seed)})
    assert without.status_code == 401 and without.headers["www-authenticate"] == "Bearer"
    wrong = httpx.post(url, files={"file": ("a.txt", seed)}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and TOKEN not in wrong.text
    assert httpx.get(f"{strict.url}/v1/schema").status_code == 401
    right = httpx.post(url, files={"file": ("a.txt", seed)}, headers=_auth(), timeout=60)
    assert right.status_code == 200 and _values(right.json()) == _gold(SEED)
    assert httpx.get(strict.url + "/health").status_code == 200  # open: it holds no report


def test_oversize_upload_gets_413(strict):
    big = b"0" * 2_500_000
    got = httpx.post(
        f"{strict.url}/v1/extract", files={"file": ("big.txt", big)}, headers=_auth(), timeout=60
    )
    assert got.status_code == 413 and "2,000,000 bytes" in got.json()["detail"]

    def chunks():  # no Content-Length: the limit holds while the body streams
        for _ in range(30):
            yield b"0" * 100_000  # 3 MB

    streamed = httpx.post(
        f"{strict.url}/v1/extract",
        content=chunks(),
        headers={**_auth(), "content-type": "application/json"},
        timeout=60,
    )
    assert streamed.status_code == 413
    assert httpx.get(strict.url + "/health").json()["status"] == "ok"


def test_time_limit_and_full_queue(strict):
    """A scan past the time limit gets 422 with the reason (its worker is replaced); while it runs the one
    worker is busy and the queue (0) full, so another request gets 503 with Retry-After."""
    answers: dict[str, httpx.Response] = {}
    scan = _scanned_pdf()
    assert len(scan) < 2_000_000

    def slow() -> None:
        answers["scan"] = httpx.post(
            f"{strict.url}/v1/extract", files={"file": ("scan.pdf", scan)}, headers=_auth(), timeout=60
        )

    thread = threading.Thread(target=slow)
    started = time.monotonic()
    thread.start()
    while httpx.get(strict.url + "/health").json()["busy"] == 0 and thread.is_alive():
        time.sleep(0.05)
    busy = httpx.post(f"{strict.url}/v1/extract", files={"file": ("a.txt", b"x")}, headers=_auth())
    thread.join()
    assert busy.status_code == 503 and int(busy.headers["retry-after"]) >= 1, busy.text
    scan_answer = answers["scan"]
    assert scan_answer.status_code == 422 and scan_answer.json()["stage"] == "time"
    assert "abandoned after 4 s" in scan_answer.json()["detail"]
    assert time.monotonic() - started < 30
    again = httpx.post(
        f"{strict.url}/v1/extract",
        files={"file": ("a.txt", (SEEDS / f"{SEED}.txt").read_bytes())},
        headers=_auth(),
        timeout=60,
    )
    assert again.status_code == 200  # a fresh worker took the killed one's place


def test_other_addresses_need_a_token(monkeypatch):
    monkeypatch.delenv("GOVREPORT_API_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "without a token" in result.output
