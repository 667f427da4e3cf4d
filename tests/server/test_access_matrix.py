"""The access-control matrix: every role × every endpoint × related / unrelated / expired / sandbox journal.

The expected table lives here. Any allow that the table does not list fails, and so does any answer that
is neither a clear allow nor a clear refusal (a 5xx, a 404 for an existing journal …). Later issues add
their endpoints to ENDPOINTS and EXPECTED (and to NON_JOURNAL_EXPECTED for endpoints without a journal).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from server import migrate
from server.app import create_app
from server.config import Settings
from server.db import make_engine, make_session_factory, utcnow
from server.identity.models import CREW_ROLES, Role
from tests.server.world import Caller, World, build_world

RELATIONS = ("related", "unrelated", "expired", "sandbox")


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, World]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'ppj.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine=engine)
    world = build_world(make_session_factory(engine))
    _ACKNOWLEDGEMENT.append(_sent_message_and_its_acknowledgement(make_session_factory(engine), world))
    with TestClient(
        create_app(Settings(database_url=url, board_stream_seconds=0.2), engine=engine)
    ) as client:
        yield client, world
    engine.dispose()


_ACKNOWLEDGEMENT: list[bytes] = []


def _sent_message_and_its_acknowledgement(sessions: sessionmaker[Session], world: World) -> bytes:
    """A handover PPJ sent to the world's own ED, awaiting its Acknowledgement, and that Acknowledgement
    (from the ED) as the receiving system would post it."""
    from journal.demo.scenarios import scenarios
    from journal.fold import fold_linked
    from medcom.acknowledgement import build_acknowledgement
    from medcom.handover_message import build_handover
    from medcom.journal_messages import DEMO_ORGANISATIONS
    from medcom.message_parts import Organisation as MessageOrganisation
    from medcom.operation_outcome import ValidationResult
    from server.orgs.models import Organisation
    from server.outbox.models import Delivery, OutboxMessage
    from server.outbox.states import DeliveryState

    state = fold_linked(next(s for s in scenarios() if s.name == "stemi").entries)[0]
    now = utcnow()
    with sessions() as session:
        ed = session.get_one(Organisation, world.ed_own)
        receiver = MessageOrganisation(sor=ed.sor_id or "", gln=ed.gln or "", name=ed.name)
        built = build_handover(state=state, sender=DEMO_ORGANISATIONS["sender"], receiver=receiver)
        message = OutboxMessage(
            id=uuid.UUID(built.header_id),
            journal_id=world.journals["related"],
            message_type="handover",
            receiver_id=ed.id,
            endpoint="https://epj.example/fhir",
            payload=built.to_json(),
            created_at=now,
        )
        session.add(message)
        session.add(Delivery(message=message, state=DeliveryState.awaiting_ack, attempts=1, updated_at=now))
        session.commit()
    ack = build_acknowledgement(message=built.bundle, result=ValidationResult(()))
    return json.dumps(ack).encode()


def _decided(status: int, allowed_when: int) -> bool:
    if status == allowed_when:
        return True
    assert status == 403, f"expected {allowed_when} or a clear 403, got {status}"
    return False


def api_read(client: TestClient, caller: Caller, journal_id: uuid.UUID, world: World) -> bool:
    return _decided(client.get(f"/api/journals/{journal_id}", headers=caller.api_headers()).status_code, 200)


def api_list(client: TestClient, caller: Caller, journal_id: uuid.UUID, world: World) -> bool:
    response = client.get("/api/journals", headers=caller.api_headers())
    if not _decided(response.status_code, 200):
        return False
    return str(journal_id) in {item["id"] for item in response.json()}


def api_handover(client: TestClient, caller: Caller, journal_id: uuid.UUID, world: World) -> bool:
    response = client.post(
        f"/api/journals/{journal_id}/handover",
        json={"emergency_department_id": str(world.ed_own)},
        headers=caller.api_headers(),
    )
    return _decided(response.status_code, 201)


def board_read(client: TestClient, caller: Caller, journal_id: uuid.UUID, world: World) -> bool:
    client.cookies.set("ppj_session", caller.cookie)
    try:
        response = client.get(f"/board/journals/{journal_id}", follow_redirects=False)
    finally:
        client.cookies.clear()
    return _decided(response.status_code, 200)


def board_list(client: TestClient, caller: Caller, journal_id: uuid.UUID, world: World) -> bool:
    client.cookies.set("ppj_session", caller.cookie)
    try:
        response = client.get("/board", follow_redirects=False)
    finally:
        client.cookies.clear()
    return _decided(response.status_code, 200) and f"/board/journals/{journal_id}" in response.text


def _board_get(client: TestClient, caller: Caller, path: str) -> int:
    client.cookies.set("ppj_session", caller.cookie)
    try:
        return client.get(path, follow_redirects=False).status_code
    finally:
        client.cookies.clear()


def board_print(client: TestClient, caller: Caller, journal_id: uuid.UUID, world: World) -> bool:
    return _decided(_board_get(client, caller, f"/board/journals/{journal_id}/print"), 200)


def board_pdf(client: TestClient, caller: Caller, journal_id: uuid.UUID, world: World) -> bool:
    return _decided(_board_get(client, caller, f"/board/journals/{journal_id}/pdf"), 200)


def board_received(client: TestClient, caller: Caller, journal_id: uuid.UUID, world: World) -> bool:
    client.cookies.set("ppj_session", caller.cookie)
    try:
        response = client.post(
            f"/board/journals/{journal_id}/received",
            data={"csrf_token": caller.csrf},
            follow_redirects=False,
        )
    finally:
        client.cookies.clear()
    return _decided(response.status_code, 303)


def _sync_decided(status: int) -> bool:
    if status == 200:
        return True
    assert status in (401, 403), f"expected 200 or a clear 401/403, got {status}"
    return False


def sync_pull(client: TestClient, caller: Caller, journal_id: uuid.UUID, world: World) -> bool:
    body = {"protocol_version": 1, "device_id": str(world.device_id), "journal_id": str(journal_id)}
    return _sync_decided(client.post("/sync/v1/pull", json=body, headers=caller.api_headers()).status_code)


def sync_access(client: TestClient, caller: Caller, journal_id: uuid.UUID, world: World) -> bool:
    response = client.get("/sync/v1/access", headers=caller.api_headers())
    if not _sync_decided(response.status_code):
        return False
    return str(journal_id) in {item["journal_id"] for item in response.json()["journals"]}


def sync_push(client: TestClient, caller: Caller, journal_id: uuid.UUID, world: World) -> bool:
    """Allowed when the server takes the caller's entry into the journal (else it is quarantined)."""
    from journal.entry import Author, AuthorisationLevel, new_entry
    from journal.entry import Role as AuthorRole
    from journal.hlc import Hlc
    from journal.kinds.record import Note
    from sync.protocol import PushItem, PushRequest, WireEntry
    from tests.server.sync_tablets import envelope_of

    role = AuthorRole(caller.role.value) if caller.role.value in set(AuthorRole) else AuthorRole.SERVER
    entry = new_entry(
        journal_id=journal_id,
        payload=Note(text="matrix"),
        author=Author(
            person_id=str(caller.person_id),
            name="Matrix",
            role=role,
            authorisation_level=AuthorisationLevel.AUTHORISED,
        ),
        device_id=str(world.device_id),
        clinical_time=utcnow(),
        hlc=Hlc(int(utcnow().timestamp() * 1000), 0, str(world.device_id)),
    )
    request = PushRequest(
        device_id=world.device_id,
        incarnation_id=uuid.uuid4(),
        items=[PushItem(device_seq=1, entry=WireEntry.from_envelope(envelope_of(entry)))],
    )
    response = client.post(
        "/sync/v1/push",
        content=request.model_dump_json(),
        headers={**caller.api_headers(), "X-PPJ-Device": world.device_credential},
    )
    if not _sync_decided(response.status_code):
        return False
    return bool(response.json()["results"][0]["code"] == "accepted")


