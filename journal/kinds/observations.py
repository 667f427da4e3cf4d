"""Observations: vital signs, consciousness (ACVPU, GCS items), SpO2 scale decision, ABCDE, PASS, ECG files.

Raw items only: the GCS sum, NEWS2, TOKS and PASS scores are derived by ``journal.scores``, never stored.
Units are UCUM codes, fixed per field (a device feed converts before it writes).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar, Literal, NamedTuple

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from journal.i18n import DEFAULT_LANGUAGE, label, translator
from journal.kinds.common import Reading, ValueModel, negative, outside
from journal.payload import Cardinality, FieldIssue, Payload, register

VITAL_UNITS: dict[str, str] = {
    "heart_rate": "/min",
    "bp_systolic": "mm[Hg]",
    "bp_diastolic": "mm[Hg]",
    "respiratory_rate": "/min",
    "spo2": "%",
    "oxygen_flow": "L/min",
    "temperature": "Cel",
    "glucose": "mmol/L",
    "etco2": "kPa",
}
VITAL_LABELS: dict[str, str] = {
    "heart_rate": "Heart rate (puls)",
    "bp_systolic": "Systolic BP",
    "bp_diastolic": "Diastolic BP",
    "respiratory_rate": "Respiratory rate (RF)",
    "spo2": "SpO2",
    "oxygen_flow": "Oxygen flow",
    "temperature": "Temperature",
    "glucose": "Blood glucose (BS)",
    "etco2": "EtCO2",
}


class ExactReadings(NamedTuple):
    """What a vital set gives an early-warning score: each exact value (None when absent, not measurable, or
    only a HI/LO range limit), air or oxygen, and the fields the instrument gave only as a range limit."""

    respiratory_rate: float | None
    spo2: float | None
    bp_systolic: float | None
    heart_rate: float | None
    temperature: float | None
    on_oxygen: bool | None
    range_limited: tuple[tuple[str, str], ...]
    """(field, shown value) of each HI/LO reading, e.g. ``("heart_rate", ">300 /min")``."""


EXACT_READING_FIELDS = ("respiratory_rate", "spo2", "bp_systolic", "heart_rate", "temperature")


@register
class VitalSigns(Payload):
    """One set of vital signs taken at the entry's clinical time; any value may be missing."""

    KIND: ClassVar[str] = "vital_signs"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Vital signs"

    heart_rate: Reading | None = None
    bp_systolic: Reading | None = None
    bp_diastolic: Reading | None = None
    respiratory_rate: Reading | None = None
    spo2: Reading | None = None
    on_oxygen: bool | None = Field(
        default=None, description="SpO2 taken on supplemental oxygen (False: on air)"
    )
    oxygen_flow: Reading | None = None
    temperature: Reading | None = None
    glucose: Reading | None = None
    etco2: Reading | None = None
    pain_nrs: int | None = Field(default=None, description="pain, numeric rating scale 0–10")

    @field_validator(*VITAL_UNITS, mode="after")
    @classmethod
    def _unit_is_the_fields_unit(cls, reading: Reading | None, info: ValidationInfo) -> Reading | None:
        if reading is not None and info.field_name is not None:
            expected = VITAL_UNITS[info.field_name]
            if reading.unit != expected:
                raise ValueError(f"unit must be {expected!r} (UCUM), not {reading.unit!r}")
        return reading

    @model_validator(mode="after")
    def _something_recorded(self) -> VitalSigns:
        if all(getattr(self, f) is None for f in (*VITAL_UNITS, "pain_nrs", "on_oxygen")):
            raise ValueError("a vital-signs set needs at least one value")
        return self

    def impossible(self) -> list[FieldIssue]:
        issues: list[FieldIssue] = []
        for name in VITAL_UNITS:
            if name != "temperature":  # °C below zero is cold, not meaningless
                issues += negative(name, getattr(self, name), VITAL_LABELS[name])
        if self.spo2 is not None and self.spo2.value is not None and self.spo2.value > 100:
            issues.append(FieldIssue("spo2", f"SpO2 cannot be above 100 % ({self.spo2.value:g} %)"))
        sys_ = self.bp_systolic.measured if self.bp_systolic else None
        dia = self.bp_diastolic.measured if self.bp_diastolic else None
        if sys_ is not None and dia is not None and dia > sys_:
            issues.append(
                FieldIssue(
                    "bp_diastolic", f"diastolic ({dia:g}) cannot be above systolic ({sys_:g}) — swapped?"
                )
            )
        if self.pain_nrs is not None and not 0 <= self.pain_nrs <= 10:
            issues.append(FieldIssue("pain_nrs", f"pain score must be 0–10, not {self.pain_nrs}"))
        if self.oxygen_flow is not None and self.on_oxygen is False:
            issues.append(FieldIssue("oxygen_flow", "oxygen flow given but the patient is marked as on air"))
        return issues

    def implausible(self) -> list[FieldIssue]:
        w: list[FieldIssue] = []
        hr = self.heart_rate.measured if self.heart_rate else None
        if hr == 0:
            w.append(FieldIssue("heart_rate", "heart rate 0/min: only in cardiac arrest — check"))
        w += outside(
            "heart_rate",
            self.heart_rate,
            low=None,
            high=250,
            message="heart rate {value}/min is very high — check",
        )
        if hr is not None and 0 < hr < 20:
            w.append(FieldIssue("heart_rate", f"heart rate {hr:g}/min is very low — check"))
        w += outside(
            "bp_systolic",
            self.bp_systolic,
            low=50,
            high=280,
            message="systolic BP {value} {unit} is extreme — check",
        )
        w += outside(
            "bp_diastolic",
            self.bp_diastolic,
            low=None,
            high=150,
            message="diastolic BP {value} {unit} is extreme — check",
        )
        w += outside(
            "respiratory_rate",
            self.respiratory_rate,
            low=None,
            high=60,
            message="respiratory rate {value}/min is very high — check",
        )
        if self.respiratory_rate is not None and self.respiratory_rate.measured == 0:
            w.append(FieldIssue("respiratory_rate", "respiratory rate 0/min: apnoea — check"))
        w += outside(
            "spo2", self.spo2, low=50, high=None, message="SpO2 {value} % is very low — check the probe"
        )
        w += outside(
            "temperature",
            self.temperature,
            low=30,
            high=42,
            message="temperature {value} °C is extreme — check",
        )
        w += outside(
            "glucose",
            self.glucose,
            low=1.0,
            high=33.3,
            message="blood glucose {value} mmol/L is extreme — check",
        )
        w += outside("etco2", self.etco2, low=None, high=13, message="EtCO2 {value} kPa is very high — check")
        w += outside(
            "oxygen_flow",
            self.oxygen_flow,
            low=None,
            high=15,
            message="oxygen flow {value} L/min is above 15 — check",
        )
        if self.spo2 is not None and self.on_oxygen is None:
            w.append(FieldIssue("on_oxygen", "SpO2 recorded without saying whether on air or oxygen"))
        return w

    @cached_property
    def exact(self) -> ExactReadings:
        """The exact readings (computed once per payload: the derived scores read them on every fold)."""
        values: list[float | None] = []
        limited: list[tuple[str, str]] = []
        for name in EXACT_READING_FIELDS:
            reading: Reading | None = getattr(self, name)
            values.append(reading.measured if reading is not None else None)
            if reading is not None and reading.status in ("above_range", "below_range"):
                limited.append((name, reading.text()))
        r, s, b, h, t = values
        return ExactReadings(r, s, b, h, t, self.on_oxygen, tuple(limited))

    def complete_core_set(self) -> bool:
        """BP, pulse, SpO2 and respiratory rate all measured (the treat-and-release "set of vitals")."""
        return all(
            r is not None and r.measured is not None
            for r in (self.bp_systolic, self.heart_rate, self.spo2, self.respiratory_rate)
        )

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        t = translator(lang)
        parts: list[str] = []
        if self.heart_rate:
            parts.append(t("vitals.heart_rate", value=self.heart_rate.text(lang)))
        if self.bp_systolic or self.bp_diastolic:
            s = self.bp_systolic.text(lang).split(" ")[0] if self.bp_systolic else "?"
            d = self.bp_diastolic.text(lang).split(" ")[0] if self.bp_diastolic else "?"
            parts.append(t("vitals.bp", systolic=s, diastolic=d))
        if self.respiratory_rate:
            parts.append(t("vitals.respiratory_rate", value=self.respiratory_rate.text(lang)))
        if self.spo2:
            air = {True: t("vitals.on_oxygen"), False: t("vitals.on_air"), None: ""}[self.on_oxygen]
            flow = f" {self.oxygen_flow.text(lang)}" if self.oxygen_flow else ""
            parts.append(t("vitals.spo2", value=self.spo2.text(lang), air=air, flow=flow))
        if self.temperature:
            parts.append(t("vitals.temperature", value=self.temperature.text(lang)))
        if self.glucose:
            parts.append(t("vitals.glucose", value=self.glucose.text(lang)))
        if self.etco2:
            parts.append(t("vitals.etco2", value=self.etco2.text(lang)))
        if self.pain_nrs is not None:
            parts.append(t("vitals.pain_nrs", value=self.pain_nrs))
        return ", ".join(parts)


