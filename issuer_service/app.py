"""The HTTP API (FastAPI): a thin shell over :class:`issuer_service.issuing.IssuerService`."""

import asyncio
import hashlib
import json
import logging
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio
from fastapi import Body, Depends, FastAPI, Header, Query, Request
from fastapi import Path as PathParameter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vaxcert import DigitalCovidCertificate, qr

from . import db, lists
from .auth import Caller, KeyStates, authenticate
from .bulk_files import FileDigest, MultipartError, MultipartFile
from .bulk_runner import BulkRunner
from .documents import render_pdf
from .issuing import IssuedRecord, IssuerService, ServiceError
from .metrics import Metrics
from .models import BulkJob
from .problems import describe, json_position, one_line
from .settings import Settings
from .signers import load_signers

log = logging.getLogger("vaxcert.issuer")

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing, unknown or revoked API key"},
    403: {"description": "the key lacks the scope this route needs"},
    404: {"description": "no such certificate or job for this organisation"},
    409: {"description": "Idempotency-Key reused with a different request, or the supplied UVCI (ci) exists"},
    413: {"description": "request body too large"},
    422: {
        "description": "invalid or implausible payload, or a ci outside the organisation's UVCI namespace: "
        "the message names each field"
    },
    503: {"description": "HSM or database unavailable; nothing was stored"},
}


class ErrorBody(BaseModel):
    code: str
    message: str


class Links(BaseModel):
    self: str
    png: str
    svg: str
    pdf: str


class CertificateResponse(BaseModel):
    uvci: str
    hc1: str
    certificate_type: str = Field(description="v, t or r")
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    links: Links


class RevocationRequest(BaseModel):
    reason: str = Field(min_length=3, max_length=200)


class BulkJobResponse(BaseModel):
    job_id: int
    status: str = Field(description="running (any instance may be working on it), finished or failed")
    rows_done: int
    rows_issued: int
    rows_rejected: int
    rows_total: int | None = Field(default=None, description="rows the file holds (lines with content)")
    failure: str | None = Field(default=None, description="why a failed job stopped (code: message)")
    rows: list[dict[str, Any]] | None = None


class BodyLimit:
    """Refuse bodies above the limit (413) before they are read into memory."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.settings.max_upload_bytes if scope["path"].startswith("/v1/bulk") else self.settings.max_body_bytes
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0
        tripped = False

        async def counting_receive() -> Message:
            nonlocal received, tripped
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                tripped = True
                raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            # Whatever the route or the framework made of the interrupted body (a parse
            # error, a 500), the answer to a body over the limit is 413.
            if not tripped:
                await send(message)

        with suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if tripped:
            await _too_large(send, limit)


class RequestCounter:
    """Counts requests by route and status for /metrics (pure ASGI: no per-request task or copy)."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "metrics" not in self.state:
            await self.app(scope, receive, send)
            return
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            self.state["metrics"].requests.labels(route=getattr(route, "path", "unmatched"), status=status).inc()


class _BodyTooLarge(Exception):
    pass


_HTTP_ERROR_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


async def _seal_audit_periodically(issuer: IssuerService, seconds: float) -> None:
    """Chain audit events from the outbox (PostgreSQL) until the service stops."""
    while True:  # the first round seals whatever an earlier run left behind
        try:
            await asyncio.to_thread(issuer.seal_audit)
        except OperationalError as exc:  # database briefly down: the events wait in the outbox
            log.warning("could not seal audit events: %s", exc.orig or exc)
        except Exception:  # never let the sealer die silently
            log.exception("sealing audit events failed")
        await asyncio.sleep(seconds)


