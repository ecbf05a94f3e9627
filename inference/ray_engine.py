"""The batch on Ray Data (``govreport extract --engine ray``): the same run as the local engine, with files
read and tagged by a pool of Ray actors, on this machine or on a cluster.

``run_batch`` still plans the run (resume, signature, inputs that clash), adds cross-year warnings and
writes ``errors.jsonl``; ``RayExecutor`` only replaces the local worker processes. Each actor loads the
reader stack and the tagger once and runs ``process_file`` on every file of the batches it is handed, so
the JSON outputs are the local engine's byte for byte (OUT must be a folder every node sees). What the
local engine does for one bad file holds here too: a file never fails the job, a file that outlives
``limits.max_seconds_per_file`` is abandoned, and the files of a batch whose actor died are each run once
more alone, in a fresh worker process, so only a file that kills a process on its own is blamed.

``write_dataset`` then has Ray write one Parquet dataset of every report of the run (failures as error
rows) in parallel, with one fixed schema, to a folder or any URI Ray can write (``s3://…``).
"""

from __future__ import annotations

import math
import os
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govreport.inference.batch import Failure, Record, abandoned, prepare_worker, process_file
from govreport.inference.exports import STATUSES, _cell_order
from govreport.inference.readers.limits import current as current_limits
from govreport.inference.readers.limits import limit
from govreport.inference.schema import Extraction

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    from govreport.inference.pipeline import Extractor

DATASET_DIR = "results.parquet"  # the dataset's default place in OUT (a folder of Parquet files)
ROWS_PER_FILE = 1000  # rows per Parquet file of the dataset (and per Ray task writing it)
DIED = "the Ray worker died while on this file alone (out of memory or a crash in native code)"


def connect(address: str | None = None) -> None:
    """Join the Ray cluster at ``address`` (``auto``: the one ``ray start`` made on this machine), or start
    a local Ray instance; a Ray already started in this process (a test, a notebook) is used as it is.
    Ray shuts itself down when the process exits."""
    import ray

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, logging_level="WARNING")


class _ExtractActor:
    """A Ray actor of the pool: builds the extractor once, then extracts the files of each batch it gets.

    A file is run in a daemon thread so that one past the time budget can be abandoned: the actor returns
    what it has and exits at its next batch (the stuck thread would hold a CPU and the tagger), whose files
    are then run again alone like those of any batch lost with its actor; a daemon thread never keeps the
    process from exiting when Ray ends the pool."""

    def __init__(
        self,
        make_extractor: Callable[[], Extractor],
        limits: dict[str, Any],
        out_dir: str,
        html: bool,
        cwd: str,
    ) -> None:
        prepare_worker(limits)
        if Path(cwd).is_dir():  # relative inputs name the driver's files (same folder, or a shared mount)
            os.chdir(cwd)
        self.out_dir, self.html = Path(out_dir), html
        self.extractor: Extractor | None = None
        self.error = "the tagger could not be built"
        try:
            self.extractor = make_extractor()
        except Exception as exc:  # reported per file, as the local engine does
            self.error = traceback.format_exception_only(exc)[-1].strip()
        self.budget = float(limit("max_seconds_per_file"))
        self.stuck = False

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[str | None]]:
        if self.stuck:
            os._exit(1)  # an abandoned file still runs here: Ray replaces the actor; this batch is run alone
        rows: dict[str, list[str | None]] = {"path": [], "extraction": [], "stage": [], "reason": []}
        for name in map(str, batch["path"]):
            outcome = self.extract(name)
            failed = isinstance(outcome, Failure)
            rows["path"].append(name)
            rows["extraction"].append(None if failed else outcome.model_dump_json())
            rows["stage"].append(outcome.stage if failed else None)
            rows["reason"].append(outcome.reason if failed else None)
            if self.stuck:
                break  # the rest of the batch comes back as lost and is run again
        return rows

    def extract(self, name: str) -> Extraction | Failure:
        """One file, within the time budget (past it the actor is ``stuck``)."""
        if self.extractor is None:
            return Failure(name, "load-tagger", self.error)
        box: list[Extraction | Failure] = []
        args = (Path(name), self.extractor, self.out_dir, self.html)
        job = threading.Thread(target=lambda: box.append(process_file(*args)), daemon=True)
        job.start()
        job.join(self.budget)
        if not box:
            self.stuck = True
            return abandoned(Path(name), self.budget)
        return box[0]


