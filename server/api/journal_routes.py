"""Journal endpoints of the API. Each goes through ``server.access.service``, which audits."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from server.access import service as access
from server.access.policy import Action, Capability, has_capability
from server.api.deps import (
    ApiAuditingDep,
    ApiCaller,
    ApiCallerDep,
    NowDep,
    SessionDep,
    SettingsDep,
    WindowsDep,
)
from server.api.schemas import HandoverIn, JournalRead
from server.care.models import Journal
from server.errors import AccessDenied

router = APIRouter(prefix="/api/journals", tags=["journals"])


def _require_api_use(caller: ApiCaller) -> None:
    if not has_capability(caller.actor, Capability.use_journal_api):
        raise AccessDenied(f"{caller.person.role.value}: reads no journals")


@router.get("")
def list_journals(
    caller: ApiCallerDep, auditing: ApiAuditingDep, session: SessionDep, windows: WindowsDep, now: NowDep
) -> list[JournalRead]:
    """The journals the caller may see now (one audit event per listed patient)."""
    _require_api_use(caller)
    journals = access.visible_journals(
        session=session, actor=caller.actor, windows=windows, auditing=auditing, now=now
    )
    result = [JournalRead.of(journal) for journal in journals]
    session.commit()
    return result


@router.get("/{journal_id}")
def read_journal(
    journal_id: uuid.UUID,
    caller: ApiCallerDep,
    auditing: ApiAuditingDep,
    session: SessionDep,
    windows: WindowsDep,
    now: NowDep,
) -> JournalRead:
    _require_api_use(caller)
    journal = access.open_journal(
        session=session,
        actor=caller.actor,
        action=Action.read,
        journal_id=journal_id,
        windows=windows,
        auditing=auditing,
        now=now,
    )
    result = JournalRead.of(journal)
    session.commit()
    return result


@router.post("/{journal_id}/handover", status_code=status.HTTP_201_CREATED)
def record_handover(
    journal_id: uuid.UUID,
    body: HandoverIn,
    request: Request,
    settings: SettingsDep,
    caller: ApiCallerDep,
    auditing: ApiAuditingDep,
    session: SessionDep,
    windows: WindowsDep,
    now: NowDep,
) -> JournalRead:
    """Record that the patient was handed over to an emergency department (crew)."""
    _require_api_use(caller)
    access.record_handover(
        session=session,
        actor=caller.actor,
        actor_name=caller.person.display_name,
        sync=access.ServerWriting(
            clock=request.app.state.sync_clock, max_ahead_ms=settings.sync_max_hlc_ahead_ms
        ),
        journal_id=journal_id,
        emergency_department_id=body.emergency_department_id,
        windows=windows,
        auditing=auditing,
        now=now,
    )
    session.commit()
    journal = session.get_one(Journal, journal_id)
    return JournalRead.of(journal)


bench_router = APIRouter(prefix="/api/bench", tags=["bench"], include_in_schema=False)


@bench_router.get("/unaudited-journals/{journal_id}")
def read_journal_unaudited(
    journal_id: uuid.UUID, caller: ApiCallerDep, session: SessionDep, windows: WindowsDep, now: NowDep
) -> JournalRead:
    """``read_journal`` without its audit event; mounted only for ``ppj bench audit`` in development."""
    _require_api_use(caller)
    journal = access.open_journal(
        session=session,
        actor=caller.actor,
        action=Action.read,
        journal_id=journal_id,
        windows=windows,
        auditing=None,
        now=now,
    )
    result = JournalRead.of(journal)
    session.commit()
    return result
