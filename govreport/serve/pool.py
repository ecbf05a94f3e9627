"""The service's extraction workers: processes that each load the tagger once and extract one file at a time,
fed from the event loop without blocking it.

A file is extracted exactly as ``govreport extract`` does it (``batch.process_file``: the same readers and
limits, the same per-file failures with stage and reason, the same JSON and review page), in its own folder
that the pool removes afterwards. What a batch does to a file that takes too long or kills its process is
done here per request: past the time limit the worker is killed and replaced and the request gets a clear
error; a worker that dies under a file is replaced and the file tried once more on a fresh one before the
file is blamed. Requests beyond the workers wait in a bounded queue; beyond that ``Busy`` (503).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
import shutil
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from govreport.inference.batch import HTML_SUFFIX, Failure, output_path, prepare_worker, process_file
from govreport.inference.pipeline import Extractor
from govreport.inference.readers.limits import current as current_limits

STARTUP_SECONDS = 300.0  # a worker loading the tagger on a loaded machine
_DIED = "the worker process died while on this file, twice (out of memory or a crash in native code)"


class Busy(Exception):
    """Every worker is busy and the queue is full: try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int, reason: str) -> None:
        super().__init__(reason)
        self.retry_after, self.reason = retry_after, reason


class Broken(Exception):
    """A worker cannot build its tagger (a server problem, not the file's)."""


@dataclass(frozen=True)
class Job:
    """One file to extract: ``folder/in/name`` (written by the caller), with this tagger; ``review`` also
    renders the review page."""

    folder: Path
    name: str
    tagger: str
    review: bool = False


@dataclass(frozen=True)
class Outcome:
    """The extraction JSON (as ``extract`` writes it) and review page, or the failure's stage and reason."""

    json: str | None = None
    html: str | None = None
    stage: str | None = None
    reason: str | None = None


def _worker_main(
    conn: Connection, recipes: dict[str, Callable[[], Extractor]], default: str, limits: dict
) -> None:
    """A worker: builds the default tagger once, says so, then extracts one job per message until told to
    stop (None) or the service goes away. Other taggers are built on first use."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the service's: it stops the workers
    prepare_worker(limits)  # one thread per library, the service's limits: as a batch worker
    extractors: dict[str, Extractor] = {}
    try:
        extractors[default] = recipes[default]()
    except Exception as exc:
        conn.send(("broken", traceback.format_exception_only(exc)[-1].strip()))
        return
    conn.send(("ready",))
    home = Path.cwd()
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            extractor = extractors.get(job.tagger) or extractors.setdefault(job.tagger, recipes[job.tagger]())
        except Exception as exc:
            conn.send(Outcome(stage="load-tagger", reason=traceback.format_exception_only(exc)[-1].strip()))
            continue
        os.chdir(job.folder / "in")  # the source in the output is the name the client gave, as in `extract`
        try:
            conn.send(_extract(job, extractor))
        finally:
            os.chdir(home)


def _extract(job: Job, extractor: Extractor) -> Outcome:
    path, out = Path(job.name), Path("../out")
    outcome = process_file(path, extractor, out, html=job.review)
    if isinstance(outcome, Failure):
        return Outcome(stage=outcome.stage, reason=outcome.reason)
    page = output_path(out, path, HTML_SUFFIX).read_text(encoding="utf-8") if job.review else None
    return Outcome(json=output_path(out, path).read_text(encoding="utf-8"), html=page)


@dataclass
class _Slot:
    process: BaseProcess
    conn: Connection
    ready: bool = False


async def _readable(slot: _Slot, timeout: float | None) -> bool:
    """Wait (without blocking the loop) until the worker says something or dies; False on timeout."""
    loop = asyncio.get_running_loop()
    woken: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not woken.done():
            woken.set_result(None)

    fds = (slot.conn.fileno(), slot.process.sentinel)
    for fd in fds:
        loop.add_reader(fd, wake)
    try:
        await asyncio.wait_for(woken, timeout)
        return True
    except TimeoutError:
        return False
    finally:
        for fd in fds:
            loop.remove_reader(fd)


def _message(slot: _Slot) -> Any | None:
    """The worker's message, or None when it has died."""
    try:
        return slot.conn.recv() if slot.conn.poll() else None
    except (EOFError, OSError):
        return None


