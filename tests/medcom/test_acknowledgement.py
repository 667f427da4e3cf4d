"""The Acknowledgement a receiver sends: golden wire format, identity rules, and its own validity."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from medcom_examples import (
    ACKNOWLEDGEMENT_2,
    CARE_COMMUNICATION_5,
    FIRST_CC,
    HISTORICAL_CARE_COMMUNICATION_3,
    load_example,
    resource_of,
)

from medcom.acknowledgement import ACK_BUNDLE_PROFILE, build_acknowledgement
from medcom.errors import AcknowledgementError
from medcom.fhir_validator import Validator

GOLDEN = Path(__file__).parent / "golden"


def deterministic_ack(validator: Validator, message: dict[str, Any]) -> dict[str, Any]:
    counter = itertools.count(1)
    return build_acknowledgement(
        message=message,
        result=validator.validate(message),
        new_id=lambda: f"00000000-0000-4000-8000-{next(counter):012d}",
        now=lambda: datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        validator=validator,
    )


@pytest.mark.parametrize(
    ("name", "golden"),
    [
        (FIRST_CC, "ack-ok-add5e7e2.json"),
        (HISTORICAL_CARE_COMMUNICATION_3[0], "ack-fatal-error-ed3e05b2.json"),
    ],
)
def test_the_acknowledgement_matches_its_golden_file(validator: Validator, name: str, golden: str) -> None:
    ack = deterministic_ack(validator, load_example(name))
    expected = json.loads((GOLDEN / golden).read_text(encoding="utf-8"))
    assert ack == expected


@pytest.mark.parametrize("name", CARE_COMMUNICATION_5 + HISTORICAL_CARE_COMMUNICATION_3)
def test_every_acknowledgement_validates_against_the_acknowledgement_profile(
    validator: Validator, name: str
) -> None:
    ack = deterministic_ack(validator, load_example(name))
    result = validator.validate(ack, profiles=[ACK_BUNDLE_PROFILE])
    assert result.errors == (), "\n".join(i.line() for i in result.errors)


def test_the_acknowledgement_answers_the_message_and_swaps_sender_and_receiver(validator: Validator) -> None:
    message = load_example(FIRST_CC)
    header = resource_of(message, "MessageHeader")
    ack = deterministic_ack(validator, message)
    ack_header = resource_of(ack, "MessageHeader")
    assert ack_header["response"] == {"identifier": header["id"], "code": "ok"}
    assert ack_header["sender"] == header["destination"][0]["receiver"]
    assert ack_header["destination"][0]["receiver"] == header["sender"]
    assert ack_header["destination"][0]["endpoint"] == header["source"]["endpoint"]
    provenances = [e["resource"] for e in ack["entry"] if e["resource"]["resourceType"] == "Provenance"]
    assert len(provenances) == 2
    own = provenances[-1]
    assert own["activity"]["coding"][0]["code"] == "acknowledgement"
    assert own["entity"] == [{"role": "revision", "what": {"reference": f"MessageHeader/{header['id']}"}}]
    assert own["agent"][0]["who"] == ack_header["sender"]


def test_an_invalid_message_gets_a_fatal_error_with_the_validators_findings(validator: Validator) -> None:
    ack = deterministic_ack(validator, load_example(HISTORICAL_CARE_COMMUNICATION_3[0]))
    ack_header = resource_of(ack, "MessageHeader")
    assert ack_header["response"]["code"] == "fatal-error"
    outcome = resource_of(ack, "OperationOutcome")
    assert ack_header["response"]["details"] == {"reference": f"OperationOutcome/{outcome['id']}"}
    assert any("MessageHeader.definition" in i["details"]["text"] for i in outcome["issue"])


def test_an_acknowledgement_is_never_acknowledged(validator: Validator) -> None:
    with pytest.raises(AcknowledgementError, match="never acknowledged"):
        deterministic_ack(validator, load_example(ACKNOWLEDGEMENT_2[0]))


def test_a_message_without_a_messageheader_cannot_be_acknowledged(validator: Validator) -> None:
    with pytest.raises(AcknowledgementError, match="MessageHeader"):
        deterministic_ack(validator, {"resourceType": "Bundle", "type": "message", "entry": []})


def test_without_endpoints_the_acknowledgement_uses_the_sor_endpoints(validator: Validator) -> None:
    message = load_example(FIRST_CC)
    header = resource_of(message, "MessageHeader")
    del header["source"]["endpoint"]
    del header["destination"][0]["endpoint"]
    ack_header = resource_of(deterministic_ack(validator, message), "MessageHeader")
    assert ack_header["destination"][0]["endpoint"].startswith("https://sor2.sum.dsdn.dk/#id=")
    assert ack_header["source"]["endpoint"].startswith("https://sor2.sum.dsdn.dk/#id=")
