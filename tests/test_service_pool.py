"""The service's worker pool against files that misbehave the way native code and the OOM killer do (the
hostile tagger of the batch tests): a file that kills its worker is tried once more on a fresh one and only
then blamed, an innocent file whose worker died gets its answer, a file past the time limit is abandoned,
a client that goes away leaves no answer behind for the next request, a full queue says Busy, and every
job folder is removed."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import pytest

from govreport.serve.pool import Busy, Job, WorkerPool
from tests.conftest import SEEDS
from tests.test_hostile_inputs import hostile_extractor

SEED = (SEEDS / "001_0126e23b7202ee31.txt").read_text("utf-8")


def _pool(root: Path, time_limit: float = 30, queue: int = 4) -> WorkerPool:
    return WorkerPool(1, queue, time_limit, {"rules": partial(hostile_extractor)}, "rules", root)


def _job(pool: WorkerPool, name: str, text: str) -> Job:
    pool.admit()
    job = Job(pool.folder(), name, "rules")
    (job.folder / "in" / name).write_text(text, encoding="utf-8")
    return job


def test_crashes_time_and_innocent_files(tmp_path):
    async def scenario() -> None:
        pool = _pool(tmp_path / "jobs", time_limit=2)
        await pool.start()
        try:
            crash = await pool.run(_job(pool, "crash.txt", SEED + "\nCRASH\n"))
            assert (crash.stage, crash.json) == ("worker", None) and "twice" in crash.reason
            marker = tmp_path / "died-once"
            innocent = await pool.run(_job(pool, "innocent.txt", f"{SEED}\nONCE:{marker}\n"))
            assert marker.exists() and innocent.json and '"source": "innocent.txt"' in innocent.json
            slow = await pool.run(_job(pool, "slow.txt", SEED + "\nSLEEP\n"))
            assert slow.stage == "time" and "abandoned after 2 s" in slow.reason
            good = await pool.run(_job(pool, "good.txt", SEED))
            assert good.json and '"source": "good.txt"' in good.json
        finally:
            pool.close()
        assert pool.admitted == 0 and list((tmp_path / "jobs").iterdir()) == []

    asyncio.run(scenario())


def test_a_client_that_goes_away_leaves_no_answer_behind(tmp_path):
    async def scenario() -> None:
        pool = _pool(tmp_path / "jobs")
        await pool.start()
        try:
            gone = asyncio.ensure_future(pool.run(_job(pool, "gone.txt", SEED)))
            await asyncio.sleep(0.05)
            gone.cancel()
            answers = await asyncio.gather(*(pool.run(_job(pool, f"next{i}.txt", SEED)) for i in range(3)))
            assert [a.json.split('"source": ')[1].split(",")[0] for a in answers] == [
                '"next0.txt"',
                '"next1.txt"',
                '"next2.txt"',
            ]
            while pool.tasks:
                await asyncio.sleep(0.05)
        finally:
            pool.close()
        assert pool.admitted == 0 and list((tmp_path / "jobs").iterdir()) == []

    asyncio.run(scenario())


def test_full_queue_is_busy_with_a_retry_time(tmp_path):
    pool = _pool(tmp_path / "jobs", queue=1)
    pool.admit()
    pool.admit()
    with pytest.raises(Busy) as busy:
        pool.admit()
    assert busy.value.retry_after >= 1 and "queue is full" in busy.value.reason
    pool.release(2)
    pool.admit(10)  # a batch larger than the whole queue is taken when nothing else is
    with pytest.raises(Busy):
        pool.admit()
