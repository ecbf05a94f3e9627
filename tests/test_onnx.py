"""The ONNX Runtime tagger: the char lookup gives the tokenizer's ids, the export gives PyTorch's
probabilities, the shipped int8 model gives the torch model's cells, and the path never loads torch."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from govreport.configs import load
from govreport.inference.pipeline import build_extraction
from govreport.inference.spans import bio_tags
from govreport.inference.taggers import DEFAULT_MODEL_DIR, get_tagger
from govreport.inference.taggers.model import ModelTagger, resolve_backend
from govreport.models.chars import CharTokenizer
from govreport.models.encoding import encode, special_ids
from govreport.models.modeling import new_model, save_model
from govreport.models.onnx_model import ONNX_FILE, OnnxTagModel, StaleExportError
from govreport.models.tokenizer import build_tokenizer, build_vocab
from typer.testing import CliRunner

from govreport.cli import app
from tests.conftest import SEEDS
from tests.test_model import tiny_doc


@pytest.fixture(scope="module")
def shipped_taggers() -> tuple[ModelTagger, ModelTagger]:
    return ModelTagger(DEFAULT_MODEL_DIR, backend="onnx"), ModelTagger(DEFAULT_MODEL_DIR, backend="torch")


@pytest.fixture(scope="module")
def tiny_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random L2-H128 tagger saved and exported through the CLI as fp32 (int8 is tested on the shipped one)."""
    path = tmp_path_factory.mktemp("tiny")
    model, tokenizer = new_model("L2-H128")
    save_model(model, tokenizer, path)
    result = CliRunner().invoke(app, ["export-onnx", "--model-dir", str(path), "--no-quantize"])
    assert result.exit_code == 0, result.output
    return path


def awkward_text(seed: int) -> str:
    """Vocabulary characters, Traditional ones, whitespace of every kind, characters outside the vocabulary
    (also beyond the BMP) and literal special tokens, in random order."""
    rng = random.Random(seed)
    vocab = [t for t in build_vocab() if len(t) == 1]
    pieces = rng.choices(vocab, k=3000)
    pieces += [*"國務院辦公廳關於報告後於著", "\r\n", "\u3000", "\u00a0", "\x0b", "\u2028"]
    pieces += ["[SEP]", "[UNK]x[PAD]", "[CLS", "[[MASK]]", "😀", "\U00020000", "\ufffd", "ｶ", "Ω"]
    rng.shuffle(pieces)
    return "".join(pieces)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_char_lookup_gives_the_tokenizers_ids_and_offsets(seed: int) -> None:
    hf = build_tokenizer()
    chars = CharTokenizer.from_dir(DEFAULT_MODEL_DIR)
    text = awkward_text(seed)
    want, got = encode(hf, text), chars.encode(text)
    np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_array_equal(got.offsets, want.offsets)
    assert special_ids(chars) == special_ids(hf) and chars.pad_token_id == hf.pad_token_id
    assert chars.encode("").ids.size == 0 and chars.encode("").offsets.shape == (0, 2)


