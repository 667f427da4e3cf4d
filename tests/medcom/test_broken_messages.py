"""Broken copies of an official CareCommunication: each fault is caught with a message naming it."""

from __future__ import annotations

import copy
from typing import Any

from medcom_examples import resource_of

from medcom.fhir_validator import Validator


def error_messages(validator: Validator, message: dict[str, Any]) -> list[str]:
    return [f"{i.location}: {i.message}" for i in validator.validate(message).errors]


def test_a_removed_required_element_is_named(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    del resource_of(care_communication, "MessageHeader")["definition"]
    assert any(
        "MessageHeader.definition: minimum required = 1, but only found 0" in m
        for m in error_messages(validator, care_communication)
    )


def test_a_wrong_fixed_value_is_named(validator: Validator, care_communication: dict[str, Any]) -> None:
    resource_of(care_communication, "Communication")["status"] = "completed"
    messages = error_messages(validator, care_communication)
    assert any("status" in m and "'completed'" in m and "'unknown'" in m for m in messages)


def test_a_wrong_event_code_breaks_the_pattern(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    resource_of(care_communication, "MessageHeader")["eventCoding"]["code"] = "hospital-notification-message"
    messages = error_messages(validator, care_communication)
    assert any("eventCoding" in m and "hospital-notification-message" in m for m in messages)


def test_an_organization_without_its_ean_slice_is_rejected(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    organization = resource_of(care_communication, "Organization")
    organization["identifier"] = [i for i in organization["identifier"] if "gs1" not in i["system"]]
    messages = error_messages(validator, care_communication)
    assert any("slice 'EAN-ID'" in m and "minimum required = 1" in m for m in messages)


def test_a_cc_destination_violates_the_closed_destination_slicing(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    header = resource_of(care_communication, "MessageHeader")
    copy_destination = copy.deepcopy(header["destination"][0])
    copy_destination["extension"][0]["valueCoding"]["code"] = "cc"
    header["destination"].append(copy_destination)
    messages = error_messages(validator, care_communication)
    assert any("slice 'cc'" in m and "max allowed = 0" in m for m in messages)


def test_a_category_outside_the_required_value_set_is_named(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    resource_of(care_communication, "Communication")["category"][0]["coding"][0]["code"] = "gossip"
    messages = error_messages(validator, care_communication)
    assert any(
        "#gossip is not in the required value set" in m and "medcom-careCommunication-categories" in m
        for m in messages
    )


def test_an_invalid_cpr_number_breaks_the_dk_core_invariant(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    resource_of(care_communication, "Patient")["identifier"][0]["value"] = "3209479989"
    messages = error_messages(validator, care_communication)
    assert any("constraint cpr failed" in m for m in messages)


def test_a_gln_with_a_wrong_check_digit_breaks_the_gln_invariant(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    organization = resource_of(care_communication, "Organization")
    gln = next(i for i in organization["identifier"] if "gs1" in i["system"])
    gln["value"] = gln["value"][:-1] + str((int(gln["value"][-1]) + 1) % 10)
    messages = error_messages(validator, care_communication)
    assert any("constraint gln-modulus-10 failed" in m for m in messages)


def test_a_second_patient_breaks_the_exactly_one_patient_invariant(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    patient_entry = next(e for e in care_communication["entry"] if e["resource"]["resourceType"] == "Patient")
    twin = copy.deepcopy(patient_entry)
    twin["resource"]["id"] = "733cef33-3626-422b-955d-d506aaa65fe2"
    twin["fullUrl"] = twin["fullUrl"][:-1] + "2"
    care_communication["entry"].append(twin)
    messages = error_messages(validator, care_communication)
    assert any("constraint medcom-careCommunication-2 failed" in m for m in messages)


def test_a_sender_outside_the_bundle_is_an_error(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    resource_of(care_communication, "MessageHeader")["sender"]["reference"] = "Organization/not-in-bundle"
    messages = error_messages(validator, care_communication)
    assert any(
        "'Organization/not-in-bundle' does not resolve to an entry in the Bundle" in m for m in messages
    )


def test_an_unknown_element_is_named(validator: Validator, care_communication: dict[str, Any]) -> None:
    resource_of(care_communication, "Patient")["favouriteColour"] = "blue"
    assert any(
        "unrecognised element 'favouriteColour'" in m for m in error_messages(validator, care_communication)
    )


def test_a_malformed_timestamp_is_named(validator: Validator, care_communication: dict[str, Any]) -> None:
    care_communication["timestamp"] = "yesterday"
    assert any(
        "Bundle.timestamp: value 'yesterday' is not a valid instant" in m
        for m in error_messages(validator, care_communication)
    )


def test_narrative_with_script_breaks_the_narrative_rules(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    resource_of(care_communication, "Patient")["text"]["div"] = (
        '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script>x</div>'
    )
    assert any("constraint txt-1 failed" in m for m in error_messages(validator, care_communication))


def test_an_unknown_profile_is_a_warning_that_names_it(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    resource_of(care_communication, "Patient")["meta"]["profile"] = [
        "http://example.org/StructureDefinition/nope"
    ]
    result = validator.validate(care_communication)
    warnings = [i.message for i in result.issues if i.severity.value == "warning"]
    assert any("http://example.org/StructureDefinition/nope could not be resolved" in w for w in warnings)


def test_an_unknown_modifier_extension_is_an_error(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    resource_of(care_communication, "Communication")["modifierExtension"] = [
        {"url": "http://example.org/StructureDefinition/not-really", "valueBoolean": True}
    ]
    messages = error_messages(validator, care_communication)
    assert any(
        "unknown modifier extension http://example.org/StructureDefinition/not-really" in m for m in messages
    )


def test_a_full_url_that_disagrees_with_the_resource_id_is_an_error(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    entry = next(e for e in care_communication["entry"] if e["resource"]["resourceType"] == "Patient")
    entry["fullUrl"] = entry["fullUrl"].rsplit("/", 1)[0] + "/someone-else"
    messages = error_messages(validator, care_communication)
    assert any("does not match the resource id" in m for m in messages)


def test_a_resource_id_with_forbidden_characters_is_named(
    validator: Validator, care_communication: dict[str, Any]
) -> None:
    resource_of(care_communication, "Patient")["id"] = "not a valid id!"
    assert any("is not a valid id" in m for m in error_messages(validator, care_communication))
