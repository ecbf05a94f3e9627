"""Run a throw-away local Label Studio server (tests, demos): its own venv, port, data dir and user.

Label Studio pins Django, pyarrow and more that clash with ours, so it lives in ``.venv-ls/``
(``annotations/install_labelstudio.sh``) and runs as a subprocess. A first start migrates the
database (~25 s of CPU); the migrated database is cached beside that venv, with the user and
token it was made with, so later starts copy it and come up in seconds.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
LS_VENV = Path(os.environ.get("GOVREPORT_LS_VENV", REPO / ".venv-ls"))
DB_NAME = "label_studio.sqlite3"


class LabelStudioMissing(RuntimeError):
    """The separate Label Studio venv is not installed."""


@dataclass(frozen=True)
class Credentials:
    """The server's single user; ``token`` is a legacy API token (``Authorization: Token …``)."""

    username: str
    password: str
    token: str = field(repr=False)

    @classmethod
    def fresh(cls) -> Credentials:
        return cls("annotator@localhost", secrets.token_urlsafe(12), secrets.token_hex(20))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def installed_version(venv: Path) -> str:
    """The Label Studio version in ``venv`` (keys the migrated-database cache)."""
    found = sorted(venv.glob("lib/python*/site-packages/label_studio-*.dist-info"))
    return found[-1].name.removeprefix("label_studio-").removesuffix(".dist-info") if found else "unknown"


def server_env(data_dir: Path, creds: Credentials, allow_local_ml: bool) -> dict[str, str]:
    """Environment for a private, quiet server: no signup, telemetry, Sentry or version check."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "DJANGO_"))}
    env.update(
        LABEL_STUDIO_BASE_DATA_DIR=str(data_dir),
        LABEL_STUDIO_USERNAME=creds.username,
        LABEL_STUDIO_PASSWORD=creds.password,
        LABEL_STUDIO_USER_TOKEN=creds.token,
        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
        LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true",
        SENTRY_DSN="",
        FRONTEND_SENTRY_DSN="",
        LABEL_STUDIO_COLLECT_ANALYTICS="false",
        LABEL_STUDIO_LATEST_VERSION_CHECK="false",
        # The ML backend of the tests listens on 127.0.0.1, which Label Studio blocks by default.
        LABEL_STUDIO_ML_BLOCK_LOCAL_IP="false" if allow_local_ml else "true",
        LABEL_STUDIO_SSRF_PROTECTION_ENABLED="false" if allow_local_ml else "true",
    )
    return env


class LabelStudioServer:
    """A Label Studio process on 127.0.0.1; use as a context manager (``with LabelStudioServer() as ls``)."""

    def __init__(
        self, allow_local_ml: bool = True, venv: Path = LS_VENV, startup_timeout: float = 180.0
    ) -> None:
        self.venv = venv
        self.exe = venv / "bin" / "label-studio"
        if not self.exe.is_file():
            raise LabelStudioMissing(
                f"{self.exe}: Label Studio is not installed; run annotations/install_labelstudio.sh"
            )
        self.allow_local_ml = allow_local_ml
        self.startup_timeout = startup_timeout
        self.cache = venv / f"govreport-migrated-{installed_version(venv)}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._tmp = Path(tempfile.mkdtemp(prefix="govreport-ls-"))
        self.data_dir = self._tmp / "data"
        self.log_path = self._tmp / "server.log"
        self.creds = Credentials.fresh()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def token(self) -> str:
        return self.creds.token

    def _restore_cache(self) -> bool:
        """Copy the cached migrated database in; its user and token become this server's."""
        db, meta = self.cache / DB_NAME, self.cache / "credentials.json"
        if not (db.is_file() and meta.is_file()):
            return False
        self.creds = Credentials(**json.loads(meta.read_text(encoding="utf-8")))
        shutil.copy2(db, self.data_dir / DB_NAME)
        return True

    def _save_cache(self) -> None:
        """Snapshot the freshly migrated database (sqlite online backup) for the next start."""
        self.cache.mkdir(parents=True, exist_ok=True)
        part = self.cache / f"{DB_NAME}.part"
        src = sqlite3.connect(self.data_dir / DB_NAME)
        dst = sqlite3.connect(part)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        meta = self.cache / "credentials.json"
        meta.write_text(json.dumps(self.creds.__dict__), encoding="utf-8")
        meta.chmod(0o600)
        part.replace(self.cache / DB_NAME)

    def start(self) -> LabelStudioServer:
        self.data_dir.mkdir(parents=True)
        cached = self._restore_cache()
        cmd = [
            str(self.exe),
            "start",
            "--no-browser",
            "--internal-host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                cmd,
                env=server_env(self.data_dir, self.creds, self.allow_local_ml),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wait_ready()
        if not cached:
            self._save_cache()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"Label Studio exited with {self._proc.returncode}; log: {self.log_path}")
            try:
                r = httpx.get(
                    f"{self.url}/api/projects", headers={"Authorization": f"Token {self.token}"}, timeout=2
                )
                if r.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"Label Studio did not answer on {self.url} within {self.startup_timeout:.0f} s")

    def log_tail(self, n: int = 40) -> str:
        lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> LabelStudioServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
