"""Two tablets and the real server (the app factory on SQLite and PostgreSQL): the tablet app's own record and
view-models on each tablet's encrypted store, the reference sync client between them and the server.

A mission created through the dispatch API appears in the unit's mission list (as a mission, not a patient);
a patient opened from it on one tablet, with a note and a pre-alerted destination, appears on the other
tablet under the same mission; the other crew's note comes back; the ED board shows the pre-alert.
"""

from __future__ import annotations

import datetime as dt
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from journal.entry import Role as JournalRole
from journal.kinds.disposition import Destination
from server.app import create_app
from server.config import Settings
from server.identity.models import Role
from tablet_app.auth import Person
from tablet_app.record import LocalRecord
from tablet_app.session import SessionWiring
from tablet_app.viewmodels.crew import CrewViewModel
from tablet_app.viewmodels.drafts import InMemoryDraftStoreForTests
from tablet_app.viewmodels.episode import DestinationViewModel, NotesViewModel, Receiver
from tablet_app.viewmodels.journal_list import JournalListViewModel
from tablet_app.viewmodels.patient_journal import JournalViewModel
from tests.server.ed_board_scenario import hospital_sor
from tests.server.sync_tablets import UNIT, Tablet, make_tablet
from tests.server.test_dispatch import MISSION
from tests.server.world import World
from tests.tablet_app.documenting import TEST_CPR, session
from tests.tablet_app.fakes import ManualClock


@dataclass
class CrewTablet:
    """One tablet as the app runs it after log-in: its record, crew and mission list on its own store."""

    sync: Tablet
    clock: ManualClock
    record: LocalRecord
    crew: CrewViewModel
    missions: JournalListViewModel

    def synchronise(self) -> None:
        self.sync.client.sync_once()
        self.record.synced(self.clock.now())

    def journal(self, journal_id: object) -> JournalViewModel:
        return JournalViewModel(record=self.record, journal_id=journal_id, crew=self.crew, clock=self.clock)  # type: ignore[arg-type]


def crew_tablet(
    app: FastAPI, sessions: sessionmaker[Session], world: World, role: Role, path: Path
) -> CrewTablet:
    caller = world.callers[role]
    sync = make_tablet(app=app, sessions=sessions, person_id=caller.person_id, path=path)
    clock = ManualClock(dt.datetime.now(dt.UTC))
    record = LocalRecord(store=sync.store, clock=clock, unit=UNIT)
    crew = CrewViewModel(unit=UNIT)
    person = Person(caller.username, sync.author.name, JournalRole(role.value), str(caller.person_id))
    crew.sign_on(session(person, "2580", clock))
    return CrewTablet(sync, clock, record, crew, JournalListViewModel(record=record))


@pytest.fixture
def app(engine: Engine, database_url: str) -> FastAPI:
    return create_app(Settings(database_url=database_url), engine=engine)


