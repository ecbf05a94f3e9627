"""Load test of ``govreport serve`` on loopback: a bounded number of requests at a fixed concurrency, mixing
text reports (the five seeds), real PDFs (``../shared/dev/pdf``) and bad files.

Checks: no 5xx; every good report's cells equal its gold; every bad file gets a 4xx with a reason. Measures:
latency p50/p95 (all, and per kind), requests/s, and the server's resident memory (the HTTP process plus its
workers) sampled through the run, so growth from the first requests to the last shows.

Bounded: ``--requests`` (default 300) at ``--concurrency`` (default 8), each request ≤ 60 s, the whole run
≤ ``--max-seconds`` (default 600). The server listens on 127.0.0.1 only.
Run: .venv/bin/python benchmarks/service_load.py [--workers N] → benchmarks/results/service_load.{json,md}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.service_server import Server  # noqa: E402  (the tests' way to start a real server)

SHARED = ROOT.parent / "shared"
RESULTS = ROOT / "benchmarks" / "results"
BAD = {  # name → bytes, each refused with a 4xx
    "empty.txt": b"",
    "old.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
    "photo.png": "一、总体情况".encode(),
    "broken.pdf": b"%PDF-1.4\nnot a PDF\n%%EOF",
    "noise.txt": bytes(range(256)) * 64,
}


def _inputs() -> list[tuple[str, str, bytes, dict | None]]:
    """(kind, name, bytes, gold cell values or None) for every distinct input."""
    out = []
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        out.append(("text", path.name, path.read_bytes(), _gold(path.stem)))
    for path in sorted((SHARED / "dev" / "pdf").glob("*.pdf")):
        out.append(("pdf", path.name, path.read_bytes(), _gold(path.stem)))
    out += [("bad", name, data, None) for name, data in BAD.items()]
    return out


def _gold(stem: str) -> dict:
    return json.loads((SHARED / "dev" / "gold" / f"{stem}.json").read_text("utf-8"))["cells"]


def _rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (the workers), in kB."""
    pids = [pid] + [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == pid]
    total = 0
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


def _ppid(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


async def _load(url: str, plan: list, concurrency: int, deadline: float, progress: list[int]) -> list[dict]:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60) as client:

        async def one(kind: str, name: str, data: bytes, gold: dict | None) -> dict:
            async with limit:
                if time.monotonic() > deadline:
                    return {"kind": kind, "status": None, "seconds": None, "right": None}
                started = time.monotonic()
                response = await client.post(f"{url}/v1/extract", files={"file": (name, data)})
                seconds = time.monotonic() - started
                progress[0] += 1
                body = response.json()
                if gold is None:
                    right = 400 <= response.status_code < 500 and bool(body.get("detail"))
                else:
                    right = (
                        response.status_code == 200
                        and {k: c["value"] for k, c in body["cells"].items()} == gold
                    )
                return {
                    "kind": kind,
                    "name": name,
                    "status": response.status_code,
                    "seconds": seconds,
                    "right": right,
                }

        return await asyncio.gather(*(one(*item) for item in plan))


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": round(cut[49], 3), "p95": round(cut[94], 3), "max": round(ordered[-1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()
    inputs = _inputs()
    mix = (
        [i for i in inputs if i[0] == "text"] * 2
        + [i for i in inputs if i[0] == "pdf"] * 2
        + [i for i in inputs if i[0] == "bad"]
    )  # per 21 requests: 10 text, 6 PDF, 5 bad
    plan = random.Random(20261130).choices(mix, k=args.requests)
    load_before = os.getloadavg()
    with Server("--workers", str(args.workers)) as server:
        pid = server.proc.pid
        samples: list[tuple[int, int]] = []  # (requests done, rss kB)
        progress, stop = [0], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append((progress[0], _rss_kb(pid)))
                stop.wait(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        results = asyncio.run(_load(server.url, plan, args.concurrency, started + args.max_seconds, progress))
        wall = time.monotonic() - started
        stop.set()
        sampler.join()
        load_after = os.getloadavg()
    server.discard()
    done = [r for r in results if r["status"] is not None]
    server_errors = [r for r in done if r["status"] >= 500]
    wrong = [r for r in done if not r["right"]]
    deciles = [  # peak RSS while each tenth of the requests was answered: flat after warm-up, or growing?
        round(
            max((kb for n, kb in samples if len(done) * d / 10 <= n <= len(done) * (d + 1) / 10), default=0)
            / 1024,
            1,
        )
        for d in range(10)
    ]
    report = {
        "requests": len(done),
        "planned": args.requests,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "wall_seconds": round(wall, 2),
        "requests_per_second": round(len(done) / wall, 2),
        "latency_seconds": _percentiles([r["seconds"] for r in done]),
        "latency_by_kind": {
            kind: {
                "count": sum(r["kind"] == kind for r in done),
                **_percentiles([r["seconds"] for r in done if r["kind"] == kind]),
            }
            for kind in ("text", "pdf", "bad")
        },
        "status_counts": {
            str(s): sum(r["status"] == s for r in done) for s in sorted({r["status"] for r in done})
        },
        "server_errors": len(server_errors),
        "wrong_answers": [f"{r['name']}: {r['status']}" for r in wrong],
        "rss_mb": {
            "peak": round(max(kb for _, kb in samples) / 1024, 1),
            "peak_by_tenth_of_requests": deciles,
        },
        "machine": {
            "cores": len(os.sched_getaffinity(0)),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after],
            "python": platform.python_version(),
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "service_load.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8"
    )
    (RESULTS / "service_load.md").write_text(_markdown(report), "utf-8")
    print(_markdown(report))
    if server_errors or wrong or len(done) < args.requests:
        raise SystemExit(
            f"{len(server_errors)} server errors, {len(wrong)} wrong answers, {len(done)}/{args.requests} done"
        )


def _markdown(r: dict) -> str:
    lat, rss, machine = r["latency_seconds"], r["rss_mb"], r["machine"]
    rows = "\n".join(
        f"| {kind} | {v['count']} | {v['p50']} | {v['p95']} | {v['max']} |"
        for kind, v in r["latency_by_kind"].items()
    )
    return f"""# govreport serve under load

`benchmarks/service_load.py`: {r["requests"]} requests (of {r["planned"]} planned) to `POST /v1/extract` at
concurrency {r["concurrency"]}, server `--workers {r["workers"]}` (model tagger), on 127.0.0.1. Machine: {machine["cores"]}
cores shared with other work, load average {machine["load_before"][0]} before and {machine["load_after"][0]} after.

* {r["requests_per_second"]} requests/s ({r["wall_seconds"]} s in all); latency p50 {lat["p50"]} s, p95 {lat["p95"]} s, max {lat["max"]} s
* status codes: {", ".join(f"{k}: {v}" for k, v in r["status_counts"].items())}; 5xx: {r["server_errors"]}; wrong answers: {len(r["wrong_answers"])}
  (every good report's cells equal its gold; every bad file a 4xx with a reason)
* server resident memory (HTTP process + workers): peak {rss["peak"]} MB; peak while each tenth of the
  requests was answered: {", ".join(map(str, rss["peak_by_tenth_of_requests"]))} MB

| kind | requests | p50 s | p95 s | max s |
|---|---:|---:|---:|---:|
{rows}
"""


if __name__ == "__main__":
    main()
