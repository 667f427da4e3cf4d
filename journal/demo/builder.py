"""Deterministic scenario building: stable ids and HLCs, so loading the demo twice is a no-op (sync is
idempotent by entry id) and tests can rebuild the same entries.

A ``ScenarioBuilder`` owns a simulated wall clock. Each writer's HLC reads that wall clock plus the writer's
own skew (a tablet whose clock is wrong), and each write sets the wall clock to just after the clinical time.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from journal.entry import Author, AuthorisationLevel, Entry, Role
from journal.hlc import HybridClock
from journal.ids import uuid7_from
from journal.payload import Payload
from journal.writer import JournalWriter

DEMO_DAY = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
WRITE_LAG = timedelta(seconds=20)
"""How long after the clinical time the demo crews tap "save"."""


def person(person_id: str, name: str, role: Role) -> Author:
    """A demo staff member (fictional; authorisation ids are left out rather than invented)."""
    level = {
        Role.AMBULANCEASSISTENT: AuthorisationLevel.AUTHORISED,
        Role.AMBULANCEBEHANDLER: AuthorisationLevel.AUTHORISED,
        Role.PARAMEDICINER: AuthorisationLevel.SPECIAL_COMPETENCE,
        Role.PHYSICIAN: AuthorisationLevel.PHYSICIAN,
    }.get(role, AuthorisationLevel.NONE)
    return Author(person_id=person_id, name=name, role=role, authorisation_level=level)


class ScenarioBuilder:
    """Builds one scenario's entries with stable ids and clocks."""

    def __init__(self, name: str, *, start: datetime) -> None:
        self.name = name
        self.start = start
        self.entries: list[Entry] = []
        self._wall_ms = int(start.timestamp() * 1000)
        self._counter = 0

    def _stable_uuid(self, unix_ms: int) -> UUID:
        self._counter += 1
        digest = hashlib.sha256(f"{self.name}/{self._counter}".encode()).digest()
        rand_b = int.from_bytes(digest[:8], "big") >> 2
        return uuid7_from(unix_ms=unix_ms, rand_a=self._counter & 0xFFF, rand_b=rand_b)

    def journal_id(self) -> UUID:
        return self._stable_uuid(self._wall_ms)

    def at(self, minutes: float) -> datetime:
        """The clinical time ``minutes`` after the scenario's start."""
        return self.start + timedelta(minutes=minutes)

    def writer(
        self, *, journal_id: UUID, author: Author, device_id: str, unit: str | None, skew_ms: int = 0
    ) -> JournalWriter:
        clock = HybridClock(device_id, physical_ms=lambda: self._wall_ms + skew_ms)
        return JournalWriter(
            journal_id=journal_id,
            author=author,
            device_id=device_id,
            unit=unit,
            clock=clock,
            new_id=lambda: self._stable_uuid(self._wall_ms),
        )

    def advance_to(self, at: datetime) -> None:
        """Move the simulated wall clock to just after ``at`` (never backwards)."""
        self._wall_ms = max(self._wall_ms, int((at + WRITE_LAG).timestamp() * 1000))

    def add(self, entry: Entry) -> Entry:
        self.entries.append(entry)
        return entry

    def write(self, w: JournalWriter, payload: Payload, *, minute: float, **kw: Any) -> Entry:
        at = self.at(minute)
        self.advance_to(at)
        return self.add(w.write(payload, at=at, **kw))

    def device(
        self, w: JournalWriter, kind: str, data: dict[str, Any], *, minute: float, serial: str
    ) -> Entry:
        """A value from a monitor: raw data, validated under the device rule (stored, never refused)."""
        at = self.at(minute)
        self.advance_to(at)
        return self.add(w.write(data, at=at, kind=kind, kind_version=1, source=f"device:{serial}"))

    def update(self, w: JournalWriter, fact_of: list[Entry], payload: Payload, *, minute: float) -> Entry:
        """A new value of a single-valued fact, based on the entries the writer saw as current."""
        at = self.at(minute)
        self.advance_to(at)
        return self.add(w.write(payload, at=at, based_on=[e.entry_id for e in fact_of]))

    def correct(
        self, w: JournalWriter, original: Entry, replacement: Payload, *, reason: str, minute: float
    ) -> Entry:
        self.advance_to(self.at(minute))
        return self.add(w.correct(original, replacement, reason=reason))

    def sign(self, w: JournalWriter, *, minute: float) -> Entry:
        at = self.at(minute)
        self.advance_to(at)
        return self.add(w.sign(at=at))

    def sync(self, *writers: JournalWriter) -> None:
        """Every writer sees every entry so far (a successful sync round)."""
        for w in writers:
            w.saw(self.entries)