@pytest.fixture
def tablets(
    app: FastAPI, sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> Iterator[tuple[CrewTablet, CrewTablet]]:
    a = crew_tablet(app, sessions, world, Role.paramediciner, tmp_path / "a")
    b = crew_tablet(app, sessions, world, Role.ambulancebehandler, tmp_path / "b")
    yield a, b
    a.sync.store.close()
    b.sync.store.close()


def test_a_dispatched_mission_and_a_patient_documented_on_one_tablet_appear_on_the_other(
    app: FastAPI, tablets: tuple[CrewTablet, CrewTablet], sessions: sessionmaker[Session], world: World
) -> None:
    a, b = tablets
    with TestClient(app) as http:
        created = http.post(
            "/api/dispatch/missions", json=MISSION, headers=world.callers[Role.dispatcher].api_headers()
        )
    assert created.status_code == 201, created.text

    a.synchronise()
    [mission] = a.missions.missions()
    assert (mission.reference, mission.cancelled, mission.patients) == (MISSION["reference"], False, ())
    assert mission.assignment.address == MISSION["address"] and mission.assignment.units == ("T-AMB-1",)
    assert a.missions.rows() == []  # the mission log is a mission, never a patient row

    patient = JournalViewModel.open_new(
        record=a.record, crew=a.crew, clock=a.clock, mission=mission.assignment
    )
    assert patient.identify_by_cpr(TEST_CPR)
    notes = NotesViewModel(journal=patient, drafts=InMemoryDraftStoreForTests())
    notes.set_text("Brystsmerter siden kl. 14, 12-afl. sendt.")
    assert notes.submit()
    ed = Receiver("Odense Universitetshospital", "FAM OUH", hospital_sor(sessions, world.ed_own))
    destination = DestinationViewModel(journal=patient, clock=a.clock, receivers=(ed,))
    destination.choose_receiver(0)
    destination.choose_alert("stemi")
    assert destination.submit() and destination.notice is None
    a.synchronise()
    assert a.record.sync_state().pending == 0 and a.record.sync_state().last_sync == a.clock.now()

    b.synchronise()
    [seen] = b.missions.missions()
    assert seen.reference == MISSION["reference"] and seen.mission_log_id == mission.mission_log_id
    assert [row.journal_id for row in seen.patients] == [patient.journal_id]
    assert seen.patients[0].patient.render() == "CPR 250947-9989"
    on_b = b.journal(patient.journal_id)
    assert [
        line.text for line in NotesViewModel(journal=on_b, drafts=InMemoryDraftStoreForTests()).notes()
    ] == ["Brystsmerter siden kl. 14, 12-afl. sendt."]
    shown = on_b.state.value("destination")
    assert isinstance(shown, Destination) and shown.pre_alert is not None and shown.sor_code == ed.sor_code

    reply = NotesViewModel(journal=on_b, drafts=InMemoryDraftStoreForTests())
    reply.set_text("Overtaget af 2. besætning.")
    assert reply.submit()
    b.synchronise()
    a.synchronise()
    assert [
        line.text
        for line in NotesViewModel(
            journal=a.journal(patient.journal_id), drafts=InMemoryDraftStoreForTests()
        ).notes()
    ] == [
        "Brystsmerter siden kl. 14, 12-afl. sendt.",
        "Overtaget af 2. besætning.",
    ]

    board = TestClient(app, base_url="http://ppj.test")
    board.cookies.set("ppj_session", world.callers[Role.ed_staff].cookie)
    page = board.get("/board")
    assert page.status_code == 200 and f"/board/journals/{patient.journal_id}" in page.text
    assert "Forvarsel" in page.text


def test_a_cancelled_mission_reaches_the_tablets_list_as_cancelled(
    app: FastAPI, tablets: tuple[CrewTablet, CrewTablet], world: World
) -> None:
    a, _ = tablets
    dispatcher = world.callers[Role.dispatcher].api_headers()
    with TestClient(app) as http:
        mission_id = http.post("/api/dispatch/missions", json=MISSION, headers=dispatcher).json()[
            "mission_id"
        ]
        a.synchronise()
        assert not a.missions.missions()[0].cancelled
        http.post(
            f"/api/dispatch/missions/{mission_id}/cancel",
            json={"reason": "Afmeldt af AMK"},
            headers=dispatcher,
        )
    a.synchronise()
    [mission] = a.missions.missions()
    assert mission.cancelled and str(mission.mission_log_id) == mission_id


def test_the_apps_background_sync_carries_a_save_to_the_other_tablet(
    tablets: tuple[CrewTablet, CrewTablet],
) -> None:
    """The app's own wiring (``SessionWiring``: a ``SyncWorker`` thread woken by every save) instead of a
    direct ``sync_once``; the worker's reports reach the record through ``post``, as on the UI thread."""
    a, b = tablets
    posted: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
    wiring = SessionWiring.start(
        store=a.sync.store, clock=a.clock, unit=UNIT, http=a.sync.http, post=posted.put
    )
    try:
        wiring.crew.sign_on(session(a.crew.members[0], "2580", a.clock))
        patient = wiring.new_journal()  # returns once stored locally; the worker syncs on its own thread
        notes = NotesViewModel(journal=patient, drafts=wiring.drafts)
        notes.set_text("Sendt i baggrunden.")
        assert notes.submit()
        deadline = time.monotonic() + 30
        while wiring.record.sync_state().last_sync is None or a.sync.store.pending_count():
            assert time.monotonic() < deadline, "the sync worker did not send the entries"
            try:
                posted.get(timeout=0.1)()  # what the UI loop does with the worker's reports
            except queue.Empty:
                continue
    finally:
        wiring.stop()

    b.synchronise()
    assert [row.journal_id for row in b.missions.unassigned()] == [patient.journal_id]
    assert [
        line.text
        for line in NotesViewModel(
            journal=b.journal(patient.journal_id), drafts=InMemoryDraftStoreForTests()
        ).notes()
    ] == ["Sendt i baggrunden."]
