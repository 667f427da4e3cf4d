"""The online log-in over the server's identity API (``POST /api/auth/login``), through an injected transport
that answers with the server's wire format (``server/api/schemas.py`` ``TokenRead``)."""

from __future__ import annotations

import json

import httpx2
import pytest

from journal.entry import Role
from tablet_app.errors import CredentialsRefusedError, ServerUnreachableError
from tablet_app.server_login import DEVICE_HEADER, LOGIN_PATH, ServerLogin

TOKEN_BODY = {
    "access_token": "tok-123",
    "token_type": "bearer",
    "expires_at": "2026-11-25T20:00:00Z",
    "person": {
        "id": "0196b4a0-0000-7000-8000-0000000000a1",
        "username": "amb1",
        "display_name": "Anne Ambulancebehandler",
        "role": "ambulancebehandler",
        "authorisation_id": None,
        "organisation_id": None,
    },
}


def client(handler: httpx2.MockTransport) -> httpx2.Client:
    return httpx2.Client(base_url="https://ppj.test", transport=handler)


def test_the_server_accepting_the_password_gives_the_person_with_id_and_role() -> None:
    seen: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=TOKEN_BODY)

    login = ServerLogin(http=client(httpx2.MockTransport(answer)), device_credential="dev-secret")
    person = login.log_in(username="amb1", password="rigtig")
    assert (person.username, person.role, person.person_id) == (
        "amb1",
        Role.AMBULANCEBEHANDLER,
        "0196b4a0-0000-7000-8000-0000000000a1",
    )
    assert person.author().person_id == person.person_id
    assert login.access_token == "tok-123"
    (request,) = seen
    assert request.url.path == LOGIN_PATH and request.headers[DEVICE_HEADER] == "dev-secret"
    assert json.loads(request.content) == {"username": "amb1", "password": "rigtig"}


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_is_final(status: int) -> None:
    transport = httpx2.MockTransport(lambda _r: httpx2.Response(status, json={"detail": "no"}))
    with pytest.raises(CredentialsRefusedError):
        ServerLogin(http=client(transport), device_credential=None).log_in(username="amb1", password="x")


def test_a_role_that_does_not_document_on_a_tablet_is_refused() -> None:
    body = {**TOKEN_BODY, "person": {**TOKEN_BODY["person"], "role": "administrator"}}  # type: ignore[dict-item]
    transport = httpx2.MockTransport(lambda _r: httpx2.Response(200, json=body))
    with pytest.raises(CredentialsRefusedError, match="administrator"):
        ServerLogin(http=client(transport), device_credential=None).log_in(username="amb1", password="x")


@pytest.mark.parametrize(
    "answer",
    [
        lambda _r: httpx2.Response(503),
        lambda _r: httpx2.Response(200, text="<html>captive portal</html>"),
        lambda r: (_ for _ in ()).throw(httpx2.ConnectError("no route", request=r)),
    ],
    ids=["503", "not-a-token", "no-connection"],
)
def test_an_unreachable_or_garbled_server_falls_back_to_offline(answer: object) -> None:
    transport = httpx2.MockTransport(answer)  # type: ignore[arg-type]
    with pytest.raises(ServerUnreachableError):
        ServerLogin(http=client(transport), device_credential=None).log_in(username="amb1", password="x")
