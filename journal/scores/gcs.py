"""Glasgow Coma Scale: E1–4, V1–5, M1–6, or a qualifier where a component cannot be tested.

Convention (reference notes §3.3 and NEMSIS eVitals.19–.23): each component is recorded separately.
A component that cannot be tested gets a qualifier instead of a number — eyes closed by swelling "C",
verbal "T" when intubated, "NT" not testable — and is displayed as e.g. ``E3 VT M5``. A numeric total
(3–15) exists only when all three components are numbers. With a qualifier the result is
``NO_NUMERIC_TOTAL``: PPJ never shows a sum such as "8T", because it is not comparable with a GCS total
(a verbal score of 1 and an untestable verbal are different facts) and a reader could take it for one.
A component not recorded at all gives a ``PARTIAL`` result, displayed with "?" in its place.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple, TypeVar

from journal.scores.errors import ScoreInputError
from journal.scores.registry import typed_table
from journal.scores.results import memoised
from journal.scores.table_schema import GcsTable, TableRef
from journal.scores.vocabulary import (
    GcsEyeQualifier,
    GcsMotorQualifier,
    GcsVerbalQualifier,
    ScoreName,
    ScoreStatus,
)

GcsEye = int | GcsEyeQualifier
GcsVerbal = int | GcsVerbalQualifier
GcsMotor = int | GcsMotorQualifier

Q = TypeVar("Q", GcsEyeQualifier, GcsVerbalQualifier, GcsMotorQualifier)


class GcsResult(NamedTuple):
    """One GCS derivation. ``total`` exists only when ``status`` is COMPLETE. ``components`` is the
    display of each component in E, V, M order (``"E3"``, ``"VT"``, ``"M?"`` when not recorded)."""

    table: TableRef
    status: ScoreStatus
    eye: GcsEye | None
    verbal: GcsVerbal | None
    motor: GcsMotor | None
    total: int | None
    missing: tuple[str, ...]
    no_total_reason: str | None
    components: str
    display: str


@memoised
def score_gcs(
    *,
    table_version: str,
    eye: GcsEye | None,
    verbal: GcsVerbal | None,
    motor: GcsMotor | None,
) -> GcsResult:
    """GCS with the journal's table version. Raises ScoreInputError naming the component for a number
    outside its range or a qualifier of another component (e.g. verbal "T" given for the eyes)."""
    table = typed_table(ScoreName.GCS, table_version, GcsTable)
    parts = (
        _component("eye", "E", eye, table.eye, table.eye_qualifiers, GcsEyeQualifier),
        _component("verbal", "V", verbal, table.verbal, table.verbal_qualifiers, GcsVerbalQualifier),
        _component("motor", "M", motor, table.motor, table.motor_qualifiers, GcsMotorQualifier),
    )
    components = " ".join(part.shown for part in parts)
    missing = tuple(part.name for part in parts if part.value is None)
    qualified = [
        f"{part.name} {part.value} ({part.meaning})" for part in parts if isinstance(part.value, str)
    ]
    numbers = [part.value for part in parts if isinstance(part.value, int)]
    ref = table.ref
    if missing:
        status, total = ScoreStatus.PARTIAL, None
        reason = "not recorded: " + ", ".join(missing)
        display = f"GCS incomplete — {components} ({reason})"
    elif qualified:
        status, total = ScoreStatus.NO_NUMERIC_TOTAL, None
        reason = "no numeric total: " + "; ".join(qualified)
        display = f"GCS {components} — {reason}"
    else:
        status, total, reason = ScoreStatus.COMPLETE, sum(numbers), None
        display = f"GCS {total} ({components})"
    return GcsResult(
        table=ref,
        status=status,
        eye=eye,
        verbal=verbal,
        motor=motor,
        total=total,
        missing=missing,
        no_total_reason=reason,
        components=components,
        display=display,
    )


class _Component(NamedTuple):
    name: str
    letter: str
    value: int | StrEnum | None
    meaning: str

    @property
    def shown(self) -> str:
        return f"{self.letter}{'?' if self.value is None else self.value}"


def _component(
    name: str,
    letter: str,
    value: object,
    numbers: dict[int, str],
    qualifiers: dict[Q, str],
    qualifier_type: type[Q],
) -> _Component:
    """Check one component against the table; a qualifier of another component is refused."""
    if value is None:
        return _Component(name, letter, None, "not recorded")
    if isinstance(value, qualifier_type):
        if value not in qualifiers:
            raise ScoreInputError(name, value, "is not a qualifier in this GCS table")
        return _Component(name, letter, value, qualifiers[value])
    if isinstance(value, bool) or not isinstance(value, int):
        allowed = ", ".join(member.value for member in qualifier_type)
        raise ScoreInputError(name, value, f"is neither a number nor a {name} qualifier ({allowed})")
    if value not in numbers:
        raise ScoreInputError(name, value, f"is outside {min(numbers)}–{max(numbers)}")
    return _Component(name, letter, value, numbers[value])