def _extract_alone(name: str, *setup: Any) -> Extraction | Failure:
    """One file in a Ray worker process of its own (a task with ``max_calls=1``): a crash there takes
    nothing else along."""
    return _ExtractActor(*setup).extract(name)


@dataclass
class RayExecutor:
    """Extracts the files ``run_batch`` hands it on Ray (an ``Executor`` of inference/batch.py).

    ``actors``: the size of the pool (default: one per CPU of the cluster). ``batch_size``: files handed
    to an actor at a time (larger batches cost less per file; smaller ones balance better). ``gpu``: the
    tagger may run on CUDA, so each actor asks for a share of the cluster's GPUs (one at most) when it
    has any."""

    make_extractor: Callable[[], Extractor]
    out_dir: Path
    html: bool = False
    actors: int | None = None
    batch_size: int = 4
    gpu: bool = False

    def __call__(self, todo: list[Path], record: Record) -> None:
        import ray

        cluster = ray.cluster_resources()
        batches = math.ceil(len(todo) / self.batch_size)
        actors = min(self.actors or max(1, int(cluster.get("CPU", 1))), batches)  # no actor without a batch
        gpus = cluster.get("GPU", 0)
        resources = {"num_cpus": 1, "num_gpus": min(1.0, gpus / actors) if self.gpu and gpus else 0}
        setup = (self.make_extractor, current_limits(), str(self.out_dir), self.html, os.getcwd())
        lost = self._pool(todo, record, actors, resources, setup)
        self._alone(lost, record, actors, setup)

    def _pool(
        self, files: list[Path], record: Record, actors: int, resources: dict[str, float], setup: tuple
    ) -> list[Path]:
        """The Ray Data pipeline: ``files`` in batches on a pool of actors, each file recorded as it comes
        back; returns the files of batches lost with their actor (Ray replaces the actor)."""
        import gc

        import ray.data

        context = ray.data.DataContext.get_current()
        saved = context.max_errored_blocks
        context.max_errored_blocks = -1  # a batch lost with its actor is run again alone, not a failed job
        by_name = {str(p): p for p in files}
        try:
            dataset = ray.data.from_items(
                [{"path": name} for name in by_name], override_num_blocks=math.ceil(len(files) / self.batch_size)
            ).map_batches(
                _ExtractActor,
                fn_constructor_args=setup,
                batch_size=self.batch_size,
                compute=ray.data.ActorPoolStrategy(size=actors),
                max_task_retries=0,  # not retried blindly: the batch could kill the next actor too
                **resources,
            )
            for row in dataset.iter_rows():
                path = by_name.pop(row["path"])
                if row["extraction"] is None:
                    record(path, Failure(row["path"], row["stage"], row["reason"]))
                else:
                    record(path, Extraction.model_validate_json(row["extraction"]))
        finally:
            context.max_errored_blocks = saved
            dataset = None
            gc.collect()  # the pool's actors (and CPUs) are freed once their handles, held in cycles, are collected
        return list(by_name.values())

    def _alone(self, files: list[Path], record: Record, window: int, setup: tuple) -> None:
        """Each file of a lost batch again, alone in a fresh worker process (``window`` at a time): only a
        file whose process dies again is blamed.

        The tasks reserve no CPU or GPU (``window`` bounds them instead; with the model tagger they tag on
        the CPU): the pool's idle actors keep theirs until their handles are collected, which something
        holding a reference to them can put off for good (under pytest's log capture, a lost batch's
        traceback did)."""
        if not files:
            return
        import ray

        task = ray.remote(max_retries=0, max_calls=1, num_cpus=0)(_extract_alone)
        queue, pending = deque(files), {}
        while queue or pending:
            while queue and len(pending) < window:
                path = queue.popleft()
                pending[task.remote(str(path), *setup)] = path
            (done,), _ = ray.wait(list(pending), num_returns=1)
            path = pending.pop(done)
            try:
                outcome = ray.get(done)
            except ray.exceptions.RayError:
                outcome = Failure(str(path), "worker", DIED)
            record(path, outcome)