Acvpu = Literal["A", "C", "V", "P", "U"]


class GcsItems(ValueModel):
    """Raw GCS items (Teasdale 1974). An item that cannot be tested is None with its qualifier.

    Qualifiers: eye ``C`` = eyes closed by swelling; verbal ``T`` = intubated/tracheostomy, ``A`` = aphasia.
    ``sedated`` and ``paralysed`` qualify the whole assessment (NEMSIS eVitals.22).
    """

    eye: int | None = None
    verbal: int | None = None
    motor: int | None = None
    eye_qualifier: Literal["C"] | None = None
    verbal_qualifier: Literal["T", "A"] | None = None
    sedated: bool = False
    paralysed: bool = False

    def issues(self, prefix: str) -> list[FieldIssue]:
        out: list[FieldIssue] = []
        for name, top in (("eye", 4), ("verbal", 5), ("motor", 6)):
            v = getattr(self, name)
            if v is not None and not 1 <= v <= top:
                out.append(FieldIssue(f"{prefix}.{name}", f"GCS {name} must be 1–{top}, not {v}"))
        if self.eye is not None and self.eye_qualifier is not None:
            out.append(FieldIssue(f"{prefix}.eye", "eye score given although marked 'C' (not testable)"))
        if self.verbal is not None and self.verbal_qualifier is not None:
            out.append(
                FieldIssue(
                    f"{prefix}.verbal", f"verbal score given although marked '{self.verbal_qualifier}'"
                )
            )
        return out

    def text(self) -> str:
        e = self.eye if self.eye is not None else (self.eye_qualifier or "?")
        v = self.verbal if self.verbal is not None else (self.verbal_qualifier or "?")
        m = self.motor if self.motor is not None else "?"
        return f"E{e}V{v}M{m}"


