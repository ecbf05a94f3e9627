"""Shared test fixtures: where the spec, seeds and gold live (../shared beside the checkout)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
DEV_GOLD = SHARED / "dev" / "gold"
SPEC = SHARED / "spec" / "tables.json"


@pytest.fixture(scope="session")
def spec() -> dict:
    if not SPEC.exists():
        pytest.fail(f"the shared spec is missing: {SPEC}")
    return json.loads(SPEC.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_names() -> list[str]:
    return sorted(p.stem for p in SEEDS.glob("*.txt"))
