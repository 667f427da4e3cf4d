"""The FastAPI application factory. Routes stay thin: they call the framework-free core."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import TimeoutError as SqlTimeout
from starlette.responses import Response

from server.api import (
    auth_routes,
    dispatch_routes,
    journal_routes,
    outbox_routes,
    quarantine_routes,
    sync_routes,
)
from server.audit.service import ChainWriter
from server.board.live import ChangeHub
from server.board.view import RowCache
from server.config import Settings
from server.db import make_engine, make_session_factory, ping_when_idle
from server.errors import (
    AccessDenied,
    AuthenticationFailed,
    Conflict,
    CsrfFailed,
    InvalidInput,
    LoginThrottled,
    NotFound,
    RequestTooLarge,
    ServerError,
)
from server.sync.clock import ServerClock
from server.web import admin, board, pages
from server.web.security_headers import SecurityHeadersMiddleware
from server.web.templating import render

__all__ = ["create_app"]

# A connection that sat unused this long is checked before use (server.db.ping_when_idle). Any connection
# that predates a database restart has been idle at least as long as the restart took, which is longer.
POOL_PING_IDLE_SECONDS = 1.0


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One change hub per process: LISTEN on PostgreSQL, in-process on SQLite (server.board.live).
        hub: ChangeHub = app.state.change_hub
        hub.start()
        try:
            async with _outbox_lifespan(app):
                yield
        finally:
            hub.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="PPJ — prehospital patient record",
        version="0.1.0",
        description="Sync, dispatch, ED board and messaging API of the open prehospital patient record.",
        docs_url="/docs" if settings.is_development else None,
        redoc_url=None,
    )
    if engine is None:
        engine = make_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        ping_when_idle(engine, after_seconds=POOL_PING_IDLE_SECONDS)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    app.state.audit_writer = ChainWriter(
        anchor_every=settings.audit_anchor_every,
        anchor_interval=dt.timedelta(seconds=settings.audit_anchor_seconds),
    )
    app.state.sync_clock = ServerClock()
    app.state.change_hub = ChangeHub(engine=engine)
    # One per app (so per database): rows keyed by journal log heads are only valid for one entry log.
    app.state.row_cache = RowCache()
    app.add_middleware(SecurityHeadersMiddleware, hsts=not settings.is_development)
    app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Liveness: the process answers. Carries no patient data."""
        return {"status": "ok", "environment": settings.environment.value}

    app.include_router(auth_routes.router)
    app.include_router(journal_routes.router)
    app.include_router(dispatch_routes.router)
    app.include_router(sync_routes.router)
    app.include_router(outbox_routes.router)
    app.include_router(quarantine_routes.router)
    sync_routes.add_request_schemas(app)
    if settings.bench_unaudited_endpoint:
        app.include_router(journal_routes.bench_router)
    app.include_router(pages.router)
    app.include_router(board.router)
    app.include_router(admin.router)
    app.add_exception_handler(ServerError, _server_error)  # type: ignore[arg-type]
    app.add_exception_handler(SqlTimeout, _database_busy)  # type: ignore[arg-type]
    return app


def _database_busy(request: Request, exc: SqlTimeout) -> Response:
    """No database connection came free in time: overload, so a transient 503 with Retry-After (sync
    clients back off with jitter), never a bare 500."""
    if request.url.path.startswith("/sync/"):
        response = sync_routes.sync_error(exc)
    else:
        response = JSONResponse({"detail": "server busy"}, status_code=503)
    response.headers["Retry-After"] = "2"
    return response


@asynccontextmanager
async def _outbox_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the in-process outbox worker when configured (server.outbox.background), stop it on exit."""
    settings: Settings = app.state.settings
    background = None
    if settings.outbox_worker_in_process:
        import httpx2

        from integrations.delivery.http import HttpDelivery
        from server.outbox.background import BackgroundWorker
        from server.outbox.worker import OutboxWorker, RetryPolicy

        timeout = settings.outbox_http_timeout_seconds
        policy = RetryPolicy(
            max_attempts=settings.outbox_max_attempts,
            ack_timeout=dt.timedelta(minutes=settings.outbox_ack_timeout_minutes),
            lease=dt.timedelta(seconds=timeout * 2 + 30),
        )
        worker = OutboxWorker(
            app.state.sessions, HttpDelivery(httpx2.Client(timeout=timeout)), policy=policy, name="in-process"
        )
        background = BackgroundWorker(worker, poll_seconds=settings.outbox_poll_seconds)
        background.start()
    try:
        yield
    finally:
        if background is not None:
            background.stop()


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _server_error(request: Request, exc: ServerError) -> Response:
    """Map the core's errors to HTTP: ErrorBody for sync, JSON for the API, pages for the web."""
    if request.url.path.startswith("/sync/"):
        return sync_routes.sync_error(exc)
    if isinstance(exc, LoginThrottled):
        return JSONResponse(
            {"detail": "too many failed log-ins"},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after_seconds)},
        )
    if isinstance(exc, AuthenticationFailed):
        if not _is_api(request) and request.method == "GET":
            return RedirectResponse("/login", status_code=303)
        return JSONResponse(
            {"detail": "authentication required"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    if isinstance(exc, AccessDenied):
        if _is_api(request):
            return JSONResponse({"detail": f"access denied: {exc.reason}"}, status_code=403)
        key = "error.csrf" if isinstance(exc, CsrfFailed) else "error.forbidden"
        return render(request, "error.html", {"message_key": key}, 403)
    if isinstance(exc, NotFound):
        return JSONResponse({"detail": str(exc)}, status_code=404)
    if isinstance(exc, RequestTooLarge):
        return JSONResponse({"detail": [{"loc": ["body"], "msg": exc.message}]}, status_code=413)
    if isinstance(exc, InvalidInput):
        return JSONResponse({"detail": [{"loc": ["body", exc.field], "msg": exc.message}]}, status_code=422)
    if isinstance(exc, Conflict):
        return JSONResponse({"detail": str(exc)}, status_code=409)
    return JSONResponse({"detail": "server error"}, status_code=500)
