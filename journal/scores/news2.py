"""NEWS2 (Royal College of Physicians 2017) from one set of vital signs.

Rules, each enforced here and tested at its boundaries:

- SpO2 is scored on scale 1 unless the caller passes ``spo2_scale=Spo2Scale.SCALE_2``. The journal
  passes scale 2 only from an authored "SpO2 target scale decision" entry; nothing here infers it.
  On scale 2 the SpO2 points depend on air or oxygen (93 % and above score on oxygen only), so with
  ``inspired_oxygen`` missing the SpO2 is not scored either.
- NEWS2 does not apply under 16 years or in pregnancy: the result is ``NOT_APPLICABLE`` with the reason,
  and carries no points, total or risk. An unknown age or pregnancy status is scored, with a caveat.
- Any missing parameter gives a ``PARTIAL`` result: no total and no risk band, only the points of the
  parameters present, and a display that starts with "incomplete" and names what is missing.
- The risk band comes from the table: high at 7+, medium at 5–6, low–medium when any single parameter
  scores 3 (a "red score"), otherwise low.
"""

from __future__ import annotations

from typing import NamedTuple

from journal.i18n import DEFAULT_LANGUAGE, label, translator
from journal.scores.errors import ScoreInputError
from journal.scores.inputs import optional_age, optional_bool, optional_member
from journal.scores.lookups import BandLookup
from journal.scores.registry import typed_table
from journal.scores.results import ParameterPoints, memoised, partial_summary, tally
from journal.scores.table_schema import News2Table, TableRef
from journal.scores.vocabulary import (
    Acvpu,
    InspiredOxygen,
    News2Parameter,
    News2Risk,
    ScoreName,
    ScoreStatus,
    Spo2Scale,
    UiColour,
)

PARAMETER_LABELS: dict[News2Parameter, str] = {
    News2Parameter.RESPIRATION_RATE: "respiration rate",
    News2Parameter.SPO2: "SpO2",
    News2Parameter.INSPIRED_OXYGEN: "air or oxygen",
    News2Parameter.SYSTOLIC_BP: "systolic BP",
    News2Parameter.PULSE: "pulse",
    News2Parameter.CONSCIOUSNESS: "consciousness",
    News2Parameter.TEMPERATURE: "temperature",
}

RISK_LABELS: dict[News2Risk, str] = {
    News2Risk.LOW: "low risk",
    News2Risk.LOW_MEDIUM: "low–medium risk (a single parameter scores 3)",
    News2Risk.MEDIUM: "medium risk",
    News2Risk.HIGH: "high risk",
}

_PARAMETERS = tuple((parameter, parameter.value) for parameter in News2Parameter)
"""(parameter, input field name) in chart order; the names are precomputed for speed."""


class News2Result(NamedTuple):
    """One NEWS2 derivation. ``total``, ``risk`` and ``response`` exist only when ``status`` is COMPLETE;
    ``partial_sum`` only when PARTIAL (a lower bound, never the score); ``red_score`` is known whenever
    something was scored (one 3 among the parameters present is a fact even if others are missing)."""

    table: TableRef
    status: ScoreStatus
    spo2_scale: Spo2Scale
    scored: tuple[ParameterPoints[News2Parameter], ...]
    missing: tuple[News2Parameter, ...]
    total: int | None
    partial_sum: int | None
    red_score: bool | None
    risk: News2Risk | None
    response: str | None
    colour: UiColour
    not_applicable_reason: str | None
    caveats: tuple[str, ...]
    display: str

    def points_for(self, parameter: News2Parameter) -> int | None:
        return next((item.points for item in self.scored if item.parameter is parameter), None)


