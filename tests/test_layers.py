"""The package's layering holds: a lower layer never imports a higher one (README, Architecture)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"configs": "configs", "models": "models", "inference": "inference", "training": "training",
           "annotations": "annotations", "evaluation": "evaluation", "cli": "govreport"}
# What each layer may not import (by govreport subpackage name).
FORBIDDEN = {
    "configs": {"models", "inference", "training", "annotations", "evaluation", "cli"},
    "models": {"training", "annotations", "evaluation", "cli"},
    "inference": {"training", "annotations", "evaluation", "cli"},
    "evaluation": {"training", "annotations", "cli"},
    "training": {"annotations", "cli"},
    "annotations": {"cli"},
}


def imported_layers(path: Path) -> set[str]:
    """The govreport subpackages a module imports (at any depth of the module: lazy imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
        for name in names:
            parts = name.split(".")
            if parts[0] == "govreport" and len(parts) > 1:
                found.add(parts[1])
            elif parts[0] in FOLDERS and parts[0] != "cli":
                found.add(f"top-level {parts[0]}")  # an import outside the package: always wrong
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_a_higher_one(layer: str) -> None:
    bad = {}
    for path in sorted((ROOT / FOLDERS[layer]).rglob("*.py")):
        wrong = {x for x in imported_layers(path) if x in FORBIDDEN[layer] or x.startswith("top-level")}
        if wrong:
            bad[str(path.relative_to(ROOT))] = sorted(wrong)
    assert not bad, f"{layer} imports a higher layer: {bad}"


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from govreport.cli import app\n    import inference.tables\n", encoding="utf-8")
    assert imported_layers(bad) == {"cli", "top-level inference"}
