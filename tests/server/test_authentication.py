"""Log-in, tokens, devices, sessions and CSRF: every failure is a clear 401/403/429, never a 5xx."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from server.db import utcnow
from server.identity.models import AccessToken, LoginFailure, Person, Role
from server.identity.service import revoke_device, set_active
from server.orgs.models import Organisation
from tests.server.world import PASSWORD, World


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """HTTP-level authentication behaviour runs on SQLite only; the DB contract (throttle rows, tokens,
    audit) is exercised on both backends by test_audit_trail.py and test_identity_services.py."""
    return sqlite_url


def test_crew_log_in_through_an_enrolled_device_and_get_a_short_lived_token(
    client: TestClient, world: World
) -> None:
    response = client.post(
        "/api/auth/login",
        json={"username": "u-paramediciner", "password": PASSWORD},
        headers={"X-PPJ-Device": world.device_credential},
    )
    assert response.status_code == 200
    body = response.json()
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(minutes=14) < expires - utcnow() <= dt.timedelta(minutes=15)
    me = client.get(
        "/api/me",
        headers={"Authorization": f"Bearer {body['access_token']}", "X-PPJ-Device": world.device_credential},
    )
    assert me.json()["role"] == "paramediciner"


def test_crew_cannot_log_in_without_a_device(client: TestClient, world: World) -> None:
    response = client.post("/api/auth/login", json={"username": "u-paramediciner", "password": PASSWORD})
    assert response.status_code == 401


def test_a_device_bound_token_is_refused_without_its_device_credential(
    client: TestClient, world: World
) -> None:
    crew = world.callers[Role.ambulancebehandler]
    response = client.get("/api/me", headers={"Authorization": f"Bearer {crew.token}"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_device_is_refused_at_its_next_request(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    crew = world.callers[Role.ambulancebehandler]
    assert client.get("/api/me", headers=crew.api_headers()).status_code == 200
    with sessions() as session:
        revoke_device(session=session, device_id=world.device_id, now=utcnow())
        session.commit()
    assert client.get("/api/me", headers=crew.api_headers()).status_code == 401
    again = client.post(
        "/api/auth/login",
        json={"username": crew.username, "password": PASSWORD},
        headers={"X-PPJ-Device": world.device_credential},
    )
    assert again.status_code == 401


def test_a_disabled_user_is_refused_everywhere_at_the_next_request(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ed = world.callers[Role.ed_staff]
    with sessions() as session:
        person = session.get_one(Person, ed.person_id)
        set_active(session=session, person=person, active=False, now=utcnow())
        session.commit()
    assert client.get("/api/me", headers=ed.api_headers()).status_code == 401
    client.cookies.set("ppj_session", ed.cookie)
    assert client.get("/board", follow_redirects=False).status_code == 303  # back to the log-in page
    client.cookies.clear()
    assert (
        client.post("/api/auth/login", json={"username": ed.username, "password": PASSWORD}).status_code
        == 401
    )


def test_an_expired_token_is_refused(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    integrator = world.callers[Role.integrator]
    with sessions() as session:
        session.execute(update(AccessToken).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        session.commit()
    assert client.get("/api/journals", headers=integrator.api_headers()).status_code == 401


def test_logging_out_revokes_the_token(client: TestClient, world: World) -> None:
    integrator = world.callers[Role.integrator]
    assert client.post("/api/auth/logout", headers=integrator.api_headers()).status_code == 204
    assert client.get("/api/me", headers=integrator.api_headers()).status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Basic abc", "Bearer not-a-token"])
def test_missing_or_malformed_credentials_get_401(client: TestClient, world: World, header: str) -> None:
    assert client.get("/api/journals", headers={"Authorization": header} if header else {}).status_code == 401


@pytest.mark.parametrize(
    "credential", ["", "garbage", "00000000-0000-0000-0000-000000000000.x", "not-a-uuid.secret"]
)
def test_malformed_device_credentials_get_401(client: TestClient, world: World, credential: str) -> None:
    response = client.post(
        "/api/auth/login",
        json={"username": "u-paramediciner", "password": PASSWORD},
        headers={"X-PPJ-Device": credential},
    )
    assert response.status_code == 401


def test_log_in_is_throttled_per_account_and_ip_across_processes(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    for _ in range(5):
        assert (
            client.post(
                "/api/auth/login", json={"username": "u-integrator", "password": "wrong password"}
            ).status_code
            == 401
        )
    throttled = client.post("/api/auth/login", json={"username": "u-integrator", "password": PASSWORD})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    # The failures live in the database, where every server process counts them.
    with sessions() as session:
        assert len(session.scalars(select(LoginFailure)).all()) == 5
    # Another account from the same address is not affected.
    assert (
        client.post("/api/auth/login", json={"username": "u-dispatcher", "password": PASSWORD}).status_code
        == 200
    )


def test_a_successful_log_in_clears_earlier_failures(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    for _ in range(3):
        client.post("/api/auth/login", json={"username": "u-integrator", "password": "wrong password"})
    assert (
        client.post("/api/auth/login", json={"username": "u-integrator", "password": PASSWORD}).status_code
        == 200
    )
    with sessions() as session:
        assert session.scalars(select(LoginFailure)).all() == []


def _login_form(client: TestClient) -> str:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_web_log_in_sets_a_strict_http_only_session_cookie(client: TestClient, world: World) -> None:
    token = _login_form(client)
    response = client.post(
        "/login",
        data={"username": "u-ed_staff", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/board"
    cookie = response.headers["set-cookie"]
    assert "ppj_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/board").status_code == 200


def test_web_log_in_without_the_form_token_is_refused(client: TestClient, world: World) -> None:
    _login_form(client)
    response = client.post(
        "/login", data={"username": "u-ed_staff", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403


def test_web_log_in_with_a_wrong_password_says_so_in_danish(client: TestClient, world: World) -> None:
    token = _login_form(client)
    response = client.post(
        "/login", data={"username": "u-ed_staff", "password": "nope nope nope", "csrf_token": token}
    )
    assert response.status_code == 401 and "Forkert brugernavn eller adgangskode" in response.text


@pytest.mark.parametrize("path", ["/admin/devices", "/admin/users", "/logout", "/admin/organisations"])
def test_posts_without_the_csrf_token_are_refused_with_403(
    client: TestClient, world: World, path: str
) -> None:
    admin = world.callers[Role.administrator]
    client.cookies.set("ppj_session", admin.cookie)
    assert client.post(path, data={"label": "x"}).status_code == 403
    assert client.post(path, data={"label": "x", "csrf_token": "wrong"}).status_code == 403
    assert client.post(path, headers={"X-CSRF-Token": "wrong"}).status_code == 403


def test_the_admin_page_enrols_a_device_and_shows_its_credential_once(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    admin = world.callers[Role.administrator]
    client.cookies.set("ppj_session", admin.cookie)
    response = client.post("/admin/devices", data={"label": "Tablet 7", "csrf_token": admin.csrf})
    assert response.status_code == 201
    match = re.search(r'class="credential">([^<]+)<', response.text)
    assert match
    login = client.post(
        "/api/auth/login",
        json={"username": "u-physician", "password": PASSWORD},
        headers={"X-PPJ-Device": match.group(1)},
    )
    assert login.status_code == 200
    assert match.group(1) not in client.get("/admin").text


def test_every_response_carries_the_security_headers(client: TestClient, world: World) -> None:
    for response in (client.get("/login"), client.get("/api/journals"), client.get("/health")):
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"


def test_the_admin_page_records_a_senders_phone_and_a_municipality_code_and_names_a_bad_field(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    admin = world.callers[Role.administrator]
    client.cookies.set("ppj_session", admin.cookie)
    created = client.post(
        "/admin/organisations",
        data={"kind": "municipality", "name": "Odense Kommune", "municipality_code": "0461",
              "phone": "+45 0000 0002", "csrf_token": admin.csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert created.status_code in (303, 302)
    bad = client.post(
        "/admin/organisations",
        data={"kind": "municipality", "name": "Kolding Kommune", "municipality_code": "621",
              "csrf_token": admin.csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert bad.status_code == 422 and "municipality_code" in bad.text
    with sessions() as session:
        odense = session.scalars(select(Organisation).where(Organisation.name == "Odense Kommune")).one()
        assert (odense.municipality_code, odense.phone) == ("0461", "+45 0000 0002")
        assert session.scalars(select(Organisation).where(Organisation.name == "Kolding Kommune")).all() == []
