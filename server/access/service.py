"""Journal access as every route performs it: load the facts, ask the policy, write the audit event.

A route never reads a journal row without going through ``open_journal`` or ``visible_journals``; both
record the audit events the request owes (one per request per patient, also for refusals) in the caller's
transaction, which the caller commits before any patient data leaves the server.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from journal.entry import Author, AuthorisationLevel, new_entry
from journal.entry import Role as AuthorRole
from journal.kinds.common import PersonRef
from journal.kinds.disposition import Handover
from server.access.facts import (
    MISSION_UNIT_COLUMNS,
    MissionUnitRow,
    journal_facts,
    journals_facts,
    person_shifts,
)
from server.access.policy import Action, Actor, Decision, Shift, Windows, decide
from server.audit.service import AuditContext, ChainWriter, board_views_seen, first_board_view, record
from server.care.models import Journal, JournalAnnouncement, JournalHandover, MissionUnit
from server.errors import AccessDenied, InvalidInput, NotFound
from server.identity.models import CREW_ROLES, CrewShift, Role
from server.orgs.models import Organisation, OrgKind
from server.sync.clock import ServerClock
from server.sync.writers import person_writer, write_entries


@dataclass(frozen=True)
class Auditing:
    """How a request audits: the writer and context, or ``None`` for the benchmark's unaudited twin only."""

    writer: ChainWriter
    ctx: AuditContext
    board_session_id: uuid.UUID | None = None  # board requests audit once per session per patient


def patient_key(journal: Journal) -> str:
    return journal.patient_cpr or f"journal:{journal.id}"


def _audit(
    *,
    session: Session,
    auditing: Auditing | None,
    action: Action,
    journal: Journal,
    decision: Decision,
    now: dt.datetime,
) -> None:
    if auditing is None:
        return
    if (
        decision.allowed
        and auditing.board_session_id is not None
        and action in (Action.list, Action.read)  # exports and writes are audited every time
        and not first_board_view(
            session=session, web_session_id=auditing.board_session_id, patient_key=patient_key(journal)
        )
    ):
        return
    record(
        session=session,
        writer=auditing.writer,
        ctx=auditing.ctx,
        action=action.value,
        outcome="allowed" if decision.allowed else "denied",
        patient_cpr=journal.patient_cpr,
        journal_id=journal.id,
        now=now,
    )


def open_journal(
    *,
    session: Session,
    actor: Actor,
    action: Action,
    journal_id: uuid.UUID,
    windows: Windows,
    auditing: Auditing | None,
    now: dt.datetime,
    audited_as: Action | None = None,
) -> Journal:
    """The journal, if the policy allows ``action``; the decision is audited either way (as
    ``audited_as`` when given: the receipt is decided by the read rule but is a write).

    A refusal raises AccessDenied *after* its audit event was added: the caller commits, then answers 403.
    """
    journal = session.get(Journal, journal_id)
    if journal is None:
        raise NotFound(f"no journal {journal_id}")
    facts = journal_facts(session=session, journal=journal, actor=actor)
    shifts: tuple[Shift, ...] = ()
    if actor.role in CREW_ROLES:
        shifts = person_shifts(session=session, person_id=actor.person_id, units=facts.units)
    decision = decide(
        actor=actor,
        action=action,
        journal=facts,
        shifts=shifts,
        windows=windows,
        now=now,
    )
    _audit(
        session=session,
        auditing=auditing,
        action=audited_as or action,
        journal=journal,
        decision=decision,
        now=now,
    )
    if not decision.allowed:
        raise AccessDenied(decision.reason)
    return journal


