"""``ServerLogin``: the ``OnlineLogin`` over the server's identity API (``POST /api/auth/login``).

It uses the same ``httpx2.Client`` as the sync client (base URL, TLS, injected transport in tests) and
sends the tablet's device credential in ``X-PPJ-Device``, because crew must log in through an enrolled
device (``server/api/auth_routes.py``). Answers:

* 200 with a ``TokenRead`` body → the person (id, display name, role, authorisation id); the access token
  is kept on the object for the sync client's person header;
* 401/403 → ``CredentialsRefusedError`` (final: the offline path is not tried);
* no connection, timeout, 5xx, or a body that does not parse → ``ServerUnreachableError`` (the offline
  log-in follows).

``enrol_device`` is the tablet's side of enrolment: the one-time code for the device credential.
"""

from __future__ import annotations

import httpx2
from pydantic import BaseModel, ConfigDict, ValidationError

from journal.entry import CLINICAL_ROLES
from tablet_app.auth import Person
from tablet_app.errors import CredentialsRefusedError, EnrolmentCodeRefusedError, ServerUnreachableError

LOGIN_PATH = "/api/auth/login"
ENROL_PATH = "/api/devices/enrol"
DEVICE_HEADER = "X-PPJ-Device"


class _PersonRead(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    username: str
    display_name: str
    role: str
    authorisation_id: str | None = None


class _TokenRead(BaseModel):
    model_config = ConfigDict(extra="ignore")
    access_token: str
    person: _PersonRead


class ServerLogin:
    def __init__(self, *, http: httpx2.Client, device_credential: str | None) -> None:
        self._http = http
        self._device_credential = device_credential
        self.access_token: str | None = None

    def use_device_credential(self, credential: str) -> None:
        """The tablet was enrolled while running: log crew in with its new credential from now on."""
        self._device_credential = credential

    def log_in(self, *, username: str, password: str) -> Person:
        headers = {DEVICE_HEADER: self._device_credential} if self._device_credential else {}
        try:
            response = self._http.post(
                LOGIN_PATH, json={"username": username, "password": password}, headers=headers
            )
        except httpx2.HTTPError as exc:
            raise ServerUnreachableError(f"{LOGIN_PATH}: {type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            raise CredentialsRefusedError("the server refused the user name or password")
        if response.status_code != 200:
            raise ServerUnreachableError(f"{LOGIN_PATH} answered {response.status_code}")
        try:
            token = _TokenRead.model_validate_json(response.content)
        except ValidationError as exc:
            raise ServerUnreachableError(f"{LOGIN_PATH} answered a body that is not a token") from exc
        self.access_token = token.access_token
        person = token.person
        role = next((r for r in CLINICAL_ROLES if r.value == person.role), None)
        if role is None:
            # Dispatchers, ED staff and administrators do not document on a tablet.
            raise CredentialsRefusedError(f"role {person.role!r} cannot document on a tablet")
        return Person(
            username=person.username,
            display_name=person.display_name,
            role=role,
            person_id=person.id,
            autorisations_id=person.authorisation_id,
        )


class _EnrolmentRead(BaseModel):
    model_config = ConfigDict(extra="ignore")
    device_id: str
    credential: str


def enrol_device(*, http: httpx2.Client, code: str) -> str:
    """Enrol this tablet with an administrator's one-time code (``POST /api/devices/enrol``); the device
    credential. 401/422 → ``EnrolmentCodeRefusedError`` (unknown, used, expired or malformed code); no
    connection, 5xx or a body that does not parse → ``ServerUnreachableError``."""
    try:
        response = http.post(ENROL_PATH, json={"code": code})
    except httpx2.HTTPError as exc:
        raise ServerUnreachableError(f"{ENROL_PATH}: {type(exc).__name__}") from exc
    if response.status_code in (401, 403, 422):
        raise EnrolmentCodeRefusedError("the server refused the enrolment code")
    if response.status_code != 201:
        raise ServerUnreachableError(f"{ENROL_PATH} answered {response.status_code}")
    try:
        return _EnrolmentRead.model_validate_json(response.content).credential
    except ValidationError as exc:
        raise ServerUnreachableError(f"{ENROL_PATH} answered a body that is not an enrolment") from exc
