"""End to end for the GP and the municipality: a tablet syncs the demo journal that ends with treatment on
scene (hypoglycaemia, CPR, consent to notify home care, municipality code 0461 recorded with the identity);
sync queues the epikrise (CareCommunication 5.0 to the patient's GP) and the home-care notice (to Odense's
home care); a worker delivers both over loopback HTTP to receiver simulators that validate them against
the official MedCom packages and acknowledge. With the simulators failing and duplicating first, each is
processed exactly once. Corrections after sending are new messages in the same thread.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx2
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from integrations.delivery.http import HttpDelivery
from integrations.receiver_simulator.server import ReceiverSimulator
from journal.kinds.disposition import Disposition
from journal.kinds.patient import CprIdentifier, PatientIdentity
from journal.payload import Payload
from medcom.receiver import MessageReceiver, Received
from server.outbox.models import Delivery, DeliveryAttempt, OutboxMessage
from server.outbox.states import DeliveryState, ErrorCode
from server.outbox.worker import OutboxWorker, RetryPolicy
from tests.server.outbox.conftest import CareReceivers
from tests.server.outbox.journeys import capture_scenario, revise
from tests.server.sync_tablets import Tablet

NO_WAIT = RetryPolicy(max_attempts=4, backoff_base=dt.timedelta(0), jitter=0.0)
CC_MESSAGE = "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-message"


def worker(sessions: sessionmaker[Session]) -> OutboxWorker:
    return OutboxWorker(sessions, HttpDelivery(httpx2.Client(timeout=10)), policy=NO_WAIT, name="w1")


def processed(simulator: ReceiverSimulator) -> list[Received]:
    receiver = simulator.handler
    assert isinstance(receiver, MessageReceiver)
    return receiver.processed()


def by_type(sessions: sessionmaker[Session]) -> dict[str, list[tuple[OutboxMessage, Delivery]]]:
    out: dict[str, list[tuple[OutboxMessage, Delivery]]] = {}
    with sessions() as session:
        rows = session.execute(
            select(OutboxMessage, Delivery)
            .join(Delivery, Delivery.message_id == OutboxMessage.id)
            .order_by(OutboxMessage.created_at)
        )
        for message, delivery in rows:
            out.setdefault(message.message_type, []).append((message, delivery))
    return out


def resources(payload: bytes | None, resource_type: str) -> list[dict[str, Any]]:
    assert payload is not None
    return [
        e["resource"] for e in json.loads(payload)["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def without_consent(journal_id: uuid.UUID, payload: Payload) -> Payload:
    if isinstance(payload, Disposition):
        return payload.model_copy(update={"consent_share_with_home_care": False})
    return payload


def without_municipality(journal_id: uuid.UUID, payload: Payload) -> Payload:
    if isinstance(payload, PatientIdentity):
        return payload.model_copy(update={"municipality_code": None})
    return payload


def sent_then_identified_as(
    tablet: Tablet, sessions: sessionmaker[Session], change: Callable[[PatientIdentity], PatientIdentity]
) -> None:
    """The journal synced and both messages delivered; then a new identity (``change`` of the sent one)
    written after seeing it, and synced."""
    journal_id, identity = capture_scenario(tablet, "hypoglycaemia-released")
    tablet.client.sync_once()
    worker(sessions).run_until_idle()
    assert isinstance(identity.payload, PatientIdentity)
    revise(tablet, journal_id, change(identity.payload), based_on=identity)
    tablet.client.sync_once()


def test_the_epikrise_reaches_the_gp_and_the_home_care_notice_the_municipality_both_acknowledged(
    tablet: Tablet, care_receivers: CareReceivers, sessions: sessionmaker[Session]
) -> None:
    capture_scenario(tablet, "hypoglycaemia-released")
    tablet.client.sync_once()
    queued = by_type(sessions)
    assert sorted(queued) == ["epikrise", "homecare"]
    [(epikrise, _)] = queued["epikrise"]
    [(homecare, _)] = queued["homecare"]
    assert (epikrise.receiver_id, homecare.receiver_id) == (
        care_receivers.gp_id,
        care_receivers.municipality_id,
    )

    done = worker(sessions).run_until_idle()

    assert sorted(r.state for r in done) == [DeliveryState.acknowledged] * 2
    [at_gp] = processed(care_receivers.gp)
    [at_municipality] = processed(care_receivers.municipality)
    assert json.loads(at_gp.body)["meta"]["profile"] == [CC_MESSAGE]
    [communication] = resources(epikrise.payload, "Communication")
    assert communication["category"][0]["coding"][0]["code"] == "acute-ambulant"
    assert communication["payload"][0]["contentString"].startswith("P: Fundet forvirret")
    [notice] = resources(homecare.payload, "Communication")
    assert notice["category"][0]["coding"][0]["code"] == "carecoordination"
    # The sender's contact is the region's phone, found up the unit's lineage.
    contact = next(
        x for x in notice["payload"][0]["extension"] if x["url"].endswith("medcom-core-contact-extension")
    )
    assert contact["valueContactPoint"] == {"system": "phone", "value": "+45 0000 0001"}
    assert at_municipality.header_id == str(homecare.id)
    with sessions() as session:
        acks = session.scalars(select(Delivery.ack_code)).all()
    assert acks == ["ok", "ok"]


def test_with_the_receivers_failing_and_duplicating_first_each_message_is_processed_exactly_once(
    tablet: Tablet, care_receivers: CareReceivers, sessions: sessionmaker[Session]
) -> None:
    capture_scenario(tablet, "hypoglycaemia-released")
    tablet.client.sync_once()
    for simulator in (care_receivers.gp, care_receivers.municipality):
        simulator.behaviour.fail_next = 2
        simulator.behaviour.duplicate_delivery = True

    done = worker(sessions).run_until_idle()

    assert [r.state for r in done].count(DeliveryState.acknowledged) == 2
    assert len(processed(care_receivers.gp)) == 1
    assert len(processed(care_receivers.municipality)) == 1
    with sessions() as session:
        for message in session.scalars(select(OutboxMessage)):
            attempts = session.scalars(
                select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == message.delivery.id)
            ).all()
            assert len(attempts) == 3 and len({a.bundle_id for a in attempts}) == 3
    headers = {json.loads(r.body)["entry"][0]["resource"]["id"] for r in care_receivers.gp.log}
    assert len(headers) == 1  # every transmission carried the same MessageHeader.id


def test_without_consent_only_the_epikrise_is_sent(
    tablet: Tablet, care_receivers: CareReceivers, sessions: sessionmaker[Session]
) -> None:
    capture_scenario(tablet, "hypoglycaemia-released", before=without_consent)
    tablet.client.sync_once()
    assert sorted(by_type(sessions)) == ["epikrise"]


def test_without_a_recorded_municipality_the_home_care_notice_waits_for_a_person(
    tablet: Tablet, care_receivers: CareReceivers, sessions: sessionmaker[Session]
) -> None:
    capture_scenario(tablet, "hypoglycaemia-released", before=without_municipality)
    tablet.client.sync_once()
    [(held, delivery)] = by_type(sessions)["homecare"]
    assert held.payload is None
    assert (delivery.state, delivery.error_code) == (
        DeliveryState.manual_handling,
        ErrorCode.receiver_unknown,
    )
    assert delivery.error_detail is not None and "municipality code" in delivery.error_detail


def test_a_correction_after_sending_is_a_reply_in_the_same_thread_naming_the_sent_message(
    tablet: Tablet, care_receivers: CareReceivers, sessions: sessionmaker[Session]
) -> None:
    sent_then_identified_as(
        tablet, sessions, lambda identity: identity.model_copy(update={"given_names": "Cæcar"})
    )

    done = worker(sessions).run_until_idle()

    assert [r.state for r in done] == [DeliveryState.acknowledged] * 2
    for message_type, simulator in (
        ("epikrise", care_receivers.gp),
        ("homecare", care_receivers.municipality),
    ):
        [(first, _), (second, _)] = by_type(sessions)[message_type]
        assert second.corrects_id == first.id and second.id != first.id
        [thread] = {
            c["identifier"][0]["value"]
            for p in (first, second)
            for c in resources(p.payload, "Communication")
        }
        assert thread.startswith("urn:uuid:")
        provenance = resources(second.payload, "Provenance")[-1]
        assert provenance["activity"]["coding"][0]["code"] == "reply-message"
        assert provenance["entity"][0]["what"]["reference"] == f"MessageHeader/{first.id}"
        [communication] = resources(second.payload, "Communication")
        assert communication["payload"][-1]["contentString"].startswith(f"RETTELSE til meddelelse {first.id}")
        assert len(processed(simulator)) == 2  # the original and the correction, each once


def test_another_person_after_sending_holds_both_care_messages_for_manual_handling(
    tablet: Tablet, care_receivers: CareReceivers, sessions: sessionmaker[Session]
) -> None:
    other = PatientIdentity(identifier=CprIdentifier(value="2509479989"), municipality_code="0461")
    sent_then_identified_as(tablet, sessions, lambda _: other)

    queued = by_type(sessions)
    for message_type in ("epikrise", "homecare"):
        [(first, _), (held, delivery)] = queued[message_type]
        assert (held.payload, held.corrects_id) == (None, first.id)
        assert (delivery.state, delivery.error_code) == (
            DeliveryState.manual_handling,
            ErrorCode.wrong_patient,
        )
    assert worker(sessions).run_until_idle() == []
    assert len(processed(care_receivers.gp)) == 1
