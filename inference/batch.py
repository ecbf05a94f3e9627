"""Running extraction over many files: one output per input, written atomically; a bad file is recorded in
``errors.jsonl`` and never stops the batch."""

from __future__ import annotations

import json
import os
import tempfile
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from inference.checks import across_years
from inference.document import InputError
from inference.pipeline import Extractor
from inference.readers import read_document
from inference.schema import Extraction


def write_atomic(path: Path, data: str) -> None:
    """Write through a temporary file in the same folder and rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def collect_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files named, and the files inside folders named (recursively, hidden files skipped), in order."""
    out: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            out += sorted(p for p in item.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            out.append(item)
    return out


@dataclass
class Failure:
    file: str
    stage: str
    reason: str


@dataclass
class BatchResult:
    done: list[tuple[Path, Extraction]] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)


def run_batch(
    files: list[Path],
    out_dir: Path,
    extractor: Extractor,
    on_file: Callable[[Path], None] | None = None,
) -> BatchResult:
    """Extract each file into ``out_dir/<stem>.json``; cross-year warnings are added once all are read."""
    result = BatchResult()
    for path in files:
        try:
            doc = read_document(path)
        except InputError as exc:
            result.failed.append(Failure(str(path), exc.stage, exc.reason))
        except Exception as exc:  # a reader bug must not end the batch; the file is named with the cause
            result.failed.append(Failure(str(path), "read", f"{type(exc).__name__}: {exc}"))
        else:
            try:
                result.done.append((path, extractor.extract(doc)))
            except Exception as exc:
                detail = traceback.format_exception_only(exc)[-1].strip()
                result.failed.append(Failure(str(path), "extract", detail))
        if on_file:
            on_file(path)
    extra = across_years([e for _, e in result.done])
    for path, extraction in result.done:
        extraction.warnings += extra.get(extraction.source, [])
        write_atomic(out_dir / f"{path.stem}.json", extraction.model_dump_json(indent=2))
    if result.failed:
        lines = "".join(json.dumps(f.__dict__, ensure_ascii=False) + "\n" for f in result.failed)
        write_atomic(out_dir / "errors.jsonl", lines)
    return result
