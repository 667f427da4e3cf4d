"""Treatment: medication and procedures with their legal basis, cardiac-arrest events, consultations.

Legal basis (prehospital.md §3.4): much ambulance treatment is *lægeforbeholdt* and done on a physician's
delegation — a standing protocol (rammedelegation, protocol id + version) or a concrete order for this patient
(konkret delegation: who, when, through which channel; possibly re-delegated to an assistant). A physician
acts on their own authorisation. Drugs given before arrival, or the patient's own, need no delegation but
must say so.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from journal.i18n import DEFAULT_LANGUAGE, label, translator
from journal.kinds.common import AUTORISATIONS_ID_PATTERN, PersonRef, Quantity, ValueModel
from journal.local_time import clock
from journal.payload import Cardinality, FieldIssue, Payload, register

DelegationChannel = Literal["phone", "radio", "video", "in_person", "written"]


class StandingProtocol(ValueModel):
    """Rammedelegation: a regional standing protocol, by id and version."""

    basis: Literal["standing_protocol"] = "standing_protocol"
    protocol_id: str = Field(min_length=1, max_length=100)
    protocol_version: str = Field(min_length=1, max_length=50)

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)(
            "basis.standing_protocol", protocol=self.protocol_id, version=self.protocol_version
        )


class Redelegation(ValueModel):
    """The delegate passed the task on (e.g. behandler → assistent), as the delegation allows."""

    to: PersonRef
    at: AwareDatetime | None = None


class ConcreteDelegation(ValueModel):
    """Konkret delegation: a physician's order for this patient — who, when, and through which channel."""

    basis: Literal["concrete_delegation"] = "concrete_delegation"
    physician: PersonRef
    ordered_at: AwareDatetime
    channel: DelegationChannel
    redelegation: Redelegation | None = None

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        t = translator(lang)
        text = t(
            "basis.concrete_delegation",
            physician=self.physician.name,
            channel=label(lang, "channel", self.channel),
            at=clock(self.ordered_at),
        )
        return t("basis.redelegated", text=text, to=self.redelegation.to.name) if self.redelegation else text


class PhysicianOwnAuthorisation(ValueModel):
    """The physician treats on their own authorisation."""

    basis: Literal["physician_own_authorisation"] = "physician_own_authorisation"
    autorisations_id: str = Field(pattern=AUTORISATIONS_ID_PATTERN)

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)("basis.physician_own_authorisation", autorisations_id=self.autorisations_id)


class GivenBeforeArrival(ValueModel):
    """Given before this unit arrived: by a bystander, the patient, home care or another service."""

    basis: Literal["given_before_arrival"] = "given_before_arrival"
    given_by: Literal["bystander", "patient", "home_care", "other_service", "unknown"]
    description: str | None = Field(default=None, max_length=500)

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)("basis.given_before_arrival", by=label(lang, "given_by", self.given_by))


class PatientOwnMedication(ValueModel):
    """The patient's own medication, taken or helped to take."""

    basis: Literal["patient_own_medication"] = "patient_own_medication"
    note: str | None = Field(default=None, max_length=500)

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)("basis.patient_own_medication")


LegalBasis = Annotated[
    StandingProtocol
    | ConcreteDelegation
    | PhysicianOwnAuthorisation
    | GivenBeforeArrival
    | PatientOwnMedication,
    Field(discriminator="basis"),
]

Route = Literal[
    "iv",
    "io",
    "im",
    "sc",
    "po",
    "sl",
    "buccal",
    "intranasal",
    "inhalation",
    "rectal",
    "endotracheal",
    "topical",
]
_ATC_RE = re.compile(r"^[A-Z]\d{2}[A-Z]{2}\d{2}$")


@register
class Medication(Payload):
    """A drug given (or taken before arrival): ATC code, name, dose with UCUM unit, route, legal basis."""

    KIND: ClassVar[str] = "medication"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Medication"

    atc: str = Field(description="ATC code at substance level, e.g. B01AC06")
    name: str = Field(min_length=1, max_length=200)
    dose: Quantity
    route: Route
    legal_basis: LegalBasis
    administered_by: PersonRef | None = Field(default=None, description="when not the entry's author")
    response: str | None = Field(default=None, max_length=1000, description="effect, e.g. 'pain NRS 8 → 4'")

    @field_validator("atc")
    @classmethod
    def _atc_format(cls, v: str) -> str:
        v = v.upper()
        if not _ATC_RE.match(v):
            raise ValueError(f"ATC code must look like B01AC06 (7 characters), not {v!r}")
        return v

    def impossible(self) -> list[FieldIssue]:
        if self.dose.value <= 0:
            return [FieldIssue("dose.value", f"a dose must be more than 0 ({self.dose.text()})")]
        return []

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        t = translator(lang)
        effect = t("medication.effect", response=self.response) if self.response else ""
        return f"{self.name} {self.dose.text()} {self.route} ({self.legal_basis.text(lang)}){effect}"