async def _too_large(send: Send, limit: int) -> None:
    error = {"code": "body_too_large", "message": f"the request body exceeds {limit} bytes"}
    body = json.dumps({"error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RecentCallers:
    """Successful authentications remembered for a few seconds.

    Saves the key lookup (a join, the ORM and a digest) per request.  It does
    not decide whether a key still works: every request also reads the key's
    revocation state (``auth.KeyStates``), so a revoked key is refused at
    once by every worker.
    """

    def __init__(self, ttl: float = 5.0, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(presented: str) -> str:
        return hashlib.sha256(presented.encode("utf-8", "replace")).hexdigest()

    def get(self, presented: str) -> Caller | None:
        with self._lock:
            found = self._entries.get(self._key(presented))
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def forget(self, presented: str) -> None:
        with self._lock:
            self._entries.pop(self._key(presented), None)

    def put(self, presented: str, caller: Caller) -> None:
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[self._key(presented)] = (time.monotonic() + self.ttl, caller)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # fpdf2's font subsetting logs ~40 INFO lines per PDF through fontTools; whatever level the
    # host (uvicorn, vaxcert-issuer serve, tests) configures, only its warnings are worth keeping.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Threads holding the database write lock must get the GIL back quickly; with the
        # default 5 ms switch interval they wait behind request threads and the lock convoys.
        sys.setswitchinterval(0.0005)
        db.private_folder(settings.data_dir)
        engine = db.make_engine(settings.resolved_database_url)
        db.migrate(engine)
        sessions = db.session_factory(engine)
        signers = load_signers(settings, sessions)
        metrics = Metrics()
        issuer = IssuerService(settings, sessions, signers, metrics)
        swept = issuer.sweep_uploads()
        if swept:
            log.info("deleted %d chunks of abandoned bulk uploads", swept)
        _sweep_old_spool_files()
        runner = BulkRunner(issuer, settings.bulk_poll_seconds)
        state.update(
            engine=engine,
            key_states=KeyStates(engine.execution_options(vaxcert_read_only=True)),
            metrics=metrics,
            signers=signers,
            service=issuer,
            bulk_runner=runner,
        )
        if signers.trust_list_signer is not None:
            hours = settings.trust_list_hours
            reads = db.read_only_factory(engine)
            published = settings.data_dir / "trust-list.cose"
            state["trust_list"] = lists.trust_list(reads, signers.trust_list_signer, hours, published)
            state["revocation_list"] = lists.revocation_list(reads, signers.trust_list_signer, hours)
            state["trust_list"].get()  # sign it now: trust-list.cose is on disk when the service is ready
        sealer = asyncio.create_task(_seal_audit_periodically(issuer, settings.audit_seal_seconds))
        runner.start()
        log.info(
            "vaxcert issuer ready: database %s, keys %s", engine.url.render_as_string(hide_password=True), signers.mode
        )
        try:
            yield
        finally:
            await asyncio.to_thread(runner.stop)
            sealer.cancel()
            try:
                issuer.seal_audit()  # leave no event unchained behind
            except OperationalError:
                log.warning("audit events left in the outbox: the database is unreachable; the next start seals them")
            signers.close()
            engine.dispose()

    app = FastAPI(
        title="vaxcert issuer",
        version="1",
        lifespan=lifespan,
        description="Issue EU DCC (HC1) certificates. Every route except health and the public "
        "trust list needs an API key: `Authorization: Bearer vx_…`.",
    )
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(RequestCounter, state=state)

    def service() -> IssuerService:
        return state["service"]  # type: ignore[no-any-return]

    recent_callers = RecentCallers(ttl=settings.auth_cache_seconds)

    def caller_with(scope: str) -> Callable[..., Caller]:
        def dependency(
            authorization: Annotated[str | None, Header()] = None,
            x_api_key: Annotated[str | None, Header()] = None,
        ) -> Caller:
            presented = x_api_key
            if authorization and authorization.lower().startswith("bearer "):
                presented = authorization[7:].strip()
            if not presented:
                raise ServiceError(401, "unauthenticated", "send an API key: Authorization: Bearer vx_…")
            caller = recent_callers.get(presented)
            if caller is not None:
                if not state["key_states"].active(caller.key_prefix):
                    recent_callers.forget(presented)
                    caller = None
            else:
                with service().read_sessions() as session:
                    caller = authenticate(session, presented)
                if caller is not None:
                    recent_callers.put(presented, caller)
            if caller is None:
                raise ServiceError(401, "unauthenticated", "unknown or revoked API key")
            if not caller.may(scope):
                raise ServiceError(403, "forbidden", f"this key lacks the '{scope}' scope")
            return caller

        return dependency

    def response(record: IssuedRecord) -> CertificateResponse:
        base = f"{settings.public_url.rstrip('/')}/v1/certificates/{quote(record.uvci, safe='')}"
        return CertificateResponse(
            uvci=record.uvci,
            hc1=record.hc1,
            certificate_type=record.certificate_type,
            issued_at=record.issued_at,
            expires_at=record.expires_at,
            revoked_at=record.revoked_at,
            revocation_reason=record.revocation_reason,
            links=Links(self=base, png=f"{base}/qr.png", svg=f"{base}/qr.svg", pdf=f"{base}/pdf"),
        )

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        unreadable = next((error for error in errors if error.get("type") == "json_invalid"), None)
        if unreadable is not None:
            # FastAPI reports the character offset as if it were a field; callers need line and column.
            text = (await request.body()).decode("utf-8", errors="replace")
            offset = unreadable["loc"][-1] if isinstance(unreadable["loc"][-1], int) else 0
            line, column = json_position(text, offset)
            reason = (unreadable.get("ctx") or {}).get("error") or "JSON decode error"
            error = {
                "code": "invalid_request",
                "message": f"the body is not valid JSON: {reason} (line {line}, column {column})",
                "fields": [],
                "position": {"line": line, "column": column},
            }
            return JSONResponse({"error": error}, 422)
        found = describe(errors, source="body")
        body = {"code": "invalid_request", "message": one_line(found), "fields": found}
        return JSONResponse({"error": body}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Errors raised by the framework itself (unknown route, wrong method, a body it could
        # not parse) in the same shape as ours.
        status, code = exc.status_code, _HTTP_ERROR_CODES.get(exc.status_code, f"http_{exc.status_code}")
        if status == 400:  # a body the framework could not parse: like any other unreadable JSON
            status, code = 422, "invalid_request"
        body = {"error": {"code": code, "message": str(exc.detail)}}
        return JSONResponse(body, status, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def database_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc.orig)
        error = {"code": "database_unavailable", "message": "the database is unavailable; nothing was stored"}
        return JSONResponse({"error": error}, 503)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"error": {"code": "internal", "message": "internal error; it was logged"}}, 500)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: ERRORS[503]})
    def readyz() -> JSONResponse:
        problems = {}
        try:
            db.ping(state["engine"])
        except Exception as exc:  # any driver error means "not ready"
            problems["database"] = type(exc).__name__
        try:
            for kind in ("v", "t", "r"):
                state["signers"].for_type(kind).sign(b"readiness probe")
        except Exception as exc:  # an HSM outage surfaces as several exception types
            problems["signer"] = getattr(exc, "code", type(exc).__name__)
        if problems:
            return JSONResponse({"status": "unavailable", "problems": problems}, 503)
        return JSONResponse({"status": "ready", "keys": state["signers"].mode})

    @app.get("/metrics", tags=["health"], responses={401: ERRORS[401], 403: ERRORS[403]})
    def metrics(caller: Annotated[Caller, Depends(caller_with("admin"))]) -> Response:
        return Response(generate_latest(state["metrics"].registry), media_type=CONTENT_TYPE_LATEST)

    @app.post(
        "/v1/certificates",
        status_code=201,
        response_model=CertificateResponse,
        tags=["certificates"],
        responses={k: {"model": ErrorBody, **v} for k, v in ERRORS.items() if k != 404},
    )
    def create_certificate(
        payload: Annotated[DigitalCovidCertificate, Body()],
        caller: Annotated[Caller, Depends(caller_with("issue"))],
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> Any:
        record = service().issue(caller, payload, idempotency_key)
        result = response(record)
        return JSONResponse(result.model_dump(mode="json"), status_code=200 if record.replayed else 201)

    @app.get(
        "/v1/certificates/{uvci:path}/qr.png", tags=["certificates"], responses={k: ERRORS[k] for k in (401, 403, 404)}
    )
    def get_png(uvci: str, caller: Annotated[Caller, Depends(caller_with("read"))]) -> Response:
        return Response(qr.encode_png(service().get(caller, uvci, audit_as="read_qr").hc1), media_type="image/png")

    @app.get(
        "/v1/certificates/{uvci:path}/qr.svg", tags=["certificates"], responses={k: ERRORS[k] for k in (401, 403, 404)}
    )
    def get_svg(uvci: str, caller: Annotated[Caller, Depends(caller_with("read"))]) -> Response:
        return Response(qr.encode_svg(service().get(caller, uvci, audit_as="read_qr").hc1), media_type="image/svg+xml")

    @app.get(
        "/v1/certificates/{uvci:path}/pdf", tags=["certificates"], responses={k: ERRORS[k] for k in (401, 403, 404)}
    )
    def get_pdf(uvci: str, caller: Annotated[Caller, Depends(caller_with("read"))]) -> Response:
        record = service().get(caller, uvci, audit_as="read_pdf")
        return Response(render_pdf(record.hc1, settings.issuer_name), media_type="application/pdf")

    @app.post(
        "/v1/certificates/{uvci:path}/revoke",
        response_model=CertificateResponse,
        tags=["certificates"],
        responses={k: ERRORS[k] for k in (401, 403, 404, 422)},
    )
    def revoke(
        uvci: str, request: RevocationRequest, caller: Annotated[Caller, Depends(caller_with("revoke"))]
    ) -> CertificateResponse:
        return response(service().revoke(caller, uvci, request.reason))

    @app.get(
        "/v1/certificates/{uvci:path}",
        response_model=CertificateResponse,
        tags=["certificates"],
        responses={k: ERRORS[k] for k in (401, 403, 404)},
    )
    # Registered after the /qr.png, /qr.svg, /pdf and /revoke routes: a UVCI may contain "/" (as its
    # check character, or as in NL-style identifiers), so it is matched as a path and must come last.
    def get_certificate(uvci: str, caller: Annotated[Caller, Depends(caller_with("read"))]) -> CertificateResponse:
        return response(service().get(caller, uvci))

    @app.post(
        "/v1/bulk",
        status_code=202,
        response_model=BulkJobResponse,
        tags=["bulk"],
        responses={k: ERRORS[k] for k in (401, 403, 413, 503)},
    )
    async def bulk(
        request: Request,
        caller: Annotated[Caller, Depends(caller_with("issue"))],
        name: Annotated[str | None, Query(max_length=300)] = None,
    ) -> BulkJobResponse:
        """Upload NDJSON (one DCC per line) or CSV (spec/bulk.md): as the request body, or as the
        ``file`` field of a multipart/form-data form.  Any service instance runs the job; poll
        ``GET /v1/bulk/{id}``.  The same file again (even with other line ends) is the same job."""
        issuer = service()
        content_type = request.headers.get("content-type", "")
        try:
            form = MultipartFile(content_type) if content_type.lower().startswith("multipart/form-data") else None
        except MultipartError as exc:
            raise ServiceError(422, "bulk.bad_multipart", str(exc)) from None
        upload_id = str(uuid.uuid4())
        digest = FileDigest()
        pending = bytearray()
        chunks = 0
        try:
            async for received in request.stream():
                data = form.feed(received) if form is not None else received
                digest.update(data)
                pending += data
                if len(pending) >= _UPLOAD_CHUNK:
                    await asyncio.to_thread(issuer.store_upload_chunk, upload_id, chunks, bytes(pending))
                    chunks += 1
                    pending.clear()
            if form is not None:
                form.finish()
            if pending or chunks == 0:
                await asyncio.to_thread(issuer.store_upload_chunk, upload_id, chunks, bytes(pending))
            file_name = (name or (form.file_name if form is not None else None) or "upload")[:300]
            normalised, raw = digest.finish()
            job = await asyncio.to_thread(
                lambda: issuer.create_job(
                    caller,
                    file_name,
                    normalised,
                    raw_sha256=raw,
                    rows_total=digest.expected_rows(file_name),
                    upload_id=upload_id,
                )
            )
        except BaseException as exc:
            # Nothing of an upload that did not become a job stays behind (the client went away,
            # the body was too large, the database failed).
            await asyncio.shield(asyncio.to_thread(_discard_quietly, issuer, upload_id))
            if isinstance(exc, MultipartError):
                raise ServiceError(422, "bulk.bad_multipart", str(exc)) from None
            if isinstance(exc, ClientDisconnect):
                raise ServiceError(400, "client_disconnected", "the upload was interrupted") from None
            raise
        state["bulk_runner"].wake()
        return _job_response(job)

    @app.get(
        "/v1/bulk/{job_id}",
        response_model=BulkJobResponse,
        tags=["bulk"],
        responses={k: ERRORS[k] for k in (401, 403, 404)},
    )
    def bulk_status(
        job_id: Annotated[int, PathParameter(ge=1, le=2**31 - 1)],  # an INTEGER key: no larger id exists
        caller: Annotated[Caller, Depends(caller_with("read"))],
        rows: bool = False,
    ) -> BulkJobResponse:
        job, results = service().job(caller, job_id)
        listed = [{"row": r.row_number, "uvci": r.uvci, "error": r.error} for r in results] if rows else None
        return _job_response(job, listed)

    # Public list fetches check their change marker on a few threads of their own: a crowd of
    # verifiers must not take the worker threads that issuance requests wait for.
    list_threads = anyio.CapacityLimiter(4)

    async def serve_list(name: str, if_none_match: str | None) -> Response:
        cached = state.get(name)
        if cached is None:
            raise ServiceError(503, "no_list_signer", "no list signer is configured")
        signed = await anyio.to_thread.run_sync(cached.get, limiter=list_threads)
        headers = {"ETag": signed.etag, "Cache-Control": "no-cache"}  # clients revalidate: 304 is cheap
        if signed.matches(if_none_match):
            return Response(status_code=304, headers=headers)
        return Response(signed.data, media_type="application/cose", headers=headers)

    list_responses: dict[int | str, dict[str, Any]] = {
        200: {"content": {"application/cose": {}}, "description": "the signed list, with its ETag"},
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
    }

    @app.get("/v1/revocation-list", tags=["trust"], responses=list_responses)
    async def revocations(if_none_match: Annotated[str | None, Header()] = None) -> Response:
        """The signed list of revoked certificates (UCI, COUNTRYCODEUCI and SIGNATURE hashes; public).

        Signed once per change (by any service process) and served from memory.
        """
        return await serve_list("revocation_list", if_none_match)

    @app.get("/v1/trust-list", tags=["trust"], responses=list_responses)
    async def trust_list(if_none_match: Annotated[str | None, Header()] = None) -> Response:
        """The signed trust list of this issuer's DSCs (public: it is signed data for verifiers).

        Carries every DSC that signs now and every retired one until the last certificate it signed expires.
        """
        return await serve_list("trust_list", if_none_match)

    return app


_UPLOAD_CHUNK = 1 << 20  # bytes per stored chunk of a bulk upload


def _job_response(job: BulkJob, rows: list[dict[str, Any]] | None = None) -> BulkJobResponse:
    return BulkJobResponse(
        job_id=job.id,
        status=job.status,
        rows_done=job.rows_done,
        rows_issued=job.rows_issued,
        rows_rejected=job.rows_rejected,
        rows_total=job.rows_total,
        failure=job.failure,
        rows=rows,
    )


def _discard_quietly(issuer: IssuerService, upload_id: str) -> None:
    try:
        issuer.discard_upload(upload_id)
    except Exception as exc:  # the startup sweep deletes it later
        log.warning("could not delete an interrupted bulk upload now: %s", type(exc).__name__)


def _sweep_old_spool_files(older_than_seconds: float = 24 * 3600) -> None:
    """Delete upload spool files that versions before 0004 left in the temp folder (they hold payloads)."""
    cutoff = time.time() - older_than_seconds
    for path in Path(tempfile.gettempdir()).glob("vaxcert-bulk-*.upload"):
        try:
            if path.stat().st_uid == os.getuid() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory issuer_service.app:app_from_environment``."""
    return create_app(Settings())
