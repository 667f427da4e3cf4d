"""Who the patient is, why we came, their history and (for trauma) mechanism and injuries."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, field_validator, model_validator

from journal.cpr import check_replacement_cpr, parse_cpr
from journal.i18n import DEFAULT_LANGUAGE, label, translator
from journal.kinds.common import ValueModel
from journal.payload import Cardinality, FieldIssue, Payload, register


class CprIdentifier(ValueModel):
    """A CPR number (``DDMMYY-SSSS`` or without the dash), stored as 10 digits."""

    type: Literal["cpr"] = "cpr"
    value: str

    @field_validator("value")
    @classmethod
    def _valid_cpr(cls, v: str) -> str:
        return parse_cpr(v).digits

    @property
    def birth_date(self) -> date:
        return parse_cpr(self.value).birth_date

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        del lang  # a CPR reads the same in every language
        return parse_cpr(self.value).formatted


class ReplacementCprIdentifier(ValueModel):
    """A replacement CPR exactly as its issuer gave it (e.g. X-eCPR ``urn:oid:1.2.208.176.1.6.1.1``)."""

    type: Literal["replacement_cpr"] = "replacement_cpr"
    system: str
    value: str

    @model_validator(mode="after")
    def _issuer_format(self) -> ReplacementCprIdentifier:
        check_replacement_cpr(system=self.system, value=self.value)
        return self

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)("identifier.replacement_cpr", value=self.value)


class LocalIdentifier(ValueModel):
    """PPJ's own id for a patient not (yet) identified: ``U-<journal uuid>`` in ``PPJ_LOCAL_SYSTEM``."""

    type: Literal["ppj_local"] = "ppj_local"
    system: Literal["urn:ppj:identifier:unknown-patient"] = "urn:ppj:identifier:unknown-patient"
    value: str = Field(pattern=r"^U-[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

    @classmethod
    def for_journal(cls, journal_id: UUID) -> LocalIdentifier:
        return cls(value=f"U-{journal_id}")

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)("identifier.unknown_patient", value=self.value)


PatientIdentifier = Annotated[
    CprIdentifier | ReplacementCprIdentifier | LocalIdentifier, Field(discriminator="type")
]
Sex = Literal["female", "male", "other", "unknown"]


@register
class PatientIdentity(Payload):
    """Who the patient is: a CPR, an issuer's replacement CPR, or PPJ's unknown-patient id."""

    KIND: ClassVar[str] = "patient_identity"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "Patient"

    identifier: PatientIdentifier
    family_name: str | None = Field(default=None, max_length=200)
    given_names: str | None = Field(default=None, max_length=200)
    sex: Sex | None = None
    estimated_age_years: int | None = Field(default=None, description="for an unknown patient")
    identity_uncertain: bool = Field(default=False, description="ISBAR: say so at handover")
    how_identified: str | None = Field(default=None, max_length=500, description="e.g. health card, relative")
    municipality_code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{4}$",
        description="the patient's municipality of residence: DK Core municipality code (e.g. 0461 Odense), "
        "as on the health card's address or the CPR register; addresses the notice to home care",
    )

    def impossible(self) -> list[FieldIssue]:
        if self.estimated_age_years is not None and not 0 <= self.estimated_age_years <= 130:
            return [FieldIssue("estimated_age_years", "age must be between 0 and 130 years")]
        return []

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.given_names, self.family_name) if p) or "name unknown"

    def age_on(self, day: date) -> int | None:
        if isinstance(self.identifier, CprIdentifier):
            born = self.identifier.birth_date
            return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        return self.estimated_age_years

    def display_name(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return " ".join(p for p in (self.given_names, self.family_name) if p) or translator(lang)(
            "patient.name_unknown"
        )

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return f"{self.display_name(lang)}, {self.identifier.text(lang)}"


@register
class SamePatientLink(Payload):
    """Two journals opened for the same patient (often by two units offline) are one; the fold joins them."""

    KIND: ClassVar[str] = "same_patient_link"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Same patient"

    other_journal_id: UUID
    reason: str = Field(min_length=1, max_length=500)

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)("same_patient.summary", journal=self.other_journal_id, reason=self.reason)


ComplaintCategory = Literal[
    "chest_pain",
    "stroke_symptoms",
    "trauma",
    "cardiac_arrest",
    "breathing_difficulty",
    "hypoglycaemia",
    "diabetes_other",
    "altered_consciousness",
    "seizure",
    "abdominal_pain",
    "intoxication",
    "psychiatric",
    "other",
]


@register
class ChiefComplaint(Payload):
    """The reason for the call as the crew assesses it (ISBAR S)."""

    KIND: ClassVar[str] = "chief_complaint"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "Chief complaint"

    text: str = Field(min_length=1, max_length=1000)
    category: ComplaintCategory = "other"
    onset: AwareDatetime | None = None
    last_known_well: AwareDatetime | None = Field(default=None, description="stroke: time last seen well")

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        del lang  # the crew's own words
        return self.text


class Allergy(ValueModel):
    substance: str = Field(min_length=1, max_length=200)
    reaction: str | None = Field(default=None, max_length=200)


@register
class History(Payload):
    """Allergies, the patient's own medication and relevant conditions, as one current list."""

    KIND: ClassVar[str] = "history"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "History"

    no_known_allergies: bool = False
    allergies: tuple[Allergy, ...] = ()
    own_medication: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    lives_alone: bool | None = None
    information_source: str | None = Field(default=None, max_length=200)

    def impossible(self) -> list[FieldIssue]:
        if self.no_known_allergies and self.allergies:
            return [FieldIssue("allergies", "'no known allergies' is ticked but allergies are listed")]
        return []

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        t = translator(lang)
        allergies = (
            t("history.no_known_allergies")
            if self.no_known_allergies
            else (", ".join(a.substance for a in self.allergies) or t("history.allergies_not_recorded"))
        )
        parts = [t("history.allergies", allergies=allergies)]
        if self.own_medication:
            parts.append(t("history.medication", medication=", ".join(self.own_medication)))
        if self.conditions:
            parts.append(t("history.conditions", conditions=", ".join(self.conditions)))
        return ". ".join(parts)


BodyRegion = Literal[
    "head",
    "face",
    "neck",
    "chest",
    "abdomen",
    "pelvis",
    "back",
    "upper_limb",
    "lower_limb",
    "skin",
    "multiple",
]


class Injury(ValueModel):
    region: BodyRegion
    description: str = Field(min_length=1, max_length=500)
    side: Literal["left", "right", "both", "midline"] | None = None


@register
class MechanismInjuries(Payload):
    """Trauma: mechanism and injuries (the M and I of MIST/ATMIST)."""

    KIND: ClassVar[str] = "mechanism_injuries"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "Mechanism and injuries"

    mechanism: str = Field(min_length=1, max_length=1000)
    time_of_incident: AwareDatetime | None = None
    injuries: tuple[Injury, ...] = ()
    high_risk_criteria: tuple[str, ...] = Field(default=(), description="field-triage criteria met, as text")

    def injuries_text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return "; ".join(
            f"{label(lang, 'region', i.region)}: {i.description}" for i in self.injuries
        ) or translator(lang)("mechanism.no_injuries")

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)(
            "mechanism.summary", mechanism=self.mechanism, injuries=self.injuries_text(lang)
        )
