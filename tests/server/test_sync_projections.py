"""Projections: the care relation tables follow the entries in the push's transaction, a rebuild from the
entries gives the same rows, and a handover recorded through the API is a real entry the crew pulls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from journal.kinds.disposition import Destination
from journal.kinds.mission import MissionAssignment
from journal.kinds.patient import CprIdentifier, PatientIdentity
from server.app import create_app
from server.care.models import Journal, JournalAnnouncement, JournalHandover, MissionUnit
from server.config import Settings
from server.demo import MEDCOM_TEST_CPR
from server.identity.models import Role
from server.orgs.models import Organisation
from server.sync.models import EntryRow
from server.sync.projections import rebuild_projections
from tests.server.sync_tablets import Tablet, make_tablet
from tests.server.world import World


@pytest.fixture
def app(engine: Engine, database_url: str) -> FastAPI:
    return create_app(Settings(database_url=database_url), engine=engine)


@pytest.fixture
def tablet(app: FastAPI, sessions: sessionmaker[Session], world: World, tmp_path: Path) -> Iterator[Tablet]:
    made = make_tablet(
        app=app, sessions=sessions, person_id=world.callers[Role.paramediciner].person_id, path=tmp_path / "a"
    )
    yield made
    made.store.close()


def _snapshot(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    with sessions() as session:
        return {
            "journals": sorted(
                (str(j.id), str(j.mission_id), j.patient_cpr, j.opened_at, j.episode_ended_at)
                for j in session.scalars(select(Journal))
            ),
            "units": sorted(
                (str(u.id), str(u.mission_id), str(u.unit_id), u.assigned_at, str(u.source_entry_id))
                for u in session.scalars(select(MissionUnit))
            ),
            "announcements": sorted(
                (str(a.id), str(a.journal_id), str(a.emergency_department_id), a.kind, a.announced_at)
                for a in session.scalars(select(JournalAnnouncement))
            ),
            "handovers": sorted(
                (
                    str(h.id),
                    str(h.journal_id),
                    str(h.emergency_department_id),
                    h.handed_over_at,
                    str(h.recorded_by),
                )
                for h in session.scalars(select(JournalHandover))
            ),
        }


def test_entries_make_the_relations_a_rebuild_gives_the_same_and_the_crew_pulls_the_api_handover(
    tablet: Tablet, sessions: sessionmaker[Session], world: World
) -> None:
    with sessions() as session:
        ed_sor = session.get_one(Organisation, world.ed_own).sor_id
    journal_id = tablet.open_journal()
    tablet.capture(tablet.entry(journal_id, MissionAssignment(mission_id="M-TEST-0001", units=("T-AMB-1",))))
    tablet.capture(tablet.entry(journal_id, PatientIdentity(identifier=CprIdentifier(value=MEDCOM_TEST_CPR))))
    tablet.capture(tablet.entry(journal_id, Destination(hospital="OUH", sor_code=ed_sor)))
    tablet.client.sync_once()

    with sessions() as session:
        journal = session.get_one(Journal, journal_id)
        assert journal.patient_cpr == MEDCOM_TEST_CPR
        announced = session.scalars(
            select(JournalAnnouncement).where(JournalAnnouncement.journal_id == journal_id)
        )
        assert [a.emergency_department_id for a in announced] == [world.ed_own]

    response = tablet.http.post(
        f"/api/journals/{journal_id}/handover",
        json={"emergency_department_id": str(world.ed_own)},
        headers=tablet.headers(),
    )
    assert response.status_code == 201, response.text
    tablet.client.sync_once()
    with sessions() as session:
        handover_entry = session.scalar(
            select(EntryRow).where(EntryRow.journal_id == journal_id, EntryRow.kind == "handover")
        )
        assert handover_entry is not None and handover_entry.writer_id.startswith("user:")
        assert session.scalar(select(JournalHandover.source_entry_id)) == handover_entry.entry_id
    held = {e.entry_id for e in tablet.store.journal_entries(journal_id)}
    assert handover_entry.entry_id in held

    incremental = _snapshot(sessions)
    with sessions() as session:
        assert rebuild_projections(session=session) == 1
        session.commit()
    assert _snapshot(sessions) == incremental
