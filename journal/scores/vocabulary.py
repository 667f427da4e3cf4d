"""Enumerations shared by the score tables and the scoring functions.

Their values are the spellings used in the table files and in the journal, so they never change once
released; a new meaning gets a new member.
"""

from __future__ import annotations

from enum import StrEnum


class ScoreName(StrEnum):
    """The scores PPJ derives. The value is the key in ``TABLES`` and ``CURRENT_TABLE_VERSIONS``."""

    GCS = "gcs"
    NEWS2 = "news2"
    TOKS = "toks"
    PASS = "pass"


class ScoreStatus(StrEnum):
    """How much of a score could be derived from the inputs."""

    COMPLETE = "complete"
    """Every input present: the total is the score."""
    PARTIAL = "partial"
    """Some inputs missing: there is no total, only the points of the parameters present."""
    NO_NUMERIC_TOTAL = "no_numeric_total"
    """Every component assessed, but a qualifier (e.g. GCS verbal "T") means a sum would mislead."""
    NOT_APPLICABLE = "not_applicable"
    """The score is not valid for this patient (e.g. NEWS2 under 16 years or in pregnancy)."""


class UiColour(StrEnum):
    """The colour the UI shows a result in. NEUTRAL is for results without a band (partial, N/A)."""

    NEUTRAL = "neutral"
    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"


class Spo2Scale(StrEnum):
    """NEWS2 SpO2 scoring scale. Scale 2 (target 88–92 %) is used only on an authored clinical decision."""

    SCALE_1 = "1"
    SCALE_2 = "2"


class InspiredOxygen(StrEnum):
    """NEWS2 "air or oxygen": whether the patient breathes room air or receives supplemental oxygen."""

    AIR = "air"
    OXYGEN = "oxygen"


class Acvpu(StrEnum):
    """Level of consciousness on the ACVPU scale; C is *new* confusion."""

    ALERT = "A"
    NEW_CONFUSION = "C"
    VOICE = "V"
    PAIN = "P"
    UNRESPONSIVE = "U"


class News2Risk(StrEnum):
    """NEWS2 clinical risk band (RCP 2017 Chart 2)."""

    LOW = "low"
    LOW_MEDIUM = "low_medium"
    MEDIUM = "medium"
    HIGH = "high"


class GcsEyeQualifier(StrEnum):
    """Why the eye component has no number."""

    CLOSED_BY_SWELLING = "C"
    NOT_TESTABLE = "NT"


class GcsVerbalQualifier(StrEnum):
    """Why the verbal component has no number."""

    INTUBATED = "T"
    NOT_TESTABLE = "NT"


class GcsMotorQualifier(StrEnum):
    """Why the motor component has no number (e.g. chemically paralysed)."""

    NOT_TESTABLE = "NT"


class News2Parameter(StrEnum):
    """The seven NEWS2 parameters, in the order of the RCP chart."""

    RESPIRATION_RATE = "respiration_rate"
    SPO2 = "spo2"
    INSPIRED_OXYGEN = "inspired_oxygen"
    SYSTOLIC_BP = "systolic_bp"
    PULSE = "pulse"
    CONSCIOUSNESS = "consciousness"
    TEMPERATURE = "temperature_c"


class ToksParameter(StrEnum):
    """The six TOKS parameters."""

    RESPIRATION_RATE = "respiration_rate"
    SPO2 = "spo2"
    SYSTOLIC_BP = "systolic_bp"
    PULSE = "pulse"
    GCS = "gcs_total"
    TEMPERATURE = "temperature_c"


class PassItem(StrEnum):
    """The three PASS items (each a NIHSS item scored abnormal / normal)."""

    LOC_QUESTIONS = "loc_questions"
    GAZE = "gaze"
    ARM_WEAKNESS = "arm_weakness"
