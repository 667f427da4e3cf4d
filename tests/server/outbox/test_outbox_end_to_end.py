"""End to end: a tablet syncs a transported STEMI journal with its handover; the handover message is queued
in the push's transaction; a worker delivers it over loopback HTTP to the receiver simulator, whose
Acknowledgement closes the delivery. With the simulator failing and duplicating first, it is processed once.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from integrations.delivery.http import HttpDelivery
from integrations.receiver_simulator.server import ReceiverSimulator
from journal.kinds.patient import PatientIdentity, ReplacementCprIdentifier
from medcom.receiver import MessageReceiver
from server.app import create_app
from server.config import Settings
from server.outbox.models import Delivery, DeliveryAttempt, OutboxMessage
from server.outbox.states import DeliveryState
from server.outbox.worker import OutboxWorker, RetryPolicy
from server.sync.models import EntryRow
from tests.server.outbox.journeys import capture_handed_over, capture_stemi, ed_sor, revise
from tests.server.sync_tablets import Tablet
from tests.server.world import World

NO_WAIT = RetryPolicy(max_attempts=4, backoff_base=dt.timedelta(0), jitter=0.0)
SKIPPED_KINDS = {"mission_assignment", "crew_sign_on", "signature", "destination"}


def worker(sessions: sessionmaker[Session], name: str = "w1") -> OutboxWorker:
    return OutboxWorker(sessions, HttpDelivery(httpx2.Client(timeout=10)), policy=NO_WAIT, name=name)


def processed(simulator: ReceiverSimulator) -> int:
    receiver = simulator.handler
    assert isinstance(receiver, MessageReceiver)
    return len(receiver.processed())


def test_a_synced_handover_is_queued_with_its_entries_delivered_and_closed_by_the_ack(
    tablet: Tablet, hospital: ReceiverSimulator, sessions: sessionmaker[Session], world: World
) -> None:
    journal_id, _ = capture_stemi(tablet, ed_sor=ed_sor(sessions, world))
    tablet.client.sync_once()
    with sessions() as session:
        message = session.scalars(select(OutboxMessage)).one()
        delivery = session.scalars(select(Delivery)).one()
        trigger = session.get_one(EntryRow, message.trigger_entry_id)
        assert (message.journal_id, message.message_type, message.receiver_id) == (
            journal_id,
            "handover",
            world.ed_own,
        )
        assert trigger.kind in {"handover", "disposition"}
        assert message.created_at == trigger.received_at  # written by the same push
        assert delivery.state is DeliveryState.queued
        assert message.payload is not None
        assert json.loads(message.payload)["entry"][0]["resource"]["id"] == str(message.id)

    done = worker(sessions).run_until_idle()

    assert [r.state for r in done] == [DeliveryState.acknowledged]
    assert processed(hospital) == 1
    with sessions() as session:
        delivery = session.scalars(select(Delivery)).one()
        assert (delivery.state, delivery.ack_code, delivery.attempts) == (DeliveryState.acknowledged, "ok", 1)
    tablet.client.sync_once()  # nothing new: no second message
    with sessions() as session:
        assert len(session.scalars(select(OutboxMessage)).all()) == 1


def test_with_the_receiver_failing_and_duplicating_first_the_message_is_processed_exactly_once(
    tablet: Tablet, hospital: ReceiverSimulator, sessions: sessionmaker[Session], world: World
) -> None:
    capture_stemi(tablet, ed_sor=ed_sor(sessions, world))
    tablet.client.sync_once()
    hospital.behaviour.fail_next = 2
    hospital.behaviour.duplicate_delivery = True

    done = worker(sessions).run_until_idle()

    assert [r.state for r in done] == [
        DeliveryState.failed_retrying,
        DeliveryState.failed_retrying,
        DeliveryState.acknowledged,
    ]
    assert processed(hospital) == 1
    with sessions() as session:
        message = session.scalars(select(OutboxMessage)).one()
        attempts = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.number)).all()
    assert [a.error_code for a in attempts] == ["http_retryable_status", "http_retryable_status", None]
    assert len({a.bundle_id for a in attempts}) == 3  # a new Bundle.id per transmission
    sent = [json.loads(r.body) for r in hospital.log]
    assert {s["entry"][0]["resource"]["id"] for s in sent} == {str(message.id)}  # same MessageHeader.id


def test_the_in_process_worker_delivers_what_sync_queued(
    tablet: Tablet,
    hospital: ReceiverSimulator,
    sessions: sessionmaker[Session],
    world: World,
    engine: Engine,
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url, outbox_worker_in_process=True, outbox_poll_seconds=0.05)
    with TestClient(create_app(settings, engine=engine)):
        capture_stemi(tablet, ed_sor=ed_sor(sessions, world))
        tablet.client.sync_once()
        deadline = time.monotonic() + 20
        state = None
        while time.monotonic() < deadline and state is not DeliveryState.acknowledged:
            time.sleep(0.05)
            with sessions() as session:
                state = session.scalars(select(Delivery.state)).one_or_none()
    assert state is DeliveryState.acknowledged
    assert processed(hospital) == 1


def test_an_unknown_patient_identified_after_sending_gets_a_correction_naming_the_sent_handover(
    tablet: Tablet, hospital: ReceiverSimulator, sessions: sessionmaker[Session], world: World
) -> None:
    journal_id, unknown = capture_handed_over(
        tablet,
        "unknown-patient",
        ed_sor=ed_sor(sessions, world),
        skip=frozenset({"correction", "retraction"}),
    )
    tablet.client.sync_once()
    assert [r.state for r in worker(sessions).run_until_idle()] == [DeliveryState.acknowledged]
    identified = PatientIdentity(
        identifier=ReplacementCprIdentifier(system="urn:oid:1.2.208.176.1.6.1.1", value="0703921VJ4"),
        family_name="Berggren",
        given_names="Birgit",
        sex="female",
    )
    revise(tablet, journal_id, identified, based_on=unknown)
    tablet.client.sync_once()

    done = worker(sessions).run_until_idle()

    assert [r.state for r in done] == [DeliveryState.acknowledged]  # validated and acknowledged
    assert processed(hospital) == 2
    with sessions() as session:
        first, second = session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)).all()
    assert second.corrects_id == first.id and second.payload is not None
    bundle = json.loads(second.payload)
    provenance = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Provenance"]
    assert provenance[-1]["activity"]["coding"][0]["code"] == "modified-message"
    assert provenance[-1]["entity"][0]["what"]["reference"] == f"MessageHeader/{first.id}"
    [patient] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert patient["identifier"][0]["value"] == "0703921VJ4"
