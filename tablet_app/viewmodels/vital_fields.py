"""The numeric fields of the vitals pad, with their input limits.

Field ids and units are the journal's (``journal.kinds.observations.VITAL_UNITS``; the pad shows mmHg and
°C for UCUM ``mm[Hg]`` and ``Cel``). The *plausible* limits mirror the journal's
``VitalSigns.implausible()`` as of 2026-11-25 (heart rate < 20 or > 250 /min, systolic < 50 or > 280 mmHg,
respiratory rate 0 or > 60 /min, SpO2 < 50 %, temperature < 30 or > 42 °C, glucose < 1.0 or > 33.3
mmol/L). The *meaningful* limits are PPJ input limits, not clinical thresholds: values no human body or
monitor produces (SpO2 above 100 %, a pulse above 400 /min). Wave 2 takes the plausibility verdict from
the journal itself so the two cannot drift. Hazard log: H-TAB-1, H-TAB-2.
"""

from __future__ import annotations

from decimal import Decimal as D

from tablet_app.i18n import message
from tablet_app.viewmodels.numeric_entry import NumericFieldSpec, RangeCheck

VITAL_FIELDS: tuple[NumericFieldSpec, ...] = (
    NumericFieldSpec(
        field_id="heart_rate",
        label=message("vital.heart_rate"),
        unit="/min",
        integer_digits=3,
        decimals=0,
        check=RangeCheck(
            meaningful_min=D(0), meaningful_max=D(400), plausible_min=D(20), plausible_max=D(250)
        ),
    ),
    NumericFieldSpec(
        field_id="bp_systolic",
        label=message("vital.bp_systolic"),
        unit="mmHg",
        integer_digits=3,
        decimals=0,
        check=RangeCheck(
            meaningful_min=D(0), meaningful_max=D(400), plausible_min=D(50), plausible_max=D(280)
        ),
    ),
    NumericFieldSpec(
        field_id="respiratory_rate",
        label=message("vital.respiratory_rate"),
        unit="/min",
        integer_digits=3,
        decimals=0,
        check=RangeCheck(meaningful_min=D(0), meaningful_max=D(120), plausible_min=D(1), plausible_max=D(60)),
    ),
    NumericFieldSpec(
        field_id="spo2",
        label=message("vital.spo2"),
        unit="%",
        integer_digits=3,
        decimals=0,
        check=RangeCheck(meaningful_min=D(0), meaningful_max=D(100), plausible_min=D(50)),
    ),
    NumericFieldSpec(
        field_id="temperature",
        label=message("vital.temperature"),
        unit="°C",
        integer_digits=2,
        decimals=1,
        check=RangeCheck(
            meaningful_min=D(10), meaningful_max=D(46), plausible_min=D(30), plausible_max=D(42)
        ),
    ),
    NumericFieldSpec(
        field_id="glucose",
        label=message("vital.glucose"),
        unit="mmol/L",
        integer_digits=2,
        decimals=1,
        check=RangeCheck(
            meaningful_min=D(0), meaningful_max=D("99.9"), plausible_min=D("1.0"), plausible_max=D("33.3")
        ),
    ),
)

VITAL_FIELDS_BY_ID = {spec.field_id: spec for spec in VITAL_FIELDS}
