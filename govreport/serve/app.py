"""The HTTP service: FastAPI routes over the worker pool, the upload limit, the bearer token and the page.

Every answer about a file is the file's: an extraction (the JSON ``govreport extract`` writes) or a 4xx
with the stage and reason (415 for a kind of file no reader takes, 422 for everything else a file can do,
the time limit included); 5xx only for the service itself (503 with Retry-After when the queue is full or
no worker can load the tagger).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govreport.inference.batch import extractor_factory, run_signature
from govreport.inference.checks_across import refresh
from govreport.inference.reviewpage import page
from govreport.inference.schema import Extraction, json_schema
from govreport.serve.pool import Broken, Busy, Job, Outcome, WorkerPool

log = logging.getLogger("govreport.serve")
TaggerName = Literal["model", "rules"]
TaggerQuery = Annotated[TaggerName | None, Query(description="model or rules (default: the service's)")]


@dataclass
class Settings:
    """What ``govreport serve`` was started with (defaults in configs/serve.yaml)."""

    workers: int
    queue: int
    time_limit: float
    max_upload_bytes: int
    max_batch_files: int
    tagger: TaggerName = "model"
    model_dir: str | None = None
    token: str | None = field(default=None, repr=False)  # never printed, logged or echoed
    cors_origins: list[str] = field(default_factory=list)


class TextReport(BaseModel):
    """A report's text sent as JSON; ``source`` is echoed as the extraction's source."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)
    source: str = "text"


# --------------------------------------------------------------------------------------------- middleware


class UploadLimit:
    """ASGI middleware: a body over ``max_bytes`` gets 413 with the reason: at once when its declared length
    says so, else as soon as the bytes read pass the limit (nothing past it is read)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.reason = f"request body over {max_bytes:,} bytes (serve --max-upload-mb; configs/serve.yaml)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"detail": self.reason}, 413, headers={"Connection": "close"})(
                scope, receive, send
            )
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise HTTPException(413, self.reason)  # raised where the route reads: answered like any other
            return message

        await self.app(scope, counted, send)


class BearerToken:
    """ASGI middleware: ``/v1/…`` needs ``Authorization: Bearer <token>`` (compared in constant time). The
    page, ``/health`` and the API docs stay open: they hold no report."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/") and scope["method"] != "OPTIONS":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            scheme, _, credentials = given.partition(b" ")
            if not (scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self.token)):
                await JSONResponse(
                    {"detail": "this service needs the header Authorization: Bearer <token>"},
                    401,
                    headers={"WWW-Authenticate": "Bearer"},
                )(scope, receive, send)
                return
        await self.app(scope, receive, send)


# ------------------------------------------------------------------------------------------------ helpers


