"""Mission, crew, timeline timestamps and the score-table versions recorded on a journal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Literal, get_args

from pydantic import Field

from journal.i18n import DEFAULT_LANGUAGE, label, translator
from journal.kinds.common import PersonRef
from journal.payload import Cardinality, Payload, register

if TYPE_CHECKING:
    from journal.entry import Entry

DispatchUrgency = Literal["A", "B", "C", "D", "E"]


@register
class MissionAssignment(Payload):
    """The dispatch centre (AMK) assigns this journal's patient to a mission (Dansk Indeks criterion)."""

    KIND: ClassVar[str] = "mission_assignment"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "Mission"

    mission_id: str = Field(min_length=1, max_length=100)
    dispatch_urgency: DispatchUrgency | None = Field(
        default=None, description="Dansk Indeks for Akuthjælp response level A–E"
    )
    dispatch_criterion: str | None = Field(
        default=None,
        max_length=50,
        description="Dansk Indeks criterion/code as given by AMK (format unverified)",
    )
    dispatch_text: str | None = Field(default=None, max_length=2000)
    address: str | None = Field(default=None, max_length=500)
    units: tuple[str, ...] = Field(default=(), description="call signs of the units assigned")

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        level = f" {self.dispatch_urgency}" if self.dispatch_urgency else ""
        head = translator(lang)("mission.summary", mission=self.mission_id, level=level)
        return f"{head}: {self.dispatch_text or ''}".rstrip(": ")


MISSION_LOG_KINDS = frozenset({"mission_assignment", "retraction"})
"""What a dispatch *mission log* holds (``server.dispatch``): assignments and their cancellations."""


def is_mission_log(entries: Iterable[Entry]) -> bool:
    """True when ``entries`` (one log's, non-empty) are a dispatch mission log, not a patient's journal:
    every entry is an assignment or a retraction written by dispatch. A patient journal carries its own
    ``mission_assignment`` too, but written on a tablet (``source="manual"``) beside clinical entries."""
    seen = False
    for entry in entries:
        if entry.kind not in MISSION_LOG_KINDS or entry.source != "dispatch":
            return False
        seen = True
    return seen


@register
class CrewSignOn(Payload):
    """A crew signs on to a unit for this journal (who was there, in which role)."""

    KIND: ClassVar[str] = "crew_sign_on"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Crew"

    unit: str = Field(min_length=1, max_length=50)
    members: tuple[PersonRef, ...] = Field(min_length=1)

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        members = ", ".join(f"{m.name} ({m.role or '?'})" for m in self.members)
        return translator(lang)("crew.summary", unit=self.unit, members=members)


TimestampEvent = Literal[
    "call_received",
    "alarm",
    "departure",
    "on_scene",
    "patient_contact",
    "handover_to_other_unit",
    "leaving_scene",
    "at_hospital",
    "handover_hospital",
    "available",
]
"""The timeline marks (prehospital.md §3.1, NEMSIS eTimes). The entry's ``clinical_time`` is the time."""

TIMESTAMP_LABELS: dict[str, str] = {e: label("en", "timestamp", e) for e in get_args(TimestampEvent)}
"""English labels of the marks (completeness messages); readers get ``label(lang, "timestamp", e)``."""
# Marks that belong to the patient, not to one unit: the first unit at the patient presses "Patientkontakt".
PATIENT_LEVEL_EVENTS = frozenset({"call_received", "patient_contact"})


@register
class Timestamp(Payload):
    """A timeline mark; unit movements are facts per unit, patient-level marks are facts per journal."""

    KIND: ClassVar[str] = "timestamp"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "Time"
    TIME_IS_VALUE: ClassVar[bool] = True

    event: TimestampEvent

    def fact_key(self, *, unit: str | None) -> tuple[str, ...]:
        if self.event in PATIENT_LEVEL_EVENTS:
            return (self.KIND, self.event)
        return (self.KIND, self.event, unit or "")

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return label(lang, "timestamp", self.event)


@register
class ScoreTableVersions(Payload):
    """The score tables (NEWS2, TOKS, GCS, PASS…) in force for this journal, recorded at patient contact.

    A new table version never silently changes a closed journal: scores are derived with these versions.
    """

    KIND: ClassVar[str] = "score_table_versions"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "Score tables"

    versions: dict[str, str] = Field(min_length=1)

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        versions = ", ".join(f"{k} {v}" for k, v in sorted(self.versions.items()))
        return translator(lang)("score_tables.summary", versions=versions)
