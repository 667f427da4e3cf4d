"""TOKS (Tidlig Opsporing af Kritisk Sygdom), the Danish regional early-warning score.

TOKS differs by region and version, so each table is a regional configuration with its region in the
metadata. The table shipped now (Region Nordjylland TOKS 2.1) is marked ``verified: false``: it comes
from secondary sources and has not been checked against the regional document. Every result carries the
table's verification state, and the display of a result from an unverified table always says
"UNVERIFIED", so the UI cannot present it as the regional standard.

Missing parameters give a ``PARTIAL`` result (no total, no tier), exactly as for NEWS2. Consciousness
is scored from a numeric GCS total; a GCS without a numeric total (e.g. intubated, "VT") leaves TOKS
partial.

The shipped table is *adult* TOKS (its notes: paediatric TOKS, S22e, scores other parameters). For a
patient whose age is known and under ``ADULT_FROM_YEARS`` the result is ``NOT_APPLICABLE`` with the reason,
no points and no tier; an unknown age is scored (as NEWS2 does).
"""

from __future__ import annotations

from typing import NamedTuple

from journal.scores.inputs import optional_age
from journal.scores.registry import typed_table
from journal.scores.results import ParameterPoints, memoised, partial_summary, tally
from journal.scores.table_schema import TableRef, ToksTable
from journal.scores.vocabulary import ScoreName, ScoreStatus, ToksParameter, UiColour

PARAMETER_LABELS: dict[ToksParameter, str] = {
    ToksParameter.RESPIRATION_RATE: "respiration rate",
    ToksParameter.SPO2: "SpO2",
    ToksParameter.SYSTOLIC_BP: "systolic BP",
    ToksParameter.PULSE: "pulse",
    ToksParameter.GCS: "GCS",
    ToksParameter.TEMPERATURE: "temperature",
}

_PARAMETERS = tuple((parameter, parameter.value) for parameter in ToksParameter)

ADULT_FROM_YEARS = 18
"""Adult TOKS applies from this age: 18 is the Danish age of majority, the line between adult and
paediatric services. The regional PRI documents (S22a, S22e) are not yet checked for the exact boundary,
like the table itself (hazard H-TABCL-2)."""


class ToksResult(NamedTuple):
    """One TOKS derivation. ``total``, ``tier`` exist only when COMPLETE; ``partial_sum`` only when
    PARTIAL. ``table.verified`` is False for an unverified regional table, and ``display`` says so."""

    table: TableRef
    status: ScoreStatus
    scored: tuple[ParameterPoints[ToksParameter], ...]
    missing: tuple[ToksParameter, ...]
    total: int | None
    partial_sum: int | None
    tier: str | None
    colour: UiColour
    display: str

    def points_for(self, parameter: ToksParameter) -> int | None:
        return next((item.points for item in self.scored if item.parameter is parameter), None)


@memoised
def score_toks(
    *,
    table_version: str,
    respiration_rate: float | None,
    spo2: float | None,
    systolic_bp: float | None,
    pulse: float | None,
    gcs_total: int | None,
    temperature_c: float | None,
    age_years: int | None = None,
) -> ToksResult:
    """TOKS with the journal's (regional) table version. Raises ScoreInputError naming a bad field.
    ``age_years`` None (unknown) is scored; under ``ADULT_FROM_YEARS`` TOKS is not applicable."""
    table = typed_table(ScoreName.TOKS, table_version, ToksTable)
    age = optional_age("age_years", age_years)
    result = tally(
        _PARAMETERS,
        (respiration_rate, spo2, systolic_bp, pulse, gcs_total, temperature_c),
        (
            table.respiration_rate.lookup,
            table.spo2.lookup,
            table.systolic_bp.lookup,
            table.pulse.lookup,
            table.gcs_total.lookup,
            table.temperature_c.lookup,
        ),
    )
    ref = table.ref
    provenance = f" · {table.region} TOKS {table.version}" + ("" if table.verified else " · UNVERIFIED table")
    # Checked after the tally, so bad input is refused whether or not TOKS applies.
    if age is not None and age < ADULT_FROM_YEARS:
        return ToksResult(
            table=ref,
            status=ScoreStatus.NOT_APPLICABLE,
            scored=(),
            missing=(),
            total=None,
            partial_sum=None,
            tier=None,
            colour=UiColour.NEUTRAL,
            display=f"TOKS not applicable — patient under {ADULT_FROM_YEARS} years (age {age}): "
            f"adult TOKS only{provenance}",
        )
    if result.total is None:
        return ToksResult(
            table=ref,
            status=ScoreStatus.PARTIAL,
            scored=result.scored,
            missing=result.missing,
            total=None,
            partial_sum=result.partial_sum,
            tier=None,
            colour=UiColour.NEUTRAL,
            display=partial_summary("TOKS", PARAMETER_LABELS, result, len(ToksParameter)) + provenance,
        )
    tier = table.tier_for(result.total)
    return ToksResult(
        table=ref,
        status=ScoreStatus.COMPLETE,
        scored=result.scored,
        missing=(),
        total=result.total,
        partial_sum=None,
        tier=tier.name,
        colour=tier.colour,
        display=f"TOKS {result.total} — {tier.name}{provenance}",
    )
