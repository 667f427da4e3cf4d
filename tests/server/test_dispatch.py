"""The dispatch API on SQLite and PostgreSQL: a mission reaches the unit's tablet by sync, updates and
cancellations follow it there, and bad input gets a clear 4xx naming the problem (never a 5xx)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from journal.ids import new_uuid7
from journal.kinds.mission import MissionAssignment
from journal.kinds.record import Note
from ppj.dispatch_cli import DispatchClient, DispatchRefused
from server.api.dispatch_routes import MAX_BODY_BYTES
from server.app import create_app
from server.config import Settings
from server.identity.models import Role
from server.sync.models import EntryRow
from tests.server.sync_tablets import Tablet, make_tablet
from tests.server.world import World

MISSION: dict[str, Any] = {
    "reference": "M-2026-1125-0042",
    "units": ["T-AMB-1"],
    "urgency": "A",
    "criterion": "10.1",
    "address": "Vestergade 12, 5000 Odense C",
    "notes": "Mand 70 år, brystsmerter",
}


@pytest.fixture
def app(engine: Engine, database_url: str) -> FastAPI:
    return create_app(Settings(database_url=database_url), engine=engine)


@pytest.fixture
def http(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def tablet(app: FastAPI, sessions: sessionmaker[Session], world: World, tmp_path: Path) -> Iterator[Tablet]:
    made = make_tablet(
        app=app, sessions=sessions, person_id=world.callers[Role.paramediciner].person_id, path=tmp_path / "t"
    )
    yield made
    made.store.close()


def _assignments(tablet: Tablet, mission_id: str) -> list[dict[str, Any]]:
    return [json.loads(e.content) for e in tablet.store.journal_entries(uuid.UUID(mission_id))]


def test_a_mission_reaches_the_units_tablet_and_so_do_its_update_and_cancellation(
    http: TestClient, tablet: Tablet, world: World
) -> None:
    dispatcher = world.callers[Role.dispatcher].api_headers()
    created = http.post("/api/dispatch/missions", json=MISSION, headers=dispatcher)
    assert created.status_code == 201, created.text
    mission_id = created.json()["mission_id"]

    tablet.client.sync_once()
    entries = _assignments(tablet, mission_id)
    assert [e["kind"] for e in entries] == ["mission_assignment"]
    assert entries[0]["payload"]["address"] == MISSION["address"] and entries[0]["source"] == "dispatch"

    updated = http.put(
        f"/api/dispatch/missions/{mission_id}", json={**MISSION, "urgency": "B"}, headers=dispatcher
    )
    assert updated.status_code == 200 and updated.json()["urgency"] == "B"
    cancelled = http.post(
        f"/api/dispatch/missions/{mission_id}/cancel", json={"reason": "Afmeldt af AMK"}, headers=dispatcher
    )
    assert cancelled.json()["cancelled"] is True and cancelled.json()["cancelled_reason"] == "Afmeldt af AMK"

    tablet.client.sync_once()
    kinds = [e["kind"] for e in _assignments(tablet, mission_id)]
    assert sorted(kinds) == ["mission_assignment", "mission_assignment", "retraction"]


def test_a_unit_not_on_the_mission_never_pulls_it(http: TestClient, tablet: Tablet, world: World) -> None:
    other = {**MISSION, "units": ["T-AMB-2"]}
    created = http.post(
        "/api/dispatch/missions", json=other, headers=world.callers[Role.dispatcher].api_headers()
    )
    tablet.client.sync_once()
    assert uuid.UUID(created.json()["mission_id"]) not in tablet.store.accessible_journals()


@pytest.mark.parametrize("role", [r for r in Role if r not in (Role.dispatcher, Role.dispatch_system)])
def test_only_dispatchers_and_dispatch_systems_create_missions(
    http: TestClient, world: World, role: Role
) -> None:
    response = http.post("/api/dispatch/missions", json=MISSION, headers=world.callers[role].api_headers())
    assert response.status_code == 403


def test_a_dispatch_system_client_creates_missions(http: TestClient, world: World) -> None:
    response = http.post(
        "/api/dispatch/missions", json=MISSION, headers=world.callers[Role.dispatch_system].api_headers()
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        ({**MISSION, "urgency": "X"}, 422, "urgency"),
        ({k: v for k, v in MISSION.items() if k != "address"}, 422, "address"),
        ({**MISSION, "units": []}, 422, "units"),
        ({**MISSION, "units": ["NO-SUCH-UNIT"]}, 422, "NO-SUCH-UNIT"),
        ({**MISSION, "surprise": 1}, 422, "surprise"),
        ({**MISSION, "notes": "x" * (MAX_BODY_BYTES + 1)}, 413, "body"),
        ({**MISSION, "units": ["T-AMB-1\u0000"]}, 422, "control characters"),
    ],
    ids=["urgency", "missing-address", "no-units", "unknown-unit", "extra-field", "oversized", "nul-in-unit"],
)
def test_a_bad_dispatch_gets_a_clear_error_naming_the_problem(
    http: TestClient, world: World, body: dict[str, Any], status: int, names: str
) -> None:
    response = http.post(
        "/api/dispatch/missions", json=body, headers=world.callers[Role.dispatcher].api_headers()
    )
    assert response.status_code == status and names in response.text


def test_unknown_missions_and_duplicate_references_are_refused(http: TestClient, world: World) -> None:
    headers = world.callers[Role.dispatcher].api_headers()
    assert http.post("/api/dispatch/missions", json=MISSION, headers=headers).status_code == 201
    assert http.post("/api/dispatch/missions", json=MISSION, headers=headers).status_code == 409
    unknown = f"/api/dispatch/missions/{uuid.uuid4()}"
    assert http.put(unknown, json=MISSION, headers=headers).status_code == 404
    assert http.post(f"{unknown}/cancel", json={"reason": "x"}, headers=headers).status_code == 404
    assert http.post("/api/dispatch/missions", content=b"{not json", headers=headers).status_code == 422


def test_the_dispatch_client_creates_updates_and_cancels_and_reports_refusals(
    app: FastAPI, world: World
) -> None:
    headers = world.callers[Role.dispatcher].api_headers()
    with TestClient(app, headers=headers) as http:
        client = DispatchClient(http)
        created = client.create(MISSION)
        updated = client.update(created["mission_id"], {**MISSION, "units": ["T-AMB-1", "T-AMB-2"]})
        assert updated["units"] == ["T-AMB-1", "T-AMB-2"]
        assert client.cancel(created["mission_id"], "Fejlalarm")["cancelled"] is True
        with pytest.raises(DispatchRefused) as refused:
            client.create({**MISSION, "reference": "M-2", "units": ["NO-SUCH-UNIT"]})
    assert refused.value.status == 422


def _patient_journal(tablet: Tablet, *, unit: str, reference: str) -> uuid.UUID:
    """A patient journal of mission ``reference`` whose entries are written under ``unit``."""
    journal_id = new_uuid7()
    for payload in (MissionAssignment(mission_id=reference, units=(unit,)), Note(text="Patient vågen.")):
        tablet.capture(tablet.entry(journal_id, payload, unit=unit))
    return journal_id


def _stored_entries(sessions: sessionmaker[Session], journal_id: uuid.UUID) -> int:
    with sessions() as session:
        return len(session.scalars(select(EntryRow.entry_id).where(EntryRow.journal_id == journal_id)).all())


def test_a_unit_removed_by_an_update_keeps_only_the_journals_it_wrote_in(
    http: TestClient, tablet: Tablet, world: World, sessions: sessionmaker[Session]
) -> None:
    dispatcher = world.callers[Role.dispatcher].api_headers()
    both = {**MISSION, "units": ["T-AMB-1", "T-AMB-2"]}
    mission_id = uuid.UUID(
        http.post("/api/dispatch/missions", json=both, headers=dispatcher).json()["mission_id"]
    )
    tablet.client.sync_once()
    written = _patient_journal(tablet, unit="T-AMB-1", reference=MISSION["reference"])
    others = _patient_journal(tablet, unit="T-AMB-2", reference=MISSION["reference"])
    tablet.client.sync_once()
    assert {mission_id, written, others} <= set(tablet.store.accessible_journals())
    before = _stored_entries(sessions, written)

    moved = http.put(
        f"/api/dispatch/missions/{mission_id}", json={**MISSION, "units": ["T-AMB-2"]}, headers=dispatcher
    )
    assert moved.status_code == 200 and moved.json()["units"] == ["T-AMB-2"]
    tablet.client.sync_once()

    access = set(tablet.store.accessible_journals())
    assert written in access
    assert others not in access and mission_id not in access
    assert _stored_entries(sessions, written) == before == 2
    # Its crew can still finish documenting the patient it treated.
    tablet.capture(tablet.entry(written, Note(text="Overlevering afsluttet.")))
    tablet.client.sync_once()
    assert _stored_entries(sessions, written) == 3

    # Named again by a later update: the access comes back.
    http.put(f"/api/dispatch/missions/{mission_id}", json=both, headers=dispatcher)
    tablet.client.sync_once()
    assert {mission_id, others} <= set(tablet.store.accessible_journals())
