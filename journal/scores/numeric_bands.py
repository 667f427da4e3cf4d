"""Numeric parameters of a score table: a plausible domain and the bands that give points.

A band's ``min`` and ``max`` are inclusive and written at the table's resolution, exactly as the
published table prints them ("9–11" at resolution 1, "35.1–36.0" at resolution 0.1). A strict "<8"
in a source is written as ``max: 7`` at resolution 1. Validation guarantees the bands tile the whole
domain: the first is open below, the last open above, and each starts one resolution step after the
previous one ends, so no reading falls into a gap or into two bands.

Scoring must cost microseconds (the fold re-derives every score of a 2,000-entry journal), so each
parameter compiles, once at load, a tuple with the points of every step of its domain; a lookup is a
subtraction and an index.

Inputs finer than the resolution (a monitor's 38.05 °C) are rounded half-up to the resolution, the way
the reading would be displayed, before the lookup.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from journal.scores.errors import ScoreInputError

_ONE = Decimal(1)


class NumericDomain(BaseModel):
    """The plausible range of a reading; a value outside it is an input error, not a score."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: Decimal
    max: Decimal
    resolution: Decimal = Field(gt=0)

    @model_validator(mode="after")
    def _bounds_are_ordered_steps(self) -> NumericDomain:
        if self.min >= self.max:
            raise ValueError(f"domain min {self.min} must be below max {self.max}")
        for name, bound in (("min", self.min), ("max", self.max)):
            if not _is_step(bound, self.resolution):
                raise ValueError(f"domain {name} {bound} is not a multiple of resolution {self.resolution}")
        return self


class NumericBand(BaseModel):
    """Points for readings from ``min`` to ``max`` inclusive; None means open on that side."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: Decimal | None = None
    max: Decimal | None = None
    points: int = Field(ge=0, le=3)


class NumericParameter(BaseModel):
    """One numeric parameter: its unit, domain and bands, compiled into a step-indexed lookup."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: str = Field(min_length=1)
    domain: NumericDomain
    bands: tuple[NumericBand, ...] = Field(min_length=1)

    _points_by_step: tuple[int, ...] = PrivateAttr()
    _first_step: int = PrivateAttr()
    _integer_steps: bool = PrivateAttr()

    @model_validator(mode="after")
    def _bands_tile_the_domain(self) -> NumericParameter:
        res = self.domain.resolution
        first, last = self.bands[0], self.bands[-1]
        if first.min is not None:
            raise ValueError("the first band must be open below (no min)")
        if last.max is not None:
            raise ValueError("the last band must be open above (no max)")
        for index, band in enumerate(self.bands):
            for name, bound in (("min", band.min), ("max", band.max)):
                if bound is not None and not _is_step(bound, res):
                    raise ValueError(f"band {index} {name} {bound} is not a multiple of resolution {res}")
            if index > 0 and band.min is None:
                raise ValueError(f"band {index} must have a min (only the first band is open below)")
            if index < len(self.bands) - 1 and band.max is None:
                raise ValueError(f"band {index} must have a max (only the last band is open above)")
            if band.min is not None and band.max is not None and band.min > band.max:
                raise ValueError(f"band {index} min {band.min} is above its max {band.max}")
            if index > 0:
                previous_max = self.bands[index - 1].max
                assert previous_max is not None and band.min is not None  # checked just above
                if band.min != previous_max + res:
                    gap_or_overlap = "overlaps" if band.min <= previous_max else "leaves a gap after"
                    raise ValueError(f"band {index} {gap_or_overlap} band {index - 1} ({previous_max})")
        if (first.max is not None and first.max < self.domain.min) or (
            last.min is not None and last.min > self.domain.max
        ):
            raise ValueError("a band lies wholly outside the domain")
        self._compile()
        return self

    def _compile(self) -> None:
        res = self.domain.resolution
        first_step = int(self.domain.min / res)
        last_step = int(self.domain.max / res)
        points: list[int] = []
        band_index = 0
        for step in range(first_step, last_step + 1):
            value = step * res
            while (upper := self.bands[band_index].max) is not None and value > upper:
                band_index += 1
            points.append(self.bands[band_index].points)
        self._points_by_step = tuple(points)
        self._first_step = first_step
        self._integer_steps = res == _ONE

    @property
    def max_points(self) -> int:
        return max(band.points for band in self.bands)

    def points_for(self, value: object, *, field: str) -> int:
        """The points for ``value``; raises ScoreInputError naming ``field`` for a value it cannot score."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScoreInputError(field, value, "is not a number")
        if type(value) is int and self._integer_steps:
            step = value
        else:
            if not math.isfinite(value):
                raise ScoreInputError(field, value, "is not a finite number")
            scaled = Decimal(repr(value)) / self.domain.resolution
            step = int(scaled.quantize(_ONE, rounding=ROUND_HALF_UP))
        index = step - self._first_step
        if not 0 <= index < len(self._points_by_step):
            raise ScoreInputError(
                field,
                value,
                f"is outside the plausible range {self.domain.min}–{self.domain.max} {self.unit}",
            )
        return self._points_by_step[index]


def _is_step(value: Decimal, resolution: Decimal) -> bool:
    return (value / resolution) % 1 == 0
