"""Reading instances: JSON and XML, FHIR or not, and files too large to read."""

from __future__ import annotations

from pathlib import Path

import pytest
from medcom_examples import ACKNOWLEDGEMENT_2, CARE_COMMUNICATION_5, load_example

from medcom.errors import InputTooLargeError, NotAFhirResourceError, NotJsonOrXmlError
from medcom.fhir_input import parse_instance, read_instance
from medcom.fhir_validator import Validator
from medcom.fhir_xml import json_to_xml


@pytest.mark.parametrize("name", CARE_COMMUNICATION_5 + ACKNOWLEDGEMENT_2)
def test_an_official_example_round_trips_through_xml_and_still_validates(
    validator: Validator, name: str
) -> None:
    original = load_example(name)
    xml = json_to_xml(original)
    assert xml.startswith(b"<?xml")
    back = parse_instance(xml)
    assert back == original
    assert validator.validate(back).errors == ()


def test_a_fault_in_an_xml_message_is_caught_like_in_json(validator: Validator) -> None:
    xml = json_to_xml(load_example(CARE_COMMUNICATION_5[0])).replace(
        b'value="unknown"', b'value="completed"', 1
    )
    assert any("'completed'" in i.message for i in validator.validate(parse_instance(xml)).errors)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_bytes(b"{" + b" " * 2048 + b"}")
    with pytest.raises(InputTooLargeError, match="more than the limit of 1024 bytes"):
        read_instance(path, max_bytes=1024)


@pytest.mark.parametrize("data", [b"hello world", b"\x00\x01binary", b""])
def test_bytes_that_are_neither_json_nor_xml_are_refused(data: bytes) -> None:
    with pytest.raises(NotJsonOrXmlError, match="neither JSON nor XML"):
        parse_instance(data)


@pytest.mark.parametrize(
    ("data", "reason"), [(b'{"a": ', "not well-formed JSON"), (b"<a><b></a>", "not well-formed XML")]
)
def test_malformed_json_or_xml_is_refused_with_the_parser_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotJsonOrXmlError, match=reason):
        parse_instance(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[1, 2]", "not a FHIR resource"),
        (b'{"name": "x"}', "without 'resourceType'"),
        (b'{"resourceType": "Spaceship"}', "'Spaceship' is not a FHIR R4 resource type"),
        (b"<html><body/></html>", "not a FHIR resource in namespace http://hl7.org/fhir"),
    ],
)
def test_json_or_xml_that_is_not_fhir_is_refused_with_a_clear_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotAFhirResourceError, match=reason):
        parse_instance(data)


def test_xml_with_an_external_entity_is_refused_not_expanded() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Patient xmlns="http://hl7.org/fhir"><id value="&x;"/></Patient>'
    )
    with pytest.raises(NotJsonOrXmlError, match="external entity"):
        parse_instance(data)


def test_json_with_a_repeated_property_is_refused() -> None:
    with pytest.raises(NotJsonOrXmlError, match="'id' appears twice"):
        parse_instance(b'{"resourceType": "Patient", "id": "a", "id": "b"}')


def test_json_nested_absurdly_deep_is_refused() -> None:
    with pytest.raises(NotJsonOrXmlError, match="nested too deeply"):
        parse_instance(b"[" * 200_000 + b"]" * 200_000)


def test_extensions_nested_absurdly_deep_are_a_fatal_issue_not_a_crash(validator: Validator) -> None:
    extension: dict[str, object] = {"url": "http://example.org/e", "valueString": "x"}
    for _ in range(5000):
        extension = {"url": "http://example.org/e", "extension": [extension]}
    result = validator.validate({"resourceType": "Patient", "extension": [extension]})
    assert any(i.severity.value == "fatal" and "nested too deeply" in i.message for i in result.issues)
