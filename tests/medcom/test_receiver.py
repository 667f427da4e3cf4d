"""The receiving side: every message answered, never processed twice, originals kept, bad input refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from journal_fixtures import HOSPITAL, SENDER, clock, entries_of, state_of

from medcom.acknowledgement import read_acknowledgement
from medcom.fhir_input import parse_instance
from medcom.fhir_validator import Validator
from medcom.fhir_xml import json_to_xml
from medcom.handover_message import build_handover
from medcom.message_parts import Organisation
from medcom.receiver import MessageReceiver


@pytest.fixture(scope="module")
def handover() -> dict[str, Any]:
    return build_handover(state=state_of(entries_of("stemi")), sender=SENDER, receiver=HOSPITAL).bundle


@pytest.fixture
def receiver(ppj_validator: Validator) -> MessageReceiver:
    return MessageReceiver(validator=ppj_validator, clock=clock("receiver"))


def body(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode("utf-8")


def test_a_valid_message_gets_an_ok_acknowledgement_naming_it(
    receiver: MessageReceiver, handover: dict[str, Any]
) -> None:
    reply = receiver.receive(body(handover))
    assert reply.status == 200
    ack = read_acknowledgement(json.loads(reply.body))
    assert (ack.code, ack.acknowledged_header_id) == ("ok", handover["entry"][0]["resource"]["id"])


def test_an_invalid_message_gets_a_fatal_error_acknowledgement_with_the_reasons(
    receiver: MessageReceiver, handover: dict[str, Any]
) -> None:
    broken = json.loads(body(handover))
    broken["entry"][0]["resource"]["eventCoding"]["code"] = "no-such-event"
    ack = read_acknowledgement(json.loads(receiver.receive(body(broken)).body))
    assert ack.code == "fatal-error"
    assert any("prehospital-handover-message" in d for d in ack.details)
    assert receiver.received[-1].body == body(broken)  # the original is kept as it came


def test_a_duplicate_gets_the_same_acknowledgement_and_is_processed_once(
    receiver: MessageReceiver, handover: dict[str, Any]
) -> None:
    first, second = receiver.receive(body(handover)), receiver.receive(body(handover))
    assert first == second
    assert [r.outcome for r in receiver.received] == ["processed", "duplicate"]
    assert len(receiver.processed()) == 1


def test_a_transient_error_is_not_remembered_so_the_resend_is_processed(
    receiver: MessageReceiver, handover: dict[str, Any]
) -> None:
    transient = read_acknowledgement(json.loads(receiver.receive(body(handover), transient_error=True).body))
    assert transient.retry
    assert read_acknowledgement(json.loads(receiver.receive(body(handover)).body)).ok
    assert len(receiver.processed()) == 1


def test_an_xml_message_is_answered_in_xml(receiver: MessageReceiver, handover: dict[str, Any]) -> None:
    reply = receiver.receive(json_to_xml(handover))
    assert reply.content_type == "application/fhir+xml"
    assert read_acknowledgement(parse_instance(reply.body)).ok


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b"\x00\x01 not a message", 400, "neither JSON nor XML"),
        (b'{"resourceType": "Patient"}', 400, "not a Bundle whose first entry is a MessageHeader"),
        (b'{"resourceType": "Bundle", "type": "message", "entry": [', 400, "not well-formed JSON"),
    ],
)
def test_bytes_that_no_acknowledgement_can_answer_get_a_clear_refusal_and_are_kept(
    receiver: MessageReceiver, data: bytes, status: int, reason: str
) -> None:
    reply = receiver.receive(data)
    assert reply.status == status
    assert reason in json.loads(reply.body)["issue"][0]["diagnostics"]
    assert receiver.received[-1].body == data and receiver.received[-1].outcome.startswith("refused")


def test_an_oversized_message_is_refused_unread(ppj_validator: Validator, handover: dict[str, Any]) -> None:
    small = MessageReceiver(validator=ppj_validator, max_bytes=1000)
    reply = small.receive(body(handover))
    assert reply.status == 413
    assert "limit of 1000 bytes" in json.loads(reply.body)["issue"][0]["diagnostics"]


def test_a_message_for_another_receiver_gets_a_fatal_error_naming_the_unknown_receiver(
    ppj_validator: Validator, handover: dict[str, Any]
) -> None:
    other = Organisation(sor="1144561000016002", gln="5790000123117", name="Pleje og Rehabilitering")
    reply = MessageReceiver(validator=ppj_validator, own=other).receive(body(handover))
    ack = json.loads(reply.body)
    assert read_acknowledgement(ack).code == "fatal-error"
    outcome = [e["resource"] for e in ack["entry"] if e["resource"]["resourceType"] == "OperationOutcome"][0]
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "MSG_Receiver_Identifier_UNKNOWN"
    assert "not addressed to this receiver" in outcome["issue"][0]["details"]["text"]


def test_a_message_for_this_receiver_passes_the_address_check(
    ppj_validator: Validator, handover: dict[str, Any]
) -> None:
    reply = MessageReceiver(validator=ppj_validator, own=HOSPITAL).receive(body(handover))
    assert read_acknowledgement(json.loads(reply.body)).ok


@pytest.mark.parametrize(
    "message",
    [
        {"resourceType": "Bundle", "type": "message"},
        {
            "resourceType": "Bundle",
            "type": "message",
            "entry": [{"resource": {"resourceType": "MessageHeader"}}],
        },
        {
            "resourceType": "Bundle",
            "type": "message",
            "entry": [{"resource": {"resourceType": "MessageHeader", "id": "x", "destination": "nonsense"}}],
        },
    ],
)
def test_a_receiver_checking_its_address_refuses_headless_messages_without_crashing(
    ppj_validator: Validator, message: dict[str, Any]
) -> None:
    reply = MessageReceiver(validator=ppj_validator, own=HOSPITAL).receive(body(message))
    assert reply.status == 400


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: ("{" + t).encode())))
def test_arbitrary_bytes_are_answered_and_kept_never_a_crash(receiver: MessageReceiver, data: bytes) -> None:
    reply = receiver.receive(data)
    assert reply.status in (200, 400, 413)
    assert receiver.received[-1].body == data
