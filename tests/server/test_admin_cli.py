"""``ppj user|device|org|db`` against a real database, and the admin page's forms."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from ppj.cli import app as cli
from server import migrate
from server.db import make_engine
from server.identity.models import Device, Person, Role
from server.orgs.models import Organisation, OrgKind
from tests.server.world import World


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The CLI is thin over the services, which run on both backends elsewhere; SQLite is enough here."""
    return sqlite_url


def ppj(database_url: str, *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), env={"PPJ_DATABASE_URL": database_url}, input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_ppj_db_upgrade_migrates_an_empty_database_to_the_head(tmp_path: object, sqlite_url: str) -> None:
    ppj(sqlite_url, "db", "upgrade")
    engine = make_engine(sqlite_url)
    try:
        assert migrate.is_current(engine=engine)
    finally:
        engine.dispose()


def test_organisations_users_and_devices_from_the_command_line(
    engine: object, sessions: sessionmaker[Session], database_url: str
) -> None:
    ppj(
        database_url,
        "org",
        "create",
        "--kind",
        "region",
        "--name",
        "Region Syddanmark",
        "--sor",
        "999000000000001",
    )
    ppj(database_url, "org", "create", "--kind", "hospital", "--name", "OUH", "--parent", "999000000000001",
        "--sor", "999000000000002")  # fmt: skip
    ppj(database_url, "org", "create", "--kind", "unit", "--name", "Ambulance", "--parent", "999000000000001",
        "--call-sign", "syd-amb-9", "--unit-type", "ambulance")  # fmt: skip
    ppj(database_url, "org", "update", "SYD-AMB-9", "--inactive")
    listing = ppj(database_url, "org", "list", "--kind", "unit")
    assert "SYD-AMB-9" in listing and "no" in listing
    ppj(database_url, "user", "create", "ed1", "--name", "Ea Dahl", "--role", "ed_staff", "--organisation",
        "999000000000002", input="a long password!\na long password!\n")  # fmt: skip
    ppj(database_url, "user", "disable", "ed1")
    enrolled = ppj(database_url, "device", "enrol", "Tablet 9")
    credential = enrolled.strip().splitlines()[-1]
    device_id = credential.split(".")[0]
    ppj(database_url, "device", "revoke", device_id)
    with sessions() as session:
        unit = session.scalars(select(Organisation).where(Organisation.kind == OrgKind.unit)).one()
        assert unit.call_sign == "SYD-AMB-9" and not unit.active
        person = session.scalars(select(Person)).one()
        assert person.role is Role.ed_staff and not person.active
        assert session.scalars(select(Device)).one().revoked_at is not None


def test_a_bad_value_on_the_command_line_names_the_field(engine: object, database_url: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["org", "create", "--kind", "region", "--name", "R", "--gln", "123"],
        env={"PPJ_DATABASE_URL": database_url},
    )
    assert result.exit_code == 2 and "gln" in result.output


def test_the_admin_page_creates_users_and_reports_a_bad_field_in_danish(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    admin = world.callers[Role.administrator]
    client.cookies.set("ppj_session", admin.cookie)
    form = {
        "username": "new.medic",
        "display_name": "Ny Medic",
        "role": "paramediciner",
        "csrf_token": admin.csrf,
    }
    bad = client.post("/admin/users", data={**form, "password": "short"})
    assert bad.status_code == 422 and "Fejl i feltet password" in bad.text
    good = client.post("/admin/users", data={**form, "password": "a long password!"}, follow_redirects=False)
    assert good.status_code == 303
    page = client.get("/admin")
    assert "new.medic" in page.text


def test_the_admin_page_disables_a_user_and_edits_an_organisation(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    admin = world.callers[Role.administrator]
    client.cookies.set("ppj_session", admin.cookie)
    target = world.callers[Role.dispatcher]
    response = client.post(
        f"/admin/users/{target.person_id}/active",
        data={"active": "false", "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    response = client.post(
        f"/admin/organisations/{world.ed_own}",
        data={"name": "FAM OUH Odense", "gln": "5790001348120", "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with sessions() as session:
        assert not session.get_one(Person, target.person_id).active
        ed = session.get_one(Organisation, world.ed_own)
        assert (ed.name, ed.gln) == ("FAM OUH Odense", "5790001348120")
    assert re.search(r"FAM OUH Odense", client.get("/admin").text)


def test_unknown_ids_on_the_admin_page_get_404_not_a_server_error(client: TestClient, world: World) -> None:
    admin = world.callers[Role.administrator]
    client.cookies.set("ppj_session", admin.cookie)
    unknown = "01a213e6-0000-7000-8000-000000000000"
    for path, data in (
        (f"/admin/users/{unknown}/active", {"active": "false"}),
        (f"/admin/devices/{unknown}/revoke", {}),
        (f"/admin/organisations/{unknown}", {"name": "X"}),
    ):
        assert client.post(path, data={**data, "csrf_token": admin.csrf}).status_code == 404
