"""The schema of a score table file, validated with pydantic when the tables load.

Every table shares a header (:class:`TableHeader`): ``id`` = ``"<score>-<version>"``, ``version``,
``title``, the cited ``sources``, and ``verified``. A table that has not been checked against its primary
source says so with ``verified: false`` and a ``verification_note``; scoring results carry both, so the
UI can never present it as verified. The ``score`` field selects the body of the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from journal.scores.lookups import CategoryLookup
from journal.scores.numeric_bands import NumericParameter
from journal.scores.vocabulary import (
    Acvpu,
    GcsEyeQualifier,
    GcsMotorQualifier,
    GcsVerbalQualifier,
    InspiredOxygen,
    News2Risk,
    PassItem,
    UiColour,
)

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class SourceCitation(BaseModel):
    """Where a table (or part of it) comes from. ``ref`` is the tag in the reference notes (e.g. S23a)."""

    model_config = _FROZEN

    ref: str | None = None
    document: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    year: int | None = Field(default=None, ge=1900, le=2100)
    url: str | None = None
    covers: str | None = None
    """Which part of the table this source supports, when it supports only part."""


@dataclass(frozen=True, slots=True)
class TableRef:
    """The table a result was computed with; every result carries one."""

    id: str
    version: str
    verified: bool
    verification_note: str | None
    region: str | None


class TableHeader(BaseModel):
    model_config = _FROZEN

    score: str
    id: str = Field(min_length=1)
    version: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    title: str = Field(min_length=1)
    sources: tuple[SourceCitation, ...] = Field(min_length=1)
    verified: bool
    verification_note: str | None = None
    region: str | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _id_and_verification_are_consistent(self) -> TableHeader:
        if self.id != f"{self.score}-{self.version}":
            raise ValueError(f"id {self.id!r} must be '{self.score}-{self.version}'")
        if not self.verified and not self.verification_note:
            raise ValueError("an unverified table must say why in verification_note")
        return self

    @cached_property
    def ref(self) -> TableRef:
        return TableRef(
            id=self.id,
            version=self.version,
            verified=self.verified,
            verification_note=self.verification_note,
            region=self.region,
        )


def _exact_keys(name: str, keys: set[int], expected: range) -> None:
    if keys != set(expected):
        raise ValueError(f"{name} must have exactly the values {expected.start}–{expected.stop - 1}")


class GcsTable(TableHeader):
    """Glasgow Coma Scale: the descriptor of each component value, and the qualifiers per component."""

    score: Literal["gcs"]
    eye: dict[int, str]
    verbal: dict[int, str]
    motor: dict[int, str]
    eye_qualifiers: dict[GcsEyeQualifier, str]
    verbal_qualifiers: dict[GcsVerbalQualifier, str]
    motor_qualifiers: dict[GcsMotorQualifier, str]

    @model_validator(mode="after")
    def _components_are_one_to_n(self) -> GcsTable:
        _exact_keys("eye", set(self.eye), range(1, 5))
        _exact_keys("verbal", set(self.verbal), range(1, 6))
        _exact_keys("motor", set(self.motor), range(1, 7))
        for name, qualifiers, members in (
            ("eye_qualifiers", self.eye_qualifiers, set(GcsEyeQualifier)),
            ("verbal_qualifiers", self.verbal_qualifiers, set(GcsVerbalQualifier)),
            ("motor_qualifiers", self.motor_qualifiers, set(GcsMotorQualifier)),
        ):
            if set(qualifiers) != members:
                raise ValueError(f"{name} must describe exactly {sorted(members)}")
        return self


class News2RiskBand(BaseModel):
    """A clinical risk band. It applies when the total reaches ``min_total``, or (``on_red_score``) when
    any single parameter scores 3. Bands are tried in order; the first that applies wins."""

    model_config = _FROZEN

    risk: News2Risk
    colour: UiColour
    min_total: int | None = Field(default=None, ge=0)
    on_red_score: bool = False
    response: str | None = None


class News2Applicability(BaseModel):
    model_config = _FROZEN

    minimum_age_years: int = Field(ge=0)
    excludes_pregnancy: bool


class News2Table(TableHeader):
    """NEWS2: numeric parameters, the two categorical ones, the risk bands and the applicability rule.
    SpO2 scale 2 scores differently on air and on oxygen, so it is two numeric parameters."""

    score: Literal["news2"]
    applicability: News2Applicability
    respiration_rate: NumericParameter
    spo2_scale_1: NumericParameter
    spo2_scale_2_on_air: NumericParameter
    spo2_scale_2_on_oxygen: NumericParameter
    inspired_oxygen: dict[InspiredOxygen, Annotated[int, Field(ge=0, le=3)]]
    systolic_bp: NumericParameter
    pulse: NumericParameter
    consciousness: dict[Acvpu, Annotated[int, Field(ge=0, le=3)]]
    temperature_c: NumericParameter
    red_score_points: int = Field(ge=1, le=3)
    risk_bands: tuple[News2RiskBand, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _categories_complete_and_bands_total(self) -> News2Table:
        if set(self.inspired_oxygen) != set(InspiredOxygen):
            raise ValueError(f"inspired_oxygen must give points for exactly {sorted(InspiredOxygen)}")
        if set(self.consciousness) != set(Acvpu):
            raise ValueError(f"consciousness must give points for exactly {sorted(Acvpu)}")
        if self.risk_bands[-1].min_total != 0:
            raise ValueError("the last risk band must apply to every total (min_total 0)")
        self.risk_by_total  # noqa: B018  compile now, so a table that loads can always score
        return self

    @cached_property
    def risk_by_total(self) -> dict[tuple[int, bool], News2RiskBand]:
        """The risk band of every (total, any parameter scoring 3), precomputed."""
        return {
            (total, red): next(
                band
                for band in self.risk_bands
                if (band.min_total is not None and total >= band.min_total) or (band.on_red_score and red)
            )
            for total in range(self.max_total + 1)
            for red in (False, True)
        }

    @cached_property
    def inspired_oxygen_lookup(self) -> CategoryLookup[InspiredOxygen]:
        return CategoryLookup(InspiredOxygen, self.inspired_oxygen)

    @cached_property
    def consciousness_lookup(self) -> CategoryLookup[Acvpu]:
        return CategoryLookup(Acvpu, self.consciousness)

    @property
    def max_total(self) -> int:
        spo2 = max(
            self.spo2_scale_1.max_points,
            self.spo2_scale_2_on_air.max_points,
            self.spo2_scale_2_on_oxygen.max_points,
        )
        numeric = (self.respiration_rate, self.systolic_bp, self.pulse, self.temperature_c)
        return (
            spo2
            + sum(parameter.max_points for parameter in numeric)
            + max(self.inspired_oxygen.values())
            + max(self.consciousness.values())
        )

    def risk_band(self, total: int, *, red_score: bool) -> News2RiskBand:
        return self.risk_by_total[(total, red_score)]


class ToksTier(BaseModel):
    """A TOKS response tier: applies from ``min_total`` up; tiers are listed highest first."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    colour: UiColour
    min_total: int = Field(ge=0)


