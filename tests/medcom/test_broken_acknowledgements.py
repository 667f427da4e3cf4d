"""Broken copies of the official Acknowledgement 2.0.3 example: each fault is caught and named."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from medcom_examples import ACKNOWLEDGEMENT_2, load_example, resource_of

from medcom.fhir_validator import Validator


@pytest.fixture
def acknowledgement() -> dict[str, Any]:
    return copy.deepcopy(load_example(ACKNOWLEDGEMENT_2[0]))


def error_messages(validator: Validator, message: dict[str, Any]) -> list[str]:
    return [i.message for i in validator.validate(message).errors]


def test_a_response_code_outside_the_base_code_list_is_named(
    validator: Validator, acknowledgement: dict[str, Any]
) -> None:
    resource_of(acknowledgement, "MessageHeader")["response"]["code"] = "maybe"
    assert any(
        "'maybe' is not in the required value set http://hl7.org/fhir/ValueSet/response-code" in m
        for m in error_messages(validator, acknowledgement)
    )


def test_a_fatal_error_without_an_operation_outcome_breaks_the_acknowledgement_invariant(
    validator: Validator, acknowledgement: dict[str, Any]
) -> None:
    resource_of(acknowledgement, "MessageHeader")["response"]["code"] = "fatal-error"
    assert any(
        "constraint medcom-acknowledgement-1 failed" in m for m in error_messages(validator, acknowledgement)
    )


def test_an_acknowledgement_without_provenance_breaks_the_messaging_invariant(
    validator: Validator, acknowledgement: dict[str, Any]
) -> None:
    acknowledgement["entry"] = [
        e for e in acknowledgement["entry"] if e["resource"]["resourceType"] != "Provenance"
    ]
    assert any(
        "constraint medcom-messaging-2 failed" in m for m in error_messages(validator, acknowledgement)
    )


def test_an_activity_outside_the_activity_codes_is_named(
    validator: Validator, acknowledgement: dict[str, Any]
) -> None:
    resource_of(acknowledgement, "Provenance")["activity"]["coding"][0]["code"] = "shouting"
    assert any(
        "#shouting is not in the required value set" in m and "medcom-messaging-activityCodes" in m
        for m in error_messages(validator, acknowledgement)
    )
