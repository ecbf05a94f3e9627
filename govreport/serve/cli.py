"""``govreport serve``: start the extraction service (imports FastAPI and uvicorn only when run)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer

from govreport.configs import load


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def serve(
    host: Annotated[
        str | None, typer.Option(help="Bind address (default 127.0.0.1); any other needs --token.")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Extraction processes, each loading the tagger once (default: the cores)."),
    ] = None,
    queue: Annotated[
        int | None,
        typer.Option(min=0, help="Requests that may wait beyond the workers; then 503 (default 8 a worker)."),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(min=0.1, help="Seconds one file may take before it is abandoned (default 300)."),
    ] = None,
    max_upload_mb: Annotated[
        float | None,
        typer.Option(min=0.001, help="Largest request body in MB; larger gets 413 (default 64)."),
    ] = None,
    tagger: Annotated[
        str | None, typer.Option(help="Default tagger: model or rules (a request may choose).")
    ] = None,
    model_dir: Annotated[
        Path | None, typer.Option(help="Model checkpoint folder (default: the bundled one).")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="GOVREPORT_API_TOKEN",
            show_envvar=True,
            show_default=False,
            help="Bearer token required on /v1/… (prefer the environment variable: a command line is visible "
            "to other users).",
        ),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(help="Allow browser pages of this origin to call the API (repeatable)."),
    ] = None,
) -> None:
    """Serve extraction over HTTP: POST /v1/extract, /v1/extract/batch, the review page at /, docs at /docs."""
    cfg = load("serve")
    host = host or cfg["host"]
    if not _loopback(host) and not token:
        typer.echo(
            f"refusing to listen on {host} without a token: set GOVREPORT_API_TOKEN (or --token); clients then "
            "send Authorization: Bearer <token>",
            err=True,
        )
        raise typer.Exit(2)
    chosen = tagger or cfg["tagger"]
    if chosen not in ("model", "rules"):
        raise typer.BadParameter("choose model or rules", param_hint="--tagger")
    import uvicorn

    from govreport.serve.app import Settings, create_app

    size = workers or _cores()
    settings = Settings(
        workers=size,
        queue=queue if queue is not None else cfg["queue_per_worker"] * size,
        time_limit=time_limit or float(cfg["time_limit_seconds"]),
        max_upload_bytes=int(max_upload_mb * 1e6) if max_upload_mb else int(cfg["max_upload_bytes"]),
        max_batch_files=int(cfg["max_batch_files"]),
        tagger=chosen,  # type: ignore[arg-type]
        model_dir=str(model_dir) if model_dir else None,
        token=token or None,
        cors_origins=cors_origin or [],
    )
    typer.echo(
        f"govreport serve: http://{host}:{port or cfg['port']}/ ({size} workers, queue {settings.queue}, "
        f"{'token required on /v1/' if settings.token else 'no token'})",
        err=True,
    )
    uvicorn.run(create_app(settings), host=host, port=port or int(cfg["port"]), log_level="info")


def register(app: typer.Typer) -> None:
    """Add ``govreport serve`` to ``app``."""
    app.command()(serve)