Endpoint = Callable[[TestClient, Caller, uuid.UUID, World], bool]
ENDPOINTS: dict[str, Endpoint] = {
    "GET /api/journals/{id}": api_read,
    "GET /api/journals": api_list,
    "POST /api/journals/{id}/handover": api_handover,
    "GET /board/journals/{id}": board_read,
    "GET /board": board_list,
    "GET /board/journals/{id}/print": board_print,
    "GET /board/journals/{id}/pdf": board_pdf,
    "POST /board/journals/{id}/received": board_received,
    "POST /sync/v1/pull": sync_pull,
    "GET /sync/v1/access": sync_access,
    "POST /sync/v1/push": sync_push,
}

NOTHING: frozenset[str] = frozenset()
RELATED = frozenset({"related"})


def _expected() -> dict[tuple[Role, str], frozenset[str]]:
    table = {(role, endpoint): NOTHING for role in Role for endpoint in ENDPOINTS}
    for role in CREW_ROLES:
        for endpoint in (
            "GET /api/journals/{id}",
            "GET /api/journals",
            "POST /api/journals/{id}/handover",
            "POST /sync/v1/pull",
            "GET /sync/v1/access",
            "POST /sync/v1/push",
        ):
            table[(role, endpoint)] = RELATED
    for endpoint in (
        "GET /api/journals/{id}",
        "GET /api/journals",
        "GET /board/journals/{id}",
        "GET /board",
        "GET /board/journals/{id}/print",
        "GET /board/journals/{id}/pdf",
        "POST /board/journals/{id}/received",
    ):
        table[(Role.ed_staff, endpoint)] = RELATED
    for endpoint in ("GET /api/journals/{id}", "GET /api/journals"):
        table[(Role.integrator, endpoint)] = frozenset({"sandbox"})
    return table


