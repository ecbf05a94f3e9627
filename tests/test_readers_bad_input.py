"""Bad inputs get a clear InputError naming the file, the stage and the problem (or an honest empty
result); nothing is guessed from them. Batch-level behaviour is in test_readers_batch.py."""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from pathlib import Path

import govreport.inference.readers.text  # noqa: F401  (imported before a test drops privileges)
import pytest
from govreport.inference.document import InputError
from govreport.inference.pipeline import extract_text
from govreport.inference.readers import read_document
from govreport.inference.taggers import get_tagger
from pypdf import PdfReader, PdfWriter

from tests.conftest import SHARED

REAL_PDF = SHARED / "dev" / "pdf" / "hongze_district_2024.pdf"


def _error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_document(path)
    assert info.value.path == str(path)
    return info.value


@pytest.mark.parametrize("content", [b"", b"  \n\r\n\t "])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert _error(path).reason == "empty file"


def test_binary_garbage_named_txt(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(os.urandom(64 * 1024))
    assert "binary data" in _error(path).reason


def test_binary_garbage_named_pdf(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(os.urandom(64 * 1024))
    err = _error(path)
    assert err.stage == "sniff" and "not a PDF" in err.reason


@pytest.mark.parametrize("share", [0.1, 0.5, 0.95])
def test_truncated_pdf(tmp_path, share):
    data = REAL_PDF.read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * share)])
    err = _error(path)
    assert err.stage == "read-pdf" and "damaged or truncated PDF" in err.reason


def _encrypted(path, user_password: str):
    """A copy of the real PDF encrypted with ``user_password`` (and an owner password)."""
    writer = PdfWriter(clone_from=PdfReader(REAL_PDF))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    writer.write(path)
    return path


def test_password_protected_pdf(tmp_path):
    assert "password-protected" in _error(_encrypted(tmp_path / "locked.pdf", "secret")).reason


def test_owner_password_only_pdf_is_read(tmp_path):
    """Encrypted with an empty user password (printing restrictions only): readable, so read it."""
    assert "（七）总计" in read_document(_encrypted(tmp_path / "restricted.pdf", "")).text


def test_fifty_megabyte_text(tmp_path):
    path = tmp_path / "huge.txt"
    line = "本年新收政府信息公开申请数量\t1\t2\t3\n".encode()
    path.write_bytes(line * (50 * 1024 * 1024 // len(line) + 1))
    assert path.stat().st_size >= 50 * 1024 * 1024
    err = _error(path)
    assert "MB of text" in err.reason and "not one report" in err.reason


def test_chinese_text_that_is_not_a_report(tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text(
        "关于做好2024年春季农业生产工作的通知\n各乡镇人民政府，区各有关部门：\n"
        "为切实做好今年春季农业生产工作，确保粮食稳产增产，现就有关事项通知如下。\n一、提高思想认识\n"
        "春耕生产事关全年粮食丰收。全区共安排资金 350 万元，覆盖 12 个乡镇，组织农技人员 86 人。\n",
        encoding="gbk",
    )
    doc = read_document(path)
    extraction = extract_text(doc.text, str(path), get_tagger("rules"))
    assert not any(cell.value is not None for cell in extraction.cells.values())
    assert extraction.format is None and any("not recognised" in w for w in extraction.warnings)


def _as_nobody(fn, *args):
    """Run ``fn(*args)`` in a child process that has given up root, so file permissions really apply
    (root reads any file). Returns ("ok", result), ("InputError", (stage, reason)) or (type, message)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            os.setgid(65534)
            os.setuid(65534)
            outcome = ("ok", fn(*args))
        except InputError as exc:
            outcome = ("InputError", (exc.stage, exc.reason))
        except BaseException as exc:  # report everything to the parent
            outcome = (type(exc).__name__, str(exc))
        with os.fdopen(write, "wb") as fh:
            pickle.dump(outcome, fh)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        outcome = pickle.load(fh)
    os.waitpid(pid, 0)
    return outcome


def test_unreadable_file(tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="govreport-perm-"))
    try:
        folder.chmod(0o755)
        path = folder / "report.txt"
        path.write_text("某县2023年政府信息公开工作年度报告\n", encoding="utf-8")
        path.chmod(0o000)
        if os.geteuid() == 0:
            kind, value = _as_nobody(read_document, path)
        else:
            kind, value = "InputError", (_error(path).stage, _error(path).reason)
        assert kind == "InputError", value
        assert value[0] == "open" and "permission denied" in value[1]
    finally:
        path.unlink()
        folder.rmdir()


def test_directory_named_like_a_file(tmp_path):
    path = tmp_path / "report.pdf"
    path.mkdir()
    assert "directory" in _error(path).reason


def test_zip_that_is_not_docx_and_legacy_doc(tmp_path):
    archive = tmp_path / "report.docx"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert "not a Word .docx" in _error(archive).reason
    legacy = tmp_path / "report.doc"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(4096))
    assert "legacy binary Office" in _error(legacy).reason
