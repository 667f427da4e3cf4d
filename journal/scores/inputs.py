"""Checks on scoring inputs that are not numeric readings (those are checked by their table's domain)."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from journal.scores.errors import ScoreInputError

E = TypeVar("E", bound=StrEnum)

MAXIMUM_AGE_YEARS = 150
"""Plausibility limit for an age in years; anything above is a typing error."""


def optional_member(field: str, value: object, enum: type[E]) -> E | None:
    """``value`` if it is a member of ``enum`` (or None); a bare string is refused so that a spelling
    from another vocabulary (GCS verbal "T" for an eye) cannot slip through."""
    if value is None or isinstance(value, enum):
        return value
    raise ScoreInputError(field, value, f"is not a {enum.__name__}")


def optional_bool(field: str, value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ScoreInputError(field, value, "is not true, false or None")


def optional_age(field: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScoreInputError(field, value, "is not a whole number of years")
    if not 0 <= value <= MAXIMUM_AGE_YEARS:
        raise ScoreInputError(field, value, f"is outside 0–{MAXIMUM_AGE_YEARS} years")
    return value
