"""Conflicts, corrections and the struck history of one journal; editing a recorded time afterwards.

Nothing here deletes or overwrites: every action is one new entry through ``JournalViewModel`` (the
encrypted local store first), and what is shown is the fold of the stored entries.

* **Conflicts** (``state.conflicts``: a fact or item with several differing current values, e.g. two
  tablets set "on scene" offline) are listed with the competing values side by side — who, role, when,
  which device. Keeping one writes a resolving entry (``JournalWriter.resolve``); the others stay, struck.
* **Corrections**: any current entry (not a signature) can be retracted, or corrected with a replacement
  of its own kind, with a reason (required; a blank one is refused naming the field). The original stays
  in ``history()``, struck through, with who/when/why.
* **Times** (``TimeEditViewModel``): a timeline mark is set afterwards on a picker made for gloves (±1 and
  ±5 minute steps, or a typed HH:MM in Danish time) and flagged "estimated" unless the person says it is
  exact. An existing mark is *corrected* (clinical time and estimated flag are what change, with the
  reason); a mark never set is recorded; a mark in conflict is resolved on the conflicts list first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from journal.entry import Entry
from journal.errors import EntryValidationError
from journal.kinds.mission import Timestamp, TimestampEvent
from journal.local_time import DANISH_TIME
from journal.payload import Payload
from journal.state import Revision
from tablet_app.facades.clock import ClockFacade
from tablet_app.i18n import Message, language, message
from tablet_app.observable import Observable
from tablet_app.viewmodels.patient_journal import TIMELINE_BUTTONS, JournalViewModel

HISTORY_SHOWN = 40
"""Struck values the review screen shows (the newest), for the same reason as the journal's timeline."""

REASON_MAX = 1000
"""The journal's limit on a correction's or retraction's reason."""

PAGE = 12
"""Entries per page of the review list: each is a glove-size button, and a screen holds about a dozen."""

NOT_AMENDABLE = frozenset({"signature", "correction", "retraction"})
"""Kinds not corrected or retracted themselves: a signature attests what was written; an amendment is
amended by amending the entry it names (its line shows that entry's current value)."""


@dataclass(frozen=True)
class EntryLine:
    """One entry as the review screens show it: what, who (role), when (clinical time), device."""

    entry_id: UUID
    kind: str
    text: str
    author: str
    role: str
    at: datetime
    estimated: bool
    device: str
    written_at: datetime
    """When the entry was written (its HLC's physical time), as against when it happened (``at``)."""


@dataclass(frozen=True)
class ConflictView:
    key: tuple[str, ...]
    kind: str
    values: tuple[EntryLine, ...]
    """The competing current values, oldest written first."""


@dataclass(frozen=True)
class StruckLine:
    """A value no longer current, struck through, with the entries that struck it (who/when/why)."""

    original: EntryLine
    struck_by: tuple[EntryLine, ...]
    reasons: tuple[str | None, ...]
    """The reason of each striking entry (None: a new value of the fact, no reason given)."""


def checked_reason(reason: str) -> tuple[str, Message | None]:
    """The reason as stored (trimmed), or the problem with it: blank, or longer than the journal takes.
    A reason is never cut short silently."""
    why = reason.strip()
    if not why:
        return why, message("review.reason_required")
    if len(why) > REASON_MAX:
        return why, message("review.reason_too_long", limit=REASON_MAX)
    return why, None


def entry_line(revision: Revision) -> EntryLine:
    entry, value = revision
    return EntryLine(
        entry_id=entry.entry_id,
        kind=value.KIND if value is not None else entry.kind,
        text=_summary(entry.payload if value is None else value),
        author=entry.author.name,
        role=str(entry.author.role),
        at=entry.clinical_time.at,
        estimated=entry.clinical_time.estimated,
        device=entry.device_id,
        written_at=datetime.fromtimestamp(entry.hlc.physical_ms / 1000, UTC),
    )


def _summary(value: Payload) -> str:
    """The payload's summary in the tablet's current language (journal catalogue)."""
    return value.summary(language.current)


