"""Numeric parameters of a score table: a plausible domain and the bands that give points.

A band's ``min`` and ``max`` are inclusive and written at the table's resolution, exactly as the
published table prints them ("9–11" at resolution 1, "35.1–36.0" at resolution 0.1). A strict "<8"
in a source is written as ``max: 7`` at resolution 1. Validation guarantees the bands tile the whole
domain: the first is open below, the last open above, and each starts one resolution step after the
previous one ends, so no reading falls into a gap or into two bands.

Each parameter compiles, once at load, a :class:`~journal.scores.lookups.BandLookup` with the points of
every step of its domain (see there for the rounding of readings finer than the resolution).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, model_validator

from journal.scores.lookups import BandLookup

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
        self.lookup  # noqa: B018  compile now, so a table that loads can always score
        return self

    @cached_property
    def lookup(self) -> BandLookup:
        """The compiled lookup (built once; the validator builds it at load)."""
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
        return BandLookup(
            first_step=first_step,
            points_by_step=tuple(points),
            resolution=res,
            out_of_range=f"is outside the plausible range {self.domain.min}–{self.domain.max} {self.unit}",
        )

    @property
    def max_points(self) -> int:
        return max(band.points for band in self.bands)

    def points_for(self, value: object, *, field: str) -> int:
        """The points for ``value``; raises ScoreInputError naming ``field`` for a value it cannot score."""
        return self.lookup.points_for(value, field=field)


def _is_step(value: Decimal, resolution: Decimal) -> bool:
    return (value / resolution) % 1 == 0
