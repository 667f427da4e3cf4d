"""Every payload rule at its boundary: the last value that passes quietly and the first that does not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from journal.entry import Entry
from journal.errors import EntryValidationError
from journal.kinds.observations import VITAL_UNITS

MakeEntry = Callable[..., Entry]


def r(field: str, value: float) -> dict[str, Any]:
    return {"value": value, "unit": VITAL_UNITS[field]}


@pytest.mark.parametrize(
    ("field", "quiet", "warned"),
    [
        ("heart_rate", 250, 251),
        ("heart_rate", 20, 19),
        ("bp_systolic", 280, 281),
        ("bp_systolic", 50, 49),
        ("bp_diastolic", 150, 151),
        ("respiratory_rate", 60, 61),
        ("spo2", 50, 49),
        ("temperature", 30, 29.9),
        ("temperature", 42, 42.1),
        ("glucose", 1.0, 0.9),
        ("glucose", 33.3, 33.4),
        ("etco2", 13, 13.1),
        ("oxygen_flow", 15, 16),
    ],
)
def test_implausibility_warnings_start_just_past_their_bound(
    make_entry: MakeEntry, field: str, quiet: float, warned: float
) -> None:
    extra: dict[str, Any] = {"on_oxygen": True} if field in ("spo2", "oxygen_flow") else {}
    if field == "bp_diastolic":
        extra["bp_systolic"] = r("bp_systolic", 200)
    quiet_entry = make_entry({field: r(field, quiet), **extra}, kind="vital_signs")
    warned_entry = make_entry({field: r(field, warned), **extra}, kind="vital_signs")
    assert [w for w in quiet_entry.warnings() if w.field == f"payload.{field}"] == []
    assert [w.field for w in warned_entry.warnings()] == [f"payload.{field}"]


@pytest.mark.parametrize(
    ("kind", "accepted", "refused", "field"),
    [
        (
            "spo2_scale_decision",
            {"scale": 2, "target_low": 88, "target_high": 92, "reason": "KOL"},
            {"scale": 2, "target_low": 93, "target_high": 92, "reason": "KOL"},
            "payload.target_low",
        ),
        (
            "spo2_scale_decision",
            {"scale": 1, "target_low": 0, "target_high": 100, "reason": "x"},
            {"scale": 1, "target_low": 0, "target_high": 101, "reason": "x"},
            "payload.target_high",
        ),
        (
            "history",
            {"no_known_allergies": True},
            {"no_known_allergies": True, "allergies": [{"substance": "penicillin"}]},
            "payload.allergies",
        ),
        (
            "refusal_capacity",
            {"refuses": ["transport"], "capacity_assessed": True, "has_capacity": False},
            {"refuses": ["transport"], "capacity_assessed": False, "has_capacity": True},
            "payload.has_capacity",
        ),
        (
            "patient_identity",
            {"identifier": {"type": "cpr", "value": "2509479989"}, "estimated_age_years": 130},
            {"identifier": {"type": "cpr", "value": "2509479989"}, "estimated_age_years": 131},
            "payload.estimated_age_years",
        ),
        ("procedure", {"name": "iv", "attempts": 1}, {"name": "iv", "attempts": 0}, "payload.attempts"),
        (
            "medication",
            {
                "atc": "B01AC06",
                "name": "ASA",
                "dose": {"value": 0.001, "unit": "mg"},
                "route": "po",
                "legal_basis": {"basis": "patient_own_medication"},
            },
            {
                "atc": "B01AC06",
                "name": "ASA",
                "dose": {"value": 0, "unit": "mg"},
                "route": "po",
                "legal_basis": {"basis": "patient_own_medication"},
            },
            "payload.dose.value",
        ),
        ("vital_signs", {"pain_nrs": 0}, {"pain_nrs": -1}, "payload.pain_nrs"),
        (
            "vital_signs",
            {"spo2": {"value": 100, "unit": "%"}, "on_oxygen": False},
            {"spo2": {"value": 100.1, "unit": "%"}, "on_oxygen": False},
            "payload.spo2",
        ),
        (
            "consciousness",
            {"gcs": {"eye": 4, "verbal": 5, "motor": 6}},
            {"gcs": {"eye": 4, "verbal": 5, "motor": 0}},
            "payload.gcs.motor",
        ),
        (
            "disposition",
            {"outcome": "declared_dead", "declared_dead_by": {"name": "Læge"}},
            {"outcome": "declared_dead"},
            "payload",
        ),
        ("consciousness", {"acvpu": "U"}, {"pupils": "equal"}, "payload"),
        ("assessment", {"airway": "fri"}, {}, "payload"),
        (
            "attachment",
            {"attachment_kind": "ecg_12_lead", "media_type": "application/pdf", "reference": "sha256:ab"},
            {"attachment_kind": "ecg_12_lead", "media_type": "PDF", "reference": "sha256:ab"},
            "payload.media_type",
        ),
    ],
)
def test_each_rule_accepts_its_last_valid_value_and_refuses_the_first_invalid_one(
    make_entry: MakeEntry, kind: str, accepted: dict[str, Any], refused: dict[str, Any], field: str
) -> None:
    make_entry(accepted, kind=kind)
    with pytest.raises(EntryValidationError) as err:
        make_entry(refused, kind=kind)
    assert [e.field for e in err.value.errors] == [field]


def test_a_dose_unit_must_look_like_a_ucum_code(make_entry: MakeEntry) -> None:
    base = {
        "atc": "B01AC06",
        "name": "ASA",
        "route": "po",
        "legal_basis": {"basis": "patient_own_medication"},
    }
    make_entry({**base, "dose": {"value": 300, "unit": "mg"}}, kind="medication")
    with pytest.raises(EntryValidationError) as err:
        make_entry({**base, "dose": {"value": 300, "unit": "milligram tablets"}}, kind="medication")
    assert [e.field for e in err.value.errors] == ["payload.dose.unit"]