# Built once: a crew's tablet asks for its access list on every sync. One statement gives the candidate
# journals, every unit of their missions (a row per unit) and the person's shifts on each unit that could
# overlap the unit's assignment (none: NULLs), so the decision needs no other query.
#
# Two prefilters keep the rows to what the policy could allow, however long the person's history (a
# paramedic signs on to the same ambulance most days, and every mission stays in the database): journals
# whose documentation window has closed (the policy's first crew rule, same boundary) and shifts that
# ended before the unit was assigned (they cannot overlap it). The policy still decides on every row.
_CREW_SHIFT = and_(
    CrewShift.unit_id == MissionUnit.unit_id,
    CrewShift.person_id == bindparam("person_id"),
    or_(CrewShift.ended_at.is_(None), CrewShift.ended_at >= MissionUnit.assigned_at),
)
_CREW_CANDIDATES = (
    select(Journal, *MISSION_UNIT_COLUMNS, CrewShift.started_at, CrewShift.ended_at)
    .join(MissionUnit, MissionUnit.mission_id == Journal.mission_id)
    .outerjoin(CrewShift, _CREW_SHIFT)
    .where(
        Journal.mission_id.in_(
            select(MissionUnit.mission_id).where(
                MissionUnit.unit_id.in_(
                    select(CrewShift.unit_id).where(CrewShift.person_id == bindparam("person_id"))
                )
            )
        ),
        or_(
            Journal.episode_ended_at.is_(None), Journal.episode_ended_at >= bindparam("window_closed_before")
        ),
    )
)


@dataclass(frozen=True)
class _Candidates:
    journals: list[Journal]
    mission_units: list[MissionUnitRow] | None = None  # every unit of their missions, when read with them
    shifts: tuple[Shift, ...] = ()  # the person's shifts the policy needs for them (crew only)


def _candidates(*, session: Session, actor: Actor, windows: Windows, now: dt.datetime) -> _Candidates:
    """Journals the actor might see; the policy makes the final decision on each."""
    if actor.role is Role.integrator:
        return _Candidates(list(session.scalars(select(Journal).where(Journal.sandbox.is_(True)))))
    if actor.role in CREW_ROLES:
        journals: dict[uuid.UUID, Journal] = {}
        units: dict[MissionUnitRow, None] = {}  # ordered set: a unit repeats once per shift on it
        shifts: dict[Shift, None] = {}
        rows = session.execute(
            _CREW_CANDIDATES,
            {"person_id": actor.person_id, "window_closed_before": now - windows.documentation},
        )
        for journal, mission_id, unit_id, assigned_at, removed_at, started_at, ended_at in rows:
            journals[journal.id] = journal
            units[MissionUnitRow(mission_id, unit_id, assigned_at, removed_at)] = None
            if started_at is not None:
                shifts[Shift(unit_id=unit_id, started_at=started_at, ended_at=ended_at)] = None
        return _Candidates(list(journals.values()), list(units), tuple(shifts))
    if actor.role is Role.ed_staff and actor.organisation_id is not None:
        ed = aliased(Organisation)
        own_eds = select(ed.id).where(ed.parent_id == actor.organisation_id)
        announced = select(JournalAnnouncement.journal_id).where(
            JournalAnnouncement.emergency_department_id.in_(own_eds)
        )
        handed = select(JournalHandover.journal_id).where(
            JournalHandover.emergency_department_id.in_(own_eds)
        )
        return _Candidates(
            list(session.scalars(select(Journal).where(Journal.id.in_(announced) | Journal.id.in_(handed))))
        )
    return _Candidates([])


def visible_journals(
    *, session: Session, actor: Actor, windows: Windows, auditing: Auditing | None, now: dt.datetime
) -> list[Journal]:
    """The journals the actor may see now, oldest first; one ``list`` audit event per listed patient."""
    visible: list[Journal] = []
    found = _candidates(session=session, actor=actor, windows=windows, now=now)
    candidates = sorted(found.journals, key=lambda j: (j.opened_at, j.id))
    facts = journals_facts(
        session=session, journals=candidates, actor=actor, mission_units=found.mission_units
    )
    # A board session audits each patient once: patients it has seen need no per-patient check.
    audited: set[str] = (
        board_views_seen(session=session, web_session_id=auditing.board_session_id)
        if auditing is not None and auditing.board_session_id is not None
        else set()
    )
    for journal in candidates:
        decision = decide(
            actor=actor,
            action=Action.list,
            journal=facts[journal.id],
            shifts=found.shifts,
            windows=windows,
            now=now,
        )
        if not decision.allowed:
            continue  # not listed, so nothing of this patient was looked at
        visible.append(journal)
        if patient_key(journal) not in audited:
            audited.add(patient_key(journal))
            _audit(
                session=session,
                auditing=auditing,
                action=Action.list,
                journal=journal,
                decision=decision,
                now=now,
            )
    return visible


