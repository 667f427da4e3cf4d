"""Every endpoint touching patient data writes exactly the audit events it should, on SQLite and
PostgreSQL; tampering with, deleting or truncating events is detected by ``ppj audit verify``."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from ppj.cli import app as cli
from server.audit.models import AuditAnchor, AuditEvent
from server.audit.service import verify
from server.care.models import JournalHandover
from server.db import utcnow
from server.demo import MEDCOM_TEST_CPR
from server.identity.models import Role
from tests.server.world import World


def events(sessions: sessionmaker[Session]) -> list[AuditEvent]:
    with sessions() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.partition, AuditEvent.seq)))


def test_reading_a_journal_writes_one_event_naming_who_what_where_and_why(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    crew = world.callers[Role.paramediciner]
    response = client.get(f"/api/journals/{world.journals['related']}", headers=crew.api_headers())
    assert response.status_code == 200
    [event] = events(sessions)
    assert (event.action, event.outcome, event.purpose) == ("read", "allowed", "treatment")
    assert event.actor_id == crew.person_id and event.actor_role == "paramediciner"
    assert event.patient_cpr == MEDCOM_TEST_CPR and event.journal_id == world.journals["related"]
    assert event.device_id == world.device_id and event.client_ip == "testclient"
    assert event.channel == "api GET /api/journals/{journal_id}"


def test_a_refused_read_is_audited_as_denied_and_answers_403(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    crew = world.callers[Role.ambulancebehandler]
    response = client.get(f"/api/journals/{world.journals['unrelated']}", headers=crew.api_headers())
    assert response.status_code == 403
    [event] = events(sessions)
    assert (event.action, event.outcome, event.journal_id) == ("read", "denied", world.journals["unrelated"])


def test_listing_writes_one_event_per_listed_patient_and_none_for_the_unlisted(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    integrator = world.callers[Role.integrator]
    response = client.get("/api/journals", headers=integrator.api_headers())
    assert [item["id"] for item in response.json()] == [str(world.journals["sandbox"])]
    [event] = events(sessions)
    assert (event.action, event.journal_id) == ("list", world.journals["sandbox"])


def test_a_handover_is_stored_with_its_write_event_and_a_bad_one_leaves_neither(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    crew = world.callers[Role.ambulanceassistent]
    url = f"/api/journals/{world.journals['related']}/handover"
    bad = client.post(url, json={"emergency_department_id": str(uuid.uuid4())}, headers=crew.api_headers())
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "emergency_department_id"]
    assert events(sessions) == []
    good = client.post(url, json={"emergency_department_id": str(world.ed_own)}, headers=crew.api_headers())
    assert good.status_code == 201
    [event] = events(sessions)
    assert (event.action, event.outcome) == ("write", "allowed")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(JournalHandover)) == 1


def test_the_board_audits_once_per_board_session_per_patient(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ed = world.callers[Role.ed_staff]
    client.cookies.set("ppj_session", ed.cookie)
    for _ in range(3):
        assert client.get("/board").status_code == 200
    assert client.get(f"/board/journals/{world.journals['related']}").status_code == 200
    [event] = events(sessions)
    assert (event.action, event.channel) == ("list", "board GET /board")


def test_pages_without_patient_data_write_no_audit_events(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    admin = world.callers[Role.administrator]
    client.cookies.set("ppj_session", admin.cookie)
    assert client.get("/admin").status_code == 200
    assert client.get("/api/me", headers=admin.api_headers()).status_code == 200
    assert client.get("/api/journals").status_code == 401
    assert events(sessions) == []


def _generate(client: TestClient, world: World, count: int) -> None:
    crew = world.callers[Role.physician]
    for _ in range(count):
        assert (
            client.get(f"/api/journals/{world.journals['related']}", headers=crew.api_headers()).status_code
            == 200
        )


def test_an_untouched_trail_verifies_clean(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    _generate(client, world, 5)
    with sessions() as session:
        report = verify(session=session, anchor=False, now=utcnow())
    assert report.events == 5 and report.problems == []


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_name", "Someone Else"),
        ("patient_cpr", "0000000000"),
        ("outcome", "denied"),
        ("occurred_at", None),
    ],
)
def test_altering_any_field_of_an_event_is_detected(
    client: TestClient, world: World, sessions: sessionmaker[Session], column: str, value: object
) -> None:
    _generate(client, world, 4)
    with sessions() as session:
        target = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()[2]
        new = value if value is not None else target.occurred_at.replace(year=2020)
        session.execute(update(AuditEvent).where(AuditEvent.id == target.id).values({column: new}))
        session.commit()
        report = verify(session=session, anchor=False, now=utcnow())
    assert [(p.kind, p.seq) for p in report.problems] == [("altered", 3)]


def test_removing_an_event_is_detected(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    _generate(client, world, 4)
    with sessions() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
        session.commit()
        report = verify(session=session, anchor=False, now=utcnow())
    assert [p.kind for p in report.problems] == ["missing"]


def test_removing_the_tail_after_an_anchor_is_detected(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    _generate(client, world, 3)
    with sessions() as session:
        assert verify(session=session, anchor=True, now=utcnow()).anchored == 1
        session.commit()
        session.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
        session.commit()
        report = verify(session=session, anchor=False, now=utcnow())
        assert session.scalar(select(func.count()).select_from(AuditAnchor)) == 2  # first event, verify
    assert [p.kind for p in report.problems] == ["truncated"]


def test_removing_a_whole_partition_is_detected_through_its_first_anchor(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    _generate(client, world, 2)
    with sessions() as session:
        session.execute(delete(AuditEvent))
        session.commit()
        report = verify(session=session, anchor=False, now=utcnow())
    assert [(p.kind, p.seq) for p in report.problems] == [("truncated", 1)]


def test_ppj_audit_verify_exits_nonzero_on_tampering_and_names_the_event(
    client: TestClient, world: World, sessions: sessionmaker[Session], database_url: str
) -> None:
    _generate(client, world, 3)
    runner = CliRunner()
    env = {"PPJ_DATABASE_URL": database_url}
    clean = runner.invoke(cli, ["audit", "verify"], env=env)
    assert clean.exit_code == 0, clean.output
    with sessions() as session:
        session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(action="list"))
        session.commit()
    tampered = runner.invoke(cli, ["audit", "verify"], env=env)
    assert tampered.exit_code == 1
    assert "altered" in tampered.output and "seq 2" in tampered.output


def test_the_citizen_export_lists_who_looked_and_is_itself_audited(
    client: TestClient, world: World, sessions: sessionmaker[Session], database_url: str
) -> None:
    _generate(client, world, 2)
    result = CliRunner().invoke(
        cli, ["audit", "export", "--cpr", MEDCOM_TEST_CPR, "--fhir"], env={"PPJ_DATABASE_URL": database_url}
    )
    assert result.exit_code == 0, result.output
    import json

    bundle = json.loads(result.output)
    assert bundle["total"] == 2
    resource = bundle["entry"][0]["resource"]
    assert resource["resourceType"] == "AuditEvent" and resource["action"] == "R"
    assert resource["agent"][0]["who"]["display"] == "Test physician"
    assert resource["entity"][0]["what"]["identifier"] == {
        "system": "urn:oid:1.2.208.176.1.2",
        "value": MEDCOM_TEST_CPR,
    }
    assert [e.action for e in events(sessions)].count("export") == 1
