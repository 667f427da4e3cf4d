"""The ED board's view-models: what one row and one patient page show, computed from the entries.

Framework-free (no FastAPI): the routes in ``server.web.board`` call these with a session and an actor.
Access and audit go through ``server.access.service`` first; then one query reads the log heads of every
visible journal, and one query loads the entries of those whose row is not in the process's projection
cache; each of those is folded (``journal.fold``) and its scores derived (``journal.derived``).

Nothing here is stored in the database: the board is a function of the entries, like the tablet's screens.
The cache (``RowCache``) is keyed by a journal's log head (``journal_logs.head``): the entry log is
append-only and a head names exactly the entries at or below it, so a cached row is the row of those
entries and can never be stale — a new entry moves the head and misses. Text is in the page's language
(the journal catalogue, ``journal.i18n``), so the language is part of the key.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from journal.derived import DerivedValues, derive, scores_text
from journal.entry import Entry, entry_from_dict
from journal.fold import fold
from journal.handover import isbar
from journal.i18n import DEFAULT_LANGUAGE, text
from journal.kinds.disposition import Destination, Handover, TransportUrgency
from journal.kinds.mission import MissionAssignment
from journal.kinds.observations import VitalSigns
from journal.kinds.patient import ChiefComplaint
from journal.local_time import DANISH_TIME
from journal.scores.news2 import news2_text
from journal.state import JournalState
from server.care.models import Journal, JournalAnnouncement
from server.sync.models import EntryRow, JournalLog


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


def load_entries(
    *, session: Session, journal_ids: Sequence[uuid.UUID], heads: dict[uuid.UUID, int] | None = None
) -> dict[uuid.UUID, list[Entry]]:
    """Every stored entry of ``journal_ids`` (only those at or below ``heads``, when given), parsed, in one
    query."""
    by_journal: dict[uuid.UUID, list[Entry]] = defaultdict(list)
    if not journal_ids:
        return by_journal
    rows = session.execute(
        select(EntryRow.journal_id, EntryRow.position, EntryRow.hlc, EntryRow.content).where(
            EntryRow.journal_id.in_(journal_ids)
        )
    )
    for journal_id, position, hlc, content in rows:
        if heads is not None and position > heads.get(journal_id, 0):
            continue  # committed after the head was read: the next render sees it under its own head
        by_journal[journal_id].append(entry_from_dict({**json.loads(content), "hlc": hlc}))
    return by_journal


@dataclass(frozen=True)
class _Content:
    """What a row shows that follows from the entries alone (no journal row, no announcement)."""

    eta: dt.datetime | None
    units: tuple[str, ...]
    urgency: str | None
    chief_complaint: str | None
    latest_vitals: str | None
    news2: str | None
    news2_colour: str
    received: bool
    isbar: str


class RowCache:
    """An LRU of row contents keyed by (journal, log head, language); thread-safe. One per app (one
    database): the same journal id and head in another database need not be the same entries."""

    def __init__(self, size: int = 2048) -> None:
        self._size = size
        self._rows: OrderedDict[tuple[uuid.UUID, int, str], _Content] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[uuid.UUID, int, str]) -> _Content | None:
        with self._lock:
            content = self._rows.get(key)
            if content is None:
                self.misses += 1
                return None
            self.hits += 1
            self._rows.move_to_end(key)
            return content

    def put(self, key: tuple[uuid.UUID, int, str], content: _Content) -> None:
        with self._lock:
            self._rows[key] = content
            self._rows.move_to_end(key)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self.hits = self.misses = 0


def _heads(session: Session, journal_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not journal_ids:
        return {}
    rows = session.execute(
        select(JournalLog.journal_id, JournalLog.head).where(JournalLog.journal_id.in_(journal_ids))
    )
    return {row.journal_id: row.head for row in rows}


def board_rows(
    *,
    session: Session,
    journals: Sequence[Journal],
    lang: str = DEFAULT_LANGUAGE,
    cache: RowCache | None = None,
) -> list[BoardRow]:
    """The board's rows for journals the caller may see (already decided and audited), ETA first.

    A journal with no entries yet (announced by a row written before its entries synced) gets no row:
    there is nothing to show, and an empty row reads as a patient with no findings."""
    journal_ids = [j.id for j in journals]
    heads = _heads(session, journal_ids)
    contents: dict[uuid.UUID, _Content] = {}
    missing: list[uuid.UUID] = []
    for journal_id in journal_ids:
        head = heads.get(journal_id, 0)
        cached = cache.get((journal_id, head, lang)) if cache is not None and head else None
        if cached is not None:
            contents[journal_id] = cached
        elif head:
            missing.append(journal_id)
    for journal_id, entries in load_entries(session=session, journal_ids=missing, heads=heads).items():
        content = _content(fold(entries), lang)
        if cache is not None:
            cache.put((journal_id, heads[journal_id], lang), content)
        contents[journal_id] = content
    announced = _latest_announcements(session=session, journal_ids=list(contents))
    rows = [
        _row(journal, contents[journal.id], announced.get(journal.id))
        for journal in journals
        if journal.id in contents
    ]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda r: (r.received, r.eta or r.announced_at or far, str(r.journal_id)))


def patient_view(*, session: Session, journal: Journal, lang: str = DEFAULT_LANGUAGE) -> PatientView:
    state = fold(load_entries(session=session, journal_ids=[journal.id]).get(journal.id, ()))
    announced = _latest_announcements(session=session, journal_ids=[journal.id]).get(journal.id)
    return view_of(journal=journal, state=state, announced=announced, lang=lang)


def view_of(
    *, journal: Journal, state: JournalState, announced: tuple[str, dt.datetime] | None, lang: str
) -> PatientView:
    """The patient page of a folded journal (no database: the print golden test builds it from entries)."""
    timeline = tuple(
        TimelineLine(
            at=item.time,
            estimated=item.estimated,
            title=type(value).title(lang) if (value := item.revision.value) is not None else item.fact.kind,
            summary=value.summary(lang) if value is not None else text(lang, "handover.retracted"),
            author=item.revision.entry.author.name,
            unit=item.revision.entry.unit,
        )
        for item in state.timeline
    )
    return PatientView(
        row=_row(journal, _content(state, lang), announced),
        timeline=timeline,
        vitals=_vital_points(state, lang),
        conflicts=tuple("/".join(f.key) for f in state.conflicts),
    )


def _vital_points(state: JournalState, lang: str = DEFAULT_LANGUAGE) -> tuple[VitalPoint, ...]:
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
                        summary=v.summary(lang),
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


def _content(state: JournalState, lang: str) -> _Content:
    derived: DerivedValues = derive(state)
    destination = state.value("destination")
    urgency = state.value("transport_urgency")
    mission = state.value("mission_assignment")
    complaint = state.value("chief_complaint")
    vitals = _vital_points(state, lang)
    latest_news2 = derived.latest_news2
    handovers = [v for v in state.current("handover") if isinstance(v, Handover)]
    return _Content(
        eta=destination.eta if isinstance(destination, Destination) else None,
        units=tuple(sorted({e.unit for e in state.by_key.values() if e.unit})),
        urgency=urgency.level
        if isinstance(urgency, TransportUrgency)
        else (mission.dispatch_urgency if isinstance(mission, MissionAssignment) else None),
        chief_complaint=complaint.text if isinstance(complaint, ChiefComplaint) else None,
        latest_vitals=vitals[-1].summary if vitals else None,
        news2=news2_text(latest_news2.news2, lang) if latest_news2 and latest_news2.news2 else None,
        news2_colour=latest_news2.news2.colour.value if latest_news2 and latest_news2.news2 else "neutral",
        received=any(h.confirmed_receipt and h.to == "hospital" for h in handovers),
        isbar=isbar(
            state,
            derived_scores_text=scores_text(derived, tz=DANISH_TIME, lang=lang),
            tz=DANISH_TIME,
            lang=lang,
        ),
    )


def _row(journal: Journal, content: _Content, announced: tuple[str, dt.datetime] | None) -> BoardRow:
    return BoardRow(
        journal_id=journal.id,
        patient=journal.patient_cpr,
        announced=announced[0] if announced else "handover",
        announced_at=announced[1] if announced else None,
        eta=content.eta,
        units=content.units,
        urgency=content.urgency,
        chief_complaint=content.chief_complaint,
        latest_vitals=content.latest_vitals,
        news2=content.news2,
        news2_colour=content.news2_colour,
        received=content.received,
        isbar=content.isbar,
    )


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
