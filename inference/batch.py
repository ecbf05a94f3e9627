"""Running extraction over many files: one output per input, written atomically as soon as it is done; a bad
file is recorded in ``errors.jsonl`` and never stops the batch. Outputs newer than their input are kept
(resumable, also after a kill) unless forced.

With a tagger recipe (``make_extractor``, as the CLI runs) every file is extracted in a worker process that
loads the tagger once and holds one file at a time, so the batch survives what one file can do to a
process: a file that outlives ``limits.max_seconds_per_file`` is abandoned (its worker is stopped and
replaced), and a file whose worker dies (out of memory, a crash in native code) is tried again alone
before it is blamed, so files that happened to share the machine with it are never marked failed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from govreport.inference.checks_across import Bodies, refresh
from govreport.inference.document import InputError
from govreport.inference.pipeline import Extractor, build_extraction
from govreport.inference.readers import read_document
from govreport.inference.readers.limits import current as current_limits
from govreport.inference.readers.limits import install as install_limits
from govreport.inference.readers.limits import limit
from govreport.inference.schema import Extraction


class OutputError(Exception):
    """OUT cannot be written at all (read-only, full, not a folder); the message names it and the cause."""

    def __init__(self, folder: Path, exc: OSError) -> None:
        super().__init__(f"cannot write to {folder}: {exc.strerror or exc}")


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
    # Why ``errors.jsonl`` could not be written (full disk): the failures then live only in ``failed``.
    errors_file_problem: str | None = None

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
ERRORS_FILE = "errors.jsonl"
_OUTPUT_HEAD = '{\n  "source": '  # how every extraction JSON this module writes begins


# An engine that extracts files elsewhere (inference/ray_engine.py): given the files to do and ``record``,
# it calls ``record`` once for each file, with its extraction or its failure, and returns when all are done.
Record = Callable[[Path, Extraction | Failure], None]
Executor = Callable[[list[Path], Record], None]


def output_path(out_dir: Path, path: Path, suffix: str = ".json") -> Path:
    return out_dir / f"{path.stem}{suffix}"


def own_output(path: Path, out_dir: Path) -> bool:
    """Whether ``path`` is something a batch wrote into ``out_dir`` (an extraction, a review page, the error
    list), so that OUT may also be, or lie inside, an input folder: everything else there is read."""
    if path.parent.resolve() != out_dir.resolve():
        return False
    if path.name == ERRORS_FILE or path.name.endswith(HTML_SUFFIX):
        return True
    if path.suffix != ".json":
        return False
    try:
        with path.open(encoding="utf-8") as fh:
            return fh.read(len(_OUTPUT_HEAD)) == _OUTPUT_HEAD
    except (OSError, UnicodeDecodeError):
        return False


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


def _start_run(out_dir: Path, signature: str | None) -> float:
    """Make sure OUT can be written and record what makes its outputs *before* any is written, so a run
    killed halfway resumes: returns the time from which outputs count as made by ``signature`` (outputs
    older than the switch to a new signature are stale). Raises OutputError."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        run = out_dir / RUN_FILE
        if signature is None:
            fd, probe = tempfile.mkstemp(dir=out_dir, prefix=".govreport-probe.")
            os.close(fd)
            os.unlink(probe)
            return 0.0
        try:
            same = json.loads(run.read_text(encoding="utf-8")).get("signature") == signature
        except (OSError, ValueError):
            same = False
        if not same:
            write_atomic(run, json.dumps({"signature": signature}))
        return run.stat().st_mtime
    except OSError as exc:
        raise OutputError(out_dir, exc) from None


