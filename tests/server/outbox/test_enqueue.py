"""What sync queues: corrections after sending make a new message pointing at the old one; a changed
person goes to manual handling without quoting patient data; a receiver without an HTTP endpoint is held.
"""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from integrations.receiver_simulator.server import ReceiverSimulator
from journal.kinds.patient import CprIdentifier, PatientIdentity
from server.identity.models import Role
from server.outbox.models import Delivery, OutboxMessage
from server.outbox.service import list_deliveries
from server.outbox.states import DeliveryState, ErrorCode
from tests.server.outbox.journeys import capture_stemi, ed_sor, revise
from tests.server.sync_tablets import Tablet
from tests.server.world import World


def messages(sessions: sessionmaker[Session]) -> list[tuple[OutboxMessage, Delivery]]:
    with sessions() as session:
        return [
            (m, d)
            for m, d in session.execute(
                select(OutboxMessage, Delivery)
                .join(Delivery, Delivery.message_id == OutboxMessage.id)
                .order_by(OutboxMessage.created_at)
            )
        ]


def test_an_identification_after_sending_queues_a_correction_that_points_at_the_sent_message(
    tablet: Tablet, hospital: ReceiverSimulator, sessions: sessionmaker[Session], world: World
) -> None:
    journal_id, identity = capture_stemi(tablet, ed_sor=ed_sor(sessions, world))
    tablet.client.sync_once()
    assert isinstance(identity.payload, PatientIdentity)
    revise(
        tablet,
        journal_id,
        identity.payload.model_copy(update={"given_names": "Bruno Elmer"}),
        based_on=identity,
    )
    tablet.client.sync_once()

    [(first, _), (second, delivery)] = messages(sessions)
    assert second.corrects_id == first.id and second.message_type == "handover"
    assert delivery.state is DeliveryState.queued
    assert second.payload is not None
    provenances = [
        e["resource"]
        for e in json.loads(second.payload)["entry"]
        if e["resource"]["resourceType"] == "Provenance"
    ]
    assert provenances[-1]["activity"]["coding"][0]["code"] == "modified-message"
    assert provenances[-1]["entity"][0]["what"]["reference"].endswith(str(first.id))


def test_another_person_after_sending_is_held_for_manual_handling_without_patient_data(
    tablet: Tablet, hospital: ReceiverSimulator, sessions: sessionmaker[Session], world: World
) -> None:
    journal_id, identity = capture_stemi(tablet, ed_sor=ed_sor(sessions, world))
    tablet.client.sync_once()
    other = PatientIdentity(identifier=CprIdentifier(value="0201919990"), family_name="Lauridsen")
    revise(tablet, journal_id, other, based_on=identity)
    tablet.client.sync_once()

    [(first, _), (held, delivery)] = messages(sessions)
    assert (held.payload, held.corrects_id) == (None, first.id)
    assert (delivery.state, delivery.error_code) == (DeliveryState.manual_handling, ErrorCode.wrong_patient)
    with sessions() as session:
        shown = list_deliveries(session=session, state=DeliveryState.manual_handling)
    assert [v.error_code for v in shown] == ["wrong_patient"]
    assert "0201919990" not in json.dumps([v.as_json() for v in shown])
    assert "2509479989" not in json.dumps([v.as_json() for v in shown])


def test_a_receiver_without_an_http_endpoint_is_held_with_a_clear_code(
    tablet: Tablet, sessions: sessionmaker[Session], world: World
) -> None:
    capture_stemi(tablet, ed_sor=ed_sor(sessions, world))
    tablet.client.sync_once()
    [(message, delivery)] = messages(sessions)
    assert message.receiver_id == world.ed_own and message.payload is None
    assert (delivery.state, delivery.error_code) == (
        DeliveryState.manual_handling,
        ErrorCode.receiver_has_no_http_endpoint,
    )


def test_administrators_see_the_delivery_states_over_the_api_without_clinical_content(
    tablet: Tablet,
    hospital: ReceiverSimulator,
    sessions: sessionmaker[Session],
    world: World,
    client: TestClient,
) -> None:
    capture_stemi(tablet, ed_sor=ed_sor(sessions, world))
    tablet.client.sync_once()
    headers = world.callers[Role.administrator].api_headers()
    [listed] = client.get("/api/admin/deliveries", headers=headers).json()
    assert (listed["state"], listed["message_type"], listed["receiver"]) == ("queued", "handover", "FAM OUH")
    assert "2509479989" not in json.dumps(listed) and "Elmer" not in json.dumps(listed)
    shown = client.get(f"/api/admin/deliveries/{listed['message_id']}", headers=headers)
    assert shown.status_code == 200
    refused = client.post(f"/api/admin/deliveries/{listed['message_id']}/retry", headers=headers)
    assert refused.status_code == 409 and "queued" in refused.json()["detail"]
