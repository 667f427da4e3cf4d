"""TOKS 2.1 (Region Nordjylland, unverified) against the table given in the reference notes §3.3.

Expected points are typed from the notes, not read from the table file.
"""

from __future__ import annotations

import pytest

from journal.scores import (
    ScoreInputError,
    ScoreStatus,
    ToksParameter,
    ToksResult,
    UiColour,
    score_toks,
    table,
)
from journal.scores.table_schema import ToksTable

VERSION = "rn-2.1"

NORMAL: dict[str, object] = {
    "respiration_rate": 16,
    "spo2": 98,
    "systolic_bp": 130,
    "pulse": 70,
    "gcs_total": 15,
    "temperature_c": 37.0,
}


def toks(**changes: object) -> ToksResult:
    return score_toks(table_version=VERSION, **{**NORMAL, **changes})  # type: ignore[arg-type]


EDGES = {
    ToksParameter.RESPIRATION_RATE: [
        (0, 3), (7, 3), (8, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3),
    ],
    ToksParameter.SPO2: [(91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)],
    ToksParameter.SYSTOLIC_BP: [(89, 3), (90, 2), (99, 2), (100, 1), (109, 1), (110, 0), (219, 0), (220, 3)],
    ToksParameter.PULSE: [
        (39, 3), (40, 1), (49, 1), (50, 0), (89, 0), (90, 1), (109, 1), (110, 2), (129, 2), (130, 3),
    ],
    ToksParameter.GCS: [(3, 3), (14, 3), (15, 0)],
    ToksParameter.TEMPERATURE: [
        (34.9, 3), (35.0, 1), (35.9, 1), (36.0, 0), (37.9, 0), (38.0, 1), (38.9, 1), (39.0, 2),
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("parameter", "value", "points"),
    [(parameter, value, points) for parameter, edges in EDGES.items() for value, points in edges],
)
def test_each_toks_parameter_scores_as_the_notes_give_at_every_band_edge(
    parameter: ToksParameter, value: float, points: int
) -> None:
    result = toks(**{parameter.value: value})
    assert result.points_for(parameter) == points
    assert result.total == points


@pytest.mark.parametrize(
    ("total", "tier", "colour"),
    [
        (0, "none", UiColour.NEUTRAL),
        (1, "green", UiColour.GREEN),
        (5, "green", UiColour.GREEN),
        (6, "yellow", UiColour.YELLOW),
        (7, "yellow", UiColour.YELLOW),
        (8, "orange", UiColour.ORANGE),
        (9, "orange", UiColour.ORANGE),
        (10, "red", UiColour.RED),
        (17, "red", UiColour.RED),
    ],
)
def test_the_tiers_start_at_1_6_8_and_10(total: int, tier: str, colour: UiColour) -> None:
    toks_table = table("toks", VERSION)
    assert isinstance(toks_table, ToksTable)
    found = toks_table.tier_for(total)
    assert (found.name, found.colour) == (tier, colour)


def test_a_complete_result_carries_its_tier() -> None:
    result = toks(respiration_rate=25, spo2=92, pulse=110)  # 3 + 2 + 2
    assert (result.status, result.total, result.tier, result.colour) == (
        ScoreStatus.COMPLETE,
        7,
        "yellow",
        UiColour.YELLOW,
    )


def test_an_unverified_toks_table_is_never_presented_as_verified() -> None:
    result = toks()
    assert result.table.verified is False
    assert result.table.region == "Region Nordjylland"
    assert result.table.verification_note is not None and "UNVERIFIED" in result.table.verification_note
    assert result.display == "TOKS 0 — none · Region Nordjylland TOKS rn-2.1 · UNVERIFIED table"
    assert toks(pulse=None).display.endswith("UNVERIFIED table")


def test_a_gcs_without_numeric_total_leaves_toks_partial() -> None:
    result = toks(gcs_total=None)
    assert result.status is ScoreStatus.PARTIAL
    assert (result.total, result.tier, result.missing) == (None, None, (ToksParameter.GCS,))
    assert result.colour is UiColour.NEUTRAL
    assert result.display.startswith("TOKS incomplete — missing GCS (0 points from 5 of 6 parameters)")


@pytest.mark.parametrize(
    ("field", "value"), [("gcs_total", 2), ("gcs_total", 16), ("spo2", 101), ("pulse", "x")]
)
def test_bad_toks_input_is_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ScoreInputError) as raised:
        toks(**{field: value})
    assert raised.value.field == field


@pytest.mark.parametrize(("age", "applies"), [(0, False), (17, False), (18, True), (90, True), (None, True)])
def test_adult_toks_is_not_applicable_under_18_years_and_an_unknown_age_is_scored(
    age: int | None, applies: bool
) -> None:
    result = toks(respiration_rate=26, age_years=age)
    if applies:
        assert result.status is ScoreStatus.COMPLETE and result.total == 3
    else:
        assert result.status is ScoreStatus.NOT_APPLICABLE
        assert (result.total, result.tier, result.scored, result.colour) == (None, None, (), UiColour.NEUTRAL)
        assert result.display.startswith(f"TOKS not applicable — patient under 18 years (age {age})")
        assert result.display.endswith("UNVERIFIED table")


def test_a_bad_age_is_refused_even_where_toks_would_not_apply() -> None:
    for age in (-1, True, 17.5):
        with pytest.raises(ScoreInputError) as raised:
            toks(age_years=age)
        assert raised.value.field == "age_years"
    with pytest.raises(ScoreInputError) as raised:
        toks(age_years=10, spo2=101)
    assert raised.value.field == "spo2"
