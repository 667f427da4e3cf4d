"""The patient page's vitals chart as SVG polylines, computed server-side (no chart script in the page).

One shared y-axis of 0–200 covers heart rate (/min), systolic pressure (mm[Hg]), respiratory rate (/min)
and SpO2 (%); the x-axis is clinical time from the first to the last vital set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from server.board.view import VitalPoint

WIDTH = 600
HEIGHT = 200
_Y_MAX = 200.0


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str
    points: str  # SVG polyline "x,y x,y …"
    dots: tuple[tuple[float, float], ...]  # one marker per reading (a single reading draws no line)


SERIES: tuple[tuple[str, str, Callable[[VitalPoint], float | None]], ...] = (
    ("P", "hr", lambda p: p.heart_rate),
    ("BT sys", "bp", lambda p: p.bp_systolic),
    ("RF", "rr", lambda p: p.respiratory_rate),
    ("SpO2", "spo2", lambda p: p.spo2),
)


def vitals_chart(points: Sequence[VitalPoint]) -> list[Series]:
    """One series per parameter that has at least one exact reading; empty without vital sets."""
    if not points:
        return []
    start = points[0].at.timestamp()
    span = max(points[-1].at.timestamp() - start, 1.0)
    result = []
    for name, css_class, read in SERIES:
        coords: list[tuple[float, float]] = []
        for point in points:
            value = read(point)
            if value is None:
                continue
            x = (point.at.timestamp() - start) / span * WIDTH
            y = HEIGHT - min(max(value, 0.0), _Y_MAX) / _Y_MAX * HEIGHT
            coords.append((round(x, 1), round(y, 1)))
        if coords:
            line = " ".join(f"{x},{y}" for x, y in coords)
            result.append(Series(name=name, css_class=css_class, points=line, dots=tuple(coords)))
    return result
