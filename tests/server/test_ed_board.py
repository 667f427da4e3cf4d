"""The ED board end to end over HTTP (TestClient), on SQLite and PostgreSQL: a tablet's pre-alert makes
a board row, the ED confirms receipt, the confirmation reaches the tablet's store; another hospital never
sees the patient. The browser version is tests/server/test_ed_board_browser.py."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from journal.entry import new_entry
from journal.kinds.common import Reading
from journal.kinds.observations import VitalSigns
from server.app import create_app
from server.audit.models import AuditEvent
from server.config import Settings
from server.db import utcnow
from server.identity.models import Role
from server.identity.service import create_person, start_web_session
from server.orgs.models import Organisation
from tests.server.ed_board_scenario import COMPLAINT, capture_pre_alerted_patient, hospital_sor
from tests.server.sync_tablets import Tablet, make_tablet
from tests.server.world import World, hashed_password


@pytest.fixture
def app(engine: Engine, database_url: str) -> FastAPI:
    return create_app(Settings(database_url=database_url, board_stream_seconds=0.2), engine=engine)


@pytest.fixture
def tablet(app: FastAPI, sessions: sessionmaker[Session], world: World, tmp_path: Path) -> Iterator[Tablet]:
    made = make_tablet(
        app=app, sessions=sessions, person_id=world.callers[Role.paramediciner].person_id, path=tmp_path / "t"
    )
    yield made
    made.store.close()


def _board_client(app: FastAPI, cookie: str) -> TestClient:
    client = TestClient(app, base_url="http://ppj.test")
    client.cookies.set("ppj_session", cookie)
    return client


def _other_hospital_staff(sessions: sessionmaker[Session], world: World) -> str:
    with sessions() as session:
        other_hospital = session.get_one(Organisation, world.ed_other).parent_id
        person = create_person(
            session=session,
            username="ed-esbjerg",
            display_name="Akutlæge Esbjerg",
            role=Role.ed_staff,
            password=hashed_password(),
            organisation_id=other_hospital,
        )
        cookie = start_web_session(
            session=session, person=person, ttl=dt.timedelta(hours=1), now=utcnow()
        ).token
        session.commit()
        return cookie


def _synced_pre_alert(tablet: Tablet, sessions: sessionmaker[Session], world: World) -> uuid.UUID:
    """A patient pre-alerted to the world's own hospital, pushed to the server."""
    journal_id = capture_pre_alerted_patient(
        tablet, sor=hospital_sor(sessions, world.ed_own), hospital="Odense Universitetshospital"
    )
    tablet.client.sync_once()
    return journal_id


def _row_of(html: str, journal_id: uuid.UUID) -> str:
    return html.split(f'data-journal="{journal_id}"')[1].split("</tr>")[0]


def test_a_pre_alert_appears_on_the_board_is_received_and_the_receipt_reaches_the_tablet(
    app: FastAPI, tablet: Tablet, sessions: sessionmaker[Session], world: World
) -> None:
    sor = hospital_sor(sessions, world.ed_own)
    journal_id = capture_pre_alerted_patient(tablet, sor=sor, hospital="Odense Universitetshospital")
    tablet.client.sync_once()

    ed = world.callers[Role.ed_staff]
    with _board_client(app, ed.cookie) as board:
        page = board.get("/board")
        assert page.status_code == 200
        assert f"/board/journals/{journal_id}" in page.text, page.text
        assert COMPLAINT in page.text and "news2-red" in page.text and "T-AMB-1" in page.text
        assert "Forvarsel" in page.text  # Danish by default
        assert "Pre-alert" in board.get("/board?lang=en").text

        patient = board.get(f"/board/journals/{journal_id}")
        assert patient.status_code == 200 and "<polyline" in patient.text and "I: " in patient.text
        pdf = board.get(f"/board/journals/{journal_id}/pdf")
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

        received = board.post(
            f"/board/journals/{journal_id}/received", data={"csrf_token": ed.csrf}, follow_redirects=False
        )
        assert received.status_code == 303

    tablet.client.sync_once()
    receipts = [
        json.loads(envelope.content)
        for envelope in tablet.store.journal_entries(journal_id)
        if json.loads(envelope.content)["kind"] == "handover"
    ]
    assert len(receipts) == 1
    assert receipts[0]["payload"]["confirmed_receipt"] is True
    assert receipts[0]["author"]["person_id"] == str(ed.person_id)


def test_another_hospitals_staff_never_see_the_patient(
    app: FastAPI, tablet: Tablet, sessions: sessionmaker[Session], world: World
) -> None:
    journal_id = _synced_pre_alert(tablet, sessions, world)
    with _board_client(app, _other_hospital_staff(sessions, world)) as board:
        assert str(journal_id) not in board.get("/board").text
        assert str(journal_id) not in board.get("/board/rows").text
        assert board.get(f"/board/journals/{journal_id}").status_code == 403
        assert board.get(f"/board/journals/{journal_id}/pdf").status_code == 403


