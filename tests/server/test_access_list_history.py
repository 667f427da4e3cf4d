"""A crew's access list stays exact however long its history: the list's one statement prefilters journals
whose documentation window has closed and shifts that cannot overlap a unit's assignment, and the policy
decides on what is left. On SQLite and PostgreSQL (``database_url``)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from server.access import service as access
from server.access.policy import Action, Actor, Windows
from server.care.models import Journal, Mission, MissionUnit
from server.db import utcnow
from server.errors import AccessDenied
from server.identity.models import CrewShift, Person, Role
from server.identity.service import create_person
from server.orgs.models import OrgKind, UnitType
from server.orgs.service import create_organisation
from tests.server.world import hashed_password

WINDOWS = Windows(documentation=dt.timedelta(hours=12), emergency_department=dt.timedelta(hours=24))
NOW = utcnow()


def _unit(session: Session, call_sign: str) -> uuid.UUID:
    region = create_organisation(session=session, kind=OrgKind.region, name=f"Region {call_sign}")
    return create_organisation(
        session=session,
        kind=OrgKind.unit,
        name=f"Ambulance {call_sign}",
        parent_id=region.id,
        call_sign=call_sign,
        unit_type=UnitType.ambulance,
    ).id


def _paramedic(session: Session, name: str) -> Person:
    return create_person(
        session=session,
        username=name,
        display_name=name,
        role=Role.paramediciner,
        password=hashed_password(),
    )


def _shift(
    session: Session, person: Person, unit: uuid.UUID, start: dt.datetime, end: dt.datetime | None
) -> None:
    session.add(CrewShift(person_id=person.id, unit_id=unit, started_at=start, ended_at=end))


def _journal(
    session: Session, unit: uuid.UUID, assigned: dt.datetime, ended: dt.datetime | None
) -> uuid.UUID:
    mission = Mission(created_at=assigned)
    session.add(mission)
    session.flush()
    session.add(MissionUnit(mission_id=mission.id, unit_id=unit, assigned_at=assigned))
    journal = Journal(mission_id=mission.id, opened_at=assigned, episode_ended_at=ended)
    session.add(journal)
    session.flush()
    return journal.id


def _listed(session: Session, person: Person, now: dt.datetime) -> set[uuid.UUID]:
    actor = Actor(person_id=person.id, role=person.role, organisation_id=person.organisation_id)
    journals = access.visible_journals(session=session, actor=actor, windows=WINDOWS, auditing=None, now=now)
    return {journal.id for journal in journals}


def test_a_crew_with_a_year_of_shifts_and_missions_lists_only_its_current_journals(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        unit = _unit(session, "HIST-1")
        paramedic = _paramedic(session, "hist-daily")
        for day in range(365, 0, -1):  # a shift a day on the same ambulance, each with a closed mission
            start = NOW - dt.timedelta(days=day)
            _shift(session, paramedic, unit, start, start + dt.timedelta(hours=8))
            _journal(session, unit, start + dt.timedelta(hours=1), start + dt.timedelta(hours=2))
        _shift(session, paramedic, unit, NOW - dt.timedelta(hours=3), None)
        open_now = _journal(session, unit, NOW - dt.timedelta(hours=1), None)
        ended_an_hour_ago = _journal(session, unit, NOW - dt.timedelta(hours=2), NOW - dt.timedelta(hours=1))
        session.commit()

        assert _listed(session, paramedic, NOW) == {open_now, ended_an_hour_ago}


def test_a_journal_is_listed_until_exactly_the_end_of_its_documentation_window(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        unit = _unit(session, "HIST-2")
        paramedic = _paramedic(session, "hist-window")
        ended = NOW - dt.timedelta(hours=20)
        _shift(session, paramedic, unit, ended - dt.timedelta(hours=4), None)
        journal = _journal(session, unit, ended - dt.timedelta(hours=2), ended)
        session.commit()

        at_the_end = ended + WINDOWS.documentation
        assert _listed(session, paramedic, at_the_end) == {journal}
        assert _listed(session, paramedic, at_the_end + dt.timedelta(microseconds=1)) == set()


SHIFTS = pytest.mark.parametrize(
    ("shift_hours", "allowed"),
    [
        pytest.param((-6, -3), False, id="ended-before-the-unit-was-assigned"),
        pytest.param((-6, -2), True, id="ended-at-the-assignment"),
        pytest.param((-1, 1), True, id="during-the-episode"),
        pytest.param((5, 6), False, id="began-after-the-episode-ended"),
    ],
)


def _one_shift_and_journal(session: Session, shift_hours: tuple[int, int]) -> tuple[Person, uuid.UUID]:
    """A journal whose unit was assigned 10 h ago and whose episode ended 6 h ago, and a paramedic with
    one shift on that unit, ``shift_hours`` after the mission's midpoint."""
    unit = _unit(session, f"HIST-S{uuid.uuid4().hex[:8].upper()}")
    paramedic = _paramedic(session, f"hist-shift-{uuid.uuid4().hex[:8]}")
    base = NOW - dt.timedelta(hours=8)
    journal = _journal(session, unit, base - dt.timedelta(hours=2), base + dt.timedelta(hours=2))
    start, end = (base + dt.timedelta(hours=h) for h in shift_hours)
    _shift(session, paramedic, unit, start, end)
    session.commit()
    return paramedic, journal


@SHIFTS
def test_only_a_shift_that_overlaps_the_units_assignment_lists_the_journal(
    sessions: sessionmaker[Session], shift_hours: tuple[int, int], allowed: bool
) -> None:
    with sessions() as session:
        paramedic, journal = _one_shift_and_journal(session, shift_hours)

        assert _listed(session, paramedic, NOW) == ({journal} if allowed else set())


@SHIFTS
def test_only_a_shift_that_overlaps_the_units_assignment_opens_the_journal(
    sessions: sessionmaker[Session], shift_hours: tuple[int, int], allowed: bool
) -> None:
    with sessions() as session:
        paramedic, journal = _one_shift_and_journal(session, shift_hours)
        actor = Actor(person_id=paramedic.id, role=paramedic.role, organisation_id=None)

        def open_it() -> uuid.UUID:
            return access.open_journal(
                session=session,
                actor=actor,
                action=Action.read,
                journal_id=journal,
                windows=WINDOWS,
                auditing=None,
                now=NOW,
            ).id

        if allowed:
            assert open_it() == journal
        else:
            with pytest.raises(AccessDenied):
                open_it()
