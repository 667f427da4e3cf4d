"""Journal and mission projections: the care relation tables (server.care.models) as functions of entries.

``project_journals`` recomputes the touched journals from their stored entries inside the push's
transaction; ``rebuild_projections`` recomputes every journal that has entries. Both call the same
``_project_one``, whose result depends only on the journal's entries, so a rebuild equals the
incremental result (tested). Derived rows get ids made from their source, so they are equal too.

What each kind contributes:

* mission_assignment — the journal's mission (the latest by HLC), found or made by its reference, and
  the units it names; crew_sign_on and every entry's ``unit`` — the units on the mission (call signs
  resolved to unit organisations; unknown call signs contribute nothing);
* patient_identity — the journal's CPR (the latest by HLC that carries one);
* destination — an announcement to the emergency department named by its SOR code (a hospital's SOR
  means its emergency department); ``pre_alert`` makes it a pre-alert at the alert's time;
* handover to a hospital — a handover to the ED whose SOR code is the ``receiving_unit``, else the ED of
  the latest destination; disposition — the end of the episode (its clinical time; the latest).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from journal.entry import Entry
from server.care.models import (
    AnnouncementKind,
    Journal,
    JournalAnnouncement,
    JournalHandover,
    Mission,
    MissionUnit,
)
from server.db import column_rows
from server.identity.models import Person
from server.orgs.models import Organisation, OrgKind
from server.sync.models import EntryRow

_NAMESPACE = uuid.UUID("0196b4a0-0000-7000-8000-00000000c0de")
RELATION_KINDS = (
    "mission_assignment",
    "crew_sign_on",
    "patient_identity",
    "destination",
    "handover",
    "disposition",
)


def _derived_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts))


def journal_mission_id(journal_id: uuid.UUID) -> uuid.UUID:
    """The id of the mission of a journal that no mission assignment names (yet)."""
    return _derived_id("journal-mission", journal_id)


def project_journals(*, session: Session, journal_ids: Iterable[uuid.UUID], entries: Iterable[Entry]) -> None:
    """Bring the projections of ``journal_ids`` up to date after ``entries`` were stored.

    A journal whose new entries name no unit it lacks and carry no relation kind only needs its opening
    time moved; everything else is recomputed from the journal's entries.
    """
    new = list(entries)
    for journal_id in sorted(set(journal_ids)):
        mine = [e for e in new if e.journal_id == journal_id]
        journal = session.get(Journal, journal_id)
        if journal is not None and not any(e.kind in RELATION_KINDS for e in mine):
            units = {e.unit for e in mine if e.unit}
            if not units or units <= _mission_call_signs(session, journal.mission_id):
                earliest = min(e.clinical_time.at for e in mine)
                if earliest < journal.opened_at:
                    journal.opened_at = earliest
                continue
        _project_one(session=session, journal_id=journal_id)
    session.flush()


def rebuild_projections(*, session: Session) -> int:
    """Recompute every journal that has entries; return how many. Rows not derived from entries stay."""
    session.execute(delete(MissionUnit).where(MissionUnit.source_entry_id.is_not(None)))
    session.execute(delete(JournalAnnouncement).where(JournalAnnouncement.source_entry_id.is_not(None)))
    session.execute(delete(JournalHandover).where(JournalHandover.source_entry_id.is_not(None)))
    session.flush()
    session.expire_all()
    journal_ids = list(session.scalars(select(EntryRow.journal_id).distinct()))
    for journal_id in sorted(journal_ids):
        _project_one(session=session, journal_id=journal_id)
    session.flush()
    return len(journal_ids)


# Built once: every push of an entry that names a unit asks it (the common case of ``project_journals``).
_MISSION_CALL_SIGNS = (
    select(Organisation.call_sign)
    .join(MissionUnit, MissionUnit.unit_id == Organisation.id)
    .where(MissionUnit.mission_id == bindparam("mission_id"))
)


def _mission_call_signs(session: Session, mission_id: uuid.UUID) -> set[str]:
    rows = column_rows(session, _MISSION_CALL_SIGNS, {"mission_id": mission_id})
    return {call_sign for (call_sign,) in rows if call_sign is not None}


def _sort_key(row: tuple[Any, ...]) -> tuple[str, str]:
    return (row[1], str(row[0]))


def _project_one(*, session: Session, journal_id: uuid.UUID) -> None:
    opened_at = session.scalar(
        select(func.min(EntryRow.clinical_at)).where(EntryRow.journal_id == journal_id)
    )
    if opened_at is None:
        return
    if opened_at.tzinfo is None:
        opened_at = opened_at.replace(tzinfo=dt.UTC)
    rows = sorted(
        session.execute(
            select(
                EntryRow.entry_id, EntryRow.hlc, EntryRow.kind, EntryRow.content, EntryRow.clinical_at
            ).where(EntryRow.journal_id == journal_id, EntryRow.kind.in_(RELATION_KINDS))
        ).all(),
        key=_sort_key,
    )
    relations = [(row[0], row[2], json.loads(row[3]), row[4]) for row in rows]

    journal = session.get(Journal, journal_id)
    mission = _mission(
        session, journal=journal, journal_id=journal_id, relations=relations, opened_at=opened_at
    )
    if journal is None:
        journal = Journal(id=journal_id, mission_id=mission.id, opened_at=opened_at)
        session.add(journal)
    # A fact no entry states keeps its value: a journal row written directly (before sync, or by a test's
    # fixed world) keeps its relations until entries say otherwise.
    journal.mission_id = mission.id
    journal.opened_at = min(journal.opened_at, opened_at)
    for _entry_id, kind, content, _at in relations:
        payload = content.get("payload", {})
        if kind == "patient_identity" and payload.get("identifier", {}).get("type") == "cpr":
            journal.patient_cpr = payload["identifier"]["value"]
    endings = [_aware(at) for _, kind, _, at in relations if kind == "disposition"]
    if endings:
        journal.episode_ended_at = max(endings)
    session.flush()
    _project_units(session, journal_id=journal_id, mission=mission, relations=relations)
    _project_ed_relations(session, journal_id=journal_id, relations=relations)


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def _mission(
    session: Session,
    *,
    journal: Journal | None,
    journal_id: uuid.UUID,
    relations: list[tuple[uuid.UUID, str, Any, dt.datetime]],
    opened_at: dt.datetime,
) -> Mission:
    references = [c["payload"]["mission_id"] for _, kind, c, _ in relations if kind == "mission_assignment"]
    if references:
        reference = references[-1]
        mission = session.scalar(select(Mission).where(Mission.reference == reference))
        if mission is None:
            mission = Mission(id=_derived_id("mission", reference), reference=reference, created_at=opened_at)
            session.add(mission)
            session.flush()
        return mission
    if journal is not None:
        return session.get_one(Mission, journal.mission_id)
    # No assignment yet (a journal opened on the tablet): a mission of its own until one arrives.
    mission_id = journal_mission_id(journal_id)
    mission = session.get(Mission, mission_id)
    if mission is None:
        mission = Mission(id=mission_id, created_at=opened_at)
        session.add(mission)
        session.flush()
    return mission


def _project_units(
    session: Session,
    *,
    journal_id: uuid.UUID,
    mission: Mission,
    relations: list[tuple[uuid.UUID, str, Any, dt.datetime]],
) -> None:
    named: dict[str, tuple[dt.datetime, uuid.UUID]] = {}

    def name(call_sign: str, at: dt.datetime, entry_id: uuid.UUID) -> None:
        at = _aware(at)
        if call_sign not in named or (at, str(entry_id)) < (named[call_sign][0], str(named[call_sign][1])):
            named[call_sign] = (at, entry_id)

    for entry_id, kind, content, at in relations:
        if kind == "mission_assignment":
            for call_sign in content["payload"].get("units", ()):
                name(call_sign, at, entry_id)
        if kind == "crew_sign_on":
            name(content["payload"]["unit"], at, entry_id)
    first_by_unit = session.execute(
        select(EntryRow.unit, func.min(EntryRow.clinical_at))
        .where(EntryRow.journal_id == journal_id, EntryRow.unit.is_not(None))
        .group_by(EntryRow.unit)
    ).all()
    for call_sign, at in first_by_unit:
        first = session.scalar(
            select(EntryRow.entry_id)
            .where(EntryRow.journal_id == journal_id, EntryRow.unit == call_sign, EntryRow.clinical_at == at)
            .order_by(EntryRow.entry_id)
            .limit(1)
        )
        if call_sign is not None and first is not None:
            name(call_sign, at, first)
    if not named:
        return
    units = {
        org.call_sign: org
        for org in session.scalars(
            select(Organisation).where(Organisation.kind == OrgKind.unit, Organisation.call_sign.in_(named))
        )
    }
    existing = {
        row.unit_id: row
        for row in session.scalars(select(MissionUnit).where(MissionUnit.mission_id == mission.id))
    }
    for call_sign, (at, entry_id) in sorted(named.items()):
        unit = units.get(call_sign)
        if unit is None:
            continue
        row = existing.get(unit.id)
        if row is None:
            session.add(
                MissionUnit(
                    id=_derived_id("mission-unit", mission.id, unit.id),
                    mission_id=mission.id,
                    unit_id=unit.id,
                    assigned_at=at,
                    source_entry_id=entry_id,
                )
            )
        elif row.source_entry_id is not None and at < row.assigned_at:
            # Several journals of one mission name the unit: the earliest naming counts.
            row.assigned_at, row.source_entry_id = at, entry_id
    current = _dispatch_current_units(relations)
    if current is not None:
        session.flush()
        _mark_removed_units(session, mission=mission, current=current)


def _dispatch_current_units(
    relations: list[tuple[uuid.UUID, str, Any, dt.datetime]],
) -> tuple[set[str], set[str], dt.datetime] | None:
    """For a dispatch mission log: the call signs any of its assignments named, those of its current
    assignment, and when that was made.

    None for any other journal: a patient journal's own assignment copy (written on the tablet) never
    removes a unit; only the dispatch centre's update does. The current assignment is the one no later
    assignment is ``based_on`` (an update names the one it replaces); a cancellation is a retraction,
    not an assignment, so it leaves the units as they were (crews keep documenting a cancelled mission).
    """
    assignments = [(i, c, at) for i, kind, c, at in relations if kind == "mission_assignment"]
    if not assignments or any(c.get("source") != "dispatch" for _, c, _ in assignments):
        return None
    replaced = {uuid.UUID(str(b)) for _, c, _ in assignments for b in c.get("based_on", ())}
    current = [(c, _aware(at)) for i, c, at in assignments if i not in replaced]
    if not current:
        return None
    named = {u for _, c, _ in assignments for u in c["payload"].get("units", ())}
    return named, {u for c, _ in current for u in c["payload"].get("units", ())}, max(at for _, at in current)


def _mark_removed_units(
    session: Session, *, mission: Mission, current: tuple[set[str], set[str], dt.datetime]
) -> None:
    """Only units the dispatch centre named and then dropped are removed: a unit that joined the mission
    on its own (a crew sign-on in a patient journal) is not the dispatch log's to remove."""
    named, call_signs, at = current
    for row, call_sign in session.execute(
        select(MissionUnit, Organisation.call_sign)
        .join(Organisation, Organisation.id == MissionUnit.unit_id)
        .where(MissionUnit.mission_id == mission.id)
    ):
        if call_sign in call_signs or call_sign not in named:
            row.removed_at = None
        elif row.removed_at is None:
            row.removed_at = at


