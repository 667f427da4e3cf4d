"""The numeric fields of the vitals pad, with their input limits.

Field ids and units are the journal's (``journal.kinds.observations.VITAL_UNITS``; the pad shows mmHg and
°C for UCUM ``mm[Hg]`` and ``Cel``). The *meaningful* limits are PPJ input limits, not clinical
thresholds: values no human body or monitor produces (SpO2 above 100 %, a pulse above 400 /min); outside
them a key or OK is refused. Whether a meaningful value is *plausible* is the journal's own verdict
(``VitalSigns.implausible()``, asked through ``JournalVitalCheck``), so the pad and the journal cannot
drift apart. Hazard log: H-TAB-1, H-TAB-2.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from decimal import Decimal as D

from journal.kinds.common import Reading
from journal.kinds.observations import VITAL_UNITS, VitalSigns
from tablet_app.i18n import message
from tablet_app.viewmodels.numeric_entry import NumericFieldSpec, RangeCheck, Verdict, VerdictKind


@dataclass(frozen=True)
class JournalVitalCheck:
    """The pad's ``ValueCheck`` for a vital: refused outside the meaningful limits, otherwise confirmed
    first when the journal would store the value with an "implausible" warning."""

    meaningful_min: Decimal
    meaningful_max: Decimal

    def __call__(self, value: Decimal, spec: NumericFieldSpec) -> Verdict:
        meaningful = RangeCheck(meaningful_min=self.meaningful_min, meaningful_max=self.meaningful_max)
        verdict = meaningful(value, spec)
        if verdict.kind is not VerdictKind.ACCEPT:
            return verdict
        reading = Reading(value=float(value), unit=VITAL_UNITS[spec.field_id])
        issues = VitalSigns.model_validate({spec.field_id: reading}).implausible()
        if any(issue.field == spec.field_id for issue in issues):
            return Verdict(
                VerdictKind.CONFIRM,
                message("pad.confirm.implausible", label=spec.label, value=value, unit=spec.unit),
            )
        return verdict


VITAL_FIELDS: tuple[NumericFieldSpec, ...] = (
    NumericFieldSpec(
        field_id="heart_rate",
        label=message("vital.heart_rate"),
        unit="/min",
        integer_digits=3,
        decimals=0,
        check=JournalVitalCheck(meaningful_min=D(0), meaningful_max=D(400)),
    ),
    NumericFieldSpec(
        field_id="bp_systolic",
        label=message("vital.bp_systolic"),
        unit="mmHg",
        integer_digits=3,
        decimals=0,
        check=JournalVitalCheck(meaningful_min=D(0), meaningful_max=D(400)),
    ),
    NumericFieldSpec(
        field_id="respiratory_rate",
        label=message("vital.respiratory_rate"),
        unit="/min",
        integer_digits=3,
        decimals=0,
        check=JournalVitalCheck(meaningful_min=D(0), meaningful_max=D(120)),
    ),
    NumericFieldSpec(
        field_id="spo2",
        label=message("vital.spo2"),
        unit="%",
        integer_digits=3,
        decimals=0,
        check=JournalVitalCheck(meaningful_min=D(0), meaningful_max=D(100)),
    ),
    NumericFieldSpec(
        field_id="temperature",
        label=message("vital.temperature"),
        unit="°C",
        integer_digits=2,
        decimals=1,
        check=JournalVitalCheck(meaningful_min=D(10), meaningful_max=D(46)),
    ),
    NumericFieldSpec(
        field_id="glucose",
        label=message("vital.glucose"),
        unit="mmol/L",
        integer_digits=2,
        decimals=1,
        check=JournalVitalCheck(meaningful_min=D(0), meaningful_max=D("99.9")),
    ),
)

VITAL_FIELDS_BY_ID = {spec.field_id: spec for spec in VITAL_FIELDS}