def safe_name(name: str | None) -> str:
    """A client's file name as a plain file name (no folders, no control characters, not hidden); its suffix
    is kept, since the readers use it."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip().lstrip(".")
    if len(base.encode()) > 200:  # file systems take 255 bytes
        stem, suffix = os.path.splitext(base)
        base = stem[:60] + suffix[:16]
    return base or "upload"


def _status(outcome: Outcome) -> int:
    if outcome.stage == "load-tagger":
        return 503
    return 415 if outcome.stage == "sniff" else 422


def _error(outcome: Outcome, name: str) -> dict[str, Any]:
    return {"detail": outcome.reason, "stage": outcome.stage, "file": name}


def _busy(exc: Busy) -> JSONResponse:
    return JSONResponse({"detail": exc.reason}, 503, headers={"Retry-After": str(exc.retry_after)})


_UPLOAD = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {"file": {"type": "string", "format": "binary"}},
            "required": ["file"],
        }
    }
}
_TEXT = {"application/json": {"schema": TextReport.model_json_schema()}}


# --------------------------------------------------------------------------------------------------- app


def create_app(settings: Settings) -> FastAPI:
    """The service. Its workers start with the app (lifespan) and stop with it; job folders live in one
    temporary folder that is removed at shutdown."""
    state: dict[str, Any] = {}
    recipes = {name: extractor_factory(name, settings.model_dir) for name in ("model", "rules")}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        root = Path(tempfile.mkdtemp(prefix="govreport-serve-"))
        pool = WorkerPool(
            settings.workers, settings.queue, settings.time_limit, recipes, settings.tagger, root
        )
        state["pool"] = pool
        try:
            await pool.start()
            log.info("%d workers ready (tagger %s)", settings.workers, settings.tagger)
            yield
        finally:
            pool.close()
            shutil.rmtree(root, ignore_errors=True)

    app = FastAPI(
        title="govreport",
        summary="Verified tables from Chinese government information-disclosure annual reports.",
        lifespan=lifespan,
    )
    the_page = page([], "govreport review", served=True)

    async def extract_one(
        upload: UploadFile | None, text: TextReport | None, tagger: str, review: bool
    ) -> Response:
        pool: WorkerPool = state["pool"]
        name = safe_name(upload.filename if upload else "report.txt")
        try:
            [job] = await _jobs(pool, [(name, upload or text.text)], tagger, review)  # type: ignore[union-attr]
        except Busy as exc:
            return _busy(exc)
        try:
            outcome = await pool.run(job)
        except Broken as exc:
            return JSONResponse({"detail": str(exc)}, 503, headers={"Retry-After": "60"})
        if outcome.json is None:
            return JSONResponse(_error(outcome, text.source if text else name), _status(outcome))
        if review:
            return HTMLResponse(outcome.html)
        if text is None:
            return Response(outcome.json, media_type="application/json")
        data = json.loads(outcome.json)
        data["source"] = text.source
        return JSONResponse(data)

    async def single(request: Request) -> tuple[UploadFile | None, TextReport | None]:
        """The report of a one-file request: a multipart ``file`` or a JSON ``{text, source}`` body."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            try:
                return None, TextReport.model_validate_json(await request.body())
            except ValidationError as exc:
                raise HTTPException(422, _why(exc)) from None
        if kind != "multipart/form-data":
            raise HTTPException(
                415, "send the report as multipart/form-data (field 'file') or JSON {text, source}"
            )
        form = await request.form(max_files=1, max_fields=4)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, "no file: send the report in the multipart field 'file'")
        return upload, None

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(the_page)

    @app.get("/health")
    def health() -> dict[str, Any]:
        pool: WorkerPool = state["pool"]
        return {
            "status": "ok",
            "workers": pool.size,
            "busy": pool.busy,
            "queued": max(0, pool.admitted - pool.busy),
            "capacity": pool.capacity,
            "tagger": settings.tagger,
            "model_version": hashlib.sha256(run_signature("model", settings.model_dir).encode()).hexdigest()[
                :12
            ],
            "time_limit_seconds": settings.time_limit,
        }

    @app.get("/v1/schema")
    def schema() -> dict[str, Any]:
        """The JSON Schema of an extraction (as ``govreport schema`` prints it)."""
        return json_schema()

    async def one_report(request: Request, tagger: TaggerName | None, review: bool) -> Response:
        """One uploaded or posted report → its extraction (or its review page); the upload is always closed."""
        upload, text = await single(request)
        try:
            return await extract_one(upload, text, tagger or settings.tagger, review=review)
        finally:
            if upload:
                await upload.close()

    @app.post(
        "/v1/extract",
        openapi_extra={"requestBody": {"required": True, "content": {**_UPLOAD, **_TEXT}}},
        responses={
            415: {"description": "not a kind of file govreport reads"},
            422: {"description": "the file cannot be read or extracted: detail, stage"},
            413: {"description": "upload too large"},
            503: {"description": "busy: retry after"},
        },
    )
    async def extract(request: Request, tagger: TaggerQuery = None) -> Response:
        """One report (multipart ``file``: text, web page, .docx, PDF, scan or image; or JSON
        ``{"text", "source"}``) → its extraction, the same JSON as ``govreport extract``."""
        return await one_report(request, tagger, review=False)

    @app.post(
        "/v1/review",
        openapi_extra={"requestBody": {"required": True, "content": _UPLOAD}},
        response_class=HTMLResponse,
    )
    async def review(request: Request, tagger: TaggerQuery = None) -> Response:
        """One report → its review page (the page ``govreport extract --html`` writes); errors as JSON."""
        return await one_report(request, tagger, review=True)

    @app.post(
        "/v1/extract/batch",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                            },
                        }
                    }
                },
            }
        },
    )
    async def extract_batch(request: Request, tagger: TaggerQuery = None) -> Response:
        """Several reports (multipart ``files``) → ``{"results": [...]}`` in order, each
        ``{"file", "status", "extraction"}`` or ``{"file", "status", "detail", "stage"}``; the checks across
        reports (a body's consecutive years) run over the batch, as over one ``extract`` run."""
        most = settings.max_batch_files
        async with request.form(max_files=most + 1, max_fields=most + 1) as form:
            uploads = [u for u in form.getlist("files") if isinstance(u, UploadFile)]
            if not uploads:
                raise HTTPException(422, "no files: send the reports in the multipart field 'files'")
            if len(uploads) > most:
                raise HTTPException(422, f"{len(uploads)} files; at most {most} in one batch")
            return await _batch(uploads, tagger or settings.tagger)

    async def _batch(uploads: list[UploadFile], tagger: str) -> Response:
        pool: WorkerPool = state["pool"]
        try:
            jobs = await _jobs(pool, [(safe_name(u.filename), u) for u in uploads], tagger, review=False)
        except Busy as exc:
            return _busy(exc)
        try:
            outcomes = await asyncio.gather(*(pool.run(job) for job in jobs))
        except Broken as exc:
            return JSONResponse({"detail": str(exc)}, 503, headers={"Retry-After": "60"})
        # checks across the batch's reports (a body's consecutive years), as one `extract` run makes them
        done = {
            i: Extraction.model_validate_json(o.json) for i, o in enumerate(outcomes) if o.json is not None
        }
        changed = {id(e) for e in refresh(list(done.values()))}
        results = []
        for i, (job, outcome) in enumerate(zip(jobs, outcomes, strict=True)):
            if outcome.json is None:
                results.append({"file": job.name, "status": _status(outcome), **_error(outcome, job.name)})
                continue
            text = done[i].model_dump_json() if id(done[i]) in changed else outcome.json
            results.append({"file": job.name, "status": 200, "extraction": json.loads(text)})
        return JSONResponse({"results": results})

    # Outermost last: CORS answers preflights, then the token, then the size of the body.
    app.add_middleware(UploadLimit, max_bytes=settings.max_upload_bytes)
    if settings.token:
        app.add_middleware(BearerToken, token=settings.token)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    return app


async def _jobs(
    pool: WorkerPool, reports: list[tuple[str, UploadFile | str]], tagger: str, review: bool
) -> list[Job]:
    """One request's jobs, admitted together (or Busy), each with its report written into its folder; if
    anything fails on the way, nothing stays reserved or on disk."""
    pool.admit(len(reports))
    jobs: list[Job] = []
    try:
        for name, report in reports:
            jobs.append(Job(pool.folder(), name, tagger, review))
            await _save(report, jobs[-1].folder / "in" / name)
    except BaseException:
        pool.release(len(reports))
        for job in jobs:
            shutil.rmtree(job.folder, ignore_errors=True)
        raise
    return jobs


async def _save(report: UploadFile | str, target: Path) -> None:
    """Write an upload (spooled by the multipart parser) or a text (as UTF-8) into a job's folder, off the
    event loop."""
    if isinstance(report, str):
        await asyncio.to_thread(target.write_text, report, encoding="utf-8")
        return
    await report.seek(0)

    def copy() -> None:
        with target.open("wb") as fh:
            shutil.copyfileobj(report.file, fh, 1 << 20)

    await asyncio.to_thread(copy)


def _why(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
