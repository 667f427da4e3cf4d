"""Value types shared by several kinds: readings with UCUM units, quantities, people and organisations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from journal.i18n import DEFAULT_LANGUAGE, text
from journal.payload import FieldIssue

ReadingStatus = Literal["measured", "not_measurable", "above_range", "below_range"]
"""``measured``: ``value`` is the reading. ``not_measurable``: tried, no reading (no value). ``above_range`` /
``below_range``: the instrument showed HI/LO; ``value`` is then its range limit, if known (e.g. glucometer
"LO" below 1.1 mmol/L, a thermometer that reads no lower than 25 °C in deep hypothermia)."""


AUTORISATIONS_ID_PATTERN = r"^[A-Z0-9]{5}$"
"""Autorisationsregistret's 5-character authorisation id (DK Core: system https://autregweb.sst.dk)."""
UCUM_PATTERN = r"^[A-Za-z0-9\[\]{}/.%*^'()_-]{1,40}$"
"""The characters a UCUM unit code is made of (a syntax guard, not a full UCUM parser)."""


class ValueModel(BaseModel):
    """Base for nested value types: immutable, no unknown fields, no NaN or infinity."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)


class Reading(ValueModel):
    """One measured value with its UCUM unit and how the instrument reported it."""

    value: float | None = None
    unit: str = Field(description="UCUM unit code, e.g. '/min', 'mm[Hg]', '%', 'Cel', 'mmol/L', 'kPa'")
    status: ReadingStatus = "measured"
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _value_matches_status(self) -> Reading:
        if self.status == "measured" and self.value is None:
            raise ValueError(
                "a measured reading needs a value; use status 'not_measurable' if there was none"
            )
        if self.status == "not_measurable" and self.value is not None:
            raise ValueError("a reading marked 'not measurable' cannot also have a value")
        return self

    @property
    def measured(self) -> float | None:
        """The value if it is an exact reading, else None (HI/LO limits are not exact values)."""
        return self.value if self.status == "measured" else None

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        if self.status == "not_measurable":
            return text(lang, "reading.not_measurable")
        shown = "?" if self.value is None else f"{self.value:g}"
        prefix = {"measured": "", "above_range": ">", "below_range": "<"}[self.status]
        return f"{prefix}{shown} {self.unit}"


class Quantity(ValueModel):
    """A dose or amount: a value and a UCUM unit (e.g. 0.5 'mg', 250 'mL', 4 'L/min')."""

    value: float
    unit: str = Field(pattern=UCUM_PATTERN, description="UCUM unit code, e.g. 'mg', 'ug', 'mL', '[iU]'")

    def text(self) -> str:
        return f"{self.value:g} {self.unit}"


class PersonRef(ValueModel):
    """Someone named in an entry who is not necessarily its author (ordering physician, receiver, …)."""

    name: str = Field(min_length=1, max_length=200)
    role: str | None = Field(default=None, max_length=100)
    person_id: str | None = Field(default=None, max_length=100)
    autorisations_id: str | None = Field(
        default=None, pattern=AUTORISATIONS_ID_PATTERN, description="Autorisationsregistret id (5 characters)"
    )
    organisation: str | None = Field(default=None, max_length=200)


def negative(field: str, reading: Reading | None, label: str) -> list[FieldIssue]:
    """A refusal when a reading that cannot be negative is (HI/LO limits included)."""
    if reading is not None and reading.value is not None and reading.value < 0:
        return [FieldIssue(field, f"{label} cannot be negative ({reading.value:g} {reading.unit})")]
    return []


def outside(
    field: str, reading: Reading | None, *, low: float | None, high: float | None, message: str
) -> list[FieldIssue]:
    """A warning when a measured reading lies below ``low`` or above ``high`` (bounds exclusive)."""
    if reading is None or reading.measured is None:
        return []
    v = reading.measured
    if (low is not None and v < low) or (high is not None and v > high):
        return [FieldIssue(field, message.format(value=f"{v:g}", unit=reading.unit))]
    return []