def test_a_tokenizer_that_is_not_one_char_per_token_is_refused(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / "m")
    spec = json.loads((tmp_path / "m" / "tokenizer.json").read_text(encoding="utf-8"))
    spec["pre_tokenizer"] = {"type": "BertPreTokenizer"}
    (tmp_path / "m" / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(ValueError, match="char tokenizer"):
        CharTokenizer.from_dir(tmp_path / "m")


def test_fp32_export_gives_pytorchs_probabilities_on_long_texts(tiny_export: Path) -> None:
    text = "".join(tiny_doc(random.Random(i))[0] for i in range(60)) + "[SEP]國"
    assert len(text) > 2000  # several windows
    onnx = ModelTagger(tiny_export, backend="onnx", batch_size=3)
    torch = ModelTagger(tiny_export, backend="torch", device="cpu")
    texts = [text, "短", "", text[:700]]
    fusions_off = load("model")["inference"]["onnx"]["disabled_optimizers"]  # the same graph as ModelTagger's
    parallel = OnnxTagModel(tiny_export, disabled_optimizers=fusions_off, parallel=2).probs(
        texts, onnx.max_length, onnx.stride, batch_size=3
    )
    for a, b, c in zip(onnx.probs_batch(texts), torch.probs_batch(texts), parallel, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-4)
        np.testing.assert_array_equal(a, c)  # windows run concurrently: the very same numbers


def test_saving_new_weights_removes_the_export_and_a_stale_one_is_refused(tiny_export: Path, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(tiny_export, folder)
    onnx = (folder / ONNX_FILE).read_bytes()
    model, tokenizer = new_model("L2-H128")  # other random weights
    save_model(model, tokenizer, folder)
    assert not (folder / ONNX_FILE).exists()
    assert ModelTagger(folder).backend == "torch"  # not exported yet: auto falls back to PyTorch
    (folder / ONNX_FILE).write_bytes(onnx)  # the old export copied back beside the new weights
    with pytest.raises(StaleExportError, match="export-onnx"):
        ModelTagger(folder, backend="onnx")


def test_backend_choice(tiny_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import govreport.inference.taggers.model as tagger_module

    monkeypatch.setattr(tagger_module, "cuda_available", lambda: False)
    bare = tmp_path / "bare"
    bare.mkdir()
    assert resolve_backend("auto", tiny_export) == "onnx"
    assert resolve_backend("auto", tiny_export, device="cpu") == "onnx"
    assert resolve_backend("auto", tiny_export, device="cuda") == "torch"
    assert resolve_backend("auto", tiny_export, quantize=True) == "torch"
    assert resolve_backend("auto", bare) == "torch"
    assert resolve_backend("torch", tiny_export) == "torch"
    monkeypatch.setattr(tagger_module, "cuda_available", lambda: True)
    assert resolve_backend("auto", tiny_export) == "torch"
    with pytest.raises(ValueError):
        resolve_backend("onnx", tiny_export, quantize=True)
    with pytest.raises(ValueError):
        resolve_backend("onnx", tiny_export, device="cuda")
    with pytest.raises(ValueError):
        resolve_backend("tensorflow", tiny_export)
    monkeypatch.setattr(tagger_module, "cuda_available", lambda: False)
    monkeypatch.setattr(tagger_module.importlib.util, "find_spec", lambda name: None)  # no torch installed
    assert resolve_backend("auto", bare) == "onnx"  # whose error says how to export
    with pytest.raises(FileNotFoundError, match="export-onnx"):
        ModelTagger(bare)


def test_shipped_export_matches_its_weights_and_labels() -> None:
    tagger = get_tagger("model")
    assert tagger.backend == "onnx" and tagger.tags == bio_tags()
    assert (DEFAULT_MODEL_DIR / ONNX_FILE).stat().st_size < 4 * 1024 * 1024  # int8


def test_int8_onnx_and_torch_give_the_same_cells_on_the_seed_reports(
    shipped_taggers: tuple[ModelTagger, ModelTagger],
) -> None:
    onnx, torch = shipped_taggers
    same = total = 0
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        (a_spans, a_probs), (b_spans, b_probs) = onnx.tag_with_probs(text), torch.tag_with_probs(text)
        same += int((a_probs.argmax(1) == b_probs.argmax(1)).sum())
        total += len(text)
        a, b = build_extraction(path.name, text, a_spans), build_extraction(path.name, text, b_spans)
        assert {k: (c.value, c.status) for k, c in a.cells.items()} == {
            k: (c.value, c.status) for k, c in b.cells.items()
        }, path.name
        assert [v.model_dump() for v in a.violations] == [v.model_dump() for v in b.violations], path.name
    assert same / total >= 0.999


def test_extract_backends_agree_through_the_cli(tmp_path: Path) -> None:
    report = SEEDS / "002_b6ebaffc46ffe707.txt"
    cells = {}
    for backend in ("onnx", "torch"):
        result = CliRunner().invoke(
            app, ["extract", str(report), "--out", str(tmp_path / backend), "--backend", backend]
        )
        assert result.exit_code == 0, result.output
        data = json.loads((tmp_path / backend / f"{report.stem}.json").read_text(encoding="utf-8"))
        cells[backend] = {k: (c["value"], c["status"]) for k, c in data["cells"].items()}
    assert cells["onnx"] == cells["torch"] and len(cells["onnx"]) > 100


def test_onnx_path_and_cli_start_load_no_torch() -> None:
    code = (
        "import sys\n"
        "import govreport.cli\n"
        "heavy = {'torch', 'transformers', 'tokenizers', 'pandas', 'onnxruntime', 'spacy', 'sklearn'}\n"
        "assert not heavy & set(sys.modules), sorted(heavy & set(sys.modules))\n"
        "from govreport.inference.taggers import get_tagger\n"
        "tagger = get_tagger('model')\n"
        "assert tagger.backend == 'onnx' and tagger.tag('二、主动公开政府信息情况\\n规章\\t3\\t1\\t5')\n"
        "assert not {'torch', 'transformers', 'tokenizers'} & set(sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
