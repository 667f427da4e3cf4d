"""The dispatch API for the dispatch centre (AMK) or its system: create, update and cancel missions.

Thin: authenticate (bearer token of a dispatcher or a dispatch-system client), check the body's size and
shape, call ``server.dispatch.service``, commit. Missions reach the units' tablets by sync.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, field_validator

from server.access.policy import Capability, has_capability
from server.api.deps import (
    ApiCaller,
    ApiCallerDep,
    NowDep,
    SessionDep,
    SettingsDep,
    WindowsDep,
    WriterDep,
    client_ip,
)
from server.audit.service import AuditContext
from server.dispatch import service
from server.errors import AccessDenied, RequestTooLarge

MAX_BODY_BYTES = 16 * 1024


class LimitedBodyRoute(APIRoute):
    """A route that refuses bodies over ``MAX_BODY_BYTES`` before anything parses them.

    The check runs ahead of FastAPI's JSON parsing, so an oversized body is a 413 whether or not it is
    valid JSON (a dependency would run only after parsing, answering 422 for oversized garbage)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                raise RequestTooLarge(MAX_BODY_BYTES)
            if len(await request.body()) > MAX_BODY_BYTES:
                raise RequestTooLarge(MAX_BODY_BYTES)
            return await handler(request)

        return limited


router = APIRouter(prefix="/api/dispatch", tags=["dispatch"], route_class=LimitedBodyRoute)


def _no_control_characters(value: object) -> object:
    """Text a person reads: no NUL or other control characters (PostgreSQL cannot store NUL; a 5xx found
    by tests/server/test_dispatch_fuzz.py), only line breaks and tabs."""
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str) and any((ord(c) < 32 and c not in "\t\n\r") or c == "\x7f" for c in text):
            raise ValueError("control characters are not allowed")
    return value


class MissionIn(BaseModel):
    """A mission as the dispatch centre sends it."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=100, description="the dispatch centre's mission id")
    units: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(min_length=1, max_length=20)
    urgency: Literal["A", "B", "C", "D"] = Field(description="Dansk Indeks response level")
    criterion: str = Field(min_length=1, max_length=50, description="Dansk Indeks criterion, e.g. '1.1'")
    address: str = Field(min_length=1, max_length=500)
    notes: str | None = Field(default=None, max_length=2000)

    _plain_text = field_validator("reference", "units", "criterion", "address", "notes")(
        _no_control_characters
    )

    def draft(self) -> service.MissionDraft:
        return service.MissionDraft(
            reference=self.reference,
            units=tuple(self.units),
            urgency=self.urgency,
            criterion=self.criterion,
            address=self.address,
            notes=self.notes,
        )


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)

    _plain_text = field_validator("reason")(_no_control_characters)


class MissionOut(BaseModel):
    mission_id: uuid.UUID = Field(description="the mission log's id (a journal-like log; not a patient)")
    reference: str | None
    cancelled: bool
    cancelled_reason: str | None
    units: list[str]
    urgency: str | None
    criterion: str | None
    address: str | None
    notes: str | None

    @classmethod
    def of(cls, state: service.MissionState) -> MissionOut:
        a = state.assignment
        return cls(
            mission_id=state.mission_log_id,
            reference=a.mission_id if a else None,
            cancelled=a is None,
            cancelled_reason=state.cancelled_reason,
            units=list(a.units) if a else [],
            urgency=a.dispatch_urgency if a else None,
            criterion=a.dispatch_criterion if a else None,
            address=a.address if a else None,
            notes=a.dispatch_text if a else None,
        )


def _dispatcher(request: Request, caller: ApiCaller, writer: WriterDep) -> service.Dispatcher:
    if not has_capability(caller.actor, Capability.dispatch_missions):
        raise AccessDenied(f"{caller.person.role.value}: dispatches no missions")
    route = request.scope.get("route")
    ctx = AuditContext(
        actor_id=caller.person.id,
        actor_name=caller.person.display_name,
        actor_role=caller.person.role.value,
        actor_authorisation_id=caller.person.authorisation_id,
        actor_organisation_id=caller.person.organisation_id,
        device_id=None,
        client_ip=client_ip(request),
        channel=f"api {request.method} {getattr(route, 'path', request.url.path)}",
        purpose="dispatch",
    )
    return service.Dispatcher(
        person_id=caller.person.id, name=caller.person.display_name, audit=ctx, audit_writer=writer
    )


def _writing(request: Request, settings: SettingsDep, windows: WindowsDep) -> service.Writing:
    return service.Writing(
        clock=request.app.state.sync_clock, max_ahead_ms=settings.sync_max_hlc_ahead_ms, windows=windows
    )


WritingDep = Annotated[service.Writing, Depends(_writing)]


@router.post("/missions", status_code=status.HTTP_201_CREATED)
def create_mission(
    body: MissionIn,
    request: Request,
    caller: ApiCallerDep,
    writer: WriterDep,
    writing: WritingDep,
    session: SessionDep,
    now: NowDep,
) -> MissionOut:
    """Create a mission for one or more units; their tablets receive it by sync."""
    state = service.create_mission(
        session=session,
        dispatcher=_dispatcher(request, caller, writer),
        writing=writing,
        draft=body.draft(),
        now=now,
    )
    session.commit()
    return MissionOut.of(state)


@router.put("/missions/{mission_id}")
def update_mission(
    mission_id: uuid.UUID,
    body: MissionIn,
    request: Request,
    caller: ApiCallerDep,
    writer: WriterDep,
    writing: WritingDep,
    session: SessionDep,
    now: NowDep,
) -> MissionOut:
    """Replace the mission's details (same reference): a new assignment based on the current one."""
    state = service.update_mission(
        session=session,
        dispatcher=_dispatcher(request, caller, writer),
        writing=writing,
        mission_log_id=mission_id,
        draft=body.draft(),
        now=now,
    )
    session.commit()
    return MissionOut.of(state)


@router.post("/missions/{mission_id}/cancel")
def cancel_mission(
    mission_id: uuid.UUID,
    body: CancelIn,
    request: Request,
    caller: ApiCallerDep,
    writer: WriterDep,
    writing: WritingDep,
    session: SessionDep,
    now: NowDep,
) -> MissionOut:
    """Cancel the mission (a retraction of its assignment, with the reason)."""
    state = service.cancel_mission(
        session=session,
        dispatcher=_dispatcher(request, caller, writer),
        writing=writing,
        mission_log_id=mission_id,
        reason=body.reason,
        now=now,
    )
    session.commit()
    return MissionOut.of(state)


@router.get("/missions/{mission_id}")
def read_mission(
    mission_id: uuid.UUID, request: Request, caller: ApiCallerDep, writer: WriterDep, session: SessionDep
) -> MissionOut:
    _dispatcher(request, caller, writer)
    return MissionOut.of(service.mission_state(session=session, mission_log_id=mission_id))