@register
class Consciousness(Payload):
    """Level of consciousness: ACVPU (with new confusion) and/or the raw GCS items."""

    KIND: ClassVar[str] = "consciousness"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Consciousness"

    acvpu: Acvpu | None = None
    gcs: GcsItems | None = None
    pupils: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _something_recorded(self) -> Consciousness:
        if self.acvpu is None and self.gcs is None:
            raise ValueError("record ACVPU or GCS items")
        return self

    def impossible(self) -> list[FieldIssue]:
        return self.gcs.issues("gcs") if self.gcs else []

    def implausible(self) -> list[FieldIssue]:
        if self.acvpu == "A" and self.gcs and self.gcs.eye is not None and self.gcs.eye < 4:
            return [FieldIssue("acvpu", "alert (A) but eyes not open spontaneously — check")]
        return []

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        parts = []
        if self.acvpu:
            parts.append(label(lang, "acvpu", self.acvpu))
        if self.gcs:
            parts.append(translator(lang)("consciousness.gcs_items", items=self.gcs.text()))
        return ", ".join(parts)


@register
class Spo2ScaleDecision(Payload):
    """An authored decision to use NEWS2 SpO2 scale 2 (target 88–92 %, e.g. hypercapnic COPD) or scale 1."""

    KIND: ClassVar[str] = "spo2_scale_decision"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "single"
    TITLE: ClassVar[str] = "SpO2 scale"
    CLINICIAN_DECISION: ClassVar[bool] = True

    scale: Literal[1, 2]
    target_low: int | None = None
    target_high: int | None = None
    reason: str = Field(min_length=1, max_length=500)

    def impossible(self) -> list[FieldIssue]:
        issues: list[FieldIssue] = []
        for name in ("target_low", "target_high"):
            v = getattr(self, name)
            if v is not None and not 0 <= v <= 100:
                issues.append(FieldIssue(name, f"SpO2 target must be 0–100 %, not {v}"))
        if (
            self.target_low is not None
            and self.target_high is not None
            and self.target_low > self.target_high
        ):
            issues.append(FieldIssue("target_low", "target range: low is above high"))
        return issues

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        t = translator(lang)
        target = (
            t("spo2_scale.target", low=self.target_low, high=self.target_high)
            if self.target_low is not None
            else ""
        )
        return t("spo2_scale.summary", scale=self.scale, target=target, reason=self.reason)


