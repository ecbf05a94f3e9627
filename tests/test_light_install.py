"""The light install: the wheel, installed with its base requirements only into a fresh virtualenv, extracts
a report with the bundled model exactly as the full install does, with neither torch nor transformers, and
puts nothing but ``govreport`` at the top of site-packages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govreport.cli import app
from tests.conftest import ROOT, SEEDS

FOLDERS = ("configs", "models", "inference", "training", "annotations", "evaluation")
LEFT_OUT = ("torch", "transformers", "tokenizers", "datasets", "accelerate", "spacy", "scikit-learn",
            "label-studio-sdk", "fastapi", "uvicorn", "onnx", "onnxscript", "seqeval")
REPORT = SEEDS / "002_b6ebaffc46ffe707.txt"

pytestmark = pytest.mark.slow


def run(cmd: list[str | Path], cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, check=False)
    if ok:
        assert result.returncode == 0, f"{cmd}: {result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


def cells(out: Path) -> dict[str, tuple]:
    data = json.loads((out / f"{REPORT.stem}.json").read_text(encoding="utf-8"))
    return {k: (c["value"], c["status"]) for k, c in data["cells"].items()} | {"violations": str(data["violations"])}


@pytest.fixture(scope="module")
def light(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, virtualenv with that wheel and its base requirements), built from a copy of the working tree."""
    tmp = tmp_path_factory.mktemp("light")
    src = tmp / "src"
    ignore = shutil.ignore_patterns(".venv*", "data", ".git", "out", "runs", "build", "*.egg-info", "__pycache__",
                                    ".*_cache", ".hypothesis")
    shutil.copytree(ROOT, src, ignore=ignore)
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", "."], src)
    wheel = next((tmp / "dist").glob("govreport-*.whl"))
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", venv], tmp)
    run([venv / "bin" / "pip", "install", "-q", wheel], tmp)
    return wheel, venv


def test_wheel_holds_one_package_with_every_module_the_model_and_the_configs(light: tuple[Path, Path]) -> None:
    names = set(zipfile.ZipFile(light[0]).namelist())
    assert {n.split("/")[0] for n in names if not n.startswith("govreport-")} == {"govreport"}  # + dist-info
    for folder in FOLDERS:  # every module of the source tree is in the wheel (a subpackage missing from
        for module in (ROOT / folder).rglob("*.py"):  # pyproject's list would be left out silently)
            assert f"govreport/{module.relative_to(ROOT)}" in names
    for name in ("model.onnx", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "labels.json",
                 "config.json"):
        assert f"govreport/models/tagger/{name}" in names
    for config in (ROOT / "configs").glob("*.yaml"):
        assert f"govreport/configs/{config.name}" in names


def test_base_install_extracts_like_the_full_install_without_torch(light: tuple[Path, Path], tmp_path: Path) -> None:
    venv = light[1]
    installed = {line.split("==")[0].lower() for line in run([venv / "bin" / "pip", "freeze"], tmp_path).stdout.split()}
    assert not installed & set(LEFT_OUT), sorted(installed & set(LEFT_OUT))
    run([venv / "bin" / "govreport", "extract", REPORT, "--out", tmp_path / "light"], tmp_path)
    full = CliRunner().invoke(app, ["extract", str(REPORT), "--out", str(tmp_path / "full")])
    assert full.exit_code == 0, full.output
    assert cells(tmp_path / "light") == cells(tmp_path / "full")
    assert len(cells(tmp_path / "light")) > 100
    for name in ("models", "configs", "inference", "training"):  # only govreport is importable
        result = run([venv / "bin" / "python", "-c", f"import {name}"], tmp_path, ok=False)
        assert result.returncode == 1 and "ModuleNotFoundError" in result.stderr
    hint = run([venv / "bin" / "govreport", "train"], tmp_path, ok=False)
    assert hint.returncode == 1 and "govreport[train]" in hint.stdout
