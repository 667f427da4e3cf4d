"""The integrators' sandbox over the real app: every post gets an Acknowledgement or a clear refusal, never a
5xx; the original is kept; a duplicate gets the same answer and is listed once; rows are the integrator's own.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from medcom.acknowledgement import read_acknowledgement
from medcom.fhir_packages import shared_reference_dir
from medcom.fhir_xml import json_to_xml
from server.db import utcnow
from server.identity.models import Role
from server.orgs.models import OrgKind
from server.orgs.service import create_organisation
from server.outbox import sandbox
from server.outbox.models import ReceivedMessage
from tests.server.world import World

EXAMPLE = shared_reference_dir() / "reference" / "medcom" / "examples"
CARE_COMMUNICATION = "Bundle-add5e7e2-0c0f-4a4a-bfff-f6f984fa7e3c.json"  # MedCom CareCommunication 5.0.2


def example() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLE / CARE_COMMUNICATION).read_bytes())
    return loaded


def register_example_receiver(sessions: sessionmaker[Session]) -> None:
    """The example's receiver (Plejecenter Herlev, SOR/GLN as MedCom published them) in the registry."""
    with sessions() as session:
        create_organisation(
            session=session,
            kind=OrgKind.municipality,
            name="Plejecenter Herlev (MedCom example)",
            parent_id=None,
            sor_id="953741000016009",
            gln="5790001348120",
            demo_identifiers=False,
        )
        session.commit()


def post(client: TestClient, world: World, body: bytes, content_type: str = "application/fhir+json") -> Any:
    headers = {**world.callers[Role.integrator].api_headers(), "Content-Type": content_type}
    return client.post("/sandbox/medcom", content=body, headers=headers)


def rows(sessions: sessionmaker[Session]) -> list[ReceivedMessage]:
    with sessions() as session:
        return list(session.scalars(select(ReceivedMessage).order_by(ReceivedMessage.received_at)))


def test_a_valid_message_to_a_known_receiver_is_acknowledged_ok_and_kept(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    register_example_receiver(sessions)
    body = (EXAMPLE / CARE_COMMUNICATION).read_bytes()
    response = post(client, world, body)
    assert response.status_code == 200
    ack = read_acknowledgement(response.json())
    assert (ack.code, ack.acknowledged_header_id) == ("ok", example()["entry"][0]["resource"]["id"])
    [row] = rows(sessions)
    assert (row.original, row.outcome, row.duplicates) == (body, "ok", 0)


def test_a_duplicate_gets_the_same_acknowledgement_and_is_listed_once(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    register_example_receiver(sessions)
    body = (EXAMPLE / CARE_COMMUNICATION).read_bytes()
    first, second = post(client, world, body), post(client, world, body)
    assert second.content == first.content
    assert second.headers["X-PPJ-Duplicate"] == "true"
    [row] = rows(sessions)
    assert row.duplicates == 1


def test_an_invalid_message_gets_a_fatal_error_acknowledgement_with_the_reasons(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    register_example_receiver(sessions)
    broken = copy.deepcopy(example())
    broken["entry"][0]["resource"].pop("eventCoding")
    body = json.dumps(broken).encode()
    response = post(client, world, body)
    assert response.status_code == 200
    ack = read_acknowledgement(response.json())
    assert ack.code == "fatal-error"
    assert any("eventCoding" in detail or "event" in detail for detail in ack.details), ack.details
    [row] = rows(sessions)
    assert (row.original, row.outcome) == (body, "fatal-error")


def test_a_message_to_an_unknown_receiver_is_answered_receiver_identifier_unknown(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    response = post(client, world, (EXAMPLE / CARE_COMMUNICATION).read_bytes())
    assert response.status_code == 200
    assert read_acknowledgement(response.json()).code == "fatal-error"
    assert "MSG_Receiver_Identifier_UNKNOWN" in response.text


def test_an_xml_message_is_answered_in_xml(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    register_example_receiver(sessions)
    response = post(client, world, json_to_xml(example()), "application/fhir+xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+xml")
    assert b"acknowledgement-message" in response.content


@pytest.mark.parametrize("body", [b"", b"not a message", b'{"resourceType": "Bundle"}', b"<x/>"])
def test_bytes_that_name_nobody_are_refused_with_a_reason_and_kept(
    client: TestClient, world: World, sessions: sessionmaker[Session], body: bytes
) -> None:
    response = post(client, world, body)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["diagnostics"]
    [row] = rows(sessions)
    assert (row.original, row.outcome, row.header_id) == (body, "refused", None)


def test_an_oversized_message_gets_413_with_a_clear_error(client: TestClient, world: World) -> None:
    response = post(client, world, b" " * (sandbox.MAX_SANDBOX_BYTES + 1))
    assert response.status_code == 413
    assert "limit" in response.json()["issue"][0]["diagnostics"]


def test_the_sandbox_page_lists_only_the_integrators_own_rows(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    post(client, world, (EXAMPLE / CARE_COMMUNICATION).read_bytes())
    with sessions() as session:  # a row of someone else (another person id) must not show
        other = world.callers[Role.administrator].person_id
        session.add(
            ReceivedMessage(
                integrator_id=other,
                header_id="someone-elses-message",
                content_type="application/fhir+json",
                original=b"{}",
                outcome="ok",
                http_status=200,
                validation="{}",
                ack=b"{}",
                ack_content_type="application/fhir+json",
                received_at=utcnow(),
            )
        )
        session.commit()
    client.cookies.set("ppj_session", world.callers[Role.integrator].cookie)
    try:
        page = client.get("/sandbox")
    finally:
        client.cookies.clear()
    assert page.status_code == 200
    assert example()["entry"][0]["resource"]["id"] in page.text
    assert "MSG_Receiver_Identifier_UNKNOWN" in page.text or "registry" in page.text
    assert "someone-elses-message" not in page.text