@memoised
def score_news2(
    *,
    table_version: str,
    respiration_rate: float | None,
    spo2: float | None,
    inspired_oxygen: InspiredOxygen | None,
    systolic_bp: float | None,
    pulse: float | None,
    consciousness: Acvpu | None,
    temperature_c: float | None,
    age_years: int | None,
    pregnant: bool | None,
    spo2_scale: Spo2Scale = Spo2Scale.SCALE_1,
) -> News2Result:
    """NEWS2 with the journal's table version. Every vital is required as a keyword (None = not
    recorded), so a caller cannot forget one silently. Raises ScoreInputError naming a bad field and
    UnknownTableVersionError for a version this build does not ship."""
    table = typed_table(ScoreName.NEWS2, table_version, News2Table)
    if not isinstance(spo2_scale, Spo2Scale):
        raise ScoreInputError("spo2_scale", spo2_scale, "is not a Spo2Scale")
    oxygen = optional_member("inspired_oxygen", inspired_oxygen, InspiredOxygen)
    acvpu = optional_member("consciousness", consciousness, Acvpu)
    age = optional_age("age_years", age_years)
    is_pregnant = optional_bool("pregnant", pregnant)
    ref = table.ref

    spo2_lookup: BandLookup | None = table.spo2_scale_1.lookup
    if spo2_scale is Spo2Scale.SCALE_2:
        # Scale 2 scores 93 % and above differently on air and on oxygen: unknown oxygen, no SpO2 points.
        spo2_lookup = (
            None
            if oxygen is None
            else table.spo2_scale_2_on_oxygen.lookup
            if oxygen is InspiredOxygen.OXYGEN
            else table.spo2_scale_2_on_air.lookup
        )
    result = tally(
        _PARAMETERS,
        (respiration_rate, spo2, oxygen, systolic_bp, pulse, acvpu, temperature_c),
        (
            table.respiration_rate.lookup,
            spo2_lookup,
            table.inspired_oxygen_lookup,
            table.systolic_bp.lookup,
            table.pulse.lookup,
            table.consciousness_lookup,
            table.temperature_c.lookup,
        ),
    )
    # Checked after the tally, so bad input is refused whether or not NEWS2 applies.
    reasons = _not_applicable_reasons(table, age, is_pregnant)
    if reasons:
        reason = "; ".join(reasons)
        return News2Result(
            table=ref,
            status=ScoreStatus.NOT_APPLICABLE,
            spo2_scale=spo2_scale,
            scored=(),
            missing=(),
            total=None,
            partial_sum=None,
            red_score=None,
            risk=None,
            response=None,
            colour=UiColour.NEUTRAL,
            not_applicable_reason=reason,
            caveats=(),
            display=f"NEWS2 not applicable — {reason}",
        )

    caveats = _applicability_caveats(table, age, is_pregnant)
    if spo2_scale is Spo2Scale.SCALE_2 and oxygen is None and spo2 is not None:
        caveats += ("SpO2 on scale 2 is scored only when air or oxygen is recorded",)
    red_score = result.highest_points >= table.red_score_points
    scale_note = " (SpO2 scale 2)" if spo2_scale is Spo2Scale.SCALE_2 else ""

    if result.total is None:
        return News2Result(
            table=ref,
            status=ScoreStatus.PARTIAL,
            spo2_scale=spo2_scale,
            scored=result.scored,
            missing=result.missing,
            total=None,
            partial_sum=result.partial_sum,
            red_score=red_score,
            risk=None,
            response=None,
            colour=UiColour.NEUTRAL,
            not_applicable_reason=None,
            caveats=caveats,
            display=partial_summary("NEWS2", PARAMETER_LABELS, result, len(News2Parameter)) + scale_note,
        )
    band = table.risk_band(result.total, red_score=red_score)
    return News2Result(
        table=ref,
        status=ScoreStatus.COMPLETE,
        spo2_scale=spo2_scale,
        scored=result.scored,
        missing=(),
        total=result.total,
        partial_sum=None,
        red_score=red_score,
        risk=band.risk,
        response=band.response,
        colour=band.colour,
        not_applicable_reason=None,
        caveats=caveats,
        display=f"NEWS2 {result.total} — {RISK_LABELS[band.risk]}{scale_note}",
    )


def news2_text(result: News2Result, lang: str = DEFAULT_LANGUAGE) -> str:
    """``result.display`` in ``lang`` (journal catalogue): what the board and the handover text show.

    Built from the same fields as ``display`` (which stays English for logs and the wire); a test checks
    that the English text equals ``display``. The not-applicable reason is the table's own rule text."""
    t = translator(lang)
    scale = t("news2.scale_2") if result.spo2_scale is Spo2Scale.SCALE_2 else ""
    if result.status is ScoreStatus.NOT_APPLICABLE:
        return t("news2.not_applicable", reason=result.not_applicable_reason)
    if result.total is None or result.risk is None:
        missing = ", ".join(label(lang, "news2.parameter", p.value) for p in result.missing)
        points, scored = result.partial_sum, len(result.scored)
        return (
            t("news2.partial", missing=missing, points=points, scored=scored, of=len(News2Parameter)) + scale
        )
    return t("news2.complete", total=result.total, risk=label(lang, "news2.risk", result.risk.value)) + scale


def _not_applicable_reasons(table: News2Table, age: int | None, pregnant: bool | None) -> list[str]:
    rule = table.applicability
    reasons = []
    if age is not None and age < rule.minimum_age_years:
        reasons.append(f"patient under {rule.minimum_age_years} years (age {age})")
    if pregnant and rule.excludes_pregnancy:
        reasons.append("patient is pregnant")
    return reasons


def _applicability_caveats(table: News2Table, age: int | None, pregnant: bool | None) -> tuple[str, ...]:
    rule = table.applicability
    caveats = []
    if age is None:
        caveats.append(f"age not recorded: NEWS2 applies only from {rule.minimum_age_years} years")
    if pregnant is None and rule.excludes_pregnancy:
        caveats.append("pregnancy not recorded: NEWS2 does not apply in pregnancy")
    return tuple(caveats)
