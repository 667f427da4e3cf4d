"""NEWS2 against the published RCP 2017 table, at every band edge and just outside it.

The expected points below are typed from the published chart (reference notes §3.3), not read from the
table file, so a typo in the file fails these tests.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal.scores import (
    Acvpu,
    InspiredOxygen,
    News2Parameter,
    News2Result,
    News2Risk,
    ScoreInputError,
    ScoreStatus,
    Spo2Scale,
    UiColour,
    UnknownTableVersionError,
    news2_text,
    score_news2,
)

VERSION = "rcp-2017"

# A set of vitals that scores 0 on every parameter, on scale 1.
NORMAL: dict[str, object] = {
    "respiration_rate": 16,
    "spo2": 98,
    "inspired_oxygen": InspiredOxygen.AIR,
    "systolic_bp": 130,
    "pulse": 70,
    "consciousness": Acvpu.ALERT,
    "temperature_c": 37.0,
    "age_years": 50,
    "pregnant": False,
}


def news2(**changes: object) -> News2Result:
    return score_news2(table_version=VERSION, **{**NORMAL, **changes})  # type: ignore[arg-type]


# (value, points) at each edge of each band and the first value outside it, from the RCP chart.
RESPIRATION_RATE = [(0, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (300, 3)]
SPO2_SCALE_1 = [(0, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
SPO2_SCALE_2_ON_AIR = [
    (0, 3),
    (83, 3),
    (84, 2),
    (85, 2),
    (86, 1),
    (87, 1),
    (88, 0),
    (92, 0),
    (93, 0),
    (97, 0),
    (100, 0),
]
SPO2_SCALE_2_ON_OXYGEN = [
    (0, 3), (83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0), (92, 0),
    (93, 1), (94, 1), (95, 2), (96, 2), (97, 3), (100, 3),
]  # fmt: skip
SYSTOLIC_BP = [(0, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3), (500, 3)]
PULSE = [
    (0, 3),
    (40, 3),
    (41, 1),
    (50, 1),
    (51, 0),
    (90, 0),
    (91, 1),
    (110, 1),
    (111, 2),
    (130, 2),
    (131, 3),
    (500, 3),
]
TEMPERATURE = [
    (0.0, 3), (34.9, 3), (35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0),
    (38.1, 1), (39.0, 1), (39.1, 2), (50.0, 2),
]  # fmt: skip


@pytest.mark.parametrize(("value", "points"), RESPIRATION_RATE)
def test_respiration_rate_scores_as_published_at_every_band_edge(value: int, points: int) -> None:
    result = news2(respiration_rate=value)
    assert result.points_for(News2Parameter.RESPIRATION_RATE) == points
    assert result.total == points


@pytest.mark.parametrize(("value", "points"), SPO2_SCALE_1)
@pytest.mark.parametrize("oxygen", list(InspiredOxygen))
def test_spo2_scale_1_scores_as_published_on_air_and_oxygen(
    value: int, points: int, oxygen: InspiredOxygen
) -> None:
    result = news2(spo2=value, inspired_oxygen=oxygen)
    assert result.spo2_scale is Spo2Scale.SCALE_1
    assert result.points_for(News2Parameter.SPO2) == points
    assert result.total == points + (2 if oxygen is InspiredOxygen.OXYGEN else 0)


@pytest.mark.parametrize(("value", "points"), SPO2_SCALE_2_ON_AIR)
def test_spo2_scale_2_on_air_scores_as_published(value: int, points: int) -> None:
    result = news2(spo2=value, inspired_oxygen=InspiredOxygen.AIR, spo2_scale=Spo2Scale.SCALE_2)
    assert result.points_for(News2Parameter.SPO2) == points
    assert result.total == points


@pytest.mark.parametrize(("value", "points"), SPO2_SCALE_2_ON_OXYGEN)
def test_spo2_scale_2_on_oxygen_scores_as_published(value: int, points: int) -> None:
    result = news2(spo2=value, inspired_oxygen=InspiredOxygen.OXYGEN, spo2_scale=Spo2Scale.SCALE_2)
    assert result.points_for(News2Parameter.SPO2) == points
    assert result.points_for(News2Parameter.INSPIRED_OXYGEN) == 2
    assert result.total == points + 2


@pytest.mark.parametrize(("value", "points"), SYSTOLIC_BP)
def test_systolic_bp_scores_as_published_at_every_band_edge(value: int, points: int) -> None:
    assert news2(systolic_bp=value).points_for(News2Parameter.SYSTOLIC_BP) == points


@pytest.mark.parametrize(("value", "points"), PULSE)
def test_pulse_scores_as_published_at_every_band_edge(value: int, points: int) -> None:
    assert news2(pulse=value).points_for(News2Parameter.PULSE) == points


@pytest.mark.parametrize(("value", "points"), TEMPERATURE)
def test_temperature_scores_as_published_at_every_band_edge(value: float, points: int) -> None:
    assert news2(temperature_c=value).points_for(News2Parameter.TEMPERATURE) == points


@pytest.mark.parametrize(
    ("acvpu", "points"),
    [(Acvpu.ALERT, 0), (Acvpu.NEW_CONFUSION, 3), (Acvpu.VOICE, 3), (Acvpu.PAIN, 3), (Acvpu.UNRESPONSIVE, 3)],
)
def test_anything_but_alert_scores_3_for_consciousness(acvpu: Acvpu, points: int) -> None:
    assert news2(consciousness=acvpu).points_for(News2Parameter.CONSCIOUSNESS) == points


def test_supplemental_oxygen_scores_2_and_air_0() -> None:
    assert news2(inspired_oxygen=InspiredOxygen.AIR).points_for(News2Parameter.INSPIRED_OXYGEN) == 0
    assert news2(inspired_oxygen=InspiredOxygen.OXYGEN).points_for(News2Parameter.INSPIRED_OXYGEN) == 2


@pytest.mark.parametrize(
    ("value", "points"),
    [(38.04, 0), (38.05, 1), (35.04, 3), (35.05, 1), (36.049, 1), (36.05, 0), (37, 0)],
)
def test_a_temperature_finer_than_the_table_is_rounded_half_up_to_a_tenth(value: float, points: int) -> None:
    assert news2(temperature_c=value).points_for(News2Parameter.TEMPERATURE) == points


def test_spo2_is_scored_on_scale_1_unless_scale_2_is_passed_explicitly() -> None:
    # 90 % on oxygen: 3 points on scale 1, 0 on scale 2. Without an explicit decision it is scale 1.
    default = news2(spo2=90, inspired_oxygen=InspiredOxygen.OXYGEN)
    decided = news2(spo2=90, inspired_oxygen=InspiredOxygen.OXYGEN, spo2_scale=Spo2Scale.SCALE_2)
    assert (default.spo2_scale, default.points_for(News2Parameter.SPO2)) == (Spo2Scale.SCALE_1, 3)
    assert (decided.spo2_scale, decided.points_for(News2Parameter.SPO2)) == (Spo2Scale.SCALE_2, 0)
    assert "scale 2" not in default.display
    assert "SpO2 scale 2" in decided.display


def test_scale_2_without_air_or_oxygen_leaves_spo2_unscored() -> None:
    result = news2(spo2=95, inspired_oxygen=None, spo2_scale=Spo2Scale.SCALE_2)
    assert result.status is ScoreStatus.PARTIAL
    assert result.missing == (News2Parameter.SPO2, News2Parameter.INSPIRED_OXYGEN)
    assert result.points_for(News2Parameter.SPO2) is None
    assert any("air or oxygen" in caveat for caveat in result.caveats)


def test_a_scale_given_as_a_bare_string_is_refused() -> None:
    with pytest.raises(ScoreInputError, match="spo2_scale"):
        news2(spo2_scale="2")


@pytest.mark.parametrize(
    ("changes", "total", "red", "risk", "colour"),
    [
        ({}, 0, False, News2Risk.LOW, UiColour.GREEN),
        (
            {"respiration_rate": 21, "temperature_c": 38.1, "pulse": 91},
            4,
            False,
            News2Risk.LOW,
            UiColour.GREEN,
        ),
        ({"respiration_rate": 25}, 3, True, News2Risk.LOW_MEDIUM, UiColour.YELLOW),
        ({"consciousness": Acvpu.NEW_CONFUSION, "pulse": 91}, 4, True, News2Risk.LOW_MEDIUM, UiColour.YELLOW),
        (
            {"respiration_rate": 21, "temperature_c": 38.1, "pulse": 111},
            5,
            False,
            News2Risk.MEDIUM,
            UiColour.ORANGE,
        ),
        ({"respiration_rate": 25, "pulse": 111}, 5, True, News2Risk.MEDIUM, UiColour.ORANGE),
        (
            {"respiration_rate": 21, "pulse": 111, "systolic_bp": 91},
            6,
            False,
            News2Risk.MEDIUM,
            UiColour.ORANGE,
        ),
        (
            {"respiration_rate": 25, "pulse": 111, "systolic_bp": 105},
            6,
            True,
            News2Risk.MEDIUM,
            UiColour.ORANGE,
        ),
        ({"respiration_rate": 25, "pulse": 111, "systolic_bp": 91}, 7, True, News2Risk.HIGH, UiColour.RED),
        (
            {"respiration_rate": 21, "pulse": 111, "systolic_bp": 101, "temperature_c": 39.1},
            7,
            False,
            News2Risk.HIGH,
            UiColour.RED,
        ),
    ],
)
def test_the_risk_band_follows_the_rcp_thresholds(
    changes: dict[str, object], total: int, red: bool, risk: News2Risk, colour: UiColour
) -> None:
    result = news2(**changes)
    assert (result.status, result.total, result.red_score, result.risk, result.colour) == (
        ScoreStatus.COMPLETE,
        total,
        red,
        risk,
        colour,
    )
    assert result.display.startswith(f"NEWS2 {total} — ")


def test_the_response_of_each_band_is_the_published_one() -> None:
    assert news2().response is None
    assert news2(respiration_rate=25).response == "Urgent review within 1 hour (a single parameter scores 3)"
    assert news2(respiration_rate=25, pulse=111).response == "Urgent review within 1 hour"
    assert (
        news2(respiration_rate=25, pulse=111, systolic_bp=91).response
        == "Emergency response and continuous monitoring"
    )


@pytest.mark.parametrize(("age", "applies"), [(0, False), (15, False), (16, True), (17, True), (99, True)])
def test_news2_is_not_applicable_under_16_years(age: int, applies: bool) -> None:
    result = news2(age_years=age)
    if applies:
        assert result.status is ScoreStatus.COMPLETE
    else:
        assert result.status is ScoreStatus.NOT_APPLICABLE
        assert result.not_applicable_reason == f"patient under 16 years (age {age})"
        assert (result.total, result.partial_sum, result.risk, result.scored) == (None, None, None, ())
        assert result.colour is UiColour.NEUTRAL
        assert result.display == f"NEWS2 not applicable — patient under 16 years (age {age})"


def test_news2_is_not_applicable_in_pregnancy_whatever_the_vitals() -> None:
    result = news2(pregnant=True, respiration_rate=30, pulse=140)
    assert result.status is ScoreStatus.NOT_APPLICABLE
    assert result.not_applicable_reason == "patient is pregnant"
    assert result.total is None and result.risk is None and result.red_score is None
    assert not re.search(r"NEWS2 \d", result.display)


def test_both_reasons_are_given_for_a_pregnant_15_year_old() -> None:
    assert news2(age_years=15, pregnant=True).not_applicable_reason == (
        "patient under 16 years (age 15); patient is pregnant"
    )


def test_unknown_age_or_pregnancy_is_scored_with_a_caveat() -> None:
    result = news2(age_years=None, pregnant=None)
    assert result.status is ScoreStatus.COMPLETE
    assert result.caveats == (
        "age not recorded: NEWS2 applies only from 16 years",
        "pregnancy not recorded: NEWS2 does not apply in pregnancy",
    )
    assert news2().caveats == ()


def test_a_partial_set_has_no_total_and_says_what_is_missing() -> None:
    result = news2(temperature_c=None, consciousness=None, respiration_rate=25)
    assert result.status is ScoreStatus.PARTIAL
    assert result.total is None and result.risk is None and result.response is None
    assert result.partial_sum == 3
    assert result.red_score is True
    assert result.missing == (News2Parameter.CONSCIOUSNESS, News2Parameter.TEMPERATURE)
    assert result.colour is UiColour.NEUTRAL
    assert result.display == (
        "NEWS2 incomplete — missing consciousness, temperature (3 points from 5 of 7 parameters)"
    )


def test_no_vitals_at_all_is_partial_with_everything_missing() -> None:
    result = news2(**dict.fromkeys(parameter.value for parameter in News2Parameter))
    assert result.status is ScoreStatus.PARTIAL
    assert result.missing == tuple(News2Parameter)
    assert result.partial_sum == 0 and result.red_score is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("respiration_rate", -1),
        ("respiration_rate", 301),
        ("spo2", 101),
        ("systolic_bp", 501),
        ("pulse", -5),
        ("temperature_c", 50.1),
        ("temperature_c", math.nan),
        ("temperature_c", math.inf),
        ("pulse", True),
        ("pulse", "70"),
        ("consciousness", "A"),
        ("inspired_oxygen", "air"),
        ("age_years", -1),
        ("age_years", 16.5),
        ("pregnant", "no"),
    ],
)
def test_bad_input_is_refused_with_an_error_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ScoreInputError) as raised:
        news2(**{field: value})
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")


def test_an_unknown_table_version_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(UnknownTableVersionError, match=r"'news2'.*'rcp-2099'.*known versions: rcp-2017"):
        score_news2(table_version="rcp-2099", **NORMAL)  # type: ignore[arg-type]


# An independent reference implementation typed from the published chart, for the property tests.
def reference_points(vitals: dict[str, object], scale: Spo2Scale) -> int:
    rr, spo2, oxygen = vitals["respiration_rate"], vitals["spo2"], vitals["inspired_oxygen"]
    sbp, pulse, acvpu, temp = (
        vitals["systolic_bp"],
        vitals["pulse"],
        vitals["consciousness"],
        vitals["temperature_c"],
    )
    assert isinstance(rr, int) and isinstance(spo2, int) and isinstance(sbp, int) and isinstance(pulse, int)
    assert isinstance(temp, float)
    on_oxygen = oxygen is InspiredOxygen.OXYGEN
    points = 3 if rr <= 8 else 1 if rr <= 11 else 0 if rr <= 20 else 2 if rr <= 24 else 3
    if scale is Spo2Scale.SCALE_1:
        points += 3 if spo2 <= 91 else 2 if spo2 <= 93 else 1 if spo2 <= 95 else 0
    elif spo2 <= 92 or not on_oxygen:
        points += 3 if spo2 <= 83 else 2 if spo2 <= 85 else 1 if spo2 <= 87 else 0
    else:
        points += 1 if spo2 <= 94 else 2 if spo2 <= 96 else 3
    points += 2 if on_oxygen else 0
    points += 3 if sbp <= 90 else 2 if sbp <= 100 else 1 if sbp <= 110 else 0 if sbp <= 219 else 3
    points += (
        3
        if pulse <= 40
        else 1
        if pulse <= 50
        else 0
        if pulse <= 90
        else 1
        if pulse <= 110
        else 2
        if pulse <= 130
        else 3
    )
    points += 0 if acvpu is Acvpu.ALERT else 3
    tenths = round(temp * 10)
    points += (
        3 if tenths <= 350 else 1 if tenths <= 360 else 0 if tenths <= 380 else 1 if tenths <= 390 else 2
    )
    return points


vital_sets = st.fixed_dictionaries(
    {
        "respiration_rate": st.integers(0, 300),
        "spo2": st.integers(0, 100),
        "inspired_oxygen": st.sampled_from(InspiredOxygen),
        "systolic_bp": st.integers(0, 500),
        "pulse": st.integers(0, 500),
        "consciousness": st.sampled_from(Acvpu),
        "temperature_c": st.integers(0, 500).map(lambda tenths: tenths / 10),
    }
)


@settings(max_examples=200, deadline=None)
@given(vitals=vital_sets, scale=st.sampled_from(Spo2Scale))
def test_news2_total_matches_the_published_chart_for_any_vitals(
    vitals: dict[str, object], scale: Spo2Scale
) -> None:
    result = score_news2(table_version=VERSION, age_years=40, pregnant=False, spo2_scale=scale, **vitals)  # type: ignore[arg-type]
    expected = reference_points(vitals, scale)
    assert result.status is ScoreStatus.COMPLETE
    assert result.total == expected == sum(item.points for item in result.scored)
    red = any(item.points == 3 for item in result.scored)
    assert result.red_score is red
    expected_risk = (
        News2Risk.HIGH
        if expected >= 7
        else News2Risk.MEDIUM
        if expected >= 5
        else News2Risk.LOW_MEDIUM
        if red
        else News2Risk.LOW
    )
    assert result.risk is expected_risk


@settings(max_examples=100, deadline=None)
@given(
    vitals=vital_sets,
    absent=st.sets(st.sampled_from([parameter.value for parameter in News2Parameter]), min_size=1),
)
def test_a_partial_score_is_never_presented_as_a_full_score(
    vitals: dict[str, object], absent: set[str]
) -> None:
    given_vitals = {key: (None if key in absent else value) for key, value in vitals.items()}
    result = score_news2(table_version=VERSION, age_years=40, pregnant=False, **given_vitals)  # type: ignore[arg-type]
    assert result.status is ScoreStatus.PARTIAL
    assert result.total is None and result.risk is None and result.colour is UiColour.NEUTRAL
    assert {parameter.value for parameter in result.missing} >= absent
    assert result.display.startswith("NEWS2 incomplete — missing ")
    assert not re.match(r"NEWS2 \d", result.display)
    assert (
        result.partial_sum
        == sum(item.points for item in result.scored)
        <= reference_points(vitals, Spo2Scale.SCALE_1)
    )


def test_a_remembered_result_never_lets_an_equal_but_invalid_input_through() -> None:
    # True == 1 and hash(True) == hash(1): the memo must still refuse True after scoring 1.
    assert news2(pulse=1).points_for(News2Parameter.PULSE) == 3
    with pytest.raises(ScoreInputError, match="pulse"):
        news2(pulse=True)
    with pytest.raises(ScoreInputError, match="pulse"):
        news2(pulse=True)


def test_the_same_inputs_give_the_same_result_every_time() -> None:
    first = news2(respiration_rate=25, temperature_c=38.05)
    assert news2(respiration_rate=25, temperature_c=38.05) == first
    assert news2(respiration_rate=25, temperature_c=38.05).total == 4


def test_bad_input_is_refused_even_when_news2_does_not_apply() -> None:
    with pytest.raises(ScoreInputError, match="pulse"):
        news2(age_years=10, pulse=1000)


@given(
    vitals=vital_sets,
    absent=st.sets(st.sampled_from([parameter.value for parameter in News2Parameter])),
    scale=st.sampled_from(Spo2Scale),
    age=st.sampled_from([40, 15]),
)
def test_the_catalogue_text_in_english_is_the_display_and_danish_reads_danish(
    vitals: dict[str, object], absent: set[str], scale: Spo2Scale, age: int
) -> None:
    given_vitals = {key: (None if key in absent else value) for key, value in vitals.items()}
    result = score_news2(
        table_version=VERSION, age_years=age, pregnant=False, spo2_scale=scale, **given_vitals
    )  # type: ignore[arg-type]
    assert news2_text(result, "en") == result.display
    danish = news2_text(result, "da")
    assert danish.startswith("NEWS2 ") and "risk" not in danish and "missing" not in danish
    if result.status is ScoreStatus.PARTIAL:  # hazard: a partial sum never reads as the score
        assert danish.startswith("NEWS2 ufuldstændig — mangler ")
