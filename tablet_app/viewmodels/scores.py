"""What the journal screen shows of NEWS2, TOKS and GCS: text, colour band, whether it applies, and why.

The scores are ``journal.derived``'s (computed from the entries with the journal's recorded table
versions, never stored); this picks the latest informative result for the screen and words it through the
catalogues (the journal's own ``display`` strings are English, for handover text and logs).

Invariants (tested): a partial score never shows a total (it says "incomplete" and names what is missing);
a score that does not apply says so and shows no points; the explanation lists exactly the parameters that
scored points, highest first, plus NEWS2's "single parameter scores 3" rule when it decided the band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from journal.derived import DerivedValues, VitalSetScores
from journal.scores import GcsResult, News2Result, ToksResult
from journal.scores.registry import typed_table
from journal.scores.results import ParameterPoints
from journal.scores.table_schema import News2Table
from journal.scores.toks import ADULT_FROM_YEARS
from journal.scores.vocabulary import News2Risk, ScoreName, ScoreStatus, UiColour
from tablet_app.i18n import Message, message

P = TypeVar("P", bound=StrEnum)


@dataclass(frozen=True)
class ScoreView:
    """One score as the screen shows it. ``triggers``: one line per parameter that scored points."""

    text: Message
    colour: UiColour
    applicable: bool
    triggers: tuple[Message, ...] = ()

    @property
    def display(self) -> str:
        return self.text.render()


PARAMETER_LABELS: dict[str, Message] = {
    "respiration_rate": message("score.param.respiration_rate"),
    "spo2": message("score.param.spo2"),
    "inspired_oxygen": message("score.param.inspired_oxygen"),
    "systolic_bp": message("score.param.systolic_bp"),
    "pulse": message("score.param.pulse"),
    "consciousness": message("score.param.consciousness"),
    "temperature_c": message("score.param.temperature_c"),
    "gcs_total": message("score.param.gcs_total"),
}
"""NEWS2 and TOKS parameters (their input names) as the screen names them."""

RISK_LABELS: dict[News2Risk, Message] = {
    News2Risk.LOW: message("score.news2.risk.low"),
    News2Risk.LOW_MEDIUM: message("score.news2.risk.low_medium"),
    News2Risk.MEDIUM: message("score.news2.risk.medium"),
    News2Risk.HIGH: message("score.news2.risk.high"),
}

TIER_LABELS: dict[str, Message] = {
    "red": message("score.toks.tier.red"),
    "orange": message("score.toks.tier.orange"),
    "yellow": message("score.toks.tier.yellow"),
    "green": message("score.toks.tier.green"),
    "none": message("score.toks.tier.none"),
}
"""TOKS tiers by their names in the table (a tier this build does not name is shown as the table names it)."""

VALUE_LABELS: dict[str, Message] = {
    "air": message("score.value.air"),
    "oxygen": message("score.value.oxygen"),
}
"""Categorical scored values in words (ACVPU letters are shown as they are)."""

News2View = ScoreView  # the name the journal screen's NEWS2 used before TOKS joined it


def news2_view(derived: DerivedValues) -> ScoreView:
    latest = derived.latest_news2
    if latest is None or latest.news2 is None:
        return ScoreView(message("score.news2.none"), UiColour.NEUTRAL, True)
    return _news2(latest.news2, latest)


def toks_view(derived: DerivedValues) -> ScoreView:
    """TOKS of the latest vital set that scored something (or is not applicable)."""
    latest = next((v for v in reversed(derived.vital_sets) if _informative(v.toks)), None)
    if latest is None or latest.toks is None:
        return ScoreView(message("score.toks.none"), UiColour.NEUTRAL, True)
    return _toks(latest.toks, latest)


def gcs_text(derived: DerivedValues) -> Message:
    """The current GCS: the total (computed by ``journal.scores``) with its components, or why none."""
    current = derived.gcs
    if current is None or current.result is None:
        return message("score.gcs.none")
    return gcs_result_text(current.result)


def gcs_result_text(result: GcsResult) -> Message:
    """A GCS result in words: the total only when every component is a number."""
    if result.status is ScoreStatus.COMPLETE:
        return message("score.gcs.total", total=result.total, components=result.components)
    if result.status is ScoreStatus.NO_NUMERIC_TOTAL:
        return message("score.gcs.no_total", components=result.components)
    return message("score.gcs.partial", components=result.components)


def _informative(result: News2Result | ToksResult | None) -> bool:
    return result is not None and (result.status is not ScoreStatus.PARTIAL or bool(result.scored))


def _news2(result: News2Result, scores: VitalSetScores) -> ScoreView:
    if result.status is ScoreStatus.NOT_APPLICABLE:
        table = typed_table(ScoreName.NEWS2, result.table.version, News2Table)
        minimum = table.applicability.minimum_age_years
        reason = _not_applicable("NEWS2", minimum, result.not_applicable_reason, scores)
        return ScoreView(reason, UiColour.NEUTRAL, False)
    triggers = _triggers(result.scored)
    if result.red_score:
        triggers = (*triggers, message("score.news2.red_score"))
    if result.status is ScoreStatus.PARTIAL:
        return ScoreView(
            _partial("NEWS2", result.missing, result.partial_sum, 7), result.colour, True, triggers
        )
    risk = RISK_LABELS[result.risk or News2Risk.LOW]
    return ScoreView(
        message("score.news2.total", total=result.total, risk=risk), result.colour, True, triggers
    )


def _toks(result: ToksResult, scores: VitalSetScores) -> ScoreView:
    if result.status is ScoreStatus.NOT_APPLICABLE:
        reason = _not_applicable("TOKS", ADULT_FROM_YEARS, None, scores)
        return ScoreView(reason, UiColour.NEUTRAL, False)
    triggers = _triggers(result.scored)
    if result.status is ScoreStatus.PARTIAL:
        return ScoreView(
            _partial("TOKS", result.missing, result.partial_sum, 6), result.colour, True, triggers
        )
    tier = TIER_LABELS.get(result.tier or "", result.tier)
    text = (
        message("score.toks.total", total=result.total, tier=tier)
        if result.table.verified
        else message("score.toks.total_unverified", total=result.total, tier=tier)
    )
    return ScoreView(text, result.colour, True, triggers)


def _partial(score: str, missing: tuple[StrEnum, ...], partial_sum: int | None, of: int) -> Message:
    names = tuple(PARAMETER_LABELS[p.value] for p in missing)
    return message(
        "score.partial", score=score, missing=names, points=partial_sum or 0, scored=of - len(missing), of=of
    )


def _not_applicable(score: str, minimum: int, reason: str | None, scores: VitalSetScores) -> Message:
    """Why a score does not apply: the age rule in words, or the scorer's own reason (pregnancy)."""
    age = scores.age_years
    if age is not None and age < minimum:
        return message("score.not_applicable.age", score=score, minimum=minimum, age=age)
    return message("score.not_applicable.other", score=score, reason=reason or "")


def _triggers(scored: Sequence[ParameterPoints[P]]) -> tuple[Message, ...]:
    """Each parameter that scored points, highest first (chart order among equals)."""
    lines = sorted((item for item in scored if item.points > 0), key=lambda item: -item.points)
    return tuple(
        message(
            "score.trigger",
            parameter=PARAMETER_LABELS[item.parameter.value],
            value=_value(item.value),
            points=item.points,
        )
        for item in lines
    )


def _value(value: float | str) -> Message | float | str:
    """A scored value as shown: words for air/oxygen, ACVPU letters as they are, numbers as the language
    writes them (rendered with the rest of the message, so a language switch re-words it)."""
    if isinstance(value, str):
        return VALUE_LABELS.get(value, value)
    return value
