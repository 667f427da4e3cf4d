"""Loads what the policy needs from the database: a journal's relations and a person's shifts."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from server.access.policy import EdRelation, JournalFacts, Shift, UnitAssignment
from server.care.models import Journal, JournalAnnouncement, JournalHandover, MissionUnit
from server.identity.models import CrewShift
from server.orgs.models import Organisation


def journal_facts(*, session: Session, journal: Journal) -> JournalFacts:
    units = tuple(
        UnitAssignment(unit_id=row.unit_id, assigned_at=row.assigned_at)
        for row in session.scalars(select(MissionUnit).where(MissionUnit.mission_id == journal.mission_id))
    )
    ed = aliased(Organisation)
    relations: list[EdRelation] = []
    for hospital_id, at in session.execute(
        select(ed.parent_id, JournalAnnouncement.announced_at)
        .join(ed, ed.id == JournalAnnouncement.emergency_department_id)
        .where(JournalAnnouncement.journal_id == journal.id)
    ):
        if hospital_id is not None:
            relations.append(EdRelation(hospital_id=hospital_id, at=at, handover=False))
    for hospital_id, at in session.execute(
        select(ed.parent_id, JournalHandover.handed_over_at)
        .join(ed, ed.id == JournalHandover.emergency_department_id)
        .where(JournalHandover.journal_id == journal.id)
    ):
        if hospital_id is not None:
            relations.append(EdRelation(hospital_id=hospital_id, at=at, handover=True))
    return JournalFacts(
        journal_id=journal.id,
        sandbox=journal.sandbox,
        opened_at=journal.opened_at,
        episode_ended_at=journal.episode_ended_at,
        units=units,
        ed_relations=tuple(relations),
    )


def person_shifts(
    *, session: Session, person_id: uuid.UUID, unit_ids: Collection[uuid.UUID] | None = None
) -> tuple[Shift, ...]:
    """The person's shifts, only those on ``unit_ids`` when given (a person's shift history only grows)."""
    query = select(CrewShift).where(CrewShift.person_id == person_id)
    if unit_ids is not None:
        query = query.where(CrewShift.unit_id.in_(unit_ids))
    return tuple(
        Shift(unit_id=row.unit_id, started_at=row.started_at, ended_at=row.ended_at)
        for row in session.scalars(query)
    )
