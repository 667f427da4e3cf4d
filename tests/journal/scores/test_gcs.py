"""GCS against the published scale: E1–4, V1–5, M1–6, qualifiers, and no numeric total over a qualifier."""

from __future__ import annotations

import itertools
import re

import pytest

from journal.scores import (
    GcsEyeQualifier,
    GcsMotorQualifier,
    GcsVerbalQualifier,
    ScoreInputError,
    ScoreStatus,
    UnknownTableVersionError,
    score_gcs,
)

VERSION = "teasdale-1974"


@pytest.mark.parametrize(
    ("eye", "verbal", "motor"), list(itertools.product(range(1, 5), range(1, 6), range(1, 7)))
)
def test_every_numeric_combination_totals_e_plus_v_plus_m(eye: int, verbal: int, motor: int) -> None:
    result = score_gcs(table_version=VERSION, eye=eye, verbal=verbal, motor=motor)
    assert result.status is ScoreStatus.COMPLETE
    assert result.total == eye + verbal + motor
    assert result.display == f"GCS {eye + verbal + motor} (E{eye} V{verbal} M{motor})"


def test_the_total_runs_from_3_to_15() -> None:
    assert score_gcs(table_version=VERSION, eye=1, verbal=1, motor=1).total == 3
    assert score_gcs(table_version=VERSION, eye=4, verbal=5, motor=6).total == 15


@pytest.mark.parametrize(
    ("component", "value"),
    [("eye", 0), ("eye", 5), ("verbal", 0), ("verbal", 6), ("motor", 0), ("motor", 7), ("motor", -1)],
)
def test_a_number_just_outside_a_component_range_is_refused(component: str, value: int) -> None:
    values: dict[str, object] = {"eye": 4, "verbal": 5, "motor": 6, component: value}
    with pytest.raises(ScoreInputError) as raised:
        score_gcs(table_version=VERSION, **values)  # type: ignore[arg-type]
    assert raised.value.field == component


def test_intubated_shows_vt_and_no_numeric_total() -> None:
    result = score_gcs(table_version=VERSION, eye=3, verbal=GcsVerbalQualifier.INTUBATED, motor=5)
    assert result.status is ScoreStatus.NO_NUMERIC_TOTAL
    assert result.total is None
    assert result.components == "E3 VT M5"
    assert result.display == "GCS E3 VT M5 — no numeric total: verbal T (intubated)"
    # Neither the sum 8 nor "8T" is shown: it is not comparable with a GCS total.
    assert not re.search(r"\b8T?\b", result.display)


def test_eyes_closed_by_swelling_show_ec_and_no_numeric_total() -> None:
    result = score_gcs(table_version=VERSION, eye=GcsEyeQualifier.CLOSED_BY_SWELLING, verbal=4, motor=6)
    assert (result.status, result.total, result.components) == (
        ScoreStatus.NO_NUMERIC_TOTAL,
        None,
        "EC V4 M6",
    )


def test_not_testable_is_accepted_for_every_component() -> None:
    result = score_gcs(
        table_version=VERSION,
        eye=GcsEyeQualifier.NOT_TESTABLE,
        verbal=GcsVerbalQualifier.NOT_TESTABLE,
        motor=GcsMotorQualifier.NOT_TESTABLE,
    )
    assert result.components == "ENT VNT MNT"
    assert result.total is None


def test_a_qualifier_of_another_component_is_refused() -> None:
    with pytest.raises(ScoreInputError, match="eye"):
        score_gcs(table_version=VERSION, eye=GcsVerbalQualifier.INTUBATED, verbal=4, motor=6)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["T", "5", True, 4.0])
def test_a_bare_string_bool_or_float_is_refused(value: object) -> None:
    with pytest.raises(ScoreInputError, match="verbal"):
        score_gcs(table_version=VERSION, eye=4, verbal=value, motor=6)  # type: ignore[arg-type]


def test_a_missing_component_is_partial_and_shown_with_a_question_mark() -> None:
    result = score_gcs(table_version=VERSION, eye=3, verbal=None, motor=5)
    assert (result.status, result.total, result.missing) == (ScoreStatus.PARTIAL, None, ("verbal",))
    assert result.display == "GCS incomplete — E3 V? M5 (not recorded: verbal)"


def test_missing_beats_a_qualifier_in_the_status() -> None:
    result = score_gcs(table_version=VERSION, eye=None, verbal=GcsVerbalQualifier.INTUBATED, motor=5)
    assert result.status is ScoreStatus.PARTIAL
    assert result.components == "E? VT M5"


def test_an_unknown_gcs_table_version_is_an_error() -> None:
    with pytest.raises(UnknownTableVersionError, match="teasdale-2099"):
        score_gcs(table_version="teasdale-2099", eye=4, verbal=5, motor=6)
