"""Loads what the policy needs from the database: a journal's relations and a person's shifts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import Select, bindparam, literal, or_, select, union_all
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from server.access.policy import Actor, EdRelation, JournalFacts, Shift, UnitAssignment, reads_ed_relations
from server.care.models import Journal, JournalAnnouncement, JournalHandover, MissionUnit
from server.db import column_rows
from server.identity.models import CrewShift
from server.orgs.models import Organisation, OrgKind
from server.sync.models import EntryRow


def journal_facts(*, session: Session, journal: Journal, actor: Actor) -> JournalFacts:
    return journals_facts(session=session, journals=[journal], actor=actor)[journal.id]


class MissionUnitRow(NamedTuple):
    """What the policy needs of a mission's unit (the columns ``MISSION_UNIT_COLUMNS``, in order)."""

    mission_id: uuid.UUID
    unit_id: uuid.UUID
    assigned_at: dt.datetime
    removed_at: dt.datetime | None


def journals_facts(
    *,
    session: Session,
    journals: Sequence[Journal],
    actor: Actor,
    mission_units: Iterable[MissionUnitRow] | None = None,
) -> dict[uuid.UUID, JournalFacts]:
    """The facts the policy reads to decide on ``actor``'s access to many journals: one query for the
    missions' units (none when the caller read them with the journals: ``mission_units``, every unit of
    every journal's mission), a second for the ED relations when the policy reads them for this actor, a
    third when a mission has a removed unit."""
    if not journals:
        return {}
    journal_ids = [j.id for j in journals]
    if mission_units is None:
        mission_units = [
            MissionUnitRow(*row)
            for row in column_rows(
                session, _MISSION_UNITS, {"mission_ids": list({j.mission_id for j in journals})}
            )
        ]
    units: dict[uuid.UUID, list[MissionUnitRow]] = defaultdict(list)
    for row in mission_units:
        units[row.mission_id].append(row)
    authored = _authoring_units(
        session, [j.id for j in journals if any(r.removed_at for r in units[j.mission_id])]
    )
    relations: dict[uuid.UUID, list[EdRelation]] | None = None
    if reads_ed_relations(actor):
        relations = defaultdict(list)
        for journal_id, hospital_id, at, handover in column_rows(
            session, _ED_RELATIONS, {"journal_ids": journal_ids}
        ):
            if hospital_id is not None:
                relations[journal_id].append(
                    EdRelation(hospital_id=hospital_id, at=at, handover=bool(handover))
                )
    return {
        journal.id: JournalFacts(
            journal_id=journal.id,
            sandbox=journal.sandbox,
            opened_at=journal.opened_at,
            episode_ended_at=journal.episode_ended_at,
            units=tuple(
                UnitAssignment(
                    unit_id=row.unit_id,
                    assigned_at=row.assigned_at,
                    removed=row.removed_at is not None and row.unit_id not in authored[journal.id],
                )
                for row in units[journal.mission_id]
            ),
            ed_relations=None if relations is None else tuple(relations[journal.id]),
        )
        for journal in journals
    }


def _authoring_units(session: Session, journal_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    """The units that wrote entries in each journal (only asked for journals of missions with a removed
    unit, so the common case costs no query)."""
    authored: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    if not journal_ids:
        return authored
    for journal_id, unit_id in session.execute(
        select(EntryRow.journal_id, Organisation.id)
        .join(Organisation, Organisation.call_sign == EntryRow.unit)
        .where(EntryRow.journal_id.in_(journal_ids), Organisation.kind == OrgKind.unit)
        .distinct()
    ):
        authored[journal_id].add(unit_id)
    return authored


def _ed_relation_rows(
    model: type[JournalAnnouncement] | type[JournalHandover],
    at: InstrumentedAttribute[dt.datetime],
    handover: bool,
) -> Select[uuid.UUID, uuid.UUID | None, dt.datetime, bool]:
    """(journal, hospital owning the ED, when, handover?) of ``model``'s rows for ``:journal_ids``."""
    ed = aliased(Organisation)
    return (
        select(model.journal_id, ed.parent_id, at.label("at"), literal(handover).label("handover"))
        .join(ed, ed.id == model.emergency_department_id)
        .where(model.journal_id.in_(bindparam("journal_ids", expanding=True)))
    )


# The statements are built once: every push and pull decides on a journal, and building them anew each
# time cost more of the server's CPU than compiling (cached) and sending them.
# Columns, not ORM objects: these rows only feed the policy, and loading entities cost more than the query.
MISSION_UNIT_COLUMNS = (
    MissionUnit.mission_id,
    MissionUnit.unit_id,
    MissionUnit.assigned_at,
    MissionUnit.removed_at,
)
_MISSION_UNITS = select(*MISSION_UNIT_COLUMNS).where(
    MissionUnit.mission_id.in_(bindparam("mission_ids", expanding=True))
)
# Announcements and handovers in one round trip (the number of queries is what a request's latency is
# made of).
_ED_RELATIONS = union_all(
    _ed_relation_rows(JournalAnnouncement, JournalAnnouncement.announced_at, False),
    _ed_relation_rows(JournalHandover, JournalHandover.handed_over_at, True),
)


_SHIFT_COLUMNS = select(CrewShift.unit_id, CrewShift.started_at, CrewShift.ended_at).where(
    CrewShift.person_id == bindparam("person_id")
)
# A person's shifts on some units that had not ended before a time: the shift history only grows (a
# paramedic signs on most days), and a shift that ended before every one of a journal's unit assignments
# cannot overlap any of them, so the policy would pass over it.
_SHIFTS_ON_UNITS = _SHIFT_COLUMNS.where(
    CrewShift.unit_id.in_(bindparam("unit_ids", expanding=True)),
    or_(CrewShift.ended_at.is_(None), CrewShift.ended_at >= bindparam("ended_since")),
)


def person_shifts(
    *, session: Session, person_id: uuid.UUID, units: Collection[UnitAssignment]
) -> tuple[Shift, ...]:
    """The person's shifts on a journal's ``units`` that may overlap their assignment (the policy
    decides on each)."""
    if not units:
        return ()
    rows = column_rows(
        session,
        _SHIFTS_ON_UNITS,
        {
            "person_id": person_id,
            "unit_ids": [unit.unit_id for unit in units],
            "ended_since": min(unit.assigned_at for unit in units),
        },
    )
    return tuple(
        Shift(unit_id=unit_id, started_at=started, ended_at=ended) for unit_id, started, ended in rows
    )