class ReviewViewModel(Observable):
    """Conflicts to resolve, entries to correct or retract, and the struck history."""

    def __init__(self, journal: JournalViewModel) -> None:
        super().__init__()
        self._journal = journal
        self.journal = journal
        self.selected: UUID | None = None
        self.error: Message | None = None
        self.page = 0
        journal.subscribe(self._changed)

    # ---------------------------------------------------------------------------------- conflicts

    def conflicts(self) -> list[ConflictView]:
        return [
            ConflictView(
                fact.key,
                fact.kind,
                tuple(entry_line(r) for r in sorted(fact.current, key=lambda r: r.entry.hlc)),
            )
            for fact in self._journal.state.conflicts
        ]

    def resolve(self, key: tuple[str, ...], keep: UUID) -> bool:
        """Keep the value of entry ``keep`` in the conflict ``key``; False (and ``error``) when that conflict
        is no longer open (resolved meanwhile, e.g. on the other tablet) or ``keep`` is not among it."""
        fact = next((f for f in self._journal.state.conflicts if f.key == key), None)
        chosen = None if fact is None else next((r for r in fact.current if r.entry.entry_id == keep), None)
        if fact is None or chosen is None:
            return self._fail(message("review.conflict_gone"))
        who = chosen.entry.author.name
        self.error = None
        self._journal.resolve(fact, chosen, reason=f"conflict resolved: kept the value recorded by {who}")
        return True

    # -------------------------------------------------------------------------------- corrections

    def amendable(self) -> list[EntryLine]:
        """Every current entry that can be corrected or retracted, newest clinical time first."""
        lines = [
            entry_line(item.revision)
            for item in self._journal.state.timeline
            if item.revision.value is not None and item.revision.value.KIND not in NOT_AMENDABLE
        ]
        return list(reversed(lines))

    def amendable_page(self) -> tuple[list[EntryLine], bool, bool]:
        """The entries of the current page (``PAGE`` per page, page 0 the newest), and whether there are
        newer and older pages. A page past the end (entries retracted meanwhile) shows the last page."""
        lines = self.amendable()
        last = max(0, (len(lines) - 1) // PAGE)
        self.page = min(self.page, last)
        start = self.page * PAGE
        return lines[start : start + PAGE], self.page > 0, self.page < last

    def older(self) -> None:
        self.page += 1
        self._changed()

    def newer(self) -> None:
        self.page = max(0, self.page - 1)
        self._changed()

    def select(self, entry_id: UUID) -> None:
        self.selected = entry_id
        self.error = None
        self._changed()

    def current_entry(self, entry_id: UUID) -> Revision | None:
        """The current revision written by ``entry_id`` (None: it is no longer current)."""
        for item in self._journal.state.timeline:
            if item.revision.entry.entry_id == entry_id and item.revision.value is not None:
                return item.revision
        return None

    def retract(self, entry_id: UUID, reason: str) -> bool:
        checked = self._checked(entry_id, reason)
        if checked is None:
            return False
        entry, why = checked
        self._journal.retract(entry, reason=why)
        self.selected = None
        return True

    def correct(self, entry_id: UUID, replacement: Payload, reason: str) -> bool:
        """Correct entry ``entry_id`` with ``replacement`` (same kind); a replacement the journal refuses is
        reported on its field and nothing is stored."""
        checked = self._checked(entry_id, reason)
        if checked is None:
            return False
        entry, why = checked
        try:
            self._journal.correct(entry, replacement, reason=why)
        except EntryValidationError as exc:
            first = exc.errors[0]
            return self._fail(message("review.correction_refused", field=first.field, problem=first.message))
        self.selected = None
        return True

    def _checked(self, entry_id: UUID, reason: str) -> tuple[Entry, str] | None:
        """The entry to amend (a corrected one through its latest correction: the writer follows the
        chain) and the reason, or None with ``error`` set."""
        why, problem = checked_reason(reason)
        revision = self.current_entry(entry_id)
        if problem is None and (
            revision is None or revision.value is None or revision.value.KIND in NOT_AMENDABLE
        ):
            problem = message("review.entry_gone")
        if problem is not None or revision is None:
            self._fail(problem or message("review.entry_gone"))
            return None
        self.error = None
        return revision.entry, why

    def _fail(self, error: Message) -> bool:
        self.error = error
        self._changed()
        return False

    # ------------------------------------------------------------------------------------ history

    def history(self) -> list[StruckLine]:
        """Every struck value, newest clinical time first, with what struck it (the screen shows the newest
        ``HISTORY_SHOWN`` and says how many more there are)."""
        state = self._journal.state
        facts = [*state.facts.values(), *(f for group in state.items.values() for f in group)]
        lines = [
            StruckLine(
                entry_line(struck.revision),
                tuple(entry_line(Revision(e, e.payload)) for e in struck.struck_by),
                tuple(getattr(e.payload, "reason", None) for e in struck.struck_by),
            )
            for fact in facts
            for struck in fact.struck
        ]
        return sorted(lines, key=lambda line: line.original.at, reverse=True)


_HH_MM = re.compile(r"^\s*([01]?\d|2[0-3])[:.]?([0-5]\d)\s*$")
HALF_DAY = timedelta(hours=12)


def typed_time(text: str, *, near: datetime) -> datetime | None:
    """``HH:MM`` (or ``HHMM``, ``HH.MM``) in Danish time on the day that puts it nearest ``near`` — so 23:55
    typed at 00:10 is yesterday's — or None when the text is not a clock time."""
    match = _HH_MM.match(text)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    local = near.astimezone(DANISH_TIME)
    candidates = [
        _local(local.date() + timedelta(days=shift), hour, minute).astimezone(UTC) for shift in (-1, 0, 1)
    ]
    return min(candidates, key=lambda at: (abs(at - near), at))


def _local(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=DANISH_TIME)


class TimeEditViewModel(Observable):
    """Set or correct the time of one timeline mark afterwards."""

    STEPS = (-5, -1, 1, 5)

    def __init__(self, journal: JournalViewModel, clock: ClockFacade, event: TimestampEvent) -> None:
        super().__init__()
        self._journal = journal
        self._clock = clock
        self.event: TimestampEvent = event
        self.value: datetime = clock.now()
        self.estimated = True
        self.error: Message | None = None
        self.choose(event)

    def choose(self, event: TimestampEvent) -> None:
        """Edit ``event``: start from its recorded time (or now, whole minutes), flagged estimated."""
        self.event = event
        self.value = (self.recorded or self._clock.now()).replace(second=0, microsecond=0)
        self.estimated = True
        self.error = None
        self._changed()

    @property
    def recorded(self) -> datetime | None:
        """The mark's time as stored now (None: never set, or retracted)."""
        return self._journal.mark_time(self.event)

    @property
    def label(self) -> Message:
        return TIMELINE_BUTTONS[self.event]

    def shown(self) -> str:
        return f"{self.value.astimezone(DANISH_TIME):%H:%M}"

    def step(self, minutes: int) -> None:
        if minutes not in self.STEPS:
            raise ValueError(f"minutes: steps are {self.STEPS}, not {minutes}")
        self.value += timedelta(minutes=minutes)
        self.error = None
        self._changed()

    def type_time(self, text: str) -> bool:
        """Set the time to a typed HH:MM; a text that is no clock time is refused and the time kept."""
        at = typed_time(text, near=self.value)
        if at is None:
            self.error = message("time.invalid", text=text)
            self._changed()
            return False
        self.value = at
        self.error = None
        self._changed()
        return True

    def toggle_estimated(self) -> None:
        self.estimated = not self.estimated
        self._changed()

    def save(self, reason: str) -> bool:
        """Store the time: a correction of the recorded mark (reason required) or the mark itself."""
        now = self._clock.now()
        if self.value > now:
            self.error = message("time.future", time=self.shown())
            self._changed()
            return False
        fact = self._journal.mark_fact(self.event)
        if fact is None or fact.retracted:
            self._journal.set_time(self.event, self.value, estimated=self.estimated)
        elif fact.conflict:
            self.error = message("time.in_conflict")
            self._changed()
            return False
        else:
            why, problem = checked_reason(reason)
            if problem is not None:
                self.error = problem
                self._changed()
                return False
            self._journal.correct(
                fact.current[0].entry,
                Timestamp(event=self.event),
                reason=why,
                at=self.value,
                estimated=self.estimated,
            )
        self.error = None
        self._changed()
        return True
