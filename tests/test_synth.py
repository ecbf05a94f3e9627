"""The synthetic corpus: labels correct by construction, gold consistent with the text and the rules."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
from pathlib import Path

import pytest
from govreport.configs import load as configs_load
from govreport.inference.spans import bio_to_spans
from govreport.training.synth import arith, build_dataset, generate, write_corpus
from govreport.training.synth.layouts import TEXT_LAYOUTS, available
from govreport.training.synth.model import Piece

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec"
NOISE = ["ocr_slips", "spaced_words", "punct_width", "thousands", "lost_cells", "dup_cells", "shifted_figure",
         "merged_rows", "truncated", "spam", "traditional", "masking"]


def _docs(n: int = 12, seed: int = 7):
    """``n`` documents of every available layout."""
    return [generate(seed, i, [layout]) for layout in sorted(available() - {"ocr"}) for i in range(n)]


DOCS = _docs()


def _number(text: str) -> float | None:
    """A printed figure read as a person would (thousands separators, O for 0, l/I for 1)."""
    t = text.replace(",", "").replace("，", "").translate(str.maketrans("OoIl", "0011")).strip()
    try:
        return float(t)
    except ValueError:
        return None


def test_every_family_is_generated():
    layouts = {d.layout for d in DOCS}
    assert set(TEXT_LAYOUTS) <= layouts
    noises = {n for i in range(300) for n in generate(3, i, TEXT_LAYOUTS).noise}
    assert set(NOISE) <= noises


def test_deterministic_for_a_seed():
    a, b = generate(11, 5), generate(11, 5)
    assert a.text == b.text and a.tags == b.tags and a.gold == b.gold
    assert generate(12, 5).text != a.text


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: f"{d.layout}-{d.id}")
def test_spans_are_the_generators_pieces(doc):
    """Every labelled span covers exactly the text of the piece the generator labelled, and the BIO tags
    decode back to those spans."""
    assert len(doc.tags) == len(doc.text)
    pos, expected = 0, []
    for p in doc.doc.pieces:
        if p.label != "O" and p.text:
            assert doc.text[pos : pos + len(p.text)] == p.text
            expected.append((pos, pos + len(p.text), p.label))
        pos += len(p.text)
    assert pos == len(doc.text)
    assert [(s.start, s.end, s.label) for s in doc.spans] == expected
    assert [(s.start, s.end, s.label) for s in bio_to_spans(doc.tags)] == expected


def _num_piece(doc, key: str) -> Piece | None:
    return next((p for p in doc.doc.pieces if p.key == key and p.label == "NUM"), None)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: f"{d.layout}-{d.id}")
def test_gold_cells_stand_under_num_spans(doc):
    """A gold cell's figure is printed under a NUM span; an inferred cell's figure is absent; the rules
    fix every inferred value; violations are the failing rules."""
    gold = doc.gold
    for key, value in gold["cells"].items():
        piece = _num_piece(doc, key)
        if key in gold["inferred"]:
            assert piece is None, f"{key} is inferred but printed"
            others = {k: v for k, v in gold["cells"].items() if k != key}
            assert arith.solve(doc.gold["format"], others, key) == value
            continue
        assert piece is not None, f"{key} in gold but not under a NUM span"
        if value is None:
            assert piece.text.strip() in ("/", "—")
        else:
            assert _number(piece.text) == pytest.approx(value), (key, piece.text, value)
    assert gold["violations"] == arith.failing(gold["format"], gold["cells"])


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: f"{d.layout}-{d.id}")
def test_headings_and_title_as_printed(doc):
    lines = {line.strip(" \t") for line in doc.text.split("\n")}
    for sec in doc.gold["sections"]:  # a whole line, or a line head where the copy lost its breaks
        assert sec["heading"] in lines or (
            "lost_breaks" in doc.noise and any(line.startswith(sec["heading"]) for line in lines))
    titles = [p.text.strip() for p in doc.doc.pieces if p.label == "TITLE"]
    assert titles and "".join(titles) == doc.gold["title"]
    assert all(t in doc.text for t in titles)


def test_inconsistent_reports_list_their_broken_rules():
    docs = [generate(21, i, ["tab"]) for i in range(200)]
    broken = [d for d in docs if any(n.startswith("inconsistency") for n in d.doc.notes)]
    assert 8 <= len(broken) <= 40
    for d in broken:
        if not {"lost_cells", "dup_cells", "truncated", "cut_anywhere"} & set(d.noise):
            assert d.gold["violations"]
    clean = [d for d in docs if not d.doc.notes and not d.noise]
    assert all(not d.gold["violations"] for d in clean)


def test_lost_cells_are_inferred_or_omitted():
    docs = [d for i in range(400) if "lost_cells" in (d := generate(5, i, ["tab"])).noise]
    assert docs
    inferred = 0
    for d in docs:
        for lc in d.doc.lost:
            if lc.key in d.gold["cells"]:
                assert lc.key in d.gold["inferred"]
                assert d.gold["cells"][lc.key] == d.doc.printed[lc.key]
                inferred += 1
    assert inferred > 0


def _check_gold_module():
    path = SPEC / "check_gold.py"
    if not path.exists():
        pytest.skip(f"spec checker not found at {path}")
    spec = importlib.util.spec_from_file_location("check_gold", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_corpus_passes_the_spec_checker(tmp_path):
    """The spec's own gold checker accepts the generated gold against the generated text."""
    checker = _check_gold_module()
    out = write_corpus(tmp_path, 60, 99)
    spec = json.loads((SPEC / "tables.json").read_text(encoding="utf-8"))
    meta = [json.loads(line) for line in (out / "meta.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(meta) == 60
    inline = {m["id"] for m in meta if "lost_breaks" in m["noise"]}  # headings run into their text
    for path in sorted((out / "gold").glob("*.json")):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            ok = checker.check_file(str(path), spec, str(out / "text"), False)
        errors = [e for e in re.findall(r"ERROR (.*)", buf.getvalue()) if "not found verbatim" not in e
                  and not (path.stem in inline and "is not a line of the seed text" in e)]
        assert ok or not errors, buf.getvalue()


def test_dataset_features():
    ds = build_dataset(4, 1)
    assert ds.column_names == ["id", "text", "tags", "layout", "noise", "format", "year"]
    names = ds.features["tags"].feature.names
    for row in ds:
        assert len(row["tags"]) == len(row["text"])
        assert names[0] == "O"


@pytest.mark.slow
def test_ocr_family_reads_back_through_real_ocr():
    """Page images read by the project's OCR reader: labels carried onto the OCR text, gold cells are
    exactly the figures whose NUM span survived (or were inferred), and violations follow the rules."""
    if "ocr" not in available():
        pytest.skip("the ocr family needs inference/readers/ocr.py and a CJK font (configs/synth.yaml ocr.fonts)")
    doc = generate(7, 0, ["ocr"])
    assert doc.layout == "ocr"
    nums = {p.key for p in doc.doc.pieces if p.label == "NUM" and p.key}
    assert len(nums) > 100
    for key in doc.gold["cells"]:
        assert (key in nums) != (key in doc.gold["inferred"])
    assert doc.gold["violations"] == arith.failing(doc.gold["format"], doc.gold["cells"])
    assert [(s.start, s.end, s.label) for s in bio_to_spans(doc.tags)] == [
        (s.start, s.end, s.label) for s in doc.spans]


def _with_noise(name: str, layouts: list[str], limit: int = 600):
    return next(d for i in range(limit) if name in (d := generate(13, i, layouts)).noise)


def test_spam_replaces_every_guanyu_and_is_garble():
    doc = _with_noise("spam", ["tab"])
    prose = "".join(p.text for p in doc.doc.pieces if p.label == "O")
    assert "关于" not in prose
    garble = {doc.text[s.start : s.end] for s in doc.spans if s.label == "GARBLE"}
    spam = configs_load("synth")["spam"]
    assert garble and garble <= set(spam["words"] + spam["casinos"])


def test_traditional_mirror_converts_labels_too():
    doc = _with_noise("traditional", ["pipe"], 2000)
    assert "報告" in doc.gold["title"] or "報" in doc.gold["title"]
    assert any(s["heading"].endswith("情況") for s in doc.gold["sections"])


def test_synth_command_writes_a_corpus(tmp_path):
    from typer.testing import CliRunner

    from govreport.cli import app

    result = CliRunner().invoke(app, ["synth", "--n", "3", "--seed", "4", "--out", str(tmp_path), "--layout", "tab"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "text").iterdir()) == [f"synth_4_00000{i}.txt" for i in range(3)]
    assert (tmp_path / "text" / "synth_4_000001.txt").read_text(encoding="utf-8") == generate(4, 1, ["tab"]).text
    bad = CliRunner().invoke(app, ["synth", "--n", "1", "--out", str(tmp_path), "--layout", "nope"])
    assert bad.exit_code != 0
