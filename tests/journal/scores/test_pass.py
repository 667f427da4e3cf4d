"""PASS: three items, 1 point each when abnormal; 2 or more suggests a large vessel occlusion."""

from __future__ import annotations

import itertools

import pytest

from journal.scores import PassItem, ScoreInputError, ScoreStatus, UiColour, score_pass

VERSION = "copenhagen-2016"


@pytest.mark.parametrize(("loc", "gaze", "arm"), list(itertools.product([True, False, None], repeat=3)))
def test_pass_totals_and_decides_lvo_suspicion_like_the_published_scale(
    loc: bool | None, gaze: bool | None, arm: bool | None
) -> None:
    result = score_pass(
        table_version=VERSION, loc_questions_abnormal=loc, gaze_abnormal=gaze, arm_weakness=arm
    )
    findings = [loc, gaze, arm]
    abnormal = findings.count(True)
    unknown = findings.count(None)
    if unknown == 0:
        assert (result.status, result.total) == (ScoreStatus.COMPLETE, abnormal)
        assert result.lvo_suspected is (abnormal >= 2)
        assert result.display.startswith(f"PASS {abnormal}/3 — ")
    else:
        assert (result.status, result.total) == (ScoreStatus.PARTIAL, None)
        expected = True if abnormal >= 2 else False if abnormal + unknown < 2 else None
        assert result.lvo_suspected is expected
        assert result.display.startswith("PASS incomplete — missing ")
    assert dict(result.findings) == {
        PassItem.LOC_QUESTIONS: loc,
        PassItem.GAZE: gaze,
        PassItem.ARM_WEAKNESS: arm,
    }


def test_two_abnormal_items_are_positive_and_shown_red() -> None:
    result = score_pass(
        table_version=VERSION, loc_questions_abnormal=True, gaze_abnormal=True, arm_weakness=False
    )
    assert (result.total, result.lvo_suspected, result.colour) == (2, True, UiColour.RED)
    assert result.display == "PASS 2/3 — large vessel occlusion suspected"


def test_one_abnormal_item_is_negative() -> None:
    result = score_pass(
        table_version=VERSION, loc_questions_abnormal=False, gaze_abnormal=False, arm_weakness=True
    )
    assert (result.total, result.lvo_suspected, result.colour) == (1, False, UiColour.GREEN)


def test_an_item_that_is_not_a_bool_is_refused_naming_it() -> None:
    with pytest.raises(ScoreInputError) as raised:
        score_pass(table_version=VERSION, loc_questions_abnormal=1, gaze_abnormal=False, arm_weakness=False)  # type: ignore[arg-type]
    assert raised.value.field == "loc_questions_abnormal"