def is_current(path: Path, out_dir: Path, html: bool = False, since: float = 0.0) -> bool:
    """Whether the outputs of ``path`` exist and are newer than it and than ``since`` (so a resumed batch
    skips it)."""
    try:
        newer_than = max(path.stat().st_mtime, since)
        outputs = [output_path(out_dir, path)] + ([output_path(out_dir, path, HTML_SUFFIX)] if html else [])
        return all(o.stat().st_mtime >= newer_than for o in outputs)
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
    most = limit("max_text_chars")
    if len(doc.text) > most:
        return Failure(
            str(path),
            "tag",
            f"{len(doc.text):,} characters of text, more than the tagger takes (limits.max_text_chars: "
            f"{most:,}); a report is far shorter",
        )
    try:
        spans = extractor.tagger.tag(doc.text)
        extraction = build_extraction(doc.source, doc.text, spans)
        pages = {output_path(out_dir, path): extraction.model_dump_json(indent=2)}
        if html:
            from govreport.inference.exports import report_html

            pages[output_path(out_dir, path, HTML_SUFFIX)] = report_html(extraction, doc, spans)
    except Exception as exc:
        return Failure(str(path), "extract", traceback.format_exception_only(exc)[-1].strip())
    for target, data in pages.items():
        try:
            write_atomic(target, data)
        except OSError as exc:
            return Failure(str(path), "write", f"cannot write {target}: {exc.strerror or exc}")
    return extraction


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
    bodies: Bodies | None = None,
    executor: Executor | None = None,
) -> BatchResult:
    """Extract each file into ``out_dir/<stem>.json`` (and ``.html``); findings across reports (a body's years,
    and parents against children given ``bodies``) are added once all are read. With ``extractor`` files
    are extracted in this process (no time budget, no crash isolation);
    with ``executor`` (another engine, such as Ray) that engine extracts them; else ``workers`` processes
    each build theirs with ``make_extractor`` (picklable). ``signature`` (see
    ``run_signature``) names what extracts; outputs of another signature are redone. Files in ``out_dir``
    that the batch wrote itself are not inputs. Raises OutputError when ``out_dir`` cannot be written."""
    since = _start_run(out_dir, signature)
    result = BatchResult()
    todo = []
    owner: dict[Path, Path] = {}
    for path in files:
        if own_output(path, out_dir):
            continue
        first = owner.setdefault(output_path(out_dir, path), path)
        if output_path(out_dir, path).resolve() == path.resolve():  # a .json input in OUT, not ours
            result.failed.append(
                Failure(
                    str(path), "output", "its output would overwrite the file itself; choose another --out"
                )
            )
        elif first != path:  # two inputs with one stem would overwrite each other's output
            result.failed.append(
                Failure(
                    str(path),
                    "output",
                    f"{first} already writes {output_path(out_dir, path)}; rename one of them",
                )
            )
        elif not force and is_current(path, out_dir, html, since):
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

    if extractor is not None:
        for path in todo:
            record(path, process_file(path, extractor, out_dir, html))
    elif executor is not None and todo:
        executor(todo, record)
    elif todo:
        if make_extractor is None:
            raise ValueError("run_batch needs an extractor or make_extractor")
        _Workers(out_dir, html, make_extractor, record).run(todo, workers)
    _add_batch_findings(result, out_dir, bodies)
    _write_errors(result, out_dir)
    return result


def _write_errors(result: BatchResult, out_dir: Path) -> None:
    """``errors.jsonl`` for this run (removed when nothing failed); when it cannot be written the reason is
    kept in ``result`` and the failures stay in memory for the caller to print."""
    errors = out_dir / ERRORS_FILE
    try:
        if result.failed:
            write_atomic(
                errors, "".join(json.dumps(f.__dict__, ensure_ascii=False) + "\n" for f in result.failed)
            )
        else:
            errors.unlink(missing_ok=True)
    except OSError as exc:
        result.errors_file_problem = f"cannot write {errors}: {exc.strerror or exc}"


def _build_extractor(tagger: str, model_dir: str | None) -> Extractor:
    from govreport.inference.taggers import get_tagger

    return Extractor(get_tagger(tagger, model_dir=model_dir))


def extractor_factory(tagger: str, model_dir: str | Path | None = None) -> Callable[[], Extractor]:
    """A picklable recipe for the extractor, so each worker process builds its own once."""
    return partial(_build_extractor, tagger, str(model_dir) if model_dir else None)


