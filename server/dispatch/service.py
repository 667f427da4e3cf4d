"""Missions from the dispatch centre (AMK), written as entries by the dispatcher's server-side writer.

A mission is not a patient. It lives in its own *mission log*: a journal-like log (its own UUIDv7 id,
made here) holding only ``mission_assignment`` entries and retractions, all with ``source="dispatch"``.
Because it is a log of entries like any journal, the sync server's projections link it to the mission
(by its reference) and to the assigned units, so the crews on those units see it in ``/sync/v1/access``
and their tablets pull it — no separate channel. Patient journals, opened at patient contact, carry their
own ``mission_assignment`` with the same reference (written on the tablet).

* create — the first ``mission_assignment`` of a new log;
* update — a new ``mission_assignment`` ``based_on`` the current one (the fold makes it current);
* cancel — a ``retraction`` superseding the current assignment, with the reason.

A unit an update drops is marked removed on the mission (``server.sync.projections``): it keeps access
only to the journals it wrote in (``server.access.policy``), and what it wrote stays.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from journal.entry import Author, AuthorisationLevel, Entry, new_entry
from journal.entry import Role as AuthorRole
from journal.fold import fold
from journal.hlc import Hlc
from journal.ids import new_uuid7
from journal.kinds.mission import MissionAssignment, is_mission_log
from journal.kinds.record import Retraction
from journal.payload import Payload
from server.access.policy import Windows
from server.audit.service import AuditContext, ChainWriter
from server.board.view import load_entries
from server.care.models import Mission
from server.errors import Conflict, InvalidInput, NotFound
from server.orgs.models import Organisation, OrgKind
from server.sync.clock import ServerClock
from server.sync.writers import person_writer, write_entries


@dataclass(frozen=True)
class Dispatcher:
    person_id: uuid.UUID
    name: str
    audit: AuditContext
    audit_writer: ChainWriter


@dataclass(frozen=True)
class Writing:
    clock: ServerClock
    max_ahead_ms: int
    windows: Windows


@dataclass(frozen=True)
class MissionDraft:
    reference: str
    units: tuple[str, ...]
    urgency: str
    criterion: str
    address: str
    notes: str | None


@dataclass(frozen=True)
class MissionState:
    mission_log_id: uuid.UUID
    assignment: MissionAssignment | None  # None: cancelled
    cancelled_reason: str | None
    entries: int


def _check_units(session: Session, units: Sequence[str]) -> None:
    if not units:
        raise InvalidInput("units", "name at least one unit")
    known = set(
        session.scalars(
            select(Organisation.call_sign).where(
                Organisation.kind == OrgKind.unit, Organisation.call_sign.in_(units)
            )
        )
    )
    unknown = sorted(set(units) - known)
    if unknown:
        raise InvalidInput("units", f"unknown unit call sign(s): {', '.join(unknown)}")


def _assignment(draft: MissionDraft) -> MissionAssignment:
    return MissionAssignment(
        mission_id=draft.reference,
        dispatch_urgency=draft.urgency,
        dispatch_criterion=draft.criterion,
        dispatch_text=draft.notes,
        address=draft.address,
        units=tuple(dict.fromkeys(draft.units)),
    )


def _write(
    *,
    session: Session,
    dispatcher: Dispatcher,
    writing: Writing,
    log_id: uuid.UUID,
    payload: Payload,
    now: dt.datetime,
    based_on: tuple[uuid.UUID, ...] = (),
    supersedes: tuple[uuid.UUID, ...] = (),
) -> None:
    author = Author(
        person_id=str(dispatcher.person_id),
        name=dispatcher.name,
        role=AuthorRole.DISPATCHER,
        authorisation_level=AuthorisationLevel.NONE,
    )
    writer_id = person_writer(dispatcher.person_id)

    def draft(hlc: Hlc) -> Entry:
        return new_entry(
            journal_id=log_id,
            payload=payload,
            author=author,
            device_id=writer_id,
            clinical_time=now,
            hlc=hlc,
            source="dispatch",
            based_on=based_on,
            supersedes=supersedes,
        )

    write_entries(
        session=session,
        writer_id=writer_id,
        drafts=[draft],
        clock=writing.clock,
        max_ahead_ms=writing.max_ahead_ms,
        windows=writing.windows,
        audit_writer=dispatcher.audit_writer,
        audit=dispatcher.audit,
        now=now,
    )


def create_mission(
    *, session: Session, dispatcher: Dispatcher, writing: Writing, draft: MissionDraft, now: dt.datetime
) -> MissionState:
    """A new mission log with its first assignment; the caller commits."""
    _check_units(session, draft.units)
    if session.scalar(select(Mission.id).where(Mission.reference == draft.reference)) is not None:
        raise Conflict(f"a mission with reference {draft.reference!r} exists")
    log_id = new_uuid7()
    _write(
        session=session,
        dispatcher=dispatcher,
        writing=writing,
        log_id=log_id,
        payload=_assignment(draft),
        now=now,
    )
    return mission_state(session=session, mission_log_id=log_id)


def _entries(session: Session, mission_log_id: uuid.UUID) -> list[Entry]:
    entries = load_entries(session=session, journal_ids=[mission_log_id]).get(mission_log_id, [])
    if not is_mission_log(entries):
        raise NotFound(f"no mission {mission_log_id}")
    return entries


def mission_state(*, session: Session, mission_log_id: uuid.UUID) -> MissionState:
    entries = _entries(session, mission_log_id)
    state = fold(entries)
    fact = state.fact("mission_assignment")
    value = fact.value if fact is not None else None
    reason = None
    if fact is not None and fact.retracted:
        reasons = [
            e.payload.reason for s in fact.struck for e in s.struck_by if isinstance(e.payload, Retraction)
        ]
        reason = reasons[-1] if reasons else ""
    return MissionState(
        mission_log_id=mission_log_id,
        assignment=value if isinstance(value, MissionAssignment) else None,
        cancelled_reason=reason,
        entries=len(entries),
    )


def _current(session: Session, mission_log_id: uuid.UUID) -> tuple[MissionAssignment, tuple[uuid.UUID, ...]]:
    state = fold(_entries(session, mission_log_id))
    fact = state.fact("mission_assignment")
    if fact is None or fact.retracted:
        raise Conflict("the mission is cancelled")
    value = fact.value
    if not isinstance(value, MissionAssignment):
        raise Conflict("the mission has conflicting assignments; resolve them first")
    return value, fact.current_ids


def update_mission(
    *,
    session: Session,
    dispatcher: Dispatcher,
    writing: Writing,
    mission_log_id: uuid.UUID,
    draft: MissionDraft,
    now: dt.datetime,
) -> MissionState:
    """A new assignment based on the current one (same reference); the caller commits."""
    current, ids = _current(session, mission_log_id)
    if draft.reference != current.mission_id:
        raise InvalidInput("reference", "a mission's reference cannot change")
    _check_units(session, draft.units)
    _write(
        session=session,
        dispatcher=dispatcher,
        writing=writing,
        log_id=mission_log_id,
        payload=_assignment(draft),
        now=now,
        based_on=ids,
    )
    return mission_state(session=session, mission_log_id=mission_log_id)


def cancel_mission(
    *,
    session: Session,
    dispatcher: Dispatcher,
    writing: Writing,
    mission_log_id: uuid.UUID,
    reason: str,
    now: dt.datetime,
) -> MissionState:
    """A retraction of the current assignment, with the reason; the caller commits."""
    _current_value, ids = _current(session, mission_log_id)
    for entry_id in ids:
        _write(
            session=session,
            dispatcher=dispatcher,
            writing=writing,
            log_id=mission_log_id,
            payload=Retraction(reason=reason),
            now=now,
            supersedes=(entry_id,),
        )
    return mission_state(session=session, mission_log_id=mission_log_id)