EXPECTED = _expected()


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_role_gets_exactly_the_journal_access_the_table_allows(
    matrix: tuple[TestClient, World], role: Role, endpoint: str
) -> None:
    client, world = matrix
    caller = world.callers[role]
    allowed = {
        relation
        for relation in RELATIONS
        if ENDPOINTS[endpoint](client, caller, world.journals[relation], world)
    }
    assert allowed == EXPECTED[(role, endpoint)]


# Endpoints without a journal: which roles may use them at all.
ADMINS = frozenset({Role.administrator})
NON_JOURNAL_EXPECTED: dict[str, frozenset[Role]] = {
    "GET /admin": ADMINS,
    "POST /admin/devices": ADMINS,
    "POST /api/shifts": frozenset(CREW_ROLES),
    "GET /api/me": frozenset(Role),
    "GET /api/admin/quarantine": ADMINS,
    "GET /api/admin/deliveries": ADMINS,
    "GET /admin/outbox": ADMINS,
    "POST /sandbox/medcom": frozenset({Role.integrator}),
    "GET /sandbox": frozenset({Role.integrator}),
    # The allowed role's first post closes the delivery (200 recorded), later ones are duplicates (200).
    "POST /medcom/acknowledgements": frozenset({Role.receiver_system}),
    # The board's row fragment (its rows are the journal matrix's "GET /board") and its event stream.
    "GET /board/rows": frozenset({Role.ed_staff}),
    "GET /board/events": frozenset({Role.ed_staff}),
    "POST /api/dispatch/missions": frozenset({Role.dispatcher, Role.dispatch_system}),
}


def _sandbox_message() -> bytes:
    """The official MedCom "empty message" example: the sandbox answers it with an Acknowledgement."""
    from medcom.fhir_packages import shared_reference_dir

    examples = shared_reference_dir() / "reference" / "medcom" / "examples"
    return next(examples.glob("Bundle-*.json")).read_bytes()