def record_handover(
    *,
    session: Session,
    actor: Actor,
    actor_name: str,
    journal_id: uuid.UUID,
    emergency_department_id: uuid.UUID,
    windows: Windows,
    auditing: Auditing,
    sync: ServerWriting,
    now: dt.datetime,
) -> JournalHandover:
    """A crew records that the patient was handed over to an ED: a real ``handover`` entry written by
    the person as a server-side writer (so tablets pull it), projected into ``journal_handovers``.
    Write, projection and audit share one transaction."""
    ed = session.get(Organisation, emergency_department_id)
    if ed is None or ed.kind is not OrgKind.emergency_department:
        raise InvalidInput("emergency_department_id", "no emergency department with this id")
    journal = open_journal(
        session=session,
        actor=actor,
        action=Action.write,
        journal_id=journal_id,
        windows=windows,
        auditing=auditing,
        now=now,
    )
    entry_id = _write_handover_entry(
        session=session,
        actor=actor,
        actor_name=actor_name,
        journal_id=journal.id,
        payload=Handover(
            to="hospital", receiver=PersonRef(name=ed.name, organisation=ed.name), receiving_unit=ed.sor_id
        ),
        windows=windows,
        sync=sync,
        now=now,
    )
    handover = session.scalar(select(JournalHandover).where(JournalHandover.source_entry_id == entry_id))
    if handover is None:
        # The ED has no SOR code, so the entry names it only by name; record the relation directly.
        handover = JournalHandover(
            journal_id=journal.id,
            emergency_department_id=ed.id,
            handed_over_at=now,
            recorded_by=actor.person_id,
        )
        session.add(handover)
        session.flush()
    return handover


@dataclass(frozen=True)
class ServerWriting:
    """What a server-side write needs from the running app: its clock and the HLC bound."""

    clock: ServerClock
    max_ahead_ms: int


def confirm_receipt(
    *,
    session: Session,
    actor: Actor,
    actor_name: str,
    journal_id: uuid.UUID,
    windows: Windows,
    auditing: Auditing,
    sync: ServerWriting,
    now: dt.datetime,
) -> uuid.UUID:
    """ED staff confirm that their department received the patient: a ``handover`` entry with
    ``confirmed_receipt`` written by the person as a server-side writer, so the crew's tablet pulls it.

    Allowed when the patient is announced or handed over to the person's hospital (the policy's ED read
    rule); the confirmation is audited as a write. Returns the new entry's id.
    """
    journal = open_journal(
        session=session,
        actor=actor,
        action=Action.read,
        journal_id=journal_id,
        windows=windows,
        auditing=auditing,
        now=now,
        audited_as=Action.write,
    )
    hospital = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    hospital_name = hospital.name if hospital is not None else "ED"
    return _write_handover_entry(
        session=session,
        actor=actor,
        actor_name=actor_name,
        journal_id=journal.id,
        payload=Handover(
            to="hospital",
            receiver=PersonRef(name=actor_name, organisation=hospital_name),
            receiving_unit=hospital.sor_id if hospital is not None else None,
            confirmed_receipt=True,
        ),
        windows=windows,
        sync=sync,
        now=now,
    )


def _write_handover_entry(
    *,
    session: Session,
    actor: Actor,
    actor_name: str,
    journal_id: uuid.UUID,
    payload: Handover,
    windows: Windows,
    sync: ServerWriting,
    now: dt.datetime,
) -> uuid.UUID:
    author = Author(
        person_id=str(actor.person_id),
        name=actor_name,
        role=AuthorRole(actor.role.value),
        authorisation_level=AuthorisationLevel.PHYSICIAN
        if actor.role is Role.physician
        else AuthorisationLevel.AUTHORISED,
    )
    writer_id = person_writer(actor.person_id)
    outcome = write_entries(
        session=session,
        writer_id=writer_id,
        drafts=[
            lambda hlc: new_entry(
                journal_id=journal_id,
                payload=payload,
                author=author,
                device_id=writer_id,
                clinical_time=now,
                hlc=hlc,
                source="manual",
            )
        ],
        clock=sync.clock,
        max_ahead_ms=sync.max_ahead_ms,
        windows=windows,
        audit_writer=None,  # the caller audited this write
        audit=None,
        now=now,
    )
    return outcome.results[0].entry_id
