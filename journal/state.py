"""The folded state of a journal: facts with their current values, conflicts, struck history, timeline.

Named tuples (immutable, and cheap to build: the fold makes thousands per call and must stay fast); the
entries they hold were validated once, when they were made or parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple
from uuid import UUID

from journal.entry import Entry
from journal.hlc import Hlc
from journal.kinds.mission import ScoreTableVersions
from journal.kinds.record import Correction, Retraction
from journal.local_time import clock
from journal.payload import Payload

if TYPE_CHECKING:
    from journal.derived import DerivedValues


class Revision(NamedTuple):
    """One value of a fact or item: the entry that wrote it and the value it means.

    For a correction the value is its replacement; for a retraction it is None (the item is withdrawn).
    """

    entry: Entry
    value: Payload | None

    @property
    def time(self) -> datetime:
        return self.entry.clinical_time.at

    @property
    def reason(self) -> str | None:
        p = self.entry.payload
        return p.reason if isinstance(p, Correction | Retraction) else None


class Struck(NamedTuple):
    """A revision no longer current, with the entries that superseded it (who, when, why)."""

    revision: Revision
    struck_by: tuple[Entry, ...]

    def explanation(self) -> str:
        parts = []
        for e in self.struck_by:
            p = e.payload
            why = p.reason if isinstance(p, Correction | Retraction) else "new value"
            parts.append(
                f"{e.kind} by {e.author.name} ({e.author.role}) at {clock(e.clinical_time.at)}: {why}"
            )
        return "; ".join(parts)


class Fact(NamedTuple):
    """A single-valued fact (key like ``('destination',)``) or one item of a multi-valued kind.

    ``current`` holds the values no other value supersedes; more than one differing current value is a
    conflict, shown with every competing entry until someone writes a value ``based_on`` all of them.
    """

    key: tuple[str, ...]
    kind: str
    current: tuple[Revision, ...]
    struck: tuple[Struck, ...]
    conflict: bool

    @property
    def value(self) -> Payload | None:
        """The current value; None when retracted or in conflict (then read ``current``)."""
        if self.conflict:
            return None
        return self.current[0].value

    @property
    def retracted(self) -> bool:
        return not self.conflict and self.current[0].value is None

    @property
    def time(self) -> datetime:
        """The earliest clinical time among the current values."""
        return min(r.time for r in self.current)

    @property
    def sort_key(self) -> tuple[float, str, str]:
        """Clinical order of the item: its earliest current value's time key."""
        current = self.current
        if len(current) == 1:
            return current[0].entry.time_key
        return min(r.entry.time_key for r in current)

    @property
    def first_entry(self) -> Entry:
        """The entry that opened this item (its original, for a corrected item)."""
        revisions = [r.entry for r in self.current] + [s.revision.entry for s in self.struck]
        return min(revisions, key=lambda e: (e.hlc, e.entry_id))

    @property
    def current_ids(self) -> tuple[UUID, ...]:
        """What a resolving entry names in ``based_on``."""
        return tuple(r.entry.entry_id for r in self.current)


class TimelineItem(NamedTuple):
    """One current value on the clinical timeline."""

    fact: Fact
    revision: Revision

    @property
    def time(self) -> datetime:
        return self.revision.entry.clinical_time.at

    @property
    def estimated(self) -> bool:
        return self.revision.entry.clinical_time.estimated


@dataclass(frozen=True, slots=True)
class SigningState:
    """Who signed up to where; whether (and at which HLC) the journal closed; which entries are addenda."""

    signed_up_to: Mapping[str, Hlc]
    unsigned_authors: tuple[str, ...]
    closed_at: Hlc | None
    addenda: frozenset[UUID]

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


@dataclass(frozen=True)
class JournalState:
    """Everything the fold derives; a pure function of the entries."""

    by_key: Mapping[str, Entry]
    """Every entry by its key (32 hex digits of the id); ``entries`` is the same by UUID."""
    facts: Mapping[tuple[str, ...], Fact]
    items: Mapping[str, tuple[Fact, ...]]
    timeline: tuple[TimelineItem, ...]
    conflicts: tuple[Fact, ...]
    pending_amendments: tuple[Entry, ...]
    signing: SigningState
    anomalies: tuple[str, ...] = field(default=())

    @cached_property
    def entries(self) -> Mapping[UUID, Entry]:
        return {e.entry_id: e for e in self.by_key.values()}

    @cached_property
    def journal_ids(self) -> frozenset[UUID]:
        return frozenset(e.journal_id for e in self.by_key.values())

    def fact(self, *key: str) -> Fact | None:
        return self.facts.get(key)

    def value(self, *key: str) -> Payload | None:
        """The current value of a single-valued fact, or None (absent, retracted or in conflict)."""
        f = self.facts.get(key)
        return f.value if f is not None else None

    def current(self, kind: str) -> list[Payload]:
        """Current values of a multi-valued kind in clinical-time order (an item in conflict: all of them)."""
        out: list[Payload] = []
        for item in self.items.get(kind, ()):
            out.extend(r.value for r in item.current if r.value is not None)
        return out

    def current_entries(self, kind: str) -> list[tuple[Revision, Fact]]:
        return [(r, item) for item in self.items.get(kind, ()) for r in item.current if r.value is not None]

    @property
    def score_table_versions(self) -> dict[str, str]:
        """The score-table versions recorded on the journal (empty until recorded)."""
        v = self.value("score_table_versions")
        return dict(v.versions) if isinstance(v, ScoreTableVersions) else {}

    @cached_property
    def derived(self) -> DerivedValues:
        """The derived scores (NEWS2/TOKS per vital set, GCS, PASS): computed on first use and kept with this
        state, so a fold whose caller never asks for them costs nothing extra (``journal.derived``)."""
        from journal.derived import derive  # journal.derived reads states: imported on use, not at import

        return derive(self)

    def authors(self) -> set[str]:
        return {e.author.person_id for e in self.entries.values()}
