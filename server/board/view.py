"""The ED board's view-models: what one row and one patient page show, computed from the entries.

Framework-free (no FastAPI): the routes in ``server.web.board`` call these with a session and an actor.
Access and audit go through ``server.access.service`` first; then *one* query loads the entries of every
visible journal, each journal is folded (``journal.fold``) and its scores derived (``journal.derived``).
Nothing here is stored: the board is a function of the entries, like the tablet's screens.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from journal.derived import DerivedValues, derive, scores_text
from journal.entry import Entry, entry_from_dict
from journal.fold import fold
from journal.handover import isbar
from journal.kinds.disposition import Destination, Handover, TransportUrgency
from journal.kinds.mission import MissionAssignment
from journal.kinds.observations import VitalSigns
from journal.kinds.patient import ChiefComplaint
from journal.local_time import DANISH_TIME
from journal.state import JournalState
from server.care.models import Journal, JournalAnnouncement
from server.sync.models import EntryRow


@dataclass(frozen=True)
class VitalPoint:
    """One vital set on the chart and in the table (values in the fields' UCUM units)."""

    at: dt.datetime
    heart_rate: float | None
    bp_systolic: float | None
    respiratory_rate: float | None
    spo2: float | None
    summary: str


@dataclass(frozen=True)
class BoardRow:
    journal_id: uuid.UUID
    patient: str | None  # CPR, or None for an unidentified patient
    announced: str  # "pre_alert" or "destination"
    announced_at: dt.datetime | None
    eta: dt.datetime | None
    units: tuple[str, ...]
    urgency: str | None  # transport urgency A–D, else the dispatch urgency
    chief_complaint: str | None
    latest_vitals: str | None
    news2: str | None  # the result's display text
    news2_colour: str  # journal.scores UiColour value: neutral/green/yellow/orange/red
    received: bool  # a receipt confirmation (handover entry with confirmed_receipt) exists
    isbar: str


@dataclass(frozen=True)
class TimelineLine:
    at: dt.datetime
    estimated: bool
    title: str
    summary: str
    author: str
    unit: str | None


@dataclass(frozen=True)
class PatientView:
    row: BoardRow
    timeline: tuple[TimelineLine, ...]
    vitals: tuple[VitalPoint, ...]
    conflicts: tuple[str, ...]


def load_entries(*, session: Session, journal_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Entry]]:
    """Every stored entry of ``journal_ids``, parsed, in one query."""
    by_journal: dict[uuid.UUID, list[Entry]] = defaultdict(list)
    if not journal_ids:
        return by_journal
    rows = session.execute(
        select(EntryRow.journal_id, EntryRow.hlc, EntryRow.content).where(
            EntryRow.journal_id.in_(journal_ids)
        )
    )
    for journal_id, hlc, content in rows:
        by_journal[journal_id].append(entry_from_dict({**json.loads(content), "hlc": hlc}))
    return by_journal


def board_rows(*, session: Session, journals: Sequence[Journal]) -> list[BoardRow]:
    """The board's rows for journals the caller may see (already decided and audited), ETA first."""
    journal_ids = [j.id for j in journals]
    entries = load_entries(session=session, journal_ids=journal_ids)
    announced = _latest_announcements(session=session, journal_ids=journal_ids)
    rows = [
        _row(journal, fold(entries.get(journal.id, ())), announced.get(journal.id)) for journal in journals
    ]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda r: (r.received, r.eta or r.announced_at or far, str(r.journal_id)))


def patient_view(*, session: Session, journal: Journal) -> PatientView:
    state = fold(load_entries(session=session, journal_ids=[journal.id]).get(journal.id, ()))
    timeline = tuple(
        TimelineLine(
            at=item.time,
            estimated=item.estimated,
            title=type(value).TITLE if (value := item.revision.value) is not None else item.fact.kind,
            summary=value.summary() if value is not None else "(retracted)",
            author=item.revision.entry.author.name,
            unit=item.revision.entry.unit,
        )
        for item in state.timeline
    )
    return PatientView(
        row=_row(
            journal, state, _latest_announcements(session=session, journal_ids=[journal.id]).get(journal.id)
        ),
        timeline=timeline,
        vitals=_vital_points(state),
        conflicts=tuple("/".join(f.key) for f in state.conflicts),
    )


def _vital_points(state: JournalState) -> tuple[VitalPoint, ...]:
    points = []
    for item in state.items.get("vital_signs", ()):
        for revision in item.current:
            v = revision.value
            if isinstance(v, VitalSigns):
                points.append(
                    VitalPoint(
                        at=revision.time,
                        heart_rate=v.heart_rate.measured if v.heart_rate else None,
                        bp_systolic=v.bp_systolic.measured if v.bp_systolic else None,
                        respiratory_rate=v.respiratory_rate.measured if v.respiratory_rate else None,
                        spo2=v.spo2.measured if v.spo2 else None,
                        summary=v.summary(),
                    )
                )
    return tuple(sorted(points, key=lambda p: p.at))


def _latest_announcements(
    *, session: Session, journal_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, dt.datetime]]:
    """Each journal's latest announcement (kind, time), in one query."""
    latest: dict[uuid.UUID, tuple[str, dt.datetime]] = {}
    if not journal_ids:
        return latest
    rows = session.execute(
        select(JournalAnnouncement.journal_id, JournalAnnouncement.kind, JournalAnnouncement.announced_at)
        .where(JournalAnnouncement.journal_id.in_(journal_ids))
        .order_by(JournalAnnouncement.announced_at)
    )
    for journal_id, kind, at in rows:
        latest[journal_id] = (kind.value, _aware(at))
    return latest


def _row(journal: Journal, state: JournalState, announced: tuple[str, dt.datetime] | None) -> BoardRow:
    derived: DerivedValues = derive(state)
    destination = state.value("destination")
    urgency = state.value("transport_urgency")
    mission = state.value("mission_assignment")
    complaint = state.value("chief_complaint")
    vitals = _vital_points(state)
    latest_news2 = derived.latest_news2
    handovers = [v for v in state.current("handover") if isinstance(v, Handover)]
    units = sorted({e.unit for e in state.by_key.values() if e.unit})
    return BoardRow(
        journal_id=journal.id,
        patient=journal.patient_cpr,
        announced=announced[0] if announced else "handover",
        announced_at=announced[1] if announced else None,
        eta=destination.eta if isinstance(destination, Destination) else None,
        units=tuple(units),
        urgency=urgency.level
        if isinstance(urgency, TransportUrgency)
        else (mission.dispatch_urgency if isinstance(mission, MissionAssignment) else None),
        chief_complaint=complaint.text if isinstance(complaint, ChiefComplaint) else None,
        latest_vitals=vitals[-1].summary if vitals else None,
        news2=latest_news2.news2.display if latest_news2 and latest_news2.news2 else None,
        news2_colour=latest_news2.news2.colour.value if latest_news2 and latest_news2.news2 else "neutral",
        received=any(h.confirmed_receipt and h.to == "hospital" for h in handovers),
        isbar=isbar(state, derived_scores_text=scores_text(derived, tz=DANISH_TIME), tz=DANISH_TIME),
    )


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
