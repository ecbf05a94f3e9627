"""Hostile and unlucky inputs (issue 16): every case is a real file made here, small on disk, and every
limit is lowered where that keeps a test to seconds. Memory cases run in a child process under an
address-space limit, so a regression fails with MemoryError instead of swapping.

Nothing lost: OUT as the input folder, a worker-killing file among good ones, a killed run resumed, lying
charsets, impossible figures, exports of big figures, evaluate on bad gold. Nothing hangs: image, DOCX
and PDF bombs, deep HTML, blank pages, a file past the time budget, text past the tagger's limit.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
import zlib
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from govreport.inference.batch import run_batch
from govreport.inference.document import InputError
from govreport.inference.pipeline import Extractor, build_extraction
from govreport.inference.readers import ocr as ocr_reader
from govreport.inference.readers import read_document
from govreport.inference.readers.limits import overridden
from govreport.inference.schema import Extraction
from govreport.inference.taggers import get_tagger
from govreport.inference.taggers.rules import RulesTagger
from PIL import Image
from pypdf import PdfWriter
from typer.testing import CliRunner

from govreport.cli import app
from tests.conftest import DEV_GOLD, ROOT, SEEDS
from tests.test_readers_bad_input import _as_nobody

runner = CliRunner()
SEED = SEEDS / "001_0126e23b7202ee31.txt"
CARRIED = "二、上年结转政府信息公开申请数量\t\t\t0\t0\t0\t0\t0\t0\t0"


class HostileTagger(RulesTagger):
    """The rules tagger, misbehaving on cue as a native library or the OOM killer would: a text holding
    ``CRASH`` kills its process, ``SLEEP`` never finishes, ``ONCE:<path>`` kills its process the first
    time only (an innocent file whose worker the OOM killer picked)."""

    def tag(self, text: str) -> list:
        if "CRASH" in text:
            os.kill(os.getpid(), signal.SIGKILL)
        if "SLEEP" in text:
            time.sleep(600)
        if "ONCE:" in text:
            marker = Path(text.split("ONCE:", 1)[1].split()[0])
            if not marker.exists():
                marker.write_text("died once", encoding="utf-8")
                os.kill(os.getpid(), signal.SIGKILL)
        return super().tag(text)


def hostile_extractor() -> Extractor:
    return Extractor(HostileTagger())


def _reports(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"r{i}.txt"
        shutil.copy(SEED, path)
        paths.append(path)
    return paths


def _said(text: str, output: str) -> bool:
    """Whether the CLI printed ``text`` (the console wraps long lines wherever it likes)."""
    return "".join(text.split()) in "".join(output.split())


def _in_child(code: str, memory_mb: int = 1200, timeout: float = 120) -> dict:
    """Run ``code`` (which sets ``result``, a dict) in a fresh interpreter limited to ``memory_mb`` of
    address space; its peak RSS in MB (VmHWM: ru_maxrss would count the forked test process) is added as
    ``rss_mb``."""
    script = textwrap.dedent(
        f"""
        import json, re, resource
        resource.setrlimit(resource.RLIMIT_AS, ({memory_mb} << 20, {memory_mb} << 20))
        from govreport.inference.document import InputError
        from govreport.inference.readers import read_document
        from govreport.inference.readers.limits import install
        def read(path, **limits):
            install(limits)
            try:
                doc = read_document(path)
                return {{"outcome": "ok", "chars": len(doc.text), "pages": doc.pages}}
            except InputError as exc:
                return {{"outcome": "InputError", "stage": exc.stage, "reason": exc.reason}}
            except MemoryError:
                return {{"outcome": "MemoryError"}}
        """
    )
    peak = "\nkb = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)"
    peak += "\nprint(json.dumps(result | {'rss_mb': int(kb) / 1024}))\n"
    done = subprocess.run(
        [sys.executable, "-c", script + textwrap.dedent(code) + peak],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- 1. OUT is the input folder


def test_out_folder_is_the_input_folder(tmp_path):
    folder = tmp_path / "d"
    _reports(folder, 2)
    (folder / "notes.json").write_text('{"mine": true}', encoding="utf-8")  # not ours: never overwritten
    args = ["extract", str(folder), "--out", str(folder), "--tagger", "rules"]
    first = runner.invoke(app, args)
    assert first.exit_code == 1, first.output
    assert _said("done 2, skipped 0 (up to date), failed 1", first.output)
    assert _said("notes.json: output: its output would overwrite the file itself", first.output)
    assert json.loads((folder / "notes.json").read_text(encoding="utf-8")) == {"mine": True}
    again = runner.invoke(app, [*args, "--html"])  # our outputs are not read back as inputs
    assert _said("done 2, skipped 0 (up to date), failed 1", again.output)  # review pages were missing
    third = runner.invoke(app, [*args, "--html"])
    assert _said("done 0, skipped 2 (up to date), failed 1", third.output)
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "errors.jsonl",
        "notes.json",
        "r0.json",
        "r0.report.html",
        "r0.txt",
        "r1.json",
        "r1.report.html",
        "r1.txt",
    ]


def test_nothing_to_extract_is_no_success(tmp_path):
    folder = tmp_path / "d"
    _reports(folder, 1)
    assert (
        runner.invoke(app, ["extract", str(folder), "--out", str(folder), "--tagger", "rules"]).exit_code == 0
    )
    (folder / "r0.txt").unlink()
    result = runner.invoke(app, ["extract", str(folder), "--out", str(folder), "--tagger", "rules"])
    assert result.exit_code == 1 and _said("nothing to extract", result.output)


# ---------------------------------------------------------------- 2. a crashing file blames only itself


def test_a_worker_killing_file_blames_only_itself(tmp_path):
    good = _reports(tmp_path / "in", 5)
    crash = tmp_path / "in" / "crash.txt"
    crash.write_text(SEED.read_text("utf-8") + "\nCRASH\n", encoding="utf-8")
    innocent = tmp_path / "in" / "innocent.txt"  # its worker dies once, as if the OOM killer picked it
    innocent.write_text(SEED.read_text("utf-8") + f"\nONCE:{tmp_path / 'died-once'}\n", encoding="utf-8")
    files = [crash, innocent, *good]
    result = run_batch(files, tmp_path / "out", workers=2, make_extractor=partial(hostile_extractor))
    assert [(Path(f.file).name, f.stage) for f in result.failed] == [("crash.txt", "worker")]
    assert "alone" in result.failed[0].reason
    assert sorted(p.name for p, _ in result.done) == sorted(p.name for p in [innocent, *good])
    assert (tmp_path / "died-once").exists()  # the innocent file did take a worker down with it once
    assert {p.stem for p in (tmp_path / "out").glob("*.json")} == {p.stem for p in [innocent, *good]}


# ---------------------------------------------------------------- 3. resume after SIGKILL


def test_a_killed_run_resumes(tmp_path):
    files = _reports(tmp_path / "in", 5)
    out = tmp_path / "out"
    rules = Extractor(get_tagger("rules"))
    assert len(run_batch(files, out, rules, signature="model:old").done) == 5  # another tagger's outputs
    files[2].write_text(SEED.read_text("utf-8") + "\nCRASH\n", encoding="utf-8")  # kills the whole batch
    os.utime(files[2], (time.time() - 3600, time.time() - 3600))  # its old output still looks current
    code = (
        "from pathlib import Path\nfrom govreport.inference.batch import run_batch\n"
        "from tests.test_hostile_inputs import hostile_extractor\n"
        f"run_batch([Path(p) for p in {[str(f) for f in files]!r}], Path({str(out)!r}), hostile_extractor(),"
        " signature='rules')\n"
    )
    killed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    files[2].write_text(SEED.read_text("utf-8"), encoding="utf-8")
    resumed = run_batch(files, out, rules, signature="rules")
    assert [p.name for p in resumed.skipped] == ["r0.txt", "r1.txt"]  # done by the killed run
    assert [p.name for p, _ in resumed.done] == ["r2.txt", "r3.txt", "r4.txt"]  # the old tagger's: redone


# ---------------------------------------------------------------- 4. charset lies


def test_html_declaring_gbk_but_holding_utf8(tmp_path):
    lines = [ln for ln in SEED.read_text("utf-8").splitlines() if "\t" in ln]
    lines = [ln for ln in lines if _decodes_as_gbk(ln)]  # the lie must decode without an error
    rows = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in ln.split("\t")) + "</tr>" for ln in lines)
    page = f"<html><head><meta charset='gbk'></head><body><table>{rows}</table></body></html>"
    data = page.encode("utf-8")
    assert data.decode("gb18030")  # the declared charset decodes these bytes, into mojibake
    path = tmp_path / "report.html"
    path.write_bytes(data)
    text = read_document(path).text
    assert "行政许可\t3150" in text and "属于国家秘密" in text


def _decodes_as_gbk(line: str) -> bool:
    try:
        line.encode("utf-8").decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def test_html_declaring_utf8_but_holding_gbk(tmp_path):
    page = (
        f"<html><head><meta charset='utf-8'></head><body><pre>{SEED.read_text('utf-8')}</pre></body></html>"
    )
    path = tmp_path / "report.html"
    path.write_bytes(page.encode("gbk", errors="ignore"))
    assert "政府信息公开工作年度报告" in read_document(path).text


# ---------------------------------------------------------------- 5. figures that cannot be counts


@pytest.fixture(scope="module")
def taggers() -> dict:
    return {"rules": get_tagger("rules"), "model": get_tagger("model")}


@pytest.mark.parametrize("tagger", ["rules", "model"])
@pytest.mark.parametrize("printed", ["99999999999999999999", "-5", "2.5", "1e30", "1,000.5"])
def test_impossible_counts_are_kept_as_printed_and_flagged(taggers, tagger, printed):
    text = SEED.read_text("utf-8").replace(
        CARRIED, CARRIED.replace("\t0\t0\t0\t0\t0\t0\t0", f"\t{printed}\t0\t0\t0\t0\t0\t{printed}")
    )
    extraction = build_extraction("r", text, taggers[tagger].tag(text))
    for key in ("t3.carried_over.natural", "t3.carried_over.total"):
        cell = extraction.cells[key]
        assert cell.status == "conflict" and cell.confidence == 0
        assert text[cell.span[0] : cell.span[1]] == printed  # the printed text, never cut or rounded
        assert float(cell.value) == float(printed.replace(",", ""))


@pytest.mark.parametrize("tagger", ["rules", "model"])
def test_thousands_separators_parse_the_same_in_both_taggers(taggers, tagger):
    row = CARRIED.replace("\t0\t0\t0\t0\t0\t0\t0", "\t1,000\t0\t0\t0\t0\t0\t1,000")
    text = SEED.read_text("utf-8").replace(CARRIED, row)
    cells = build_extraction("r", text, taggers[tagger].tag(text)).cells
    assert (cells["t3.carried_over.natural"].value, cells["t3.carried_over.total"].value) == (1000, 1000)
    assert cells["t3.carried_over.total"].status == "observed"


# ---------------------------------------------------------------- 6. exports hold big figures


def test_exports_hold_every_value_the_json_holds(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    huge = "99999999999999999999"
    for name, printed in (("huge", huge), ("tiny", "1e30"), ("plain", "7")):
        row = CARRIED.replace("\t0\t0\t0\t0\t0\t0\t0", f"\t{printed}\t0\t0\t0\t0\t0\t{printed}")
        (folder / f"{name}.txt").write_text(SEED.read_text("utf-8").replace(CARRIED, row), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "extract",
            str(folder),
            "--out",
            str(out),
            "--tagger",
            "rules",
            "--csv",
            str(tmp_path / "all.csv"),
            "--parquet",
            str(tmp_path / "all.parquet"),
        ],
    )
    assert result.exit_code == 0, result.output
    json_values = {
        p.stem: Extraction.model_validate_json(p.read_text("utf-8")).cells["t3.carried_over.total"].value
        for p in out.glob("*.json")
    }
    assert json_values == {"huge": int(huge), "tiny": 1e30, "plain": 7}
    for frame in (
        pd.read_csv(tmp_path / "all.csv", dtype={"t3.carried_over.total": str}),
        pd.read_parquet(tmp_path / "all.parquet"),
    ):
        values = dict(
            zip(frame["source"].map(lambda s: Path(s).stem), frame["t3.carried_over.total"], strict=True)
        )
        assert {k: float(v) for k, v in values.items()} == {k: float(v) for k, v in json_values.items()}
        assert str(values["huge"]) == huge  # exactly, not rounded through a float
    assert (
        pd.read_parquet(tmp_path / "all.parquet")["t3.new.total"].dtype == "Int64"
    )  # other columns stay ints


# ---------------------------------------------------------------- 7. evaluate on bad gold


def _evaluate(gold: Path, pred: Path, *extra: str):
    return runner.invoke(app, ["evaluate", "--gold", str(gold), "--pred", str(pred), *extra])


def test_evaluate_refuses_missing_or_empty_gold(tmp_path):
    pred = tmp_path / "pred"
    pred.mkdir()
    missing = _evaluate(tmp_path / "nope", pred)
    assert missing.exit_code == 1 and _said(f"{tmp_path / 'nope'}: gold folder not found", missing.output)
    (tmp_path / "empty").mkdir()
    empty = _evaluate(tmp_path / "empty", pred)
    assert empty.exit_code == 1 and _said("no gold files", empty.output)
    unpredicted = _evaluate(DEV_GOLD, pred, "--only-predicted")
    assert unpredicted.exit_code == 1 and _said("no prediction for any gold document", unpredicted.output)
    assert _evaluate(DEV_GOLD, tmp_path / "nopred").exit_code == 1


@pytest.mark.parametrize(
    ("which", "content", "message"),
    [
        ("gold", "{not json", "not valid JSON"),
        ("gold", '{"cells": [1, 2]}', "not a gold file: cells"),
        ("gold", b"\xff\xfe\x00garbage", "not valid JSON"),
        (
            "pred",
            '{"cells": {"t3.new.total": {"value": "6", "status": "observed"}}}',
            "not a prediction file",
        ),
        ("pred", "[]", "not a prediction file"),
    ],
)
def test_evaluate_names_the_malformed_file(tmp_path, which, content, message):
    gold, pred = tmp_path / "gold", tmp_path / "pred"
    gold.mkdir()
    pred.mkdir()
    shutil.copy(DEV_GOLD / "001_0126e23b7202ee31.json", gold / "doc.json")
    (pred / "doc.json").write_text('{"cells": {}}', encoding="utf-8")
    bad = (gold if which == "gold" else pred) / "doc.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = _evaluate(gold, pred)
    assert result.exit_code == 1, result.output
    assert _said(f"{bad}: {message}" if message != "not valid JSON" else message, result.output)
    assert _said(str(bad), result.output)
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- 9. memory bounds (child under RLIMIT_AS)


def test_multipage_tiff_is_read_one_page_at_a_time(tmp_path):
    """60 blank A4 pages at 300 dpi: 1.6 GB as RGB all at once, one page (26 MB) at a time."""
    path = tmp_path / "scan.tif"
    pages = (Image.new("1", (2480, 3508), 1) for _ in range(60))
    first = next(pages)
    first.save(path, save_all=True, append_images=list(pages), compression="group4", dpi=(300, 300))
    assert path.stat().st_size < 200_000
    result = _in_child(f"result = read({str(path)!r})", memory_mb=1000)
    assert result["outcome"] == "InputError" and result["reason"] == "no text found in the image"
    assert result["rss_mb"] < 500, result
    too_many = _in_child(f"result = read({str(path)!r}, max_pages=50)", memory_mb=1000)
    assert too_many["reason"] == "60 pages; more than a report can have (limits.max_pages: 50)"


def test_docx_zip_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.docx"
    _docx_bomb(path, megabytes=150)  # 150 MB of paragraphs, 0.2 MB on disk
    assert path.stat().st_size < 1_000_000
    result = _in_child(f"result = read({str(path)!r})", memory_mb=1000)
    assert result["outcome"] == "InputError" and result["stage"] == "read-docx", result
    assert "word/document.xml" in result["reason"] and "limits.max_docx_unzipped_bytes" in result["reason"]
    assert result["rss_mb"] < 300, result


def _docx_bomb(path: Path, megabytes: int) -> None:
    """A real Word file (python-docx's own) whose document.xml is ``megabytes`` of paragraphs."""
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
    ):
        body = source.read("word/document.xml")
        head, tail = body.split(b"<w:body>")
        for item in source.infolist():
            if item.filename != "word/document.xml":
                zf.writestr(item, source.read(item))
        paragraph = b"<w:p><w:r><w:t>" + "政府信息公开".encode() * 50 + b"</w:t></w:r></w:p>"
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(head + b"<w:body>")
            for _ in range(megabytes):
                fh.write(paragraph * (1_000_000 // len(paragraph)))
            fh.write(tail)


def test_huge_png_is_refused_before_decoding(tmp_path):
    """A 12000×12000 PNG of 140 KB: 430 MB as RGB."""
    path = tmp_path / "huge.png"
    path.write_bytes(_png(12000, 12000))
    assert path.stat().st_size < 1_000_000
    result = _in_child(f"result = read({str(path)!r})", memory_mb=1000)
    assert result["outcome"] == "InputError" and "limits.max_image_pixels" in result["reason"], result
    assert "12000×12000" in result["reason"] and result["rss_mb"] < 300


def _png(width: int, height: int) -> bytes:
    """A white grayscale PNG, compressed row by row so it is never whole in memory here either."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * width
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_oversized_pages_are_scaled_down_for_ocr():
    image = Image.fromarray(np.full((3000, 2000, 3), 255, np.uint8))
    image.info["dpi"] = (300, 300)
    with overridden(max_page_pixels=1_500_000):
        pixels, unit = ocr_reader._frame_image(image, Path("x.png"), 0)
    assert pixels.shape[0] * pixels.shape[1] <= 1_500_000
    assert unit == pytest.approx(72 / 300 * 2000 / pixels.shape[1])  # boxes still come out in points


def test_huge_pdf_page_renders_within_the_pixel_cap(tmp_path):
    """One 14400 pt (5 m) square page with a drawing on it: 1.6 Gpx (6 GB) at 200 dpi."""
    path = tmp_path / "poster.pdf"
    _pdf_page(path, 14400, b"q 0 0 0 rg 100 100 14000 14000 re f Q")
    result = _in_child(f"result = read({str(path)!r})", memory_mb=1500, timeout=300)
    assert result["outcome"] == "InputError" and result["stage"] in ("read-pdf", "ocr"), result
    assert result["rss_mb"] < 1000, result


def _pdf_page(path: Path, size: int, content: bytes) -> None:
    from pypdf.generic import ContentStream

    writer = PdfWriter()
    page = writer.add_blank_page(width=size, height=size)
    stream = ContentStream(None, writer)
    stream.set_data(content)
    page.replace_contents(stream)
    writer.write(path)


# ---------------------------------------------------------------- 10. time bounds


@pytest.mark.parametrize(
    "page",
    [
        "<html><body>"
        + "<table><tr><td>" * 100_000
        + "一、总体情况"
        + "</td></tr></table>" * 100_000
        + "</body></html>",
        "<html><body>" + "<div>" * 1_000_000 + "一、总体情况" + "</div>" * 1_000_000 + "</body></html>",
    ],
    ids=["100k-nested-tables", "1M-nested-divs"],
)
def test_deeply_nested_html_is_refused_at_once(tmp_path, page):
    path = tmp_path / "deep.html"
    path.write_text(page, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(InputError) as info:
        read_document(path)
    assert info.value.stage == "read-html" and "limits.max_html_depth" in info.value.reason
    assert time.monotonic() - started < 10  # hours before the limit


def test_nesting_under_the_limit_is_read(tmp_path):
    path = tmp_path / "nested.html"
    path.write_text(
        "<html><body>" + "<div>" * 150 + "一、总体情况" + "</div>" * 150 + "</body></html>", "utf-8"
    )
    assert read_document(path).text == "一、总体情况\n"


def test_blank_pdf_pages_never_reach_ocr(tmp_path, monkeypatch):
    writer = PdfWriter()
    for _ in range(300):
        writer.add_blank_page(width=595, height=842)
    path = tmp_path / "blank.pdf"
    writer.write(path)

    def no_ocr(*args: object, **kwargs: object) -> None:
        raise AssertionError("OCR ran on a blank page")

    monkeypatch.setattr(ocr_reader, "image_page", no_ocr)
    started = time.monotonic()
    with pytest.raises(InputError, match="no text found on any page"):
        read_document(path)
    assert time.monotonic() - started < 30  # was ~6 minutes
    with overridden(max_pages=299), pytest.raises(InputError, match=r"300 pages; .*limits.max_pages: 299"):
        read_document(path)


def test_a_file_past_the_time_budget_is_abandoned(tmp_path):
    good = _reports(tmp_path / "in", 3)
    slow = tmp_path / "in" / "slow.txt"
    slow.write_text(SEED.read_text("utf-8") + "\nSLEEP\n", encoding="utf-8")
    started = time.monotonic()
    with overridden(max_seconds_per_file=2):
        result = run_batch(
            [slow, *good], tmp_path / "out", workers=2, make_extractor=partial(hostile_extractor)
        )
    assert time.monotonic() - started < 60
    assert [(Path(f.file).name, f.stage, f.reason) for f in result.failed] == [
        ("slow.txt", "time", "abandoned after 2 s (limits.max_seconds_per_file)")
    ]
    assert len(result.done) == 3


def test_text_past_the_tagger_limit_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "one-line.txt"
    path.write_text("政府信息公开" * 200_000, encoding="utf-8")  # 1.2 M characters on one line
    result = run_batch([path], tmp_path / "out", Extractor(get_tagger("rules")))
    assert [(f.stage, f.reason) for f in result.failed] == [
        (
            "tag",
            "1,200,000 characters of text, more than the tagger takes (limits.max_text_chars: 1,000,000); "
            "a report is far shorter",
        )
    ]


# ---------------------------------------------------------------- 12. full disk, read-only OUT


def _small_disk(root: Path) -> tuple[Path, dict]:
    """A folder on a 4 KB tmpfs (one page: the run file fits, nothing else) when mounting is permitted;
    else a plain folder whose writers get a 64-byte file-size limit (writes fail with EFBIG, as they
    fail with ENOSPC on a full disk). Returns the folder and the subprocess options that apply it."""
    disk = root / "disk"
    disk.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(disk)], capture_output=True
        ).returncode
        == 0
    )
    if mounted:
        return disk, {}

    def limited() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    return disk, {"preexec_fn": limited}


def _unmount(disk: Path) -> None:
    subprocess.run(["umount", str(disk)], capture_output=True)


def _extract(args: list[str], **options: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "govreport", "extract", *args, "--tagger", "rules"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "1000"},
        **options,
    )


def test_full_disk_names_the_folder_and_keeps_the_error_list(tmp_path):
    files = _reports(tmp_path / "in", 3)
    disk, options = _small_disk(tmp_path)
    try:
        done = _extract([str(tmp_path / "in"), "--out", str(disk / "out")], **options)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
        cause = "No space left on device" if not options else "File too large"
        for path in files:  # every failure printed, since errors.jsonl could not hold them
            assert (
                f"failed {path}: write: cannot write {disk / 'out' / path.stem}.json: {cause}" in done.stdout
            )
        assert (
            f"cannot write {disk / 'out' / 'errors.jsonl'}: {cause}; the failures are listed above"
            in done.stdout
        )
        assert not [p for p in (disk / "out").iterdir() if p.name.endswith(".tmp")]  # nothing half-written
        if not options:  # a disk full from the start: not a single file is tried
            (disk / "out" / ".govreport-run").unlink()
            (disk / "filler").write_bytes(b"x" * 4096)
            full = _extract([str(tmp_path / "in"), "--out", str(disk / "out")])
            assert (
                full.returncode == 1
                and f"cannot write to {disk / 'out'}: No space left on device" in full.stdout
            )
    finally:
        _unmount(disk)


def test_read_only_out_names_the_folder():
    """Permissions enforced for real: the CLI runs in a child that gave up root (root writes anywhere)."""
    root = Path(tempfile.mkdtemp(prefix="govreport-ro-"))  # not under pytest's private tmp: nobody reads it
    try:
        root.chmod(0o755)
        _reports(root / "in", 1)
        locked = root / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        for out in (locked, locked / "sub"):  # OUT itself read-only, or its parent

            def extract(out: Path = out) -> tuple[int, str]:
                result = runner.invoke(
                    app, ["extract", str(root / "in"), "--out", str(out), "--tagger", "rules"]
                )
                return result.exit_code, result.output

            kind, (code, output) = _as_nobody(extract) if os.geteuid() == 0 else ("ok", extract())
            assert kind == "ok" and code == 1 and "Traceback" not in output
            assert _said(f"cannot write to {out}: Permission denied", output)
    finally:
        shutil.rmtree(root)


def test_a_failing_export_is_reported_not_raised(tmp_path):
    _reports(tmp_path / "in", 1)
    (tmp_path / "table.csv").mkdir()  # the export target is a folder: the write fails
    result = runner.invoke(
        app,
        [
            "extract",
            str(tmp_path / "in"),
            "--out",
            str(tmp_path / "out"),
            "--tagger",
            "rules",
            "--csv",
            str(tmp_path / "table.csv"),
        ],
    )
    assert result.exit_code == 1 and _said(f"cannot write {tmp_path / 'table.csv'}", result.output)
