"""Triage, destination and pre-alert, transport urgency, refusal and capacity, disposition, handover."""

from __future__ import annotations

from typing import ClassVar, Literal, get_args

from pydantic import AwareDatetime, Field, model_validator

from journal.i18n import DEFAULT_LANGUAGE, label, translator
from journal.kinds.common import PersonRef, ValueModel
from journal.kinds.treatment import ConcreteDelegation
from journal.local_time import clock
from journal.payload import Cardinality, FieldIssue, Payload, register


@register
class Triage(Payload):
    """Mass-casualty triage category (START, triage sieve, SALT) with the tag id."""

    KIND: ClassVar[str] = "triage"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "Triage"

    system: Literal["START", "triage_sieve", "SALT"]
    category: Literal["red", "yellow", "green", "grey", "black"]
    tag_id: str | None = Field(default=None, max_length=50)

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)("triage.summary", category=self.category, system=self.system)


class PreAlert(ValueModel):
    """A pre-alert (forvarsling) to the receiving hospital."""

    alert_type: Literal["stemi", "stroke", "trauma", "cardiac_arrest", "sepsis", "medical", "other"]
    sent_at: AwareDatetime
    receiver: str = Field(min_length=1, max_length=200, description="e.g. 'Cardiology, Aalborg UH'")
    message: str | None = Field(default=None, max_length=1000)


@register
class Destination(Payload):
    """Where the patient goes: hospital and department (with SOR code where known), ETA, pre-alert."""

    KIND: ClassVar[str] = "destination"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "Destination"

    hospital: str = Field(min_length=1, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    sor_code: str | None = Field(default=None, pattern=r"^\d{6,18}$")
    eta: AwareDatetime | None = None
    pre_alert: PreAlert | None = None

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        t = translator(lang)
        dept = f", {self.department}" if self.department else ""
        eta = t("destination.eta", eta=clock(self.eta)) if self.eta else ""
        alert = t("destination.pre_alert", alert_type=self.pre_alert.alert_type) if self.pre_alert else ""
        return f"{self.hospital}{dept}{eta}{alert}"


@register
class TransportUrgency(Payload):
    """Kørselsform to hospital, A (lights and siren) to D (not urgent, supine)."""

    KIND: ClassVar[str] = "transport_urgency"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "Transport urgency"

    level: Literal["A", "B", "C", "D"]
    reason: str | None = Field(default=None, max_length=500)

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)("transport_urgency.summary", level=self.level)


@register
class RefusalCapacity(Payload):
    """The patient refuses (treatment, transport, assessment); the capacity assessment that goes with it."""

    KIND: ClassVar[str] = "refusal_capacity"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Refusal and capacity"

    refuses: tuple[Literal["transport", "treatment", "assessment"], ...] = Field(min_length=1)
    capacity_assessed: bool
    has_capacity: bool | None = None
    capacity_findings: str | None = Field(
        default=None, max_length=2000, description="orientation, understanding"
    )
    informed_of_risks: bool = False
    witness: PersonRef | None = None

    def impossible(self) -> list[FieldIssue]:
        if not self.capacity_assessed and self.has_capacity is not None:
            return [FieldIssue("has_capacity", "capacity given but 'capacity assessed' is not ticked")]
        return []

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        t = translator(lang)
        cap = t(
            {True: "refusal.has_capacity", False: "refusal.lacks_capacity", None: "refusal.not_assessed"}[
                self.has_capacity
            ]
        )
        return t("refusal.summary", refuses=", ".join(self.refuses), capacity=cap)


DispositionOutcome = Literal[
    "transported",
    "treated_and_released",
    "refused_against_advice",
    "dead_on_scene",
    "declared_dead",
    "handed_to_other_unit",
    "cancelled_no_patient",
]
DISPOSITION_LABELS: dict[str, str] = {o: label("en", "disposition", o) for o in get_args(DispositionOutcome)}
"""The outcomes' English labels; text for readers uses ``label(lang, "disposition", outcome)``."""


@register
class Disposition(Payload):
    """How the episode ends for this patient (PPJ "afslutning"; NEMSIS eDisposition, prehospital.md §3.6)."""

    KIND: ClassVar[str] = "disposition"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "Disposition"

    outcome: DispositionOutcome
    physician_order: ConcreteDelegation | None = Field(
        default=None,
        description="treat-and-release by a paramedic: the physician's concrete order (BEK 1264)",
    )
    declared_dead_by: PersonRef | None = None
    consent_share_with_home_care: bool | None = Field(
        default=None, description="the patient consents to a notice to municipal home care"
    )
    advice_given: str | None = Field(default=None, max_length=2000, description="what the patient was told")

    @model_validator(mode="after")
    def _declared_dead_names_who(self) -> Disposition:
        if self.outcome == "declared_dead" and self.declared_dead_by is None:
            raise ValueError("'declared dead' needs the physician who declared it")
        return self

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return label(lang, "disposition", self.outcome)


@register
class Handover(Payload):
    """Handover of the patient to a hospital or another unit; the receiver confirms with their own entry."""

    KIND: ClassVar[str] = "handover"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Handover"

    to: Literal["hospital", "other_unit"]
    receiver: PersonRef
    receiving_unit: str | None = Field(default=None, max_length=100)
    confirmed_receipt: bool = Field(default=False, description="written by the receiver: 'patient received'")
    note: str | None = Field(default=None, max_length=2000)

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        t = translator(lang)
        where = self.receiving_unit or self.receiver.organisation or label(lang, "handover.to", self.to)
        verb = "handover.received_by" if self.confirmed_receipt else "handover.handed_over_to"
        return t(verb, name=self.receiver.name, where=where)
