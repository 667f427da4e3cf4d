"""A tablet enrols itself with a one-time code an administrator issued, on SQLite and PostgreSQL: the
tablet's own client (``tablet_app.server_login.enrol_device``) against the real app; the credential it gets
logs crew in through that device; the code works once, not after it expires, and is stored only hashed."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from ppj.cli import app as cli
from server.app import create_app
from server.config import Settings
from server.errors import InvalidInput
from server.identity.models import Device, EnrolmentCode, Role
from server.identity.service import issue_enrolment_code
from sync.enrolment import normalise_enrolment_code
from tablet_app.errors import EnrolmentCodeRefusedError
from tablet_app.facades.device_credential import SealedFileCredential
from tablet_app.server_login import ServerLogin, enrol_device
from tests.server.world import PASSWORD, World


@pytest.fixture
def http(engine: Engine, database_url: str) -> Iterator[TestClient]:
    app: FastAPI = create_app(Settings(database_url=database_url), engine=engine)
    with TestClient(app, base_url="http://ppj.test") as client:
        yield client


def issue(sessions: sessionmaker[Session], *, minutes: int = 15, now: dt.datetime | None = None) -> str:
    with sessions() as session:
        issued = issue_enrolment_code(
            session=session,
            label="Tablet 1-21",
            ttl=dt.timedelta(minutes=minutes),
            now=now or dt.datetime.now(dt.UTC),
        )
        session.commit()
    return issued.code


def test_a_tablet_enrols_with_a_code_and_its_crew_logs_in_through_it(
    http: TestClient, sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    code = issue(sessions)
    credential = enrol_device(http=http, code=code.lower())  # typed in lower case: still the code
    kept = SealedFileCredential(path=tmp_path / "device-credential", device_secret=b"d" * 32)
    kept.save(credential)

    person = ServerLogin(http=http, device_credential=kept.load()).log_in(
        username=world.callers[Role.paramediciner].username, password=PASSWORD
    )
    assert person.role.value == "paramediciner"
    with sessions() as session:
        row = session.scalars(select(EnrolmentCode)).one()
        device = session.get_one(Device, row.device_id)
        assert device.label == "Tablet 1-21" and str(device.id) == credential.split(".")[0]
        assert row.used_at is not None
        normalised = normalise_enrolment_code(code)
        assert normalised is not None  # only its hash is stored, in no readable form
        assert row.code_sha256 == hashlib.sha256(normalised.encode()).hexdigest()
        assert normalised.lower() not in row.code_sha256.lower() and normalised not in row.label.upper()


def test_a_code_works_once(http: TestClient, sessions: sessionmaker[Session]) -> None:
    code = issue(sessions)
    enrol_device(http=http, code=code)
    with pytest.raises(EnrolmentCodeRefusedError):
        enrol_device(http=http, code=code)
    with sessions() as session:
        assert len(session.scalars(select(Device).where(Device.label == "Tablet 1-21")).all()) == 1


def test_an_expired_unknown_or_malformed_code_is_refused_and_enrols_nothing(
    http: TestClient, sessions: sessionmaker[Session]
) -> None:
    expired = issue(sessions, minutes=1, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2))
    for code in (expired, "ABCD-EFGH-JKLM"):
        response = http.post("/api/devices/enrol", json={"code": code})
        assert response.status_code == 401, response.text
    malformed = http.post("/api/devices/enrol", json={"code": "1234"})
    assert malformed.status_code == 422 and "code" in malformed.text
    with sessions() as session:
        assert session.scalars(select(Device).where(Device.label == "Tablet 1-21")).all() == []


def test_a_code_lives_between_one_minute_and_a_day(sessions: sessionmaker[Session]) -> None:
    for minutes in (0, 24 * 60 + 1):
        with sessions() as session, pytest.raises(InvalidInput, match="minutes"):
            issue_enrolment_code(
                session=session, label="x", ttl=dt.timedelta(minutes=minutes), now=dt.datetime.now(dt.UTC)
            )
    issue(sessions, minutes=24 * 60)
    issue(sessions, minutes=1)


def test_ppj_device_code_prints_a_code_that_enrols(
    http: TestClient, engine: Engine, database_url: str, world: World
) -> None:
    result = CliRunner().invoke(
        cli,
        ["device", "code", "Tablet 1-22", "--organisation", "T-AMB-1", "--minutes", "10"],
        env={"PPJ_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    code = result.output.strip().splitlines()[-1]
    assert normalise_enrolment_code(code) is not None
    credential = enrol_device(http=http, code=code)
    assert credential.count(".") == 1
