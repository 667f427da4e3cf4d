"""The official MedCom examples: current ones validate, superseded ones are rejected for the right reasons."""

from __future__ import annotations

import pytest
from medcom_examples import (
    ACKNOWLEDGEMENT_2,
    CARE_COMMUNICATION_5,
    HISTORICAL_CARE_COMMUNICATION_3,
    load_example,
)

from medcom.fhir_validator import Validator
from medcom.operation_outcome import Severity


@pytest.mark.parametrize("name", CARE_COMMUNICATION_5 + ACKNOWLEDGEMENT_2)
def test_every_official_carecommunication_and_acknowledgement_example_validates_without_errors(
    validator: Validator, name: str
) -> None:
    result = validator.validate(load_example(name))
    assert result.errors == (), "\n".join(i.line() for i in result.errors)


def test_the_acknowledgement_reports_the_dependency_versions_it_substituted(validator: Validator) -> None:
    result = validator.validate(load_example(ACKNOWLEDGEMENT_2[0]))
    info = [i.message for i in result.issues if i.severity is Severity.INFORMATION]
    assert any("hl7.fhir.dk.core#2.0.0" in m and "using hl7.fhir.dk.core#3.4.0" in m for m in info)


def test_a_historical_retract_message_is_rejected_for_what_carecommunication_5_forbids(
    validator: Validator,
) -> None:
    messages = [
        i.message for i in validator.validate(load_example(HISTORICAL_CARE_COMMUNICATION_3[0])).errors
    ]
    assert any("MessageHeader.definition: minimum required = 1" in m for m in messages)
    assert any("'entered-in-error' does not match the required pattern 'unknown'" in m for m in messages)
    assert any("medcom-careCommunication-3" in m for m in messages)


def test_a_historical_modified_message_lacks_the_thread_identifier_carecommunication_5_requires(
    validator: Validator,
) -> None:
    messages = [
        i.message for i in validator.validate(load_example(HISTORICAL_CARE_COMMUNICATION_3[1])).errors
    ]
    assert any("Communication.identifier: minimum required = 1" in m for m in messages)