@register
class Assessment(Payload):
    """A primary survey (<C>ABCDE); free text per letter, an empty letter is not assessed."""

    KIND: ClassVar[str] = "assessment"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "ABCDE"

    catastrophic_haemorrhage: str | None = Field(default=None, max_length=1000)
    airway: str | None = Field(default=None, max_length=1000)
    breathing: str | None = Field(default=None, max_length=1000)
    circulation: str | None = Field(default=None, max_length=1000)
    disability: str | None = Field(default=None, max_length=1000)
    exposure: str | None = Field(default=None, max_length=1000)
    impression: str | None = Field(default=None, max_length=1000, description="working diagnosis")

    @model_validator(mode="after")
    def _something_recorded(self) -> Assessment:
        if not any(self.model_dump().values()):
            raise ValueError("an assessment needs at least one finding")
        return self

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        letters = [
            ("<C>", self.catastrophic_haemorrhage),
            ("A", self.airway),
            ("B", self.breathing),
            ("C", self.circulation),
            ("D", self.disability),
            ("E", self.exposure),
        ]
        text = " ".join(f"{k}: {v}." for k, v in letters if v)
        if not self.impression:
            return text
        return f"{text} {translator(lang)('abcde.impression', impression=self.impression)}".strip()


@register
class StrokeScale(Payload):
    """PASS items (Prehospital Acute Stroke Severity; 3 NIHSS items scored 0/1), raw; the score is derived."""

    KIND: ClassVar[str] = "stroke_scale"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "PASS"

    scale: Literal["PASS"] = "PASS"
    loc_questions_abnormal: bool = Field(description="does not answer both month and age correctly")
    gaze_palsy: bool = Field(description="gaze palsy or deviation")
    arm_weakness: bool = Field(description="arm weakness (drift or worse)")

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        t = translator(lang)
        found = [
            t(msg_id)
            for msg_id, v in (
                ("pass.loc_questions", self.loc_questions_abnormal),
                ("pass.gaze", self.gaze_palsy),
                ("pass.arm_weakness", self.arm_weakness),
            )
            if v
        ]
        return t("pass.summary", found=", ".join(found) or t("pass.none"))


AttachmentKind = Literal["ecg_12_lead", "ecg_rhythm_strip", "monitor_case", "photo", "document"]


@register
class Attachment(Payload):
    """A file kept outside the entry (12-lead ECG PDF, monitor case, photo): a reference and a media type."""

    KIND: ClassVar[str] = "attachment"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Attachment"

    attachment_kind: AttachmentKind
    media_type: str = Field(pattern=r"^[a-z]+/[a-z0-9.+-]+$", description="e.g. application/pdf")
    reference: str = Field(
        min_length=1, max_length=500, description="where the bytes are: 'sha256:<hex>' or a URI"
    )
    size_bytes: int | None = Field(default=None, ge=0)
    interpretation: str | None = Field(default=None, max_length=2000)
    interpretation_by: Literal["crew", "device_algorithm", "physician_remote"] | None = None
    transmitted_at: AwareDatetime | None = None

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        text = f"{label(lang, 'attachment', self.attachment_kind)} ({self.media_type})"
        return f"{text}: {self.interpretation}" if self.interpretation else text


def reading(value: float | None, field: str, status: str = "measured") -> dict[str, Any]:
    """A reading dict for ``field`` with its fixed unit — a convenience for building payloads from data."""
    return {"value": value, "unit": VITAL_UNITS[field], "status": status}
