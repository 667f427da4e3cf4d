"""The dependency vocabulary of every route: settings, DB session, clock, callers, audit context.

Dependencies that do no I/O are ``async def`` so they run on the event loop; FastAPI would otherwise
hand each sync dependency to the thread pool, a thread hop per dependency per request.

Two ways in: the API (tablets, integrators) with a person's bearer token — plus, for device-bound
tokens, the device credential in ``X-PPJ-Device`` on every request — and the web pages (ED board, admin)
with a session cookie whose unsafe requests carry the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
import hmac
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from server.access.policy import Actor, Windows
from server.access.service import Auditing
from server.audit.service import AuditContext, ChainWriter
from server.config import Settings
from server.db import utcnow
from server.errors import AccessDenied, AuthenticationFailed, CsrfFailed
from server.identity.models import Device, Person, WebSession
from server.identity.service import authenticate_token, authenticate_web_session

SESSION_COOKIE = "ppj_session"
DEVICE_HEADER = "X-PPJ-Device"
CSRF_HEADER = "X-CSRF-Token"


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One database session per request; routes commit what they mean to keep.

    Invariant: access is decided before a request writes anything, so when AccessDenied escapes, the only
    pending change is the refusal's audit event — which is committed here, then the 403 goes out.

    Opened and closed on the event loop, not in the thread pool (two thread hops per request, ~6 % of a
    sync request's CPU): making a session does no I/O (it connects at its first statement, in the route's
    thread), and closing one whose transaction ended only drops references. The I/O that can happen on
    the way out, committing a refusal's audit event or rolling back an unfinished transaction, goes to
    the thread pool.
    """
    session: Session = request.app.state.sessions()
    try:
        yield session
    except AccessDenied:
        await run_in_threadpool(session.commit)
        raise
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]


async def get_now() -> dt.datetime:
    return utcnow()


NowDep = Annotated[dt.datetime, Depends(get_now)]


async def get_windows(settings: SettingsDep) -> Windows:
    return Windows(
        documentation=dt.timedelta(hours=settings.documentation_window_hours),
        emergency_department=dt.timedelta(hours=settings.ed_window_hours),
    )


WindowsDep = Annotated[Windows, Depends(get_windows)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def actor_of(person: Person) -> Actor:
    return Actor(person_id=person.id, role=person.role, organisation_id=person.organisation_id)


@dataclass(frozen=True)
class ApiCaller:
    person: Person
    device: Device | None
    token_id: uuid.UUID
    actor: Actor


def get_api_caller(request: Request, session: SessionDep, now: NowDep) -> ApiCaller:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("bearer token required")
    identity = authenticate_token(
        session=session, token=token.strip(), device_credential=request.headers.get(DEVICE_HEADER), now=now
    )
    return ApiCaller(
        person=identity.person,
        device=identity.device,
        token_id=identity.token_id,
        actor=actor_of(identity.person),
    )


ApiCallerDep = Annotated[ApiCaller, Depends(get_api_caller)]


@dataclass(frozen=True)
class WebCaller:
    person: Person
    web_session: WebSession
    actor: Actor


def get_web_caller(request: Request, session: SessionDep, now: NowDep) -> WebCaller:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AuthenticationFailed("no session cookie")
    person, web_session = authenticate_web_session(session=session, token=token, now=now)
    return WebCaller(person=person, web_session=web_session, actor=actor_of(person))


async def require_csrf(request: Request, caller: WebCaller = Depends(get_web_caller)) -> WebCaller:
    """The web caller of an unsafe request, after checking its CSRF token (header or form field)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, caller.web_session.csrf_token):
        raise CsrfFailed()
    return caller


WebCallerDep = Annotated[WebCaller, Depends(get_web_caller)]
CsrfCallerDep = Annotated[WebCaller, Depends(require_csrf)]


async def get_writer(request: Request) -> ChainWriter:
    writer: ChainWriter = request.app.state.audit_writer
    return writer


WriterDep = Annotated[ChainWriter, Depends(get_writer)]


async def api_auditing(request: Request, caller: ApiCallerDep, writer: WriterDep) -> Auditing:
    return Auditing(writer=writer, ctx=_context(request, caller.person, caller.device, "api"))


async def board_auditing(request: Request, caller: WebCallerDep, writer: WriterDep) -> Auditing:
    return Auditing(
        writer=writer,
        ctx=_context(request, caller.person, None, "board"),
        board_session_id=caller.web_session.id,
    )


def _context(request: Request, person: Person, device: Device | None, channel: str) -> AuditContext:
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return AuditContext(
        actor_id=person.id,
        actor_name=person.display_name,
        actor_role=person.role.value,
        actor_authorisation_id=person.authorisation_id,
        actor_organisation_id=person.organisation_id,
        device_id=device.id if device else None,
        client_ip=client_ip(request),
        channel=f"{channel} {request.method} {path}",
    )


ApiAuditingDep = Annotated[Auditing, Depends(api_auditing)]
BoardAuditingDep = Annotated[Auditing, Depends(board_auditing)]