class WorkerPool:
    """``size`` worker processes and a queue of ``queue`` waiting jobs, each job limited to ``time_limit``
    seconds of extraction. Jobs' folders live under ``root``; each is removed when its job ends."""

    def __init__(
        self,
        size: int,
        queue: int,
        time_limit: float,
        recipes: dict[str, Callable[[], Extractor]],
        default: str,
        root: Path,
    ) -> None:
        self.size, self.capacity, self.time_limit = size, size + queue, time_limit
        self.recipes, self.default, self.root = recipes, default, root
        self.context = get_context("spawn")
        self.slots: list[_Slot] = []
        self.idle: asyncio.Queue[_Slot] = asyncio.Queue()
        self.admitted = 0  # jobs accepted and not finished (running or queued)
        self.seconds = 1.0  # running mean of a job's duration, for Retry-After
        self.tasks: set[asyncio.Task[Outcome]] = set()
        self.ids = itertools.count()

    def _spawn(self) -> tuple[BaseProcess, Connection]:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, args=(child, self.recipes, self.default, current_limits()), daemon=True
        )
        process.start()
        child.close()
        return process, parent

    async def start(self) -> None:
        """Start every worker and wait until each has its tagger (raises Broken when one cannot)."""
        self.slots = [_Slot(*self._spawn()) for _ in range(self.size)]
        await asyncio.gather(*(self._ready(s) for s in self.slots))
        for slot in self.slots:
            self.idle.put_nowait(slot)

    async def _ready(self, slot: _Slot) -> None:
        if slot.ready:
            return
        message = _message(slot) if await _readable(slot, STARTUP_SECONDS) else ("broken", "no answer")
        if not message or message[0] != "ready":
            reason = message[1] if message else "the worker process died while loading the tagger"
            raise Broken(f"a worker cannot load the tagger: {reason}")
        slot.ready = True

    def _replace(self, slot: _Slot) -> None:
        """Kill the slot's process (stuck or dead) and start a fresh one in its place."""
        _kill(slot)
        slot.process, slot.conn = self._spawn()
        slot.ready = False

    def folder(self) -> Path:
        """A new job folder (``in/`` for the upload); removed by the pool when the job ends."""
        folder = self.root / f"job-{next(self.ids)}"
        (folder / "in").mkdir(parents=True)
        return folder

    def admit(self, count: int = 1) -> None:
        """Reserve room for ``count`` jobs (one request's) or raise Busy. A batch larger than the whole queue
        is taken when nothing else is."""
        if self.admitted and self.admitted + count > self.capacity:
            waiting = self.admitted + count - self.size
            retry = max(1, math.ceil(waiting * self.seconds / self.size))
            raise Busy(retry, f"all {self.size} workers are busy and the queue is full; retry in {retry} s")
        self.admitted += count

    def release(self, count: int = 1) -> None:
        """Give back room reserved by ``admit`` that no job will use."""
        self.admitted -= count

    async def run(self, job: Job) -> Outcome:
        """Extract an admitted job. Runs to the end even when the caller stops waiting (a client that goes
        away), so no worker is left holding an answer nobody reads."""
        task = asyncio.ensure_future(self._run(job))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return await asyncio.shield(task)

    async def _run(self, job: Job) -> Outcome:
        try:
            slot = await self.idle.get()
            started = time.monotonic()
            try:
                return await self._on(slot, job)
            finally:
                self.seconds = 0.8 * self.seconds + 0.2 * (time.monotonic() - started)
                self.idle.put_nowait(slot)
        finally:
            self.admitted -= 1
            await asyncio.to_thread(shutil.rmtree, job.folder, True)

    async def _on(self, slot: _Slot, job: Job, retried: bool = False) -> Outcome:
        await self._ready(slot)
        try:
            slot.conn.send(job)
            answered = await _readable(slot, self.time_limit)
        except OSError:  # it died while idle
            answered = True
        if not answered:
            self._replace(slot)
            return Outcome(
                stage="time",
                reason=f"abandoned after {self.time_limit:g} s (the service's time limit per file, "
                "serve --time-limit); a scan of many pages takes longer: use govreport extract",
            )
        message = _message(slot)
        if message is not None:
            return message
        self._replace(slot)
        if retried:
            return Outcome(stage="worker", reason=_DIED)
        return await self._on(slot, job, retried=True)

    @property
    def busy(self) -> int:
        return self.size - self.idle.qsize()

    def close(self) -> None:
        """Stop every worker (asked politely when idle, killed otherwise)."""
        for slot in self.slots:
            with contextlib.suppress(OSError):
                slot.conn.send(None)
        deadline = time.monotonic() + 5
        for slot in self.slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            _kill(slot)


def _kill(slot: _Slot) -> None:
    if slot.process.is_alive():
        slot.process.kill()
    slot.process.join()
    slot.conn.close()
