"""The HTTP API (FastAPI): a thin shell over :class:`issuer_service.issuing.IssuerService`.

This module assembles the application: startup and shutdown, middleware and error mapping.  The
routes live in :mod:`issuer_service.routes`, one router per resource, and reach the running
service through the typed :class:`~issuer_service.routes.context.AppState` on ``app.state``.
"""

import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.datastructures import State
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import db, lists
from .auth import KeyStates
from .bulk_runner import BulkRunner
from .console import routes as console
from .errors import Conflict, Exhausted, Forbidden, Invalid, NotFound, ServiceError, Unavailable
from .issuing import IssuerService
from .metrics import Metrics
from .problems import describe, json_position, one_line
from .routes import bulk, certificates, health
from .routes import lists as list_routes
from .routes.context import STATE_ATTRIBUTE, AppState, HttpError, RecentCallers
from .settings import Settings
from .signers import load_signers

log = logging.getLogger("vaxcert.issuer")


class BodyLimit:
    """Refuse bodies above the limit (413) before they are read into memory."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        uploads = scope["path"].startswith(("/v1/bulk", "/console/bulk"))
        limit = self.settings.max_upload_bytes if uploads else self.settings.max_body_bytes
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

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        running: AppState | None = getattr(self.state, STATE_ATTRIBUTE, None)
        if scope["type"] != "http" or running is None:
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
            running.metrics.requests.labels(route=getattr(route, "path", "unmatched"), status=status).inc()


class _BodyTooLarge(Exception):
    pass


# The one place a domain error becomes an HTTP status.
_STATUS_OF: dict[type[ServiceError], int] = {
    Invalid: 422,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Unavailable: 503,
    Exhausted: 500,
}


def http_status(error: ServiceError) -> int:
    """The HTTP status for a domain error (its kind's, or 500 for a kind without one)."""
    for kind in type(error).__mro__:
        status = _STATUS_OF.get(kind)
        if status is not None:
            return status
    return 500


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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # fpdf2's font subsetting logs ~40 INFO lines per PDF through fontTools; whatever level the
    # host (uvicorn, vaxcert-issuer serve, tests) configures, only its warnings are worth keeping.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    recent_callers = RecentCallers(ttl=settings.auth_cache_seconds)

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
        state = AppState(
            settings=settings,
            engine=engine,
            service=issuer,
            signers=signers,
            metrics=metrics,
            key_states=KeyStates(engine.execution_options(vaxcert_read_only=True)),
            bulk_runner=runner,
            recent_callers=recent_callers,
            list_threads=anyio.CapacityLimiter(4),
        )
        if signers.trust_list_signer is not None:
            hours = settings.trust_list_hours
            reads = db.read_only_factory(engine)
            published = settings.data_dir / "trust-list.cose"
            state.trust_list = lists.trust_list(reads, signers.trust_list_signer, hours, published)
            state.revocation_list = lists.revocation_list(reads, signers.trust_list_signer, hours)
            state.trust_list.get()  # sign it now: trust-list.cose is on disk when the service is ready
        setattr(app.state, STATE_ATTRIBUTE, state)
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
        docs_url=None,  # served below from the package's own copies of Swagger UI and ReDoc
        redoc_url=None,
        description="Issue EU DCC (HC1) certificates. Every route except health and the public "
        "trust list needs an API key: `Authorization: Bearer vx_…`.",
    )
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(RequestCounter, state=app.state)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=http_status(exc))

    @app.exception_handler(HttpError)
    async def http_only_error(request: Request, exc: HttpError) -> JSONResponse:
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

    # Order matters for OpenAPI and for matching: the routes appear as they are included.
    for router in (health.router, certificates.router, bulk.router, list_routes.router):
        app.include_router(router)
    _offline_docs(app)
    console.install(app)
    return app


DOCS_ASSETS = Path(__file__).resolve().parent / "static" / "docs"
_ASSETS_URL = "/docs-assets"


def _offline_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc from files shipped in the package: they work with no Internet access."""
    app.mount(_ASSETS_URL, StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{_ASSETS_URL}/swagger-ui/favicon-32x32.png"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{_ASSETS_URL}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{_ASSETS_URL}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=favicon,
            oauth2_redirect_url="/docs/oauth2-redirect",
            # Swagger UI would otherwise ask an online validator about the spec.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            redoc_js_url=f"{_ASSETS_URL}/redoc/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )


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
