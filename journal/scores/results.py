"""Building blocks shared by the result objects of every score.

A score is derived from the journal, never stored as truth: results are immutable values computed from
the inputs and the versioned table (and remembered by their inputs, see :func:`memoised`). Every
result names the table it was computed with (:class:`~journal.scores.table_schema.TableRef`), so a
displayed score can always be traced to its versioned, cited table, and an unverified table can never
look verified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Generic, NamedTuple, ParamSpec, TypeVar, cast

from journal.scores.lookups import PointsLookup

P = TypeVar("P", bound=StrEnum)
Params = ParamSpec("Params")
R = TypeVar("R")

MEMO_SIZE = 16_384
"""Distinct input sets remembered per score; a large journal has a few hundred vital sets."""


def memoised(function: Callable[Params, R]) -> Callable[Params, R]:
    """Remember results by their exact inputs. The fold re-derives every score of a journal on each
    change, and nearly all inputs are the same as last time. This is safe because a result is an
    immutable NamedTuple of immutable values and the tables never change after import; ``typed=True``
    keeps ``True`` apart from ``1`` and ``37`` from ``37.0``, so a bad input is refused every time."""
    remembering = lru_cache(maxsize=MEMO_SIZE, typed=True)(function)
    _memos.append(remembering.cache_clear)
    # lru_cache types its wrapper as taking any Hashable arguments; the wrapper keeps ``function``'s
    # signature, so the cast only restores what the caller is checked against.
    return cast(Callable[Params, R], remembering)


_memos: list[Callable[[], None]] = []


def forget_memoised_results() -> None:
    """Empty every score's memo (for benchmarks that measure a cold start)."""
    for clear in _memos:
        clear()


class ParameterPoints(NamedTuple, Generic[P]):
    """The points one parameter scored, with the value they were scored from."""

    parameter: P
    value: float | str
    points: int


class Tally(NamedTuple, Generic[P]):
    """The parameters scored and those missing. ``total`` exists only when nothing is missing: a sum over
    some parameters is a lower bound (``partial_sum``), never the score."""

    scored: tuple[ParameterPoints[P], ...]
    missing: tuple[P, ...]
    partial_sum: int
    highest_points: int

    @property
    def total(self) -> int | None:
        return None if self.missing else self.partial_sum


def tally(
    parameters: Sequence[tuple[P, str]],
    values: Sequence[float | str | None],
    lookups: Sequence[PointsLookup | None],
) -> Tally[P]:
    """Score each (parameter, field name) with its value and lookup, all three in the same order. A
    parameter is missing when its value is None, or its lookup is None (it cannot be scored from the
    other inputs given, e.g. SpO2 scale 2 without air or oxygen)."""
    scored: list[ParameterPoints[P]] = []
    missing: list[P] = []
    partial_sum = highest = 0
    new = tuple.__new__  # builds the named tuples in C: this runs once per parameter of every score
    for (parameter, field), value, lookup in zip(parameters, values, lookups, strict=True):
        if value is None or lookup is None:
            missing.append(parameter)
            continue
        points = lookup.points_for(value, field=field)
        scored.append(new(ParameterPoints, (parameter, value, points)))
        partial_sum += points
        if points > highest:
            highest = points
    return new(Tally, (tuple(scored), tuple(missing), partial_sum, highest))


def partial_summary(score_name: str, labels: dict[P, str], result: Tally[P], parameter_count: int) -> str:
    """The display of a partial score: it says *incomplete* first and names what is missing, so a
    partial sum can never be read as the score."""
    missing = ", ".join(labels[parameter] for parameter in result.missing)
    return (
        f"{score_name} incomplete — missing {missing} "
        f"({result.partial_sum} points from {len(result.scored)} of {parameter_count} parameters)"
    )