class ToksTable(TableHeader):
    """TOKS (Tidlig Opsporing af Kritisk Sygdom): a regional configuration, versioned per region."""

    score: Literal["toks"]
    region: str = Field(min_length=1)
    respiration_rate: NumericParameter
    spo2: NumericParameter
    systolic_bp: NumericParameter
    pulse: NumericParameter
    gcs_total: NumericParameter
    temperature_c: NumericParameter
    tiers: tuple[ToksTier, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _tiers_descend_to_zero(self) -> ToksTable:
        minimums = [tier.min_total for tier in self.tiers]
        if minimums != sorted(minimums, reverse=True) or len(set(minimums)) != len(minimums):
            raise ValueError("tiers must be listed highest min_total first, each min_total once")
        if minimums[-1] != 0:
            raise ValueError("the last tier must apply from total 0")
        return self

    def tier_for(self, total: int) -> ToksTier:
        return next(tier for tier in self.tiers if total >= tier.min_total)


class PassItemDefinition(BaseModel):
    model_config = _FROZEN

    item: PassItem
    label: str = Field(min_length=1)
    nihss_item: str = Field(min_length=1)
    abnormal_points: int = Field(ge=1, le=3)


class PassTable(TableHeader):
    """PASS: the items, the points of an abnormal finding, and the cut-off for suspected LVO."""

    score: Literal["pass"]
    items: tuple[PassItemDefinition, ...]
    positive_at_or_above: int = Field(ge=1)

    @model_validator(mode="after")
    def _each_item_once(self) -> PassTable:
        listed = [definition.item for definition in self.items]
        if sorted(listed) != sorted(PassItem) or len(listed) != len(set(listed)):
            raise ValueError(f"items must list each of {sorted(PassItem)} exactly once")
        if self.positive_at_or_above > sum(definition.abnormal_points for definition in self.items):
            raise ValueError("positive_at_or_above is higher than the maximum total")
        return self


ScoreTable = Annotated[GcsTable | News2Table | ToksTable | PassTable, Field(discriminator="score")]
"""Any score table; pydantic picks the body by the ``score`` field."""