@register
class Procedure(Payload):
    """A procedure (iv access, airway, splint, CPAP, …) with attempts, success and legal basis."""

    KIND: ClassVar[str] = "procedure"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Procedure"

    name: str = Field(min_length=1, max_length=200)
    snomed_code: str | None = Field(default=None, pattern=r"^\d{6,18}$")
    attempts: int | None = None
    successful: bool | None = None
    legal_basis: LegalBasis | None = Field(default=None, description="for lægeforbeholdt procedures")
    details: str | None = Field(default=None, max_length=1000)

    def impossible(self) -> list[FieldIssue]:
        if self.attempts is not None and self.attempts < 1:
            return [FieldIssue("attempts", f"attempts must be at least 1, not {self.attempts}")]
        return []

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        t = translator(lang)
        outcome = {True: t("procedure.successful"), False: t("procedure.failed"), None: ""}[self.successful]
        return f"{self.name}{outcome}"


ArrestEvent = Literal[
    "collapse",
    "bystander_cpr",
    "bystander_aed",
    "cpr_started",
    "rhythm_check",
    "shock",
    "adrenaline",
    "amiodarone",
    "airway_secured",
    "rosc",
    "rearrest",
    "resuscitation_stopped",
]
Rhythm = Literal["vf", "pvt", "pea", "asystole", "organised", "aed_shockable", "aed_non_shockable", "unknown"]
SHOCKABLE = frozenset({"vf", "pvt", "aed_shockable"})


@register
class CardiacArrestEvent(Payload):
    """One event of a resuscitation (Utstein / Dansk Hjertestopregister): what, and its details."""

    KIND: ClassVar[str] = "cardiac_arrest_event"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Cardiac arrest"

    event: ArrestEvent
    rhythm: Rhythm | None = None
    energy_joules: float | None = None
    dose: Quantity | None = None
    witnessed_by: Literal["bystander", "ems", "none"] | None = Field(
        default=None, description="collapse only"
    )
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _details_fit_the_event(self) -> CardiacArrestEvent:
        if self.event == "shock" and self.energy_joules is None:
            raise ValueError("a shock needs its energy in joules")
        if self.event == "rhythm_check" and self.rhythm is None:
            raise ValueError("a rhythm check needs the rhythm found")
        if self.event == "collapse" and self.witnessed_by is None:
            raise ValueError("a collapse needs who witnessed it (bystander, ems or none)")
        return self

    def impossible(self) -> list[FieldIssue]:
        if self.energy_joules is not None and self.energy_joules <= 0:
            return [
                FieldIssue("energy_joules", f"shock energy must be above 0 J, not {self.energy_joules:g}")
            ]
        if self.dose is not None and self.dose.value <= 0:
            return [FieldIssue("dose.value", "a dose must be more than 0")]
        return []

    def implausible(self) -> list[FieldIssue]:
        if self.energy_joules is not None and self.energy_joules > 400:
            return [
                FieldIssue("energy_joules", f"{self.energy_joules:g} J is above any defibrillator's range")
            ]
        return []

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        text = label(lang, "arrest_event", self.event)
        if self.rhythm:
            text += f" ({self.rhythm.upper() if len(self.rhythm) <= 4 else self.rhythm.replace('_', ' ')})"
        if self.energy_joules is not None:
            text += f" {self.energy_joules:g} J"
        if self.dose is not None:
            text += f" {self.dose.text()}"
        if self.witnessed_by:
            text += translator(lang)("arrest.witnessed_by", witness=self.witnessed_by)
        return text


@register
class Consultation(Payload):
    """A call with a physician or specialist: name, role, channel, advice (the board wants the names)."""

    KIND: ClassVar[str] = "consultation"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Consultation"

    with_whom: PersonRef
    channel: DelegationChannel
    reason: str = Field(min_length=1, max_length=1000)
    advice: str | None = Field(default=None, max_length=2000)

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        role = f", {self.with_whom.role}" if self.with_whom.role else ""
        advice = f": {self.advice}" if self.advice else ""
        return translator(lang)(
            "consultation.summary",
            name=self.with_whom.name,
            role=role,
            channel=label(lang, "channel", self.channel),
            advice=advice,
        )
