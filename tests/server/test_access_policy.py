"""The access policy at its boundaries (pure functions; no database, no HTTP)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest

from server.access.policy import (
    Action,
    Actor,
    EdRelation,
    JournalFacts,
    Shift,
    UnitAssignment,
    Windows,
    decide,
)
from server.identity.models import Role

T0 = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
UNIT = uuid.uuid4()
HOSPITAL = uuid.uuid4()
WINDOWS = Windows(documentation=dt.timedelta(hours=12), emergency_department=dt.timedelta(hours=24))
TICK = dt.timedelta(microseconds=1)


def facts(
    *, ended: dt.datetime | None = None, sandbox: bool = False, ed_at: dt.datetime | None = None
) -> JournalFacts:
    return JournalFacts(
        journal_id=uuid.uuid4(),
        sandbox=sandbox,
        opened_at=T0,
        episode_ended_at=ended,
        units=(UnitAssignment(unit_id=UNIT, assigned_at=T0),),
        ed_relations=(EdRelation(hospital_id=HOSPITAL, at=ed_at, handover=False),) if ed_at else (),
    )


def crew(now: dt.datetime, *, journal: JournalFacts, shift: Shift, action: Action = Action.read) -> bool:
    actor = Actor(person_id=uuid.uuid4(), role=Role.ambulancebehandler, organisation_id=None)
    return decide(
        actor=actor, action=action, journal=journal, shifts=[shift], windows=WINDOWS, now=now
    ).allowed


ON_SHIFT = Shift(unit_id=UNIT, started_at=T0 - dt.timedelta(hours=2), ended_at=None)


def test_crew_access_lasts_exactly_until_the_documentation_window_closes() -> None:
    journal = facts(ended=T0 + dt.timedelta(hours=1))
    closes = T0 + dt.timedelta(hours=13)
    assert crew(closes, journal=journal, shift=ON_SHIFT)
    assert not crew(closes + TICK, journal=journal, shift=ON_SHIFT)
    assert not crew(closes + TICK, journal=journal, shift=ON_SHIFT, action=Action.write)


def test_crew_keep_access_during_an_open_episode_however_long() -> None:
    assert crew(T0 + dt.timedelta(days=3), journal=facts(), shift=ON_SHIFT)


def test_a_shift_that_ended_before_the_unit_was_assigned_gives_no_access() -> None:
    before = Shift(unit_id=UNIT, started_at=T0 - dt.timedelta(hours=8), ended_at=T0 - TICK)
    assert not crew(T0 + dt.timedelta(minutes=5), journal=facts(), shift=before)
    at_assignment = Shift(unit_id=UNIT, started_at=T0 - dt.timedelta(hours=8), ended_at=T0)
    assert crew(T0 + dt.timedelta(minutes=5), journal=facts(), shift=at_assignment)


def test_a_shift_starting_after_the_episode_ended_gives_no_access() -> None:
    journal = facts(ended=T0 + dt.timedelta(hours=1))
    late = Shift(unit_id=UNIT, started_at=T0 + dt.timedelta(hours=1) + TICK, ended_at=None)
    assert not crew(T0 + dt.timedelta(hours=2), journal=journal, shift=late)


def test_a_shift_on_another_unit_gives_no_access() -> None:
    other = Shift(unit_id=uuid.uuid4(), started_at=T0 - dt.timedelta(hours=1), ended_at=None)
    assert not crew(T0, journal=facts(), shift=other)


def test_a_unit_removed_from_the_mission_loses_the_journals_it_did_not_write_in() -> None:
    removed = dataclasses.replace(
        facts(), units=(UnitAssignment(unit_id=UNIT, assigned_at=T0, removed=True),)
    )
    assert not crew(T0, journal=removed, shift=ON_SHIFT)
    assert not crew(T0, journal=removed, shift=ON_SHIFT, action=Action.write)
    # Another unit still on the mission keeps its access to the same journal.
    other = uuid.uuid4()
    shared = dataclasses.replace(
        removed, units=(*removed.units, UnitAssignment(unit_id=other, assigned_at=T0))
    )
    assert crew(T0, journal=shared, shift=Shift(unit_id=other, started_at=T0, ended_at=None))


def ed(
    now: dt.datetime, journal: JournalFacts, action: Action = Action.read, hospital: uuid.UUID = HOSPITAL
) -> bool:
    actor = Actor(person_id=uuid.uuid4(), role=Role.ed_staff, organisation_id=hospital)
    return decide(actor=actor, action=action, journal=journal, shifts=[], windows=WINDOWS, now=now).allowed


def test_ed_access_lasts_exactly_the_ed_window_after_the_announcement() -> None:
    journal = facts(ed_at=T0)
    assert ed(T0 + dt.timedelta(hours=24), journal)
    assert not ed(T0 + dt.timedelta(hours=24) + TICK, journal)


def test_ed_staff_of_another_hospital_and_ed_writes_are_refused() -> None:
    journal = facts(ed_at=T0)
    assert not ed(T0, journal, hospital=uuid.uuid4())
    assert not ed(T0, journal, action=Action.write)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.integrator])
def test_nobody_but_integrators_sees_sandbox_journals(role: Role) -> None:
    actor = Actor(person_id=uuid.uuid4(), role=role, organisation_id=HOSPITAL)
    journal = facts(sandbox=True, ed_at=T0)
    assert not decide(
        actor=actor, action=Action.read, journal=journal, shifts=[ON_SHIFT], windows=WINDOWS, now=T0
    ).allowed


@pytest.mark.parametrize("action", list(Action))
def test_integrators_read_sandbox_journals_only_and_never_write(action: Action) -> None:
    actor = Actor(person_id=uuid.uuid4(), role=Role.integrator, organisation_id=None)
    sandbox = decide(
        actor=actor, action=action, journal=facts(sandbox=True), shifts=[], windows=WINDOWS, now=T0
    )
    real = decide(actor=actor, action=action, journal=facts(), shifts=[], windows=WINDOWS, now=T0)
    assert sandbox.allowed is (action is not Action.write)
    assert not real.allowed


@pytest.mark.parametrize("role", [Role.administrator, Role.dispatcher, Role.dispatch_system])
def test_administrators_and_dispatch_read_no_journals(role: Role) -> None:
    actor = Actor(person_id=uuid.uuid4(), role=role, organisation_id=HOSPITAL)
    decision = decide(
        actor=actor, action=Action.read, journal=facts(ed_at=T0), shifts=[ON_SHIFT], windows=WINDOWS, now=T0
    )
    assert not decision.allowed and "reads no journals" in decision.reason
