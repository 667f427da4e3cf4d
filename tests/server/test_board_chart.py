"""The vitals chart: one series per parameter with readings, scaled to the chart, in clinical order."""

from __future__ import annotations

import datetime as dt

from server.board.chart import HEIGHT, WIDTH, vitals_chart
from server.board.view import VitalPoint

T0 = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)


def _point(minutes: int, heart_rate: float | None, spo2: float | None = None) -> VitalPoint:
    return VitalPoint(
        at=T0 + dt.timedelta(minutes=minutes),
        heart_rate=heart_rate,
        bp_systolic=None,
        respiratory_rate=None,
        spo2=spo2,
        summary="",
    )


def test_a_chart_without_vital_sets_is_empty() -> None:
    assert vitals_chart([]) == []


def test_the_first_and_last_sets_span_the_width_and_values_scale_to_the_height() -> None:
    series = vitals_chart([_point(0, 100), _point(10, 200)])
    assert [s.name for s in series] == ["P"]
    assert series[0].dots == ((0.0, HEIGHT / 2), (float(WIDTH), 0.0))


def test_a_single_reading_still_gets_a_marker_and_missing_parameters_no_series() -> None:
    series = vitals_chart([_point(0, None, spo2=96)])
    assert [(s.name, len(s.dots)) for s in series] == [("SpO2", 1)]
