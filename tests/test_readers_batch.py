"""The batch on real mixed folders: every good file extracted whatever the bad ones do, errors recorded,
resumable, parallel workers, exports for pandas and review pages."""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from govreport.inference.batch import HTML_SUFFIX, extractor_factory, run_batch
from govreport.inference.pipeline import Extractor
from govreport.inference.schema import Extraction
from govreport.inference.taggers import get_tagger
from PIL import Image
from pypdf import PdfReader, PdfWriter
from typer.testing import CliRunner

from govreport.cli import app
from tests.conftest import SEEDS, SHARED
from tests.test_readers_bad_input import _as_nobody

PDF_DIR = SHARED / "dev" / "pdf"
runner = CliRunner()


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(get_tagger("rules"))


def _mixed_folder(root: Path) -> tuple[Path, set[str], set[str]]:
    """Good reports in four formats and one file of each bad kind; returns (folder, good stems, bad names)."""
    folder = root / "in"
    folder.mkdir()
    shutil.copy(PDF_DIR / "hongze_district_2024.pdf", folder / "hongze_district_2024.pdf")
    shutil.copy(SEEDS / "001_0126e23b7202ee31.txt", folder / "seed001.txt")
    (folder / "seed000_gbk.txt").write_bytes(
        (SEEDS / "000_95e8c7aec2b02128.txt").read_text("utf-8").encode("gbk")
    )
    text = (SEEDS / "003_a00ed337f27469af.txt").read_text("utf-8")
    page = (
        "<html><head><meta charset='gbk'></head><body>"
        + "".join(
            f"<table><tr>{''.join(f'<td>{c}</td>' for c in line.split(chr(9)))}</tr></table>"
            if "\t" in line
            else f"<p>{line}</p>"
            for line in text.splitlines()
        )
        + "</body></html>"
    )
    (folder / "seed003.html").write_bytes(page.encode("gbk"))
    pdf = (PDF_DIR / "huaian_city_2024.pdf").read_bytes()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "garbage.txt").write_bytes(os.urandom(20000))
    (folder / "garbage.pdf").write_bytes(os.urandom(20000))
    (folder / "truncated.pdf").write_bytes(pdf[: len(pdf) // 2])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password="secret", algorithm="AES-128")
    writer.write(folder / "locked.pdf")
    (folder / "huge.txt").write_bytes(b"0123456789abcdef\n" * (51 * 1024 * 1024 // 17))
    Image.fromarray(np.full((400, 300, 3), 255, np.uint8)).save(folder / "blank.png")
    (folder / "notice.txt").write_text(
        "关于做好春季农业生产工作的通知\n各乡镇：现就有关事项通知如下。\n", "utf-8"
    )
    good = {"hongze_district_2024", "seed001", "seed000_gbk", "seed003", "notice"}
    bad = {"empty.txt", "garbage.txt", "garbage.pdf", "truncated.pdf", "locked.pdf", "huge.txt", "blank.png"}
    return folder, good, bad


def _check_mixed(out: Path, good: set[str], bad: set[str]) -> None:
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text("utf-8").splitlines()]
    assert {Path(e["file"]).name for e in errors} == bad
    assert all(e["stage"] and e["reason"] for e in errors)
    assert {p.stem for p in out.glob("*.json")} == good
    cells = {p.stem: Extraction.model_validate_json(p.read_text("utf-8")) for p in out.glob("*.json")}
    assert sum(c.value is not None for c in cells["hongze_district_2024"].cells.values()) == 186
    assert sum(c.value is not None for c in cells["seed001"].cells.values()) == 200
    assert sum(c.value is not None for c in cells["seed000_gbk"].cells.values()) == 200
    assert sum(c.value is not None for c in cells["seed003"].cells.values()) == 185
    assert not any(c.value is not None for c in cells["notice"].cells.values())
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # no half-written output left


def test_mixed_batch_sequential(tmp_path, extractor):
    folder, good, bad = _mixed_folder(tmp_path)
    result = run_batch(sorted(folder.iterdir()), tmp_path / "out", extractor)
    assert len(result.done) == len(good) and len(result.failed) == len(bad)
    _check_mixed(tmp_path / "out", good, bad)


def test_mixed_batch_two_workers_via_cli(tmp_path):
    folder, good, bad = _mixed_folder(tmp_path)
    out = tmp_path / "out"
    args = ["extract", str(folder), "--out", str(out), "--tagger", "rules", "--workers", "2"]
    result = runner.invoke(app, [*args, "--csv", str(tmp_path / "all.csv"), "--html"])
    assert result.exit_code == 1, result.output
    assert f"done {len(good)}, skipped 0 (up to date), failed {len(bad)}" in result.output
    _check_mixed(out, good, bad)
    assert {p.name for p in out.glob(f"*{HTML_SUFFIX}")} == {f"{g}{HTML_SUFFIX}" for g in good}
    frame = pd.read_csv(tmp_path / "all.csv")
    assert len(frame) == len(good) and "t3.new.total" in frame and "t3.new.total:status" in frame


def test_resume_skips_current_outputs_and_force_redoes(tmp_path, extractor):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("000_95e8c7aec2b02128", "001_0126e23b7202ee31"):
        shutil.copy(SEEDS / f"{name}.txt", folder / f"{name}.txt")
    files = sorted(folder.iterdir())
    out = tmp_path / "out"
    assert len(run_batch(files, out, extractor).done) == 2
    again = run_batch(files, out, extractor)
    assert not again.done and len(again.skipped) == 2
    time.sleep(0.01)
    files[0].touch()
    changed = run_batch(files, out, extractor)
    assert [p for p, _ in changed.done] == [files[0]] and changed.skipped == [files[1]]
    assert len(run_batch(files, out, extractor, force=True).done) == 2


def test_unreadable_file_in_batch_as_non_root(extractor):
    """Permissions enforced for real (the batch runs in a child that gave up root)."""
    root = Path(tempfile.mkdtemp(prefix="govreport-perm-"))
    try:
        root.chmod(0o777)
        good, locked = root / "good.txt", root / "locked.txt"
        shutil.copy(SEEDS / "001_0126e23b7202ee31.txt", good)
        shutil.copy(SEEDS / "000_95e8c7aec2b02128.txt", locked)
        good.chmod(0o644)
        locked.chmod(0o000)
        run_batch([good], root / "warm", extractor, force=True)  # everything imported before setuid

        def batch() -> tuple[list[str], list[tuple[str, str, str]]]:
            result = run_batch([locked, good], root / "out", extractor)
            return [p.name for p, _ in result.done], [(f.file, f.stage, f.reason) for f in result.failed]

        kind, value = _as_nobody(batch) if os.geteuid() == 0 else ("ok", batch())
        assert kind == "ok", value
        done, failed = value
        assert done == ["good.txt"]
        assert failed == [(str(locked), "open", "permission denied (file not readable)")]
    finally:
        shutil.rmtree(root)


def test_directory_of_thousands_of_small_files(tmp_path):
    folder = tmp_path / "many"
    for i in range(2500):
        sub = folder / f"d{i % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        content = b"" if i % 100 == 0 else f"第{i}号通知\n今年共办理事项{i}件，均已办结。\n".encode()
        (sub / f"f{i:04d}.txt").write_bytes(content)
    out = tmp_path / "out"
    result = run_batch(
        sorted(p for p in folder.rglob("*") if p.is_file()),
        out,
        make_extractor=extractor_factory("rules"),
        workers=2,
    )
    assert len(result.done) == 2475 and len(result.failed) == 25
    assert all(f.reason == "empty file" for f in result.failed)
    assert len(list(out.glob("*.json"))) == 2475
    assert not any(c.value is not None for _, e in result.done for c in e.cells.values())


def test_exports_table_and_review_page(tmp_path, extractor):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("000_95e8c7aec2b02128", "001_0126e23b7202ee31"):
        shutil.copy(SEEDS / f"{name}.txt", folder / f"{name}.txt")
    out = tmp_path / "out"
    run_batch(sorted(folder.iterdir()), out, extractor, html=True)
    from govreport.inference.exports import write_table

    write_table(sorted(out.glob("*.json")), tmp_path / "all.parquet")
    frame = pd.read_parquet(tmp_path / "all.parquet").set_index("source")
    seed000, seed001 = (str(folder / f"{n}.txt") for n in ("000_95e8c7aec2b02128", "001_0126e23b7202ee31"))
    assert frame.loc[seed001, "t3.new.natural:status"] == "inferred"
    assert frame.loc[seed001, "t3.new.total"] == 6 and str(frame["t3.new.total"].dtype) == "Int64"
    assert frame.loc[seed000, "violations"] == 3 and "t3.balance.total" in frame.loc[seed000, "broken_rules"]
    page001 = (out / f"001_0126e23b7202ee31{HTML_SUFFIX}").read_text("utf-8")
    assert page001.count('class="inferred"') == 4 and '<mark class="NUM"' in page001
    page000 = (out / f"000_95e8c7aec2b02128{HTML_SUFFIX}").read_text("utf-8")
    assert "t3.balance.total" in page000 and page000.count("broken") >= 3


def test_outputs_inside_the_input_folder_and_stem_clashes(tmp_path, extractor):
    """OUT inside the input folder is never read back as input; two inputs with one stem are refused
    rather than overwriting each other."""
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(SEEDS / "001_0126e23b7202ee31.txt", folder / "report.txt")
    shutil.copy(SEEDS / "000_95e8c7aec2b02128.txt", folder / "sub" / "report.txt")
    out = folder / "out"
    first = run_batch(sorted(p for p in folder.rglob("*") if p.is_file()), out, extractor)
    assert [p.name for p, _ in first.done] == ["report.txt"]
    assert [(f.stage, Path(f.file).parent.name) for f in first.failed] == [("output", "sub")]
    again = run_batch(sorted(p for p in folder.rglob("*") if p.is_file()), out, extractor, force=True)
    assert [p for p, _ in again.done] == [folder / "report.txt"]
    assert Extraction.model_validate_json((out / "report.json").read_text("utf-8")).title.startswith("红旗区")
