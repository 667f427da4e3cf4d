"""Acknowledgements that come later: the receiver answers the message with 202 and posts its
Acknowledgement to ``POST /medcom/acknowledgements`` afterwards. It closes the delivery (no resend after
the timeout); the same acknowledgement again changes nothing; an acknowledgement of a message PPJ never
sent, from another organisation, from an account of another receiver or that fails validation is refused
with a clear reason.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from integrations.delivery.http import HttpDelivery
from integrations.receiver_simulator.server import ReceiverSimulator
from server.identity.models import Person, Role
from server.outbox.models import Delivery
from server.outbox.states import DeliveryState, ErrorCode
from server.outbox.worker import OutboxWorker, RetryPolicy
from tests.server.outbox.journeys import capture_stemi, ed_sor
from tests.server.sync_tablets import Tablet
from tests.server.world import World

POLICY = RetryPolicy(max_attempts=3, backoff_base=dt.timedelta(0), jitter=0.0)
ACK_ROUTE = "/medcom/acknowledgements"


class Clock:
    """The real time, moved on by ``ahead`` (the worker's view; the server stamps with the real time)."""

    def __init__(self) -> None:
        self.ahead = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.ahead


def worker(sessions: sessionmaker[Session], clock: Clock) -> OutboxWorker:
    return OutboxWorker(
        sessions, HttpDelivery(httpx2.Client(timeout=10)), policy=POLICY, name="w1", now=clock
    )


@dataclass
class Sent:
    """The STEMI handover synced and sent to a receiver (the world's ED) that answers 202 and keeps its
    Acknowledgement for later: ``ack`` is it, ``post`` posts a body as the ED's receiving system."""

    hospital: ReceiverSimulator
    sessions: sessionmaker[Session]
    world: World
    client: TestClient
    clock: Clock
    ack: bytes

    def post(self, body: bytes) -> Any:
        headers = self.world.callers[Role.receiver_system].api_headers()
        return self.client.post(ACK_ROUTE, content=body, headers=headers)

    def delivery(self) -> Delivery:
        with self.sessions() as session:
            return session.scalars(select(Delivery)).one()


@pytest.fixture
def sent(
    tablet: Tablet,
    hospital: ReceiverSimulator,
    sessions: sessionmaker[Session],
    world: World,
    client: TestClient,
) -> Sent:
    hospital.behaviour.defer_acks = True
    capture_stemi(tablet, ed_sor=ed_sor(sessions, world))
    tablet.client.sync_once()
    clock = Clock()
    [recorded] = worker(sessions, clock).run_until_idle()
    assert (recorded.state, recorded.error_code) == (DeliveryState.awaiting_ack, ErrorCode.ack_missing)
    return Sent(hospital, sessions, world, client, clock, hospital.deferred_acks[0])


def test_a_later_acknowledgement_closes_the_delivery_and_nothing_is_resent(sent: Sent) -> None:
    answer = sent.post(sent.ack)

    assert answer.status_code == 200
    assert (answer.json()["outcome"], answer.json()["state"]) == ("recorded", "acknowledged")
    stored = sent.delivery()
    assert (stored.state, stored.ack_code, stored.ack) == (DeliveryState.acknowledged, "ok", sent.ack)
    sent.clock.ahead = POLICY.ack_timeout * 2
    assert worker(sent.sessions, sent.clock).run_until_idle() == []  # closed: no resend after the timeout
    assert len(sent.hospital.log) == 1


def test_the_same_acknowledgement_twice_is_a_duplicate_that_changes_nothing(sent: Sent) -> None:
    assert sent.post(sent.ack).json()["outcome"] == "recorded"
    before = sent.delivery()

    duplicate = sent.post(sent.ack)

    assert duplicate.status_code == 200 and duplicate.json()["outcome"] == "duplicate"
    after = sent.delivery()
    assert (after.state, after.version, after.updated_at) == (before.state, before.version, before.updated_at)


def test_a_fatal_error_acknowledgement_rejects_the_delivery_and_a_later_ok_cannot_reopen_it(
    sent: Sent,
) -> None:
    answer = sent.post(json.dumps(with_code(json.loads(sent.ack), "fatal-error")).encode())

    assert answer.status_code == 200 and answer.json()["state"] == "rejected"
    stored = sent.delivery()
    assert (stored.state, stored.error_code) == (DeliveryState.rejected, ErrorCode.ack_fatal_error)
    late_ok = sent.post(sent.ack)
    assert late_ok.status_code == 409 and "rejected" in late_ok.json()["detail"]


def test_a_transient_error_acknowledgement_makes_the_message_due_for_a_resend(sent: Sent) -> None:
    answer = sent.post(json.dumps(with_code(json.loads(sent.ack), "transient-error")).encode())

    assert answer.json()["state"] == "failed_retrying"
    sent.hospital.behaviour.defer_acks = False
    sent.clock.ahead = dt.timedelta(seconds=1)
    [resent] = worker(sent.sessions, sent.clock).run_until_idle()
    assert resent.state is DeliveryState.acknowledged  # the resend was acknowledged synchronously
    assert len({json.loads(r.body)["id"] for r in sent.hospital.log}) == 2  # a new Bundle.id


def test_an_acknowledgement_of_a_message_ppj_never_sent_is_unknown(sent: Sent) -> None:
    ack = json.loads(sent.ack)
    ack["entry"][0]["resource"]["response"]["identifier"] = "0f6a7a53-5b1a-4c3c-9d0e-3c4f0b1d2e3f"

    answer = sent.post(json.dumps(ack).encode())

    assert answer.status_code == 404 and answer.json()["outcome"] == "unknown"
    assert sent.delivery().state is DeliveryState.awaiting_ack


def test_an_acknowledgement_from_another_organisation_or_account_is_refused(sent: Sent) -> None:
    forged = json.loads(sent.ack)
    sender_ref = forged["entry"][0]["resource"]["sender"]["reference"]
    for entry in forged["entry"]:
        resource = entry["resource"]
        if f"{resource['resourceType']}/{resource['id']}" == sender_ref:
            for identifier in resource["identifier"]:
                # Another organisation's (MedCom example) SOR id and GLN.
                identifier["value"] = {"urn:oid:1.2.208.176.1.1": "953741000016009"}.get(
                    identifier["system"], "5790001348120"
                )

    assert sent.post(json.dumps(forged).encode()).status_code == 403
    with sent.sessions() as session:
        person = session.get_one(Person, sent.world.callers[Role.receiver_system].person_id)
        person.organisation_id = sent.world.ed_other  # now another hospital's receiving system
        session.commit()
    refused = sent.post(sent.ack)
    assert refused.status_code == 403 and "does not belong" in refused.json()["detail"]
    assert sent.delivery().state is DeliveryState.awaiting_ack


def test_an_acknowledgement_that_fails_validation_is_refused_with_the_reasons(sent: Sent) -> None:
    ack = json.loads(sent.ack)
    del ack["timestamp"]

    answer = sent.post(json.dumps(ack).encode())

    assert answer.status_code == 400 and answer.json()["resourceType"] == "OperationOutcome"
    assert any("timestamp" in " ".join(i.get("expression", [])) for i in answer.json()["issue"])
    assert sent.post(b"not fhir").status_code == 400
    assert sent.delivery().state is DeliveryState.awaiting_ack


def with_code(ack: dict[str, Any], code: str) -> dict[str, Any]:
    """The same Acknowledgement with another response code and the OperationOutcome MedCom then requires."""
    changed = copy.deepcopy(ack)
    header = changed["entry"][0]["resource"]
    header["response"]["code"] = code
    outcome_id = "5d0e8a2c-3b8f-4e55-9a61-0c2b7f4f9e10"
    header["response"]["details"] = {"reference": f"OperationOutcome/{outcome_id}"}
    base = changed["entry"][0]["fullUrl"].rsplit("/MessageHeader/", 1)[0]
    changed["entry"].append(
        {
            "fullUrl": f"{base}/OperationOutcome/{outcome_id}",
            "resource": {
                "resourceType": "OperationOutcome",
                "id": outcome_id,
                "meta": {
                    "profile": [
                        "http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/"
                        "medcom-acknowledgement-operationoutcome"
                    ]
                },
                "text": {
                    "status": "generated",
                    "div": '<div xmlns="http://www.w3.org/1999/xhtml">Mailbox out of operation</div>',
                },
                "issue": [
                    {
                        "severity": "error",
                        "code": "transient" if code == "transient-error" else "invalid",
                        "details": {
                            "coding": [
                                {
                                    "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/"
                                    "medcom-acknowledgement-error-codes",
                                    "code": "MSG_Mailbox_Out_Of_Operation",
                                }
                            ]
                        },
                    }
                ],
            },
        }
    )
    return changed


def test_the_simulator_posts_its_kept_acknowledgements_and_keeps_one_the_sender_could_not_take(
    sent: Sent,
) -> None:
    unavailable = sent.hospital.post_deferred_acks(lambda body: 503)
    assert unavailable == [503] and sent.hospital.deferred_acks == [sent.ack]

    posted = sent.hospital.post_deferred_acks(lambda body: int(sent.post(body).status_code))

    assert posted == [200] and sent.hospital.deferred_acks == []
    assert sent.delivery().state is DeliveryState.acknowledged