def prepare_worker(limits: dict[str, Any]) -> None:
    """Set up a process that extracts for a batch, before it loads the tagger: one thread per library (the
    workers are the parallelism) and the limits of the process that started the batch."""
    for var in ("GOVREPORT_OCR_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # read when libraries load
        os.environ[var] = "1"
    install_limits(limits)


def _worker_main(
    conn: Connection,
    make_extractor: Callable[[], Extractor],
    limits: dict[str, Any],
    out_dir: Path,
    html: bool,
) -> None:
    """A worker process: builds the extractor once, says it is ready, then extracts one file per message
    until told to stop (None) or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    prepare_worker(limits)
    extractor, error = None, None
    try:
        extractor = make_extractor()
    except Exception as exc:  # reported per file instead of failing the whole batch at every start
        error = traceback.format_exception_only(exc)[-1].strip()
    conn.send("ready")
    while True:
        try:
            path = conn.recv()
        except EOFError:
            return
        if path is None:
            return
        if extractor is None:
            conn.send(Failure(str(path), "load-tagger", error or "the tagger could not be built"))
        else:
            conn.send(process_file(path, extractor, out_dir, html))


@dataclass
class _Slot:
    """One worker process and the file it holds (None while idle or starting)."""

    process: BaseProcess
    conn: Connection
    ready: bool = False
    path: Path | None = None
    started: float = 0.0


def abandoned(path: Path, budget: float) -> Failure:
    """The failure of a file that outlived the time budget of one file."""
    return Failure(str(path), "time", f"abandoned after {budget:g} s (limits.max_seconds_per_file)")


_DIED = "the worker process died while on this file alone (out of memory or a crash in native code)"


class _Workers:
    """Worker processes fed one file at a time, watched for deaths and for the per-file time budget."""

    def __init__(
        self,
        out_dir: Path,
        html: bool,
        make_extractor: Callable[[], Extractor],
        record: Callable[[Path, Extraction | Failure], None],
    ) -> None:
        self.args = (make_extractor, current_limits(), out_dir, html)
        self.record = record
        self.context = get_context("spawn")

    def run(self, todo: list[Path], workers: int) -> None:
        """Every file of ``todo`` recorded once. Files whose worker died are suspects: each is then run
        alone, and only one that kills a worker on its own is blamed."""
        suspects = self._pool(todo, workers, alone=False)
        for path in suspects:
            self._pool([path], 1, alone=True)

    def _start(self) -> _Slot:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_worker_main, args=(child, *self.args), daemon=True)
        process.start()
        child.close()
        return _Slot(process, parent)

    def _pool(self, files: list[Path], workers: int, alone: bool) -> list[Path]:
        """Run ``files`` on up to ``workers`` processes; returns the files whose worker died under them
        (recorded as failed at once when ``alone``)."""
        queue, suspects = deque(files), []
        budget = float(limit("max_seconds_per_file"))
        slots = [self._start() for _ in range(min(workers, len(files)))]
        try:
            while queue or any(s.path is not None for s in slots):
                for slot in slots:
                    if slot.ready and slot.path is None and queue:
                        slot.path, slot.started = queue.popleft(), time.monotonic()
                        slot.conn.send(slot.path)
                deadlines = [s.started + budget for s in slots if s.path is not None]
                timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
                wait([x for s in slots for x in (s.conn, s.process.sentinel)], timeout)
                for slot in list(slots):
                    if self._step(slot, budget, alone, suspects):
                        continue
                    _stop(slot)
                    slots.remove(slot)
                    if not slot.ready:  # it died loading the tagger: every start would
                        self._fail_all(queue, "the worker process died while loading the tagger")
                    elif queue or not slots:
                        slots.append(self._start())
        finally:
            for slot in slots:
                _stop(slot)
        return suspects

    def _step(self, slot: _Slot, budget: float, alone: bool, suspects: list[Path]) -> bool:
        """Take the slot's news: its messages, its death, its time running out. False when it must go."""
        try:
            while slot.conn.poll():
                message = slot.conn.recv()
                if message == "ready":
                    slot.ready = True
                elif slot.path is not None:
                    self.record(slot.path, message)
                    slot.path = None
            alive = slot.process.is_alive()
        except (EOFError, OSError):  # the pipe broke: the process is gone or going
            alive = False
        if alive and slot.path is not None and time.monotonic() - slot.started > budget:
            self.record(slot.path, abandoned(slot.path, budget))
            slot.path = None
            return False
        if not alive and slot.path is not None:
            if alone:
                self.record(slot.path, Failure(str(slot.path), "worker", _DIED))
            else:
                suspects.append(slot.path)
            slot.path = None
        return alive

    def _fail_all(self, queue: deque[Path], reason: str) -> None:
        while queue:
            path = queue.popleft()
            self.record(path, Failure(str(path), "load-tagger", reason))


def _stop(slot: _Slot) -> None:
    """End a worker: asked politely when idle, killed when it holds a file or does not answer."""
    if slot.process.is_alive() and slot.path is None:
        with contextlib.suppress(OSError):  # it died meanwhile
            slot.conn.send(None)
        slot.process.join(timeout=5)
    if slot.process.is_alive():
        slot.process.kill()
        slot.process.join()
    slot.conn.close()


def _add_batch_findings(result: BatchResult, out_dir: Path, bodies: Bodies | None) -> None:
    """Checks across this run's reports and those kept from earlier runs (a body's years; parents and their
    children, given ``bodies``: inference/checks_across.py); outputs whose findings change are rewritten."""
    reports = list(result.done)
    for path in result.skipped:
        try:
            kept = Extraction.model_validate_json(output_path(out_dir, path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        reports.append((path, kept))
    path_of = {id(e): path for path, e in reports}
    for extraction in refresh([e for _, e in reports], bodies):
        path = path_of[id(extraction)]
        target = output_path(out_dir, path)
        try:
            write_atomic(target, extraction.model_dump_json(indent=2))
        except OSError as exc:  # the output without these findings stays; the file is reported
            result.done[:] = [d for d in result.done if d[1] is not extraction]
            result.failed.append(Failure(str(path), "write", f"cannot write {target}: {exc.strerror or exc}"))
