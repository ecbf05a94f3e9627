"""A real ``govreport serve`` process on a free loopback port, for the service and browser tests: started as a
user starts it, talked to over HTTP, stopped with SIGINT (Ctrl-C); its temporary folders are checked empty."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from govreport.annotations.server import free_port

ROOT = Path(__file__).resolve().parents[1]


class Server:
    """``with Server("--workers", "1") as server: httpx.get(server.url + "/health")``."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, startup: float = 120.0) -> None:
        self.args, self.extra_env, self.startup = args, env or {}, startup
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = Path(tempfile.mkdtemp(prefix="govreport-serve-test-"))  # the server's TMPDIR
        self.log = self.tmp.parent / f"{self.tmp.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "TMPDIR": str(self.tmp), **self.extra_env}
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "govreport", "serve", "--port", str(self.port), *self.args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.startup
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"govreport serve exited {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"govreport serve did not answer in {self.startup:g} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace") if self.log.exists() else ""

    def leftovers(self) -> list[str]:
        """What the server left in its TMPDIR (after it stopped: nothing of its uploads and job folders). ONNX
        Runtime's session file (``.ses``, one per TMPDIR and reused, not per request) is not the service's."""
        return sorted(str(p.relative_to(self.tmp)) for p in self.tmp.rglob("*") if p.name != ".ses")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def discard(self) -> None:
        """Remove the server's TMPDIR and log (kept until the checks on them passed)."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.log.unlink(missing_ok=True)
