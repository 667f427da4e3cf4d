"""Payload rules: refuse only what is physically meaningless (with the field named), store implausible values
with warnings, and never refuse a device's value beyond type sanity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal.entry import Author, AuthorisationLevel, Entry, Role, new_entry
from journal.errors import EntryValidationError
from journal.hlc import Hlc
from journal.ids import new_uuid7
from journal.kinds.observations import VITAL_UNITS, VitalSigns
from journal.kinds.patient import LocalIdentifier, PatientIdentity
from journal.kinds.treatment import ConcreteDelegation, Medication, StandingProtocol

MakeEntry = Callable[..., Entry]


def reading(field: str, value: float | None, status: str = "measured") -> dict[str, Any]:
    return {"value": value, "unit": VITAL_UNITS[field], "status": status}


def refused_fields(make_entry: MakeEntry, payload: dict[str, Any], kind: str = "vital_signs") -> list[str]:
    with pytest.raises(EntryValidationError) as err:
        make_entry(payload, kind=kind)
    return [e.field for e in err.value.errors]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"heart_rate": reading("heart_rate", -1)}, "payload.heart_rate"),
        ({"respiratory_rate": reading("respiratory_rate", -4)}, "payload.respiratory_rate"),
        ({"spo2": reading("spo2", 100.5)}, "payload.spo2"),
        (
            {"bp_systolic": reading("bp_systolic", 90), "bp_diastolic": reading("bp_diastolic", 91)},
            "payload.bp_diastolic",
        ),
        ({"pain_nrs": 11}, "payload.pain_nrs"),
        ({"pain_nrs": -1}, "payload.pain_nrs"),
        ({"glucose": reading("glucose", -0.5)}, "payload.glucose"),
        ({"on_oxygen": False, "oxygen_flow": reading("oxygen_flow", 2)}, "payload.oxygen_flow"),
    ],
)  # fmt: skip
def test_a_physically_meaningless_typed_value_is_refused_naming_its_field(
    make_entry: MakeEntry, payload: dict[str, Any], field: str
) -> None:
    assert refused_fields(make_entry, payload) == [field]


def test_boundary_values_that_are_possible_are_stored(make_entry: MakeEntry) -> None:
    entry = make_entry(
        {
            "spo2": reading("spo2", 100),
            "on_oxygen": True,
            "bp_systolic": reading("bp_systolic", 90),
            "bp_diastolic": reading("bp_diastolic", 90),
            "pain_nrs": 10,
            "heart_rate": reading("heart_rate", 0),
        },
        kind="vital_signs",
    )
    assert isinstance(entry.payload, VitalSigns)


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"heart_rate": reading("heart_rate", 0)}, "payload.heart_rate", "cardiac arrest"),
        ({"heart_rate": reading("heart_rate", 260)}, "payload.heart_rate", "very high"),
        ({"temperature": reading("temperature", 24.0)}, "payload.temperature", "extreme"),
        ({"glucose": reading("glucose", 0.6)}, "payload.glucose", "extreme"),
        ({"spo2": reading("spo2", 40), "on_oxygen": False}, "payload.spo2", "probe"),
        ({"spo2": reading("spo2", 97)}, "payload.on_oxygen", "air or oxygen"),
    ],
)
def test_an_implausible_value_is_stored_with_a_warning(
    make_entry: MakeEntry, payload: dict[str, Any], field: str, words: str
) -> None:
    warnings = make_entry(payload, kind="vital_signs").warnings()
    assert any(w.field == field and words in w.message for w in warnings), warnings


def test_above_and_below_range_readings_are_stored_without_an_exact_value(make_entry: MakeEntry) -> None:
    entry = make_entry(
        {
            "glucose": reading("glucose", 33.3, "above_range"),
            "temperature": reading("temperature", None, "below_range"),
        },
        kind="vital_signs",
    )
    assert isinstance(entry.payload, VitalSigns)
    assert entry.payload.glucose is not None and entry.payload.glucose.text() == ">33.3 mmol/L"
    assert entry.payload.temperature is not None and entry.payload.temperature.measured is None


def test_not_measurable_cannot_carry_a_value_and_measured_needs_one(make_entry: MakeEntry) -> None:
    assert refused_fields(make_entry, {"heart_rate": reading("heart_rate", 80, "not_measurable")}) == [
        "payload.heart_rate"
    ]
    assert refused_fields(make_entry, {"heart_rate": reading("heart_rate", None)}) == ["payload.heart_rate"]


def test_a_wrong_ucum_unit_is_refused_even_from_a_device(make_entry: MakeEntry) -> None:
    with pytest.raises(EntryValidationError) as err:
        make_entry({"etco2": {"value": 38, "unit": "mm[Hg]"}}, kind="vital_signs", source="device:LP15-1")
    assert err.value.errors[0].field == "payload.etco2"
    assert "kPa" in err.value.errors[0].message


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(VITAL_UNITS)), finite, min_size=1))
def test_a_device_value_is_never_refused_and_what_a_person_could_not_type_becomes_a_warning(
    values: dict[str, float],
) -> None:
    payload = {name: reading(name, v) for name, v in values.items()}
    entry = new_entry(
        journal_id=new_uuid7(),
        kind="vital_signs",
        kind_version=1,
        payload=payload,
        author=Author(
            person_id="p",
            name="P",
            role=Role.PARAMEDICINER,
            authorisation_level=AuthorisationLevel.AUTHORISED,
        ),
        device_id="tab-1",
        clinical_time=datetime(2026, 11, 24, 8, tzinfo=UTC),
        hlc=Hlc(1, 0, "tab-1"),
        source="device:LP15-1",
    )
    assert isinstance(entry.payload, VitalSigns)
    for issue in entry.payload.impossible():
        assert any(w.field == f"payload.{issue.field}" for w in entry.warnings())


def test_gcs_items_out_of_range_are_refused_item_by_item(make_entry: MakeEntry) -> None:
    fields = refused_fields(make_entry, {"gcs": {"eye": 5, "verbal": 0, "motor": 7}}, kind="consciousness")
    assert fields == ["payload.gcs.eye", "payload.gcs.verbal", "payload.gcs.motor"]


def test_an_intubated_patient_has_verbal_T_and_no_verbal_score(make_entry: MakeEntry) -> None:
    entry = make_entry({"gcs": {"eye": 1, "verbal_qualifier": "T", "motor": 5}}, kind="consciousness")
    assert "E1VTM5" in entry.payload.summary()
    assert refused_fields(
        make_entry, {"gcs": {"eye": 1, "verbal": 1, "verbal_qualifier": "T"}}, "consciousness"
    ) == ["payload.gcs.verbal"]


def test_new_confusion_is_its_own_acvpu_level(make_entry: MakeEntry) -> None:
    assert "New confusion" in make_entry({"acvpu": "C"}, kind="consciousness").payload.summary("en")


def test_medication_needs_an_atc_code_a_positive_dose_and_a_legal_basis(make_entry: MakeEntry) -> None:
    base = {"atc": "B01AC06", "name": "ASA", "dose": {"value": 300, "unit": "mg"}, "route": "po"}
    assert refused_fields(make_entry, base, "medication") == ["payload.legal_basis"]
    protocol = {"basis": "standing_protocol", "protocol_id": "RN-1", "protocol_version": "3"}
    assert refused_fields(make_entry, {**base, "atc": "aspirin", "legal_basis": protocol}, "medication") == [
        "payload.atc"
    ]
    assert refused_fields(
        make_entry, {**base, "dose": {"value": 0, "unit": "mg"}, "legal_basis": protocol}, "medication"
    ) == ["payload.dose.value"]


def test_the_legal_basis_is_a_tagged_union_that_round_trips(make_entry: MakeEntry) -> None:
    delegation = {
        "basis": "concrete_delegation",
        "physician": {"name": "Akutlæge"},
        "ordered_at": "2026-11-24T08:10:00+01:00",
        "channel": "phone",
        "redelegation": {"to": {"name": "Bo Nielsen", "role": "ambulanceassistent"}},
    }
    entry = make_entry(
        {"atc": "N02AB03", "name": "Fentanyl", "dose": {"value": 50, "unit": "ug"}, "route": "iv",
         "legal_basis": delegation},
        kind="medication",
    )  # fmt: skip
    assert isinstance(entry.payload, Medication)
    assert isinstance(entry.payload.legal_basis, ConcreteDelegation)
    assert "re-delegated to Bo Nielsen" in entry.payload.summary("en")
    assert not isinstance(entry.payload.legal_basis, StandingProtocol)
    with pytest.raises(EntryValidationError) as err:
        make_entry(
            {**entry.payload.model_dump(mode="json"), "legal_basis": {"basis": "hunch"}}, kind="medication"
        )
    assert err.value.errors[0].field.startswith("payload.legal_basis")


def test_an_unknown_patient_gets_a_ppj_local_id_in_ppjs_own_system(make_entry: MakeEntry) -> None:
    journal_id = make_entry({"text": "x"}, kind="note").journal_id
    identity = PatientIdentity(identifier=LocalIdentifier.for_journal(journal_id), estimated_age_years=50)
    assert identity.identifier.system == "urn:ppj:identifier:unknown-patient"
    assert identity.identifier.value == f"U-{journal_id}"


def test_a_cpr_with_no_real_date_is_refused_on_the_identity_field(make_entry: MakeEntry) -> None:
    fields = refused_fields(
        make_entry, {"identifier": {"type": "cpr", "value": "310247-1234"}}, "patient_identity"
    )
    assert fields == ["payload.identifier.cpr.value"]


def test_a_replacement_cpr_from_an_unknown_issuer_is_refused(make_entry: MakeEntry) -> None:
    payload = {"identifier": {"type": "replacement_cpr", "system": "urn:oid:9.9.9", "value": "0703921VJ4"}}
    assert refused_fields(make_entry, payload, "patient_identity") == ["payload.identifier.replacement_cpr"]


def test_a_shock_needs_positive_joules_and_a_rhythm_check_needs_a_rhythm(make_entry: MakeEntry) -> None:
    assert refused_fields(make_entry, {"event": "shock", "energy_joules": -150}, "cardiac_arrest_event") == [
        "payload.energy_joules"
    ]
    assert refused_fields(make_entry, {"event": "rhythm_check"}, "cardiac_arrest_event") == ["payload"]
    assert make_entry({"event": "shock", "energy_joules": 200}, kind="cardiac_arrest_event").warnings() == []


def test_a_correction_validates_its_replacement_as_the_corrected_kind(make_entry: MakeEntry) -> None:
    from uuid import uuid4

    with pytest.raises(EntryValidationError) as err:
        make_entry(
            {"reason": "typo", "corrected_kind": "vital_signs", "corrected_kind_version": 1,
             "replacement": {"spo2": {"value": 102, "unit": "%"}}},
            kind="correction", supersedes=(uuid4(),),
        )  # fmt: skip
    assert [e.field for e in err.value.errors] == ["payload.replacement.spo2"]
