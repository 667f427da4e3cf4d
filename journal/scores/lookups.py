"""Compiled lookups: what a scoring call uses, built once when a table loads.

Scoring must cost microseconds: the fold re-derives every score of a 2,000-entry journal within 20 ms.
So nothing is searched at scoring time. A numeric parameter is a tuple with the points of every
resolution step of its domain (a lookup is a subtraction and an index); a categorical parameter is a
dict. Both check their input and raise ScoreInputError naming the field.

Readings finer than the table's resolution (a monitor's 38.05 °C against a 0.1 °C table) are rounded
half-up to the resolution, the way the reading would be displayed, before the lookup.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from journal.scores.errors import ScoreInputError

_ONE = Decimal(1)
_ON_GRID = 1e-6
"""A float this close to a grid step is that step (readings are stored with few decimals)."""

E = TypeVar("E", bound=StrEnum)


class PointsLookup(Protocol):
    def points_for(self, value: object, *, field: str) -> int: ...


class BandLookup:
    """The points of every resolution step of a domain, indexed from the domain's first step."""

    __slots__ = (
        "_first_step",
        "_points_by_step",
        "_resolution",
        "_steps_per_unit",
        "_integer_steps",
        "_out_of_range",
    )

    def __init__(
        self, *, first_step: int, points_by_step: tuple[int, ...], resolution: Decimal, out_of_range: str
    ):
        self._first_step = first_step
        self._points_by_step = points_by_step
        self._resolution = resolution
        self._steps_per_unit = float(1 / resolution)
        self._integer_steps = resolution == _ONE
        self._out_of_range = out_of_range

    def points_for(self, value: object, *, field: str) -> int:
        if self._integer_steps and type(value) is int:
            step = value
        elif self._integer_steps and type(value) is float and value.is_integer():
            # A whole number on a whole-number grid is its own step (readings arrive as 80 or as 80.0);
            # NaN and infinities are not whole numbers and take the checked path below.
            step = int(value)
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ScoreInputError(field, value, "is not a number")
            if not math.isfinite(value):
                raise ScoreInputError(field, value, "is not a finite number")
            scaled = value * self._steps_per_unit
            step = round(scaled)
            if abs(scaled - step) > _ON_GRID:
                # Off the table's grid (e.g. 38.05 at resolution 0.1): round half-up on the decimal value
                # as written, which binary floating point (38.05 * 10 = 380.4999…) would get wrong.
                exact = Decimal(repr(value)) / self._resolution
                step = int(exact.quantize(_ONE, rounding=ROUND_HALF_UP))
        index = step - self._first_step
        if not 0 <= index < len(self._points_by_step):
            raise ScoreInputError(field, value, self._out_of_range)
        return self._points_by_step[index]


class CategoryLookup(Generic[E]):
    """Points per member of an enumeration; anything that is not a member is refused."""

    __slots__ = ("_enum", "_points")

    def __init__(self, enum: type[E], points: dict[E, int]) -> None:
        self._enum = enum
        self._points = points

    def points_for(self, value: object, *, field: str) -> int:
        if not isinstance(value, self._enum):
            raise ScoreInputError(field, value, f"is not a {self._enum.__name__}")
        return self._points[value]
