"""Building blocks shared by the result objects of every score.

Results are frozen dataclasses made fresh on every call: a score is derived from the journal, never
stored as truth. Every result names the table it was computed with (:class:`TableRef`), so a displayed
score can always be traced to its versioned, cited table, and an unverified table can never look
verified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from journal.scores.table_schema import TableHeader

P = TypeVar("P", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class TableRef:
    """The table a result was computed with."""

    id: str
    version: str
    verified: bool
    verification_note: str | None
    region: str | None

    @classmethod
    def of(cls, table: TableHeader) -> TableRef:
        return cls(
            id=table.id,
            version=table.version,
            verified=table.verified,
            verification_note=table.verification_note,
            region=table.region,
        )


@dataclass(frozen=True, slots=True)
class ParameterPoints(Generic[P]):
    """The points one parameter scored, with the value they were scored from."""

    parameter: P
    value: float | str
    points: int


@dataclass(frozen=True, slots=True)
class Tally(Generic[P]):
    """The parameters scored and those missing. ``total`` exists only when nothing is missing: a sum over
    some parameters is a lower bound (``partial_sum``), never the score."""

    scored: tuple[ParameterPoints[P], ...]
    missing: tuple[P, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def partial_sum(self) -> int:
        return sum(item.points for item in self.scored)

    @property
    def total(self) -> int | None:
        return self.partial_sum if self.complete else None

    def any_scoring_at_least(self, points: int) -> bool:
        return any(item.points >= points for item in self.scored)


def tally(
    order: Sequence[P],
    values: dict[P, float | str | None],
    score: Callable[[P, float | str], int | None],
) -> Tally[P]:
    """Score each parameter of ``order`` whose value is present. ``score`` returns None when the
    parameter cannot be scored from the inputs given (it is then listed as missing)."""
    scored: list[ParameterPoints[P]] = []
    missing: list[P] = []
    for parameter in order:
        value = values[parameter]
        points = None if value is None else score(parameter, value)
        if value is None or points is None:
            missing.append(parameter)
        else:
            scored.append(ParameterPoints(parameter=parameter, value=value, points=points))
    return Tally(scored=tuple(scored), missing=tuple(missing))


def partial_summary(score_name: str, labels: dict[P, str], result: Tally[P], parameter_count: int) -> str:
    """The display of a partial score: it says *incomplete* first and names what is missing, so a
    partial sum can never be read as the score."""
    missing = ", ".join(labels[parameter] for parameter in result.missing)
    return (
        f"{score_name} incomplete — missing {missing} "
        f"({result.partial_sum} points from {len(result.scored)} of {parameter_count} parameters)"
    )
