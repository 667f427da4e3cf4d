"""Time intervals from the timeline (NASEMSO definitions over NEMSIS eTimes, prehospital.md §1.2 [S5]).

Unit movements are per unit; patient contact is per patient. An interval is None when either mark is
missing or in conflict. Negative intervals are returned as they are (the checklist flags times out of order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from journal.kinds.mission import PATIENT_LEVEL_EVENTS
from journal.state import JournalState


def mark(state: JournalState, event: str, unit: str | None = None) -> datetime | None:
    """The clinical time of a timeline mark (``unit`` for unit movements), or None if absent/in conflict."""
    key = ("timestamp", event) if event in PATIENT_LEVEL_EVENTS else ("timestamp", event, unit or "")
    fact = state.facts.get(key)
    if fact is None or fact.conflict or fact.retracted:
        return None
    return fact.current[0].time


def units_with_marks(state: JournalState) -> list[str]:
    return sorted({k[2] for k in state.facts if k[0] == "timestamp" and len(k) == 3})


def _between(a: datetime | None, b: datetime | None) -> timedelta | None:
    return b - a if a is not None and b is not None else None


@dataclass(frozen=True, slots=True)
class UnitIntervals:
    """One unit's intervals; names follow NASEMSO (eTimes numbers in the comments)."""

    unit: str
    chute: timedelta | None  # departure − alarm (.05 − .03)
    response: timedelta | None  # on scene − alarm (.06 − .03)
    scene: timedelta | None  # leaving scene − on scene (.09 − .06)
    patient_scene: timedelta | None  # leaving scene − patient contact (.09 − .07)
    transport: timedelta | None  # at hospital − leaving scene (.11 − .09)
    handover_wall: timedelta | None  # handover at hospital − at hospital (.12 − .11), "wall time"
    task: timedelta | None  # available − alarm (.13 − .03)


def intervals(state: JournalState) -> dict[str, UnitIntervals]:
    """Intervals per unit that has timeline marks."""
    contact = mark(state, "patient_contact")
    out: dict[str, UnitIntervals] = {}
    for unit in units_with_marks(state):

        def m(event: str, unit: str = unit) -> datetime | None:
            return mark(state, event, unit)

        out[unit] = UnitIntervals(
            unit=unit,
            chute=_between(m("alarm"), m("departure")),
            response=_between(m("alarm"), m("on_scene")),
            scene=_between(m("on_scene"), m("leaving_scene")),
            patient_scene=_between(contact, m("leaving_scene")),
            transport=_between(m("leaving_scene"), m("at_hospital")),
            handover_wall=_between(m("at_hospital"), m("handover_hospital")),
            task=_between(m("alarm"), m("available")),
        )
    return out


TIMELINE_ORDER = ("alarm", "departure", "on_scene", "leaving_scene", "at_hospital", "handover_hospital")


def out_of_order(state: JournalState) -> list[tuple[str, str, str]]:
    """(unit, earlier mark, later mark) pairs whose times run backwards (cf. NEMSIS nemSch_e017)."""
    found: list[tuple[str, str, str]] = []
    for unit in units_with_marks(state):
        times = [(e, mark(state, e, unit)) for e in TIMELINE_ORDER]
        present = [(e, t) for e, t in times if t is not None]
        for (e1, t1), (e2, t2) in zip(present, present[1:], strict=False):
            if t2 < t1:
                found.append((unit, e1, e2))
    return found


TIMESTAMP_EVENTS_REQUIRED = ("alarm", "on_scene")
"""Marks every unit that wrote in the journal must have (S20d Alarmdata)."""