def _emergency_department(session: Session, sor: str | None) -> Organisation | None:
    if not sor:
        return None
    org = session.scalar(select(Organisation).where(Organisation.sor_id == sor))
    if org is None:
        return None
    if org.kind is OrgKind.emergency_department:
        return org
    if org.kind is OrgKind.hospital:
        return session.scalar(
            select(Organisation)
            .where(Organisation.parent_id == org.id, Organisation.kind == OrgKind.emergency_department)
            .order_by(Organisation.sor_id)
            .limit(1)
        )
    return None


def _project_ed_relations(
    session: Session, *, journal_id: uuid.UUID, relations: list[tuple[uuid.UUID, str, Any, dt.datetime]]
) -> None:
    session.execute(
        delete(JournalAnnouncement).where(
            JournalAnnouncement.journal_id == journal_id, JournalAnnouncement.source_entry_id.is_not(None)
        )
    )
    session.execute(
        delete(JournalHandover).where(
            JournalHandover.journal_id == journal_id, JournalHandover.source_entry_id.is_not(None)
        )
    )
    latest_ed: Organisation | None = None
    for entry_id, kind, content, at in relations:
        payload = content["payload"]
        if kind == "destination":
            ed = _emergency_department(session, payload.get("sor_code"))
            if ed is None:
                continue
            latest_ed = ed
            alert = payload.get("pre_alert")
            session.add(
                JournalAnnouncement(
                    id=_derived_id("announcement", entry_id),
                    journal_id=journal_id,
                    emergency_department_id=ed.id,
                    kind=AnnouncementKind.pre_alert if alert else AnnouncementKind.destination,
                    announced_at=dt.datetime.fromisoformat(alert["sent_at"]) if alert else _aware(at),
                    source_entry_id=entry_id,
                )
            )
        if kind == "handover" and payload.get("to") == "hospital":
            ed = _emergency_department(session, payload.get("receiving_unit")) or latest_ed
            if ed is None:
                continue
            author = content.get("author", {}).get("person_id")
            recorded_by: uuid.UUID | None = None
            try:
                candidate = uuid.UUID(author)
                recorded_by = candidate if session.get(Person, candidate) is not None else None
            except (TypeError, ValueError):
                recorded_by = None
            session.add(
                JournalHandover(
                    id=_derived_id("handover", entry_id),
                    journal_id=journal_id,
                    emergency_department_id=ed.id,
                    handed_over_at=_aware(at),
                    recorded_by=recorded_by,
                    source_entry_id=entry_id,
                )
            )
