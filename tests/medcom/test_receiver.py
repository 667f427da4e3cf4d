"""The receiving side: every message answered, never processed twice, originals kept, bad input refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from journal_fixtures import HOSPITAL, SENDER, clock, entries_of, state_of

from medcom.acknowledgement import read_acknowledgement
from medcom.fhir_input import parse_instance
from medcom.fhir_validator import Validator
from medcom.fhir_xml import json_to_xml
from medcom.handover_message import build_handover
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
