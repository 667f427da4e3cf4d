"""Journal observations as FHIR Observations: vital signs, consciousness, and the derived GCS and NEWS2.

Codes (data, with sources):

* LOINC codes of the FHIR R4 vital-signs profiles (hl7.org/fhir/R4/observation-vitalsigns.html) for heart
  rate, blood pressure, respiratory rate, SpO2, body temperature; GCS total and items 9269-2 / 9267-6 /
  9270-0 / 9268-4 (LOINC panel 35088-4), glucose in blood (moles/volume) 15074-8, end-tidal CO2 19889-5,
  inhaled oxygen flow rate 3151-8, pain 0–10 numeric rating 72514-3.
* IEEE 11073-10101 MDC codes (system ``urn:iso:std:iso:11073:10101``) only where the journal's reading
  does not depend on which device measured it, from reference/notes/prehospital.md [S29a]: NIBP systolic
  150021 and diastolic 150022, SpO2 150456, respiration rate unspecified 151562, body temperature 150364.
  Heart rate has no MDC code here (ECG 147842, oximeter 149530 and NIBP 149546 are different metrics and
  the journal does not say which one a typed value came from); EtCO2 151708 is unverified [S29e].
* Units are UCUM (the journal's fixed units). HI/LO readings are a Quantity with comparator ``>``/``<``;
  "not measurable" is a dataAbsentReason.
* NEWS2 has no LOINC code we could verify: it is coded in PPJ's score CodeSystem with the table version.

Scores are derived, never stored: ``derived_scores`` restates the journal's own derivation
(``journal.derived``), so the message and the tablet show the same scores by the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from journal.kinds.common import Reading
from journal.kinds.observations import VITAL_LABELS, VitalSigns
from journal.scores import (
    GcsResult,
    News2Result,
)
from journal.state import JournalState
from medcom.message_parts import fhir_time, narrative

LOINC = "http://loinc.org"
MDC = "urn:iso:std:iso:11073:10101"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
PPJ_SCORES = "http://ppj.dk/fhir/CodeSystem/ppj-scores"


@dataclass(frozen=True, slots=True)
class VitalCode:
    loinc: str
    display: str
    mdc: tuple[str, str] | None = None


VITAL_CODES: dict[str, VitalCode] = {
    "heart_rate": VitalCode("8867-4", "Heart rate"),
    "bp_systolic": VitalCode("8480-6", "Systolic blood pressure", ("150021", "MDC_PRESS_BLD_NONINV_SYS")),
    "bp_diastolic": VitalCode("8462-4", "Diastolic blood pressure", ("150022", "MDC_PRESS_BLD_NONINV_DIA")),
    "respiratory_rate": VitalCode("9279-1", "Respiratory rate", ("151562", "MDC_RESP_RATE")),
    "spo2": VitalCode("59408-5", "Oxygen saturation by pulse oximetry", ("150456", "MDC_PULS_OXIM_SAT_O2")),
    "oxygen_flow": VitalCode("3151-8", "Inhaled oxygen flow rate"),
    "temperature": VitalCode("8310-5", "Body temperature", ("150364", "MDC_TEMP_BODY")),
    "glucose": VitalCode("15074-8", "Glucose [Moles/volume] in Blood"),
    "etco2": VitalCode("19889-5", "Carbon dioxide [Partial pressure] in Exhaled gas --at end expiration"),
}
GCS_CODES = {"total": "9269-2", "eye": "9267-6", "verbal": "9270-0", "motor": "9268-4"}


@dataclass(frozen=True, slots=True)
class DerivedScores:
    """The scores derived for one time point, with the table versions they used."""

    at: datetime
    gcs: GcsResult | None
    news2: News2Result | None


def derived_scores(state: JournalState) -> list[DerivedScores]:
    """GCS per consciousness entry with GCS items and NEWS2 per vital set, exactly as the journal derives
    them (``journal.derived``: the recorded table versions, the SpO2 scale in force at each set's time, the
    ACVPU window). The message restates the journal's derivation; it never re-derives with rules of its own.
    A score whose recorded table version this build does not ship is left out."""
    derived = state.derived
    out = [DerivedScores(g.time, g.result, None) for g in derived.gcs_trend if g.result is not None]
    out.extend(DerivedScores(v.time, None, v.news2) for v in derived.vital_sets if v.news2 is not None)
    return out


def _base(
    code: dict[str, Any], subject: dict[str, str], encounter: dict[str, str], at: datetime
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
        "code": code,
        "subject": subject,
        "encounter": encounter,
        "effectiveDateTime": fhir_time(at),
    }


def _value(reading: Reading) -> dict[str, Any]:
    if reading.status == "not_measurable" or reading.value is None:
        return {
            "dataAbsentReason": {
                "coding": [{"system": DATA_ABSENT, "code": "unknown"}],
                "text": reading.text(),
            }
        }
    quantity: dict[str, Any] = {
        "value": reading.value,
        "unit": reading.unit,
        "system": UCUM,
        "code": reading.unit,
    }
    if reading.status == "above_range":
        quantity["comparator"] = ">"
    elif reading.status == "below_range":
        quantity["comparator"] = "<"
    return {"valueQuantity": quantity}


def vital_observations(
    vitals: VitalSigns, at: datetime, subject: dict[str, str], encounter: dict[str, str]
) -> list[dict[str, Any]]:
    """One Observation per value of a vital-signs set."""
    out: list[dict[str, Any]] = []
    for name, code in VITAL_CODES.items():
        reading = getattr(vitals, name)
        if not isinstance(reading, Reading):
            continue
        codings = [{"system": LOINC, "code": code.loinc, "display": code.display}]
        if code.mdc is not None:
            codings.append({"system": MDC, "code": code.mdc[0], "display": code.mdc[1]})
        observation = _base({"coding": codings, "text": VITAL_LABELS[name]}, subject, encounter, at)
        observation["text"] = narrative(f"{VITAL_LABELS[name]}: {reading.text()} at {fhir_time(at)}")
        observation.update(_value(reading))
        if name == "spo2" and vitals.on_oxygen is not None:
            observation["note"] = [{"text": "on supplemental oxygen" if vitals.on_oxygen else "on room air"}]
        out.append(observation)
    if vitals.pain_nrs is not None:
        observation = _base(
            {
                "coding": [
                    {"system": LOINC, "code": "72514-3", "display": "Pain severity 0-10 numeric rating"}
                ]
            },
            subject,
            encounter,
            at,
        )
        observation["category"] = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}]
        observation["text"] = narrative(f"Pain NRS {vitals.pain_nrs} at {fhir_time(at)}")
        observation["valueInteger"] = vitals.pain_nrs
        out.append(observation)
    return out


def score_observations(
    scores: DerivedScores, subject: dict[str, str], encounter: dict[str, str]
) -> list[dict[str, Any]]:
    """GCS (total with its items as components, or the items alone when there is no numeric total) and
    NEWS2 (total when complete; otherwise the display says what is missing and there is no value)."""
    out: list[dict[str, Any]] = []
    if scores.gcs is not None:
        g = scores.gcs
        observation = _base(
            {
                "coding": [
                    {"system": LOINC, "code": GCS_CODES["total"], "display": "Glasgow coma score total"}
                ]
            },
            subject,
            encounter,
            scores.at,
        )
        observation["category"] = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}]
        observation["text"] = narrative(f"{g.display} (table {g.table.id} {g.table.version})")
        if g.total is not None:
            observation["valueInteger"] = g.total
        else:
            observation["dataAbsentReason"] = {
                "coding": [{"system": DATA_ABSENT, "code": "unknown"}],
                "text": g.no_total_reason or "no numeric total",
            }
        components = []
        for item in ("eye", "verbal", "motor"):
            value = getattr(g, item)
            if isinstance(value, int):
                components.append(
                    {"code": {"coding": [{"system": LOINC, "code": GCS_CODES[item]}]}, "valueInteger": value}
                )
        if components:
            observation["component"] = components
        out.append(observation)
    if scores.news2 is not None:
        n = scores.news2
        observation = _base(
            {"coding": [{"system": PPJ_SCORES, "code": "news2", "display": "NEWS2"}], "text": "NEWS2"},
            subject,
            encounter,
            scores.at,
        )
        observation["category"] = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}]
        observation["text"] = narrative(f"{n.display} (table {n.table.id} {n.table.version})")
        if n.total is not None:
            observation["valueInteger"] = n.total
        else:
            observation["dataAbsentReason"] = {
                "coding": [{"system": DATA_ABSENT, "code": "unknown"}],
                "text": n.display,
            }
        out.append(observation)
    return out
