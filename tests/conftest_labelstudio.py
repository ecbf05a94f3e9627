"""Fixtures for the annotation tests: a real Label Studio server per test session, and a helper that
serves an ASGI app (the ML backend) on 127.0.0.1 in a thread. Loaded with ``pytest_plugins``."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from govreport.annotations.server import LabelStudioMissing, LabelStudioServer, free_port


@pytest.fixture(scope="session")
def label_studio() -> Iterator[LabelStudioServer]:
    """Label Studio from .venv-ls (``make test`` installs it); in CI a missing install fails the test."""
    try:
        server = LabelStudioServer(allow_local_ml=True)
    except LabelStudioMissing as err:
        if os.environ.get("CI"):
            pytest.fail(str(err))
        pytest.skip(str(err))
    with server:
        yield server


@pytest.fixture
def serve_asgi():  # type: ignore[no-untyped-def]
    """``serve_app`` as a fixture, so test modules need not import this plugin module."""
    return serve_app


@contextmanager
def serve_app(app: object) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free 127.0.0.1 port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
