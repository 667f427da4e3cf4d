"""Short constructors for demo payloads (units filled in from the kinds' fixed UCUM units)."""

from __future__ import annotations

from journal.kinds.common import Reading
from journal.kinds.mission import Timestamp, TimestampEvent
from journal.kinds.observations import VITAL_UNITS, Acvpu, Consciousness, GcsItems, VitalSigns
from journal.scores import CURRENT_TABLE_VERSIONS


def _r(field: str, value: float | None) -> Reading | None:
    return None if value is None else Reading(value=value, unit=VITAL_UNITS[field])


def vitals(
    *,
    hr: float | None = None,
    sys: float | None = None,
    dia: float | None = None,
    rr: float | None = None,
    spo2: float | None = None,
    on_oxygen: bool | None = None,
    o2_flow: float | None = None,
    temp: float | None = None,
    glucose: float | None = None,
    etco2: float | None = None,
    pain: int | None = None,
) -> VitalSigns:
    return VitalSigns(
        heart_rate=_r("heart_rate", hr),
        bp_systolic=_r("bp_systolic", sys),
        bp_diastolic=_r("bp_diastolic", dia),
        respiratory_rate=_r("respiratory_rate", rr),
        spo2=_r("spo2", spo2),
        on_oxygen=on_oxygen,
        oxygen_flow=_r("oxygen_flow", o2_flow),
        temperature=_r("temperature", temp),
        glucose=_r("glucose", glucose),
        etco2=_r("etco2", etco2),
        pain_nrs=pain,
    )


def gcs(eye: int, verbal: int, motor: int, acvpu: Acvpu | None = None) -> Consciousness:
    return Consciousness(acvpu=acvpu, gcs=GcsItems(eye=eye, verbal=verbal, motor=motor))


def mark(event: TimestampEvent) -> Timestamp:
    return Timestamp(event=event)


DEMO_TABLE_VERSIONS = {str(score): version for score, version in CURRENT_TABLE_VERSIONS.items()}
"""Recorded on each demo journal at patient contact: the versions in force (``journal.scores``)."""
