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
from typing import Any

import httpx2
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


def delivery(sessions: sessionmaker[Session]) -> Delivery:
    with sessions() as session:
        return session.scalars(select(Delivery)).one()


def sent_and_awaiting(
    tablet: Tablet, hospital: ReceiverSimulator, sessions: sessionmaker[Session], world: World, clock: Clock
) -> bytes:
    """The STEMI handover sent to a receiver that answers 202 and keeps its Acknowledgement for later."""
    hospital.behaviour.defer_acks = True
    capture_stemi(tablet, ed_sor=ed_sor(sessions, world))
    tablet.client.sync_once()
    [recorded] = worker(sessions, clock).run_until_idle()
    assert (recorded.state, recorded.error_code) == (DeliveryState.awaiting_ack, ErrorCode.ack_missing)
    [ack] = hospital.deferred_acks
    return ack


def post(client: TestClient, world: World, body: bytes, role: Role = Role.receiver_system) -> Any:
    return client.post(ACK_ROUTE, content=body, headers=world.callers[role].api_headers())


def test_a_later_acknowledgement_closes_the_delivery_and_nothing_is_resent(
    tablet: Tablet,
    hospital: ReceiverSimulator,
    sessions: sessionmaker[Session],
    world: World,
    client: TestClient,
) -> None:
    clock = Clock()
    ack = sent_and_awaiting(tablet, hospital, sessions, world, clock)

    answer = post(client, world, ack)

    assert answer.status_code == 200
    assert (answer.json()["outcome"], answer.json()["state"]) == ("recorded", "acknowledged")
    stored = delivery(sessions)
    assert (stored.state, stored.ack_code, stored.ack) == (DeliveryState.acknowledged, "ok", ack)
    clock.ahead = POLICY.ack_timeout * 2
    assert worker(sessions, clock).run_until_idle() == []  # closed: no resend after the timeout
    assert len(hospital.log) == 1


def test_the_same_acknowledgement_twice_is_a_duplicate_that_changes_nothing(
    tablet: Tablet,
    hospital: ReceiverSimulator,
    sessions: sessionmaker[Session],
    world: World,
    client: TestClient,
) -> None:
    hospital.behaviour.duplicate_delivery = True
    hospital.behaviour.defer_acks = True
    capture_stemi(tablet, ed_sor=ed_sor(sessions, world))
    tablet.client.sync_once()
    worker(sessions, Clock()).run_until_idle()
    first, again = hospital.deferred_acks  # the receiver got it twice and acknowledged twice, alike
    assert first == again

    assert post(client, world, first).json()["outcome"] == "recorded"
    before = delivery(sessions)
    duplicate = post(client, world, again)

    assert duplicate.status_code == 200 and duplicate.json()["outcome"] == "duplicate"
    after = delivery(sessions)
    assert (after.state, after.version, after.updated_at) == (before.state, before.version, before.updated_at)


def test_a_fatal_error_acknowledgement_rejects_the_delivery_and_a_later_ok_cannot_reopen_it(
    tablet: Tablet,
    hospital: ReceiverSimulator,
    sessions: sessionmaker[Session],
    world: World,
    client: TestClient,
) -> None:
    clock = Clock()
    ok = json.loads(sent_and_awaiting(tablet, hospital, sessions, world, clock))
    fatal = with_code(ok, "fatal-error")

    answer = post(client, world, json.dumps(fatal).encode())

    assert answer.status_code == 200 and answer.json()["state"] == "rejected"
    stored = delivery(sessions)
    assert (stored.state, stored.error_code) == (DeliveryState.rejected, ErrorCode.ack_fatal_error)
    late_ok = post(client, world, json.dumps(ok).encode())
    assert late_ok.status_code == 409 and "rejected" in late_ok.json()["detail"]


def test_a_transient_error_acknowledgement_makes_the_message_due_for_a_resend(
    tablet: Tablet,
    hospital: ReceiverSimulator,
    sessions: sessionmaker[Session],
    world: World,
    client: TestClient,
) -> None:
    clock = Clock()
    ok = json.loads(sent_and_awaiting(tablet, hospital, sessions, world, clock))

    answer = post(client, world, json.dumps(with_code(ok, "transient-error")).encode())

    assert answer.json()["state"] == "failed_retrying"
    hospital.behaviour.defer_acks = False
    clock.ahead = dt.timedelta(seconds=1)
    [resent] = worker(sessions, clock).run_until_idle()
    assert resent.state is DeliveryState.acknowledged  # the resend was acknowledged synchronously
    bundle_ids = {json.loads(r.body)["id"] for r in hospital.log}
    assert len(bundle_ids) == 2


def test_an_acknowledgement_of_a_message_ppj_never_sent_is_unknown(
    client: TestClient,
    world: World,
    tablet: Tablet,
    hospital: ReceiverSimulator,
    sessions: sessionmaker[Session],
) -> None:
    ok = json.loads(sent_and_awaiting(tablet, hospital, sessions, world, Clock()))
    ok["entry"][0]["resource"]["response"]["identifier"] = "0f6a7a53-5b1a-4c3c-9d0e-3c4f0b1d2e3f"

    answer = post(client, world, json.dumps(ok).encode())

    assert answer.status_code == 404 and answer.json()["outcome"] == "unknown"
    assert delivery(sessions).state is DeliveryState.awaiting_ack


def test_an_acknowledgement_from_another_organisation_or_account_is_refused(
    tablet: Tablet,
    hospital: ReceiverSimulator,
    sessions: sessionmaker[Session],
    world: World,
    client: TestClient,
) -> None:
    ok = json.loads(sent_and_awaiting(tablet, hospital, sessions, world, Clock()))
    forged = copy.deepcopy(ok)
    sender_ref = forged["entry"][0]["resource"]["sender"]["reference"]
    for entry in forged["entry"]:
        resource = entry["resource"]
        if f"{resource['resourceType']}/{resource['id']}" == sender_ref:
            for identifier in resource["identifier"]:
                # Another organisation's (MedCom example) SOR id and GLN.
                identifier["value"] = {"urn:oid:1.2.208.176.1.1": "953741000016009"}.get(
                    identifier["system"], "5790001348120"
                )

    assert post(client, world, json.dumps(forged).encode()).status_code == 403
    with sessions() as session:
        person = session.get_one(Person, world.callers[Role.receiver_system].person_id)
        person.organisation_id = world.ed_other  # now another hospital's receiving system
        session.commit()
    refused = post(client, world, json.dumps(ok).encode())
    assert refused.status_code == 403 and "does not belong" in refused.json()["detail"]
    assert delivery(sessions).state is DeliveryState.awaiting_ack


def test_an_acknowledgement_that_fails_validation_is_refused_with_the_reasons(
    tablet: Tablet,
    hospital: ReceiverSimulator,
    sessions: sessionmaker[Session],
    world: World,
    client: TestClient,
) -> None:
    ok = json.loads(sent_and_awaiting(tablet, hospital, sessions, world, Clock()))
    del ok["timestamp"]

    answer = post(client, world, json.dumps(ok).encode())

    assert answer.status_code == 400 and answer.json()["resourceType"] == "OperationOutcome"
    assert any("timestamp" in " ".join(i.get("expression", [])) for i in answer.json()["issue"])
    assert post(client, world, b"not fhir").status_code == 400
    assert delivery(sessions).state is DeliveryState.awaiting_ack


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
