"""Administrators resolve the sync quarantine (``server.sync.quarantine``): list, accept, reject.

Administrator role only (``Capability.resolve_quarantine``). The answers carry no entry content: an
administrator manages the system and reads no journals. Accepting writes into a journal, so it is
audited as a write by the administrator, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from server.access.policy import Action, Capability, has_capability
from server.api.deps import ApiCaller, ApiCallerDep, NowDep, SessionDep, SettingsDep, WriterDep, client_ip
from server.audit.service import AuditContext, record
from server.errors import AccessDenied
from server.sync import quarantine
from server.sync.models import QuarantineStatus

router = APIRouter(prefix="/api/admin/quarantine", tags=["sync administration"])


class QuarantineRead(BaseModel):
    id: uuid.UUID
    entry_id: uuid.UUID
    journal_id: uuid.UUID
    reason: str
    detail: str | None
    uploaded_by: str
    received_at: dt.datetime
    status: str
    resolved_by: uuid.UUID | None
    resolved_at: dt.datetime | None
    resolution_note: str | None


class ResolutionIn(BaseModel):
    note: str = Field(min_length=1, max_length=500, description="why: the crew and the audit see it")


def _require_admin(caller: ApiCaller) -> None:
    if not has_capability(caller.actor, Capability.resolve_quarantine):
        raise AccessDenied(f"{caller.person.role.value}: does not resolve the quarantine")


def _read(view: quarantine.QuarantineView) -> QuarantineRead:
    return QuarantineRead(**view.__dict__)


@router.get("")
def list_quarantine(
    caller: ApiCallerDep, session: SessionDep, status: QuarantineStatus | None = QuarantineStatus.open
) -> list[QuarantineRead]:
    """Quarantined entries (open ones by default), oldest first, without their content."""
    _require_admin(caller)
    return [_read(view) for view in quarantine.list_quarantine(session=session, status=status)]


@router.post("/{quarantine_id}/accept")
def accept(
    quarantine_id: uuid.UUID,
    body: ResolutionIn,
    request: Request,
    caller: ApiCallerDep,
    session: SessionDep,
    settings: SettingsDep,
    writer: WriterDep,
    now: NowDep,
) -> QuarantineRead:
    """Store the entry in its journal (it must parse now, e.g. after an upgrade)."""
    _require_admin(caller)
    view = quarantine.accept(
        session=session,
        quarantine_id=quarantine_id,
        by=caller.person.id,
        note=body.note,
        clock=request.app.state.sync_clock,
        max_ahead_ms=settings.sync_max_hlc_ahead_ms,
        now=now,
    )
    person = caller.person
    record(
        session=session,
        writer=writer,
        ctx=AuditContext(
            actor_id=person.id,
            actor_name=person.display_name,
            actor_role=person.role.value,
            actor_authorisation_id=person.authorisation_id,
            actor_organisation_id=person.organisation_id,
            device_id=None,
            client_ip=client_ip(request),
            channel="api POST /api/admin/quarantine/{quarantine_id}/accept",
            purpose="quarantine resolution",
        ),
        action=Action.write.value,
        outcome="allowed",
        patient_cpr=None,
        journal_id=view.journal_id,
        now=now,
    )
    session.commit()
    return _read(view)


@router.post("/{quarantine_id}/reject")
def reject(
    quarantine_id: uuid.UUID, body: ResolutionIn, caller: ApiCallerDep, session: SessionDep, now: NowDep
) -> QuarantineRead:
    """Reject for good with the reason the crew sees; the entry stays in the quarantine table."""
    _require_admin(caller)
    view = quarantine.reject(
        session=session, quarantine_id=quarantine_id, by=caller.person.id, note=body.note, now=now
    )
    session.commit()
    return _read(view)