def test_the_receipt_needs_the_sessions_csrf_token(
    app: FastAPI, tablet: Tablet, sessions: sessionmaker[Session], world: World
) -> None:
    journal_id = _synced_pre_alert(tablet, sessions, world)
    with _board_client(app, world.callers[Role.ed_staff].cookie) as board:
        response = board.post(f"/board/journals/{journal_id}/received", data={"csrf_token": "forged"})
        assert response.status_code == 403
        assert board.get(f"/board/journals/{uuid.uuid4()}").status_code == 404


def test_the_latest_vitals_are_the_latest_by_clinical_time_not_by_upload(
    app: FastAPI, tablet: Tablet, sessions: sessionmaker[Session], world: World
) -> None:
    journal_id = capture_pre_alerted_patient(
        tablet, sor=hospital_sor(sessions, world.ed_own), hospital="Odense Universitetshospital"
    )
    # Typed in afterwards, measured 30 minutes earlier: it must not become the "latest" vitals.
    earlier = new_entry(
        journal_id=journal_id,
        payload=VitalSigns(heart_rate=Reading(value=61, unit="/min")),
        author=tablet.author,
        device_id=str(tablet.device_id),
        unit="T-AMB-1",
        clinical_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30),
        hlc=tablet.stamp(),
    )
    tablet.capture(earlier)
    tablet.client.sync_once()
    with _board_client(app, world.callers[Role.ed_staff].cookie) as board:
        row = _row_of(board.get("/board/rows").text, journal_id)
    assert "P 128 /min" in row and "P 61 /min" not in row and "news2-red" in row


def test_every_board_view_and_the_receipt_are_audited_and_a_refused_receipt_too(
    app: FastAPI, tablet: Tablet, sessions: sessionmaker[Session], world: World
) -> None:
    journal_id = _synced_pre_alert(tablet, sessions, world)
    ed = world.callers[Role.ed_staff]
    with _board_client(app, ed.cookie) as board:
        board.get("/board")
        board.get(f"/board/journals/{journal_id}/pdf")
        board.post(f"/board/journals/{journal_id}/received", data={"csrf_token": ed.csrf})
    other_cookie = _other_hospital_staff(sessions, world)
    with _board_client(app, other_cookie) as board:
        csrf = board.get("/board").text  # a page of the other session carries its CSRF token
        token = csrf.split('name="csrf_token" value="')[1].split('"')[0]
        assert (
            board.post(f"/board/journals/{journal_id}/received", data={"csrf_token": token}).status_code
            == 403
        )
    with sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.journal_id == journal_id)).all()
        seen = {(e.actor_role, e.action, e.outcome, e.actor_id == ed.person_id) for e in events}
    assert ("ed_staff", "list", "allowed", True) in seen
    assert ("ed_staff", "export", "allowed", True) in seen
    assert ("ed_staff", "write", "allowed", True) in seen
    assert ("ed_staff", "write", "denied", False) in seen


def test_the_isbar_and_timeline_read_in_danish_by_default_and_in_english_when_chosen(
    app: FastAPI, tablet: Tablet, sessions: sessionmaker[Session], world: World
) -> None:
    journal_id = _synced_pre_alert(tablet, sessions, world)
    with _board_client(app, world.callers[Role.ed_staff].cookie) as board:
        danish = _row_of(board.get("/board/rows").text, journal_id)
        english = _row_of(board.get("/board/rows?lang=en").text, journal_id)
        page_da = board.get(f"/board/journals/{journal_id}").text
        page_en = board.get(f"/board/journals/{journal_id}", headers={"Accept-Language": "en-GB"}).text
    assert "Behandling: ingen" in danish and "BT 95/60" in danish and "Treatment" not in danish
    assert "Treatment: none" in english and "BP 95/60" in english and "Behandling" not in english
    assert "<strong>Vitalparametre</strong>" in page_da and "<strong>Vital signs</strong>" in page_en
    assert "forvarsel stemi" in page_da and "pre-alert stemi" in page_en


def test_an_unchanged_journal_is_not_refolded_and_a_new_entry_is_shown_at_once(
    app: FastAPI, tablet: Tablet, sessions: sessionmaker[Session], world: World
) -> None:
    journal_id = _synced_pre_alert(tablet, sessions, world)
    cache = app.state.row_cache
    with _board_client(app, world.callers[Role.ed_staff].cookie) as board:
        first = board.get("/board/rows").text
        misses = cache.misses
        assert board.get("/board/rows").text == first and cache.misses == misses and cache.hits >= 1
        tablet.capture(tablet.entry(journal_id, VitalSigns(heart_rate=Reading(value=77, unit="/min"))))
        tablet.client.sync_once()
        assert "P 77 /min" in _row_of(board.get("/board/rows").text, journal_id)
        assert cache.misses == misses + 1
