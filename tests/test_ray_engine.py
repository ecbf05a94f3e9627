"""`govreport extract --engine ray` (issue 11) on a local Ray instance of 2 CPUs: the same JSON as the local
engine for the five seeds and the three real PDFs, bad files as error rows, a Parquet dataset with one row
per input, resume; and the files that kill an actor or outlive the time budget never fail the job. The
[ray] extra pulls no CUDA build."""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
from collections.abc import Iterator
from functools import partial
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pandas as pd
import pytest
import ray
from govreport.inference.batch import run_batch
from govreport.inference.ray_engine import RayExecutor
from govreport.inference.readers.limits import overridden
from govreport.inference.schema import Extraction
from packaging.requirements import Requirement
from typer.testing import CliRunner

from govreport.cli import app
from tests.conftest import ROOT, SEEDS, SHARED
from tests.test_hostile_inputs import _said, hostile_extractor

runner = CliRunner()
BAD = {"empty.txt": b"", "garbage.pdf": os.urandom(5000), "noise.docx": os.urandom(3000)}


def test_the_ray_extra_pulls_no_cuda() -> None:
    """Every package that pyproject's [ray] extra installs, followed through the installed metadata."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]["ray"]
    todo, seen = [Requirement(r) for r in extra], set()
    while todo:
        req = todo.pop()
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if (name, frozenset(req.extras)) in seen:
            continue
        seen.add((name, frozenset(req.extras)))
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:  # an optional dependency for another platform
            continue
        for sub in map(Requirement, requires):
            if not sub.marker or any(sub.marker.evaluate({"extra": e}) for e in (*req.extras, "")):
                todo.append(sub)
    names = {name for name, _ in seen}
    assert "ray" in names and "pyarrow" in names
    assert not {n for n in names if n.startswith(("nvidia", "cuda", "cupy", "torch", "jax"))}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One small local Ray instance for the module (2 CPUs, a 200 MB object store), shut down after."""
    ray.init(num_cpus=2, object_store_memory=200 * 1024**2, include_dashboard=False, logging_level="ERROR")
    yield
    ray.shutdown()


def _inputs(root: Path) -> Path:
    folder = root / "in"
    folder.mkdir()
    for path in [*SEEDS.glob("*.txt"), *(SHARED / "dev" / "pdf").glob("*.pdf")]:
        shutil.copy(path, folder / path.name)
    pdf = (SHARED / "dev" / "pdf" / "huaian_city_2024.pdf").read_bytes()
    (folder / "truncated.pdf").write_bytes(pdf[: len(pdf) // 2])
    for name, data in BAD.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.slow  # Ray's start and two runs of each engine: about 25 s with the test below
def test_ray_engine_matches_the_local_engine(tmp_path: Path, local_ray: None) -> None:
    folder = _inputs(tmp_path)
    inputs = sorted(p.name for p in folder.iterdir())
    bad = {*BAD, "truncated.pdf"}
    local, distributed = tmp_path / "local", tmp_path / "ray"
    first = runner.invoke(app, ["extract", str(folder), "--out", str(local), "--workers", "2"])
    assert first.exit_code == 1, first.output  # the bad files failed
    args = ["extract", str(folder), "--out", str(distributed), "--engine", "ray", "--actors", "2"]
    result = runner.invoke(app, [*args, "--batch-size", "2"])
    assert result.exit_code == 1, result.output
    assert _said(f"govreport extract: {len(inputs) - len(bad)} done, {len(bad)} failed", result.output)
    assert _said(f"done {len(inputs) - len(bad)}, skipped 0 (up to date), failed {len(bad)}", result.output)

    made = sorted(p.name for p in distributed.glob("*.json"))
    assert made == sorted(p.name for p in local.glob("*.json")) and len(made) == len(inputs) - len(bad)
    for name in made:  # the same JSON, byte for byte: cells, statuses, violations, sections, title
        assert (distributed / name).read_text("utf-8") == (local / name).read_text("utf-8"), name

    def errors(out: Path) -> set[tuple[str, str]]:
        lines = (out / "errors.jsonl").read_text("utf-8").splitlines()
        return {(Path(e["file"]).name, e["stage"]) for e in map(json.loads, lines)}

    assert errors(distributed) == errors(local) and {name for name, _ in errors(distributed)} == bad

    frame = pd.read_parquet(distributed / "results.parquet")
    assert len(frame) == len(inputs) and sorted(Path(s).name for s in frame["source"]) == inputs
    failed = frame[frame["error_stage"].notna()]
    assert {Path(s).name for s in failed["source"]} == bad and failed["error_reason"].str.len().min() > 0
    for row in frame[frame["error_stage"].isna()].itertuples():
        extraction = Extraction.model_validate_json(Path(row.output).read_text("utf-8"))
        assert row.title == extraction.title and list(row.violations) == [v.rule for v in extraction.violations]
        for key, cell in extraction.cells.items():
            assert frame.at[row.Index, f"{key}:status"] == cell.status
            assert pd.isna(frame.at[row.Index, key]) if cell.value is None else frame.at[row.Index, key] == cell.value

    again = runner.invoke(app, args)  # resumed: every output is current; the dataset is replaced, not appended
    assert _said(f"done 0, skipped {len(inputs) - len(bad)} (up to date), failed {len(bad)}", again.output)
    assert len(pd.read_parquet(distributed / "results.parquet")) == len(inputs)


@pytest.mark.slow
def test_a_file_that_kills_its_actor_or_hangs_fails_alone(tmp_path: Path, local_ray: None) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = []
    for i in range(5):
        good.append(folder / f"r{i}.txt")
        shutil.copy(SEEDS / "001_0126e23b7202ee31.txt", good[-1])
    (folder / "crash.txt").write_text("CRASH\n", "utf-8")  # kills the actor's process every time
    (folder / "sleep.txt").write_text("SLEEP\n", "utf-8")  # never finishes
    # kills its actor the first time only, taking its batch along ([a_once, crash, r0]): run again alone
    (folder / "a_once.txt").write_text(f"ONCE:{tmp_path / 'died'}\n", "utf-8")
    files = sorted(folder.iterdir())
    out = tmp_path / "out"
    executor = RayExecutor(partial(hostile_extractor), out, actors=2, batch_size=3)
    with overridden(max_seconds_per_file=3):
        result = run_batch(files, out, executor=executor)
    assert sorted(p.name for p, _ in result.done) == sorted([*(p.name for p in good), "a_once.txt"])
    assert {(Path(f.file).name, f.stage) for f in result.failed} == {("crash.txt", "worker"), ("sleep.txt", "time")}
    assert (tmp_path / "died").exists()  # a_once.txt did kill an actor, and was run again
