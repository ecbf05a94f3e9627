"""Running extraction over many files: one output per input, written atomically as soon as it is done; a bad
file is recorded in ``errors.jsonl`` and never stops the batch. Outputs newer than their input are kept
(resumable) unless forced; ``workers`` processes each load the tagger once."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from pathlib import Path

from govreport.inference.checks import across_years
from govreport.inference.document import InputError
from govreport.inference.pipeline import Extractor, build_extraction
from govreport.inference.readers import read_document
from govreport.inference.schema import Extraction


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
    skipped: list[Path] = field(default_factory=list)

    @property
    def with_violations(self) -> int:
        return sum(bool(e.violations) for _, e in self.done)

    @property
    def mean_confidence(self) -> float | None:
        """Mean over reports of the mean confidence of their observed and inferred cells."""
        per_report = [
            statistics.fmean(c.confidence for c in e.cells.values() if c.status in ("observed", "inferred"))
            for _, e in self.done
            if any(c.status in ("observed", "inferred") for c in e.cells.values())
        ]
        return statistics.fmean(per_report) if per_report else None


HTML_SUFFIX = ".report.html"  # never the name of an input page, even when OUT is the input folder


def output_path(out_dir: Path, path: Path, suffix: str = ".json") -> Path:
    return out_dir / f"{path.stem}{suffix}"


RUN_FILE = ".govreport-run"  # what made the outputs (see run_signature)


def run_signature(tagger: str, model_dir: str | Path | None = None) -> str:
    """What made the outputs: the tagger, and for the model its weights (path, size, mtime). Outputs made
    by another tagger or model are not "up to date", whatever their age."""
    if tagger != "model":
        return tagger
    from govreport.inference.taggers import DEFAULT_MODEL_DIR

    weights = Path(model_dir or DEFAULT_MODEL_DIR).resolve() / "model.safetensors"
    try:
        st = weights.stat()
    except OSError:
        return f"model:{weights}"
    return f"model:{weights}:{st.st_size}:{int(st.st_mtime)}"


def _same_run(out_dir: Path, signature: str) -> bool:
    try:
        return json.loads((out_dir / RUN_FILE).read_text(encoding="utf-8")).get("signature") == signature
    except (OSError, ValueError):
        return False


def is_current(path: Path, out_dir: Path, html: bool = False) -> bool:
    """Whether the outputs of ``path`` exist and are newer than it (so a resumed batch skips it)."""
    try:
        source = path.stat().st_mtime
        outputs = [output_path(out_dir, path)] + ([output_path(out_dir, path, HTML_SUFFIX)] if html else [])
        return all(o.stat().st_mtime >= source for o in outputs)
    except OSError:
        return False


def process_file(path: Path, extractor: Extractor, out_dir: Path, html: bool = False) -> Extraction | Failure:
    """Read, tag and rebuild one file; its outputs are written here, atomically. Never raises."""
    try:
        doc = read_document(path)
    except InputError as exc:
        return Failure(str(path), exc.stage, exc.reason)
    except Exception as exc:  # a reader bug must not end the batch; the file is named with the cause
        return Failure(str(path), "read", f"{type(exc).__name__}: {exc}")
    try:
        spans = extractor.tagger.tag(doc.text)
        extraction = build_extraction(doc.source, doc.text, spans)
        write_atomic(output_path(out_dir, path), extraction.model_dump_json(indent=2))
        if html:
            from govreport.inference.exports import report_html

            write_atomic(output_path(out_dir, path, HTML_SUFFIX), report_html(extraction, doc, spans))
    except Exception as exc:
        return Failure(str(path), "extract", traceback.format_exception_only(exc)[-1].strip())
    return extraction


_worker: Extractor | None = None
_worker_error: str | None = None


def _init_worker(make_extractor: Callable[[], Extractor]) -> None:
    """Worker start: one thread per library (workers are the parallelism), the tagger loaded once."""
    global _worker, _worker_error
    for var in (
        "GOVREPORT_OCR_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
    ):  # read when the libraries load
        os.environ[var] = "1"
    try:
        _worker = make_extractor()
    except Exception as exc:  # reported per file instead of killing the pool at every start
        _worker_error = traceback.format_exception_only(exc)[-1].strip()


def _work(path: Path, out_dir: Path, html: bool) -> Extraction | Failure:
    if _worker is None:
        return Failure(str(path), "load-tagger", _worker_error or "worker not initialised")
    return process_file(path, _worker, out_dir, html)


def run_batch(
    files: list[Path],
    out_dir: Path,
    extractor: Extractor | None = None,
    on_file: Callable[[Path], None] | None = None,
    *,
    workers: int = 1,
    make_extractor: Callable[[], Extractor] | None = None,
    force: bool = False,
    html: bool = False,
    signature: str | None = None,
) -> BatchResult:
    """Extract each file into ``out_dir/<stem>.json`` (and ``.html``); cross-year warnings are added once all
    are read. With ``workers`` > 1, ``make_extractor`` (picklable) builds each worker's extractor.
    ``signature`` (see ``run_signature``) names what extracts; outputs of another signature are redone."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if signature is not None and not _same_run(out_dir, signature):
        force = True
        (out_dir / RUN_FILE).unlink(missing_ok=True)
    result = BatchResult()
    todo = []
    owner: dict[Path, Path] = {}
    outputs = out_dir.resolve()
    for path in files:
        inside_out = path.resolve().is_relative_to(outputs)  # OUT inside an input folder: not inputs
        first = path if inside_out else owner.setdefault(output_path(out_dir, path), path)
        if inside_out:
            pass
        elif first != path:  # two inputs with one stem would overwrite each other's output
            result.failed.append(
                Failure(
                    str(path),
                    "output",
                    f"{first} already writes {output_path(out_dir, path)}; rename one of them",
                )
            )
        elif not force and is_current(path, out_dir, html):
            result.skipped.append(path)
        else:
            todo.append(path)
            continue
        if on_file:
            on_file(path)

    def record(path: Path, outcome: Extraction | Failure) -> None:
        if isinstance(outcome, Failure):
            result.failed.append(outcome)
        else:
            result.done.append((path, outcome))
        if on_file:
            on_file(path)

    if todo and (workers <= 1 or len(todo) <= 1):
        extractor = extractor or (make_extractor or _missing_extractor)()
        for path in todo:
            record(path, process_file(path, extractor, out_dir, html))
    elif todo:
        _run_parallel(todo, out_dir, html, workers, make_extractor or _missing_extractor, record)
    _add_cross_year_warnings(result, out_dir)
    if signature is not None:
        write_atomic(out_dir / RUN_FILE, json.dumps({"signature": signature}))
    errors = out_dir / "errors.jsonl"
    if result.failed:
        write_atomic(
            errors, "".join(json.dumps(f.__dict__, ensure_ascii=False) + "\n" for f in result.failed)
        )
    else:
        errors.unlink(missing_ok=True)
    return result


