"""A journal writer: one author on one device making entries with a hybrid logical clock.

This is how the tablet (and the server, and the demo data) make entries: it stamps each new entry with the
writer's HLC, applies the device rule for device-sourced payloads, and makes corrections, retractions,
conflict resolutions and signatures point at the right entries. Pure: the clock and id source are injected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from journal.entry import Author, ClinicalTime, Entry, new_entry
from journal.errors import EntryValidationError, FieldError
from journal.hlc import HybridClock
from journal.ids import new_uuid7
from journal.kinds.record import Correction, Retraction, Signature
from journal.payload import Payload
from journal.state import Fact, Revision


class JournalWriter:
    """Writes entries into one journal as one author from one device (and unit)."""

    def __init__(
        self,
        *,
        journal_id: UUID,
        author: Author,
        device_id: str,
        unit: str | None,
        clock: HybridClock,
        new_id: Callable[[], UUID] = new_uuid7,
    ) -> None:
        if clock.writer != device_id:
            raise ValueError("the clock's writer id must be the device id")
        self.journal_id = journal_id
        self.author = author
        self.device_id = device_id
        self.unit = unit
        self.clock = clock
        self._new_id = new_id

    def saw(self, entries: Iterable[Entry]) -> None:
        """Record that this writer has seen ``entries`` (after a sync): later stamps order after theirs."""
        for e in entries:
            if e.hlc > self.clock.last:
                self.clock.receive(e.hlc)

    def write(
        self,
        payload: Payload | Mapping[str, Any],
        *,
        at: datetime,
        kind: str | None = None,
        kind_version: int | None = None,
        estimated: bool = False,
        source: str = "manual",
        based_on: Iterable[UUID] = (),
        supersedes: Iterable[UUID] = (),
        clock_offset_ms: int | None = None,
    ) -> Entry:
        """A new entry; give a raw mapping with kind/kind_version for device-sourced values."""
        return new_entry(
            entry_id=self._new_id(),
            journal_id=self.journal_id,
            payload=payload,
            kind=kind,
            kind_version=kind_version,
            author=self.author,
            device_id=self.device_id,
            unit=self.unit,
            clinical_time=ClinicalTime(at=at, estimated=estimated, device_clock_offset_ms=clock_offset_ms),
            hlc=self.clock.tick(),
            source=source,
            based_on=tuple(based_on),
            supersedes=tuple(supersedes),
        )

    def update(self, fact: Fact | None, payload: Payload, *, at: datetime) -> Entry:
        """A new value of a single-valued fact, based on every current value the author saw (this resolves a
        conflict when ``fact`` is in one)."""
        return self.write(payload, at=at, based_on=fact.current_ids if fact is not None else ())

    def correct(
        self,
        original: Entry,
        replacement: Payload,
        *,
        reason: str,
        at: datetime | None = None,
        estimated: bool | None = None,
    ) -> Entry:
        """A correction of ``original``; its clinical time is the original's unless ``at`` corrects it, and
        so is whether that time is estimated unless ``estimated`` says (a time set afterwards by hand)."""
        target_kind = (
            original.payload.replacement if isinstance(original.payload, Correction) else original.payload
        )
        if (replacement.KIND, replacement.VERSION) != (target_kind.KIND, target_kind.VERSION):
            raise EntryValidationError(
                [
                    FieldError(
                        "replacement", f"a {target_kind.KIND} can only be corrected by a {target_kind.KIND}"
                    )
                ]
            )
        payload = Correction(
            reason=reason,
            corrected_kind=target_kind.KIND,
            corrected_kind_version=target_kind.VERSION,
            replacement=replacement,
        )
        return self.write(
            payload,
            at=at or original.clinical_time.at,
            estimated=original.clinical_time.estimated if estimated is None else estimated,
            supersedes=(original.entry_id,),
        )

    def resolve(self, fact: Fact, chosen: Revision, *, reason: str, at: datetime) -> Entry:
        """A new entry ending the conflict in ``fact`` with the value of ``chosen`` (one of its current
        revisions); nothing is deleted: every competing value stays, struck, with this entry as why.

        A single-valued fact gets the chosen value again ``based_on`` every current value, at the chosen
        value's clinical time (a timeline mark's time is its value). An item of a multi-valued kind (several
        concurrent corrections of one entry) gets a correction — or, when the retraction is chosen, a
        retraction — that supersedes every current value."""
        if chosen not in fact.current:
            raise ValueError("chosen: not one of the fact's current values")
        ids = fact.current_ids
        value = chosen.value
        if fact.key[0] != "item":
            if value is None:  # a retraction of a single-valued fact's value: retract every current one
                return self.write(Retraction(reason=reason), at=at, supersedes=ids)
            when = chosen.entry.clinical_time
            return self.write(value, at=when.at, estimated=when.estimated, based_on=ids)
        if value is None:
            return self.write(Retraction(reason=reason), at=at, supersedes=ids)
        payload = Correction(
            reason=reason,
            corrected_kind=value.KIND,
            corrected_kind_version=value.VERSION,
            replacement=value,
        )
        when = chosen.entry.clinical_time
        return self.write(payload, at=when.at, estimated=when.estimated, supersedes=ids)

    def retract(self, original: Entry, *, reason: str, at: datetime) -> Entry:
        return self.write(Retraction(reason=reason), at=at, supersedes=(original.entry_id,))

    def sign(self, *, at: datetime) -> Entry:
        """Attest every entry of this author up to now (the clock's last stamp)."""
        return self.write(Signature(up_to=self.clock.last), at=at)
