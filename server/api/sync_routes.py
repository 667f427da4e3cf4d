"""The sync API, protocol version 1 (docs/sync/protocol.md). Thin: authenticate, parse, call
``server.sync``, commit, answer. Errors on these paths are ``ErrorBody`` documents (``sync_error``).

Credentials: the device credential (``X-PPJ-Device``) on every request; a person's bearer token is
required for pull and access and optional for push — entries written offline under a valid log-in are
accepted from a valid device after the token expired, because the author is in the entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from server.access import service as access
from server.access.policy import Action, Capability, has_capability
from server.access.service import Auditing
from server.api.deps import (
    DEVICE_HEADER,
    ApiCaller,
    SessionDep,
    SettingsDep,
    WindowsDep,
    WriterDep,
    actor_of,
    client_ip,
)
from server.audit.service import AuditContext
from server.db import utcnow
from server.errors import AccessDenied, AuthenticationFailed, InvalidInput, NotFound
from server.identity.models import Device
from server.identity.service import authenticate_device, authenticate_device_and_token
from server.sync.body import decode_body, parse_model
from server.sync.clock import ServerClock
from server.sync.errors import BatchTooLarge, SyncRefused
from server.sync.ingest import Uploader, push
from server.sync.pull import pull, watermarks_of
from sync.protocol import (
    MAX_PUSH_BYTES,
    AccessResponse,
    ErrorBody,
    ErrorCode,
    HlcBound,
    JournalAccess,
    PullRequest,
    PullResponse,
    PushItem,
    PushRequest,
    PushResponse,
    ServerTiming,
    WireEntry,
)

router = APIRouter(prefix="/sync/v1", tags=["sync"])

# The routes authenticate in their own body, not through dependencies: FastAPI runs each sync dependency
# on the thread pool, and the device and person checks as two more thread hops per request were a
# measurable share of a sync request's CPU (ppj bench sync, fleet). The checks and their order are the same:
# the device credential first, then the person's token, before anything else is read.

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "unsupported_protocol_version, unknown_cursor",
        401: "unauthenticated, device_revoked",
        403: "incarnation_not_owned, forbidden_journal",
        413: "batch_too_large",
        422: "malformed_request (``field`` names the part)",
    }.items()
}
# Compressed bodies may not be larger than the uncompressed limit plus gzip's worst-case overhead.
_RAW_LIMIT = MAX_PUSH_BYTES + MAX_PUSH_BYTES // 100 + 1024


async def received_at() -> dt.datetime:
    return utcnow()


ReceivedAtDep = Annotated[dt.datetime, Depends(received_at)]


async def raw_body(request: Request) -> bytes:
    """The request body as sent, read no further than the limit (the uncompressed limit is checked later)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _RAW_LIMIT:
        raise BatchTooLarge(f"body of {declared} bytes exceeds the limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _RAW_LIMIT:
            raise BatchTooLarge("body exceeds the limit")
        chunks.append(chunk)
    return b"".join(chunks)


RawBodyDep = Annotated[bytes, Depends(raw_body)]


def _caller(request: Request, session: Session) -> tuple[Device, ApiCaller | AuthenticationFailed | None]:
    """The authenticated device (its failures raise), and the person behind the bearer token: None when
    none was sent, the failure when it does not authenticate. Device and token in one query."""
    credential = request.headers.get(DEVICE_HEADER)
    if not credential:
        raise AuthenticationFailed("device credential required")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return authenticate_device(session=session, credential=credential), None
    device, identity = authenticate_device_and_token(
        session=session, credential=credential, token=token.strip(), now=utcnow()
    )
    if isinstance(identity, AuthenticationFailed):
        return device, identity
    if identity.device is None or identity.device.id != device.id:
        return device, AuthenticationFailed("the token is not bound to this device")
    return device, ApiCaller(
        person=identity.person, device=device, token_id=identity.token_id, actor=actor_of(identity.person)
    )


def _required_person(caller: ApiCaller | AuthenticationFailed | None) -> ApiCaller:
    if isinstance(caller, AuthenticationFailed):
        raise caller
    if caller is None:
        raise AuthenticationFailed("a person's bearer token is required")
    if not has_capability(caller.actor, Capability.use_journal_api):
        raise AccessDenied(f"{caller.person.role.value}: reads no journals")
    return caller


def _audit_context(request: Request, device: Device, caller: ApiCaller | None) -> AuditContext:
    route = request.scope.get("route")
    channel = f"api {request.method} {getattr(route, 'path', request.url.path)}"
    if caller is None:
        return AuditContext(
            actor_id=None,
            actor_name=f"device {device.label}",
            actor_role="device",
            actor_authorisation_id=None,
            actor_organisation_id=device.organisation_id,
            device_id=device.id,
            client_ip=client_ip(request),
            channel=channel,
        )
    person = caller.person
    return AuditContext(
        actor_id=person.id,
        actor_name=person.display_name,
        actor_role=person.role.value,
        actor_authorisation_id=person.authorisation_id,
        actor_organisation_id=person.organisation_id,
        device_id=device.id,
        client_ip=client_ip(request),
        channel=channel,
    )


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


@router.post(
    "/push",
    responses={200: {"model": PushResponse}, **_ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushRequest"}}},
        }
    },
    summary="Upload a batch of entries from one store incarnation",
)
def push_route(
    request: Request,
    body: RawBodyDep,
    at: ReceivedAtDep,
    session: SessionDep,
    settings: SettingsDep,
    windows: WindowsDep,
    writer: WriterDep,
) -> Response:
    """Apply the batch (protocol §4) in one transaction and answer one result per item."""
    device, caller = _caller(request, session)
    # An expired or revoked token does not stop a push: the entries carry their author.
    person = caller if isinstance(caller, ApiCaller) else None
    payload = decode_body(
        raw=body, content_encoding=request.headers.get("content-encoding"), limit=MAX_PUSH_BYTES
    )
    push_request = parse_model(payload, PushRequest)
    clock: ServerClock = request.app.state.sync_clock
    outcome = push(
        session=session,
        uploader=Uploader(
            writer_id=str(device.id),
            device=device,
            audit=_audit_context(request, device, person),
            # _caller checked that the token is bound to this device.
            logged_in=person.person.id if person is not None else None,
        ),
        request=push_request,
        clock=clock,
        max_ahead_ms=settings.sync_max_hlc_ahead_ms,
        windows=windows,
        audit_writer=writer,
        now=at,
    )
    session.commit()
    return _json(
        PushResponse(
            incarnation_id=outcome.incarnation_id,
            highest_applied_seq=outcome.highest_applied_seq,
            results=outcome.results,
            timing=ServerTiming(received_at=at, sent_at=utcnow()),
            hlc_bound=HlcBound(max_ahead_ms=settings.sync_max_hlc_ahead_ms, server_hlc=clock.last.encode()),
        )
    )