@cache
def dataset_schema() -> pa.Schema:
    """The dataset's columns, the same for every file Ray writes: the report, its counts, the error of a
    failed file, then ``<key>`` (value, float64: exact for every whole count up to 2**53) and
    ``<key>:status`` for every cell key of both templates, and the extraction JSON itself (every figure
    exactly as printed, sections, spans and confidences)."""
    import pyarrow as pa

    return pa.schema(
        [
            ("source", pa.string()),
            ("output", pa.string()),
            ("format", pa.string()),
            ("year", pa.int64()),
            ("title", pa.string()),
            *((f"cells_{s}", pa.int64()) for s in STATUSES),
            ("violations", pa.list_(pa.string())),
            ("warnings", pa.list_(pa.string())),
            ("error_stage", pa.string()),
            ("error_reason", pa.string()),
            *(c for k in _cell_order() for c in ((k, pa.float64()), (f"{k}:status", pa.string()))),
            ("extraction", pa.string()),
        ]
    )


def _value(value: float | None) -> float | None:
    """A figure as float64, or null when float64 cannot hold it (past 1e308: it stays in the JSON)."""
    try:
        return None if value is None else float(value)
    except OverflowError:
        return None


def _dataset_rows(batch: dict[str, np.ndarray]) -> pa.Table:
    """Rows of the dataset: a report's row from its JSON output, an error row from a failure."""
    import pyarrow as pa

    schema = dataset_schema()
    rows = []
    for output, source, stage, reason in zip(
        batch["output"], batch["source"], batch["stage"], batch["reason"], strict=True
    ):
        if stage is not None:
            rows.append({"source": source, "error_stage": stage, "error_reason": reason})
            continue
        text = Path(output).read_text(encoding="utf-8")
        e = Extraction.model_validate_json(text)
        status = [c.status for c in e.cells.values()]
        row: dict[str, object] = {
            "source": e.source,
            "output": output,
            "format": e.format,
            "year": e.year,
            "title": e.title,
            **{f"cells_{s}": status.count(s) for s in STATUSES},
            "violations": [v.rule for v in e.violations],
            "warnings": e.warnings,
            "extraction": text,
        }
        for key, cell in e.cells.items():
            if key in schema.names:  # a key outside both templates is only in the JSON
                row[key], row[f"{key}:status"] = _value(cell.value), cell.status
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=schema)


def write_dataset(outputs: list[Path], failed: list[Failure], target: str) -> int:
    """Have Ray write the run's Parquet dataset to ``target`` (a folder or a URI), replacing what a
    previous run left there: one row per report from its JSON output (``outputs``: those of this run and
    those kept from earlier runs) and one error row per failure. Returns the number of rows."""
    import ray.data

    items = [{"output": os.path.abspath(p), "source": None, "stage": None, "reason": None} for p in outputs]
    items += [{"output": None, "source": f.file, "stage": f.stage, "reason": f.reason} for f in failed]
    if not items:
        return 0
    ray.data.from_items(items, override_num_blocks=math.ceil(len(items) / ROWS_PER_FILE)).map_batches(
        _dataset_rows, batch_size=None
    ).write_parquet(target, mode=ray.data.SaveMode.OVERWRITE)
    return len(items)