def _missing_extractor() -> Extractor:
    raise ValueError("run_batch needs an extractor or make_extractor")


def _build_extractor(tagger: str, model_dir: str | None) -> Extractor:
    from govreport.inference.taggers import get_tagger

    return Extractor(get_tagger(tagger, model_dir=model_dir))


def extractor_factory(tagger: str, model_dir: str | Path | None = None) -> Callable[[], Extractor]:
    """A picklable recipe for the extractor, so each worker process builds its own once."""
    return partial(_build_extractor, tagger, str(model_dir) if model_dir else None)


def _run_parallel(
    todo: list[Path],
    out_dir: Path,
    html: bool,
    workers: int,
    make_extractor: Callable[[], Extractor],
    record: Callable[[Path, Extraction | Failure], None],
) -> None:
    """Feed files to a pool, at most four per worker in flight so progress is real. A worker that dies
    (out of memory, a crash in native code) fails one file it held; the pool is restarted for the rest."""
    pending = list(reversed(todo))
    while pending:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("spawn"),
            initializer=_init_worker,
            initargs=(make_extractor,),
        ) as pool:
            running: dict[Future[Extraction | Failure], Path] = {}
            broken = False
            while (pending or running) and not broken:
                while pending and len(running) < 4 * workers:
                    path = pending.pop()
                    running[pool.submit(_work, path, out_dir, html)] = path
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    path = running.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        if broken:  # only one file is blamed per crash; the others are tried again
                            pending.append(path)
                            continue
                        broken = True
                        outcome = Failure(
                            str(path),
                            "worker",
                            "the worker process died while on this file "
                            "(out of memory or a crash in native code)",
                        )
                    record(path, outcome)
            pending += running.values()  # in flight when a worker died: tried again in a new pool


def _add_cross_year_warnings(result: BatchResult, out_dir: Path) -> None:
    """Cross-year checks over this run's reports and those kept from earlier runs; outputs whose warnings
    change are rewritten."""
    kept = []
    for path in result.skipped:
        try:
            kept.append(
                Extraction.model_validate_json(output_path(out_dir, path).read_text(encoding="utf-8"))
            )
        except (OSError, ValueError):
            continue
    extra = across_years([e for _, e in result.done] + kept)
    for path, extraction in result.done:
        new = [w for w in extra.get(extraction.source, []) if w not in extraction.warnings]
        if new:
            extraction.warnings += new
            write_atomic(output_path(out_dir, path), extraction.model_dump_json(indent=2))