def _non_journal(client: TestClient, caller: Caller, endpoint: str, world: World) -> int:
    if endpoint == "GET /api/me":
        return client.get("/api/me", headers=caller.api_headers()).status_code
    if endpoint == "GET /api/admin/quarantine":
        return client.get("/api/admin/quarantine", headers=caller.api_headers()).status_code
    if endpoint == "GET /api/admin/deliveries":
        return client.get("/api/admin/deliveries", headers=caller.api_headers()).status_code
    if endpoint == "POST /sandbox/medcom":
        return client.post(
            "/sandbox/medcom", content=_sandbox_message(), headers=caller.api_headers()
        ).status_code
    if endpoint == "POST /medcom/acknowledgements":
        return client.post(
            "/medcom/acknowledgements", content=_ACKNOWLEDGEMENT[0], headers=caller.api_headers()
        ).status_code
    if endpoint == "POST /api/dispatch/missions":
        mission = {
            "reference": f"M-matrix-{caller.role.value}",
            "units": ["T-AMB-1"],
            "urgency": "B",
            "criterion": "10.1",
            "address": "Vestergade 12, 5000 Odense C",
        }
        return client.post("/api/dispatch/missions", json=mission, headers=caller.api_headers()).status_code
    if endpoint == "POST /api/shifts":
        return client.post(
            "/api/shifts", json={"unit_id": str(world.unit_own)}, headers=caller.api_headers()
        ).status_code
    client.cookies.set("ppj_session", caller.cookie)
    try:
        if endpoint in ("GET /admin", "GET /admin/outbox", "GET /sandbox"):
            return client.get(endpoint.removeprefix("GET "), follow_redirects=False).status_code
        if endpoint == "GET /board/rows":
            return client.get("/board/rows", follow_redirects=False).status_code
        if endpoint == "GET /board/events":
            # The stream ends after the app's board_stream_seconds (short in this matrix's app).
            with client.stream("GET", "/board/events", follow_redirects=False) as response:
                return response.status_code
        return client.post(
            "/admin/devices", data={"label": "Ny tablet", "csrf_token": caller.csrf}
        ).status_code
    finally:
        client.cookies.clear()


@pytest.mark.parametrize("endpoint", list(NON_JOURNAL_EXPECTED))
def test_every_role_reaches_exactly_the_non_journal_endpoints_the_table_allows(
    matrix: tuple[TestClient, World], endpoint: str
) -> None:
    client, world = matrix
    allowed = set()
    for role in Role:
        status = _non_journal(client, world.callers[role], endpoint, world)
        assert status in (200, 201, 403), f"{role.value} {endpoint}: unclear answer {status}"
        if status != 403:
            allowed.add(role)
    assert allowed == NON_JOURNAL_EXPECTED[endpoint]


# Routes that carry no patient data and need no role: meta, static files, log-in/log-out, own account.
UNCLASSIFIED_OK = {
    "GET /health", "GET /openapi.json", "GET /docs", "GET /docs/oauth2-redirect", "GET /static",
    "GET /", "GET /login", "POST /login", "POST /logout",
    "POST /api/auth/login", "POST /api/auth/logout", "POST /api/shifts/end",
    # The other admin forms share GET /admin's and POST /admin/devices' rule (``_require_admin``).
    "POST /admin/users", "POST /admin/users/{person_id}/active", "POST /admin/devices/{device_id}/revoke",
    "POST /admin/organisations", "POST /admin/organisations/{organisation_id}",
    # Resolving the quarantine shares GET /api/admin/quarantine's rule (``_require_admin``).
    "POST /api/admin/quarantine/{quarantine_id}/accept", "POST /api/admin/quarantine/{quarantine_id}/reject",
    # One delivery, and retrying it, share GET /api/admin/deliveries' rule (``_require_admin``).
    "GET /api/admin/deliveries/{key}", "POST /api/admin/deliveries/{key}/retry",
    # Reading, updating and cancelling a mission share POST /api/dispatch/missions' rule (``_dispatcher``).
    "GET /api/dispatch/missions/{mission_id}", "PUT /api/dispatch/missions/{mission_id}",
    "POST /api/dispatch/missions/{mission_id}/cancel",
    # A tablet enrols itself: no person yet, the administrator's one-time code is the authentication
    # (tests/server/test_device_enrolment.py).
    "POST /api/devices/enrol",
}  # fmt: skip


def _routes(routes: list[Any]) -> Iterator[str]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included router
            yield from _routes(route.original_router.routes)
            continue
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                yield f"{method} {route.path}"


def test_every_route_of_the_app_is_in_the_matrix_or_known_to_carry_no_patient_data(
    matrix: tuple[TestClient, World],
) -> None:
    """A new route must be classified here: journal routes into ENDPOINTS, others into a table."""
    client, _ = matrix
    journal_routes = {name.replace("{id}", "{journal_id}") for name in ENDPOINTS}
    classified = journal_routes | set(NON_JOURNAL_EXPECTED) | UNCLASSIFIED_OK
    routes = set(_routes(client.app.routes))  # type: ignore[attr-defined]
    assert journal_routes <= routes and set(NON_JOURNAL_EXPECTED) <= routes
    assert routes - classified == set(), "routes missing from the access matrix"