@router.post(
    "/pull",
    responses={200: {"model": PullResponse}, **_ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PullRequest"}}},
        }
    },
    summary="Download a journal's entries after a cursor, up to the watermark",
)
def pull_route(
    request: Request,
    body: RawBodyDep,
    at: ReceivedAtDep,
    session: SessionDep,
    windows: WindowsDep,
    writer: WriterDep,
) -> Response:
    """Entries in commit order (protocol §6); access is decided and audited (one event per patient)."""
    device, caller = _caller(request, session)
    person = _required_person(caller)
    payload = decode_body(
        raw=body, content_encoding=request.headers.get("content-encoding"), limit=MAX_PUSH_BYTES
    )
    pull_request = parse_model(payload, PullRequest)
    if pull_request.device_id != device.id:
        raise SyncRefused(
            403, ErrorCode.INCARNATION_NOT_OWNED, "device_id is not the authenticated device", "device_id"
        )
    access.open_journal(
        session=session,
        actor=person.actor,
        action=Action.read,
        journal_id=pull_request.journal_id,
        windows=windows,
        auditing=Auditing(writer=writer, ctx=_audit_context(request, device, person)),
        now=at,
    )
    page = pull(
        session=session,
        journal_id=pull_request.journal_id,
        after=pull_request.after,
        limit=pull_request.limit,
    )
    session.commit()
    return _json(
        PullResponse(
            journal_id=pull_request.journal_id,
            entries=page.entries,
            next_cursor=page.next_cursor,
            watermark=page.watermark,
            has_more=page.has_more,
            timing=ServerTiming(received_at=at, sent_at=utcnow()),
        )
    )


@router.get(
    "/access",
    responses={200: {"model": AccessResponse}, **_ERRORS},
    summary="The journals this device's person may pull now",
)
def access_route(
    request: Request,
    at: ReceivedAtDep,
    session: SessionDep,
    windows: WindowsDep,
    writer: WriterDep,
    watermarks: bool = False,
) -> Response:
    """Every journal the person may see now (one ``list`` audit event per patient); with
    ``?watermarks=true`` each with its watermark, so a client already there skips its pull (protocol §6)."""
    device, caller = _caller(request, session)
    person = _required_person(caller)
    journals = access.visible_journals(
        session=session,
        actor=person.actor,
        windows=windows,
        auditing=Auditing(writer=writer, ctx=_audit_context(request, device, person)),
        now=at,
    )
    # Read after the decision and its audit events, in the same transaction: only listed journals.
    marks = watermarks_of(session=session, journal_ids=[j.id for j in journals]) if watermarks else {}
    listed = [
        JournalAccess(
            journal_id=journal.id,
            granted_at=journal.opened_at,
            until=journal.episode_ended_at + windows.documentation if journal.episode_ended_at else None,
            watermark=marks.get(journal.id),
        )
        for journal in journals
    ]
    session.commit()
    return _json(
        AccessResponse(
            device_id=device.id, journals=listed, timing=ServerTiming(received_at=at, sent_at=utcnow())
        )
    )


def sync_error(exc: Exception) -> Response:
    """The ErrorBody answer for an error raised on a sync path."""
    if isinstance(exc, SyncRefused):
        status, body = exc.status, ErrorBody(code=exc.code, message=exc.message, field=exc.field)
    elif isinstance(exc, AuthenticationFailed):
        code = ErrorCode.DEVICE_REVOKED if exc.reason == "device revoked" else ErrorCode.UNAUTHENTICATED
        status, body = (
            401,
            ErrorBody(
                code=code,
                message="authentication required"
                if code is ErrorCode.UNAUTHENTICATED
                else "this device was revoked",
            ),
        )
    elif isinstance(exc, AccessDenied | NotFound):
        status, body = (
            403,
            ErrorBody(
                code=ErrorCode.FORBIDDEN_JOURNAL, message="no access to this journal", field="journal_id"
            ),
        )
    elif isinstance(exc, InvalidInput):
        status, body = 422, ErrorBody(code=ErrorCode.MALFORMED_REQUEST, message=exc.message, field=exc.field)
    else:
        status, body = (
            503,
            ErrorBody(code=ErrorCode.UNAVAILABLE, message="server busy or failing; retry later"),
        )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(
        body.model_dump_json(), status_code=status, media_type="application/json", headers=headers
    )


def add_request_schemas(app: FastAPI) -> None:
    """Publish the request models in OpenAPI (the routes read raw bodies, so FastAPI cannot see them)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (PushRequest, PushItem, WireEntry, PullRequest):
            generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in generated.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components[model.__name__] = generated
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
