"""Live NEWS2 for the journal screen, derived with the journal's RECORDED table version.

An adapter over ``journal.scores.score_news2`` (until journal's derived-values API lands on main):
scores are never stored, only shown. The inputs are the latest vital set and the latest ACVPU; SpO2
scale 1 unless a clinician recorded scale 2 (not captured on the tablet yet, so scale 1). A journal
without a recorded NEWS2 version shows "no table recorded" rather than silently using today's table.
"""

from __future__ import annotations

from dataclasses import dataclass

from journal.kinds.observations import VitalSigns
from journal.scores import ScoreName, score_news2
from journal.scores.vocabulary import Acvpu, InspiredOxygen, ScoreStatus, UiColour


@dataclass(frozen=True)
class News2View:
    display: str
    colour: UiColour
    applicable: bool


def news2_view(
    *, vitals: VitalSigns | None, acvpu: str | None, age_years: int | None, table_versions: dict[str, str]
) -> News2View:
    version = table_versions.get(ScoreName.NEWS2.value)
    if version is None:
        return News2View("NEWS2 — no table version recorded on this journal", UiColour.NEUTRAL, False)
    if vitals is None:
        return News2View("NEWS2 — no vital signs yet", UiColour.NEUTRAL, True)
    on_oxygen = vitals.on_oxygen
    inspired = None if on_oxygen is None else InspiredOxygen.OXYGEN if on_oxygen else InspiredOxygen.AIR
    result = score_news2(
        table_version=version,
        respiration_rate=_measured(vitals, "respiratory_rate"),
        spo2=_measured(vitals, "spo2"),
        inspired_oxygen=inspired,
        systolic_bp=_measured(vitals, "bp_systolic"),
        pulse=_measured(vitals, "heart_rate"),
        consciousness=None if acvpu is None else Acvpu(acvpu),
        temperature_c=_measured(vitals, "temperature"),
        age_years=age_years,
        pregnant=None,
    )
    return News2View(result.display, result.colour, result.status is not ScoreStatus.NOT_APPLICABLE)


def _measured(vitals: VitalSigns, field_id: str) -> float | None:
    reading = getattr(vitals, field_id)
    return None if reading is None else reading.measured
