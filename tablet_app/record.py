"""The tablet's record: journal entries written by the crew, kept in the encrypted local store first.

Entries become store envelopes and back through ``sync.journal_adapter`` (``EntryEnvelope.from_entry`` /
``to_entry``: canonical content, the journal's content hash).

* ``LocalRecord`` — writes through a ``journal.writer.JournalWriter`` per author (so corrections,
  resolutions and signatures point at the right entries), stamps with the store's HLC (the writer's clock
  absorbs the store's last stamp before each entry, so stamps from this device keep increasing across
  restarts and after pulls), captures each entry in ONE local transaction (entry + upload queue row) and
  then wakes the sync worker; sync never runs on the caller's thread.

Invariant: a save either returns with the entry durable in the store, or raises and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from journal.entry import Author, Entry
from journal.fold import fold
from journal.hlc import Hlc, HybridClock
from journal.state import JournalState
from journal.writer import JournalWriter
from sync.journal_adapter import EntryEnvelope
from sync.store import LocalStore
from tablet_app.facades.clock import ClockFacade


@dataclass(frozen=True)
class SyncState:
    """What the crew sees of sync: entries not yet on the server, and when sync last succeeded."""

    pending: int
    last_sync: datetime | None


class LocalRecord:
    """Journals on this tablet: write entries into the local store, read them back folded."""

    def __init__(
        self,
        *,
        store: LocalStore,
        clock: ClockFacade,
        unit: str | None,
        on_saved: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._clock = clock
        self.unit = unit
        self.on_saved = on_saved
        self._hlc = HybridClock(store.writer_id, physical_ms=self._physical_ms)
        self.last_sync: datetime | None = None
        # Folded journals. Valid until this record saves into the journal or a sync cycle ends (the
        # only ways entries arrive in the store), both of which drop it.
        self._cache: dict[UUID, JournalState] = {}
        # Parsed entries by id: content is immutable and hash-bound, so an entry is parsed and validated
        # once per process; only its stamp may change (restamping), which is checked on every read.
        self._parsed: dict[UUID, Entry] = {}

    def _physical_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    def writer(self, *, journal_id: UUID, author: Author) -> JournalWriter:
        """A writer for ``author`` in ``journal_id``; all writers share this device's one HLC."""
        return JournalWriter(
            journal_id=journal_id,
            author=author,
            device_id=self._store.writer_id,
            unit=self.unit,
            clock=self._hlc,
        )

    def prepare(self) -> None:
        """Bring this device's HLC past every stamp the store holds; call before each new entry."""
        last = self._store.last_stamp()
        if last is not None and last > self._hlc.last:
            self._hlc.receive(last)

    def clock_offset_ms(self) -> int | None:
        """The device clock minus server time as last estimated (the entry field's sign; None before
        any estimate). The facade's ``offset`` is what it adds to the device clock, hence the minus."""
        if self._clock.offset_measured_at is None:
            return None
        return -round(self._clock.offset.total_seconds() * 1000)

    def save(self, entry: Entry) -> None:
        """Store ``entry`` and queue it for upload in one local transaction, then wake sync."""
        self._store.capture(envelope=EntryEnvelope.from_entry(entry))
        self._cache.pop(entry.journal_id, None)
        self.on_saved()

    def entries(self, journal_id: UUID) -> list[Entry]:
        return [e.to_entry() for e in self._store.journal_entries(journal_id)]

    def state(self, journal_id: UUID) -> JournalState:
        """The journal folded from every entry the store holds (captured here or pulled)."""
        cached = self._cache.get(journal_id)
        if cached is None:
            cached = fold(self._entry(e) for e in self._store.journal_entries(journal_id))
            self._cache[journal_id] = cached
        return cached

    def _entry(self, envelope: EntryEnvelope) -> Entry:
        known = self._parsed.get(envelope.entry_id)
        if known is not None and known.hlc.encode() == envelope.hlc:
            return known
        if known is not None and known.content_hash() == envelope.content_hash:
            entry = known.restamped(Hlc.parse(envelope.hlc))
        else:
            entry = envelope.to_entry()
        self._parsed[envelope.entry_id] = entry
        return entry

    def journal_ids(self) -> list[UUID]:
        return self._store.journal_ids()

    def sync_state(self) -> SyncState:
        return SyncState(pending=self._store.pending_count(), last_sync=self.last_sync)

    def synced(self, at: datetime) -> None:
        """A sync cycle finished (reported by the worker); pulled entries may have changed journals."""
        self.last_sync = at
        self._cache.clear()
