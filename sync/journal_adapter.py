"""The one place where sync knows what a journal entry looks like.

Sync treats an entry as an opaque envelope: its id, its journal, its HLC stamp (an ordering field outside
the content, so it may be re-stamped), the canonical JSON bytes of its content and the hash of those bytes.
Everything else about entries (kinds, payloads, validation, the fold) belongs to ``journal``; the HLC is
``journal.hlc``'s.

Conversions: ``EntryEnvelope.from_entry`` (a ``journal.entry.Entry`` → envelope: the content is the
canonical JSON of ``Entry.content_dict()``, whose SHA-256 is ``Entry.content_hash()``) and
``EntryEnvelope.to_entry`` (back, validated by ``journal.entry.entry_from_dict``; raises
``UnknownKindError`` or ``EntryValidationError`` — the server's quarantine reasons).

Invariants the rest of ``sync`` relies on (and tests): the HLC string sorts lexicographically in stamp
order; ``content_hash`` depends on the content bytes only, never on the HLC, and equals the journal's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from uuid import UUID

from journal.entry import Entry, entry_from_dict
from journal.errors import InvalidHlcError
from journal.hlc import Hlc, HybridClock
from sync.errors import ProtocolError

Stamp = Hlc
"""An HLC stamp: ``journal.hlc.Hlc``, ordered by (physical_ms, logical, writer)."""

# The stamp's string form ``PPPPPPPPPPPPPPP.LLLLLLLLLL.writer`` (journal.hlc), for wire-model validation.
STAMP_PATTERN = r"^\d{15}\.\d{10}\.[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$"
CONTENT_HASH_PATTERN = r"^[0-9a-f]{64}$"


def content_hash(content: bytes) -> str:
    """SHA-256 of the canonical content bytes, 64 lowercase hex digits: ``Entry.content_hash()``."""
    return hashlib.sha256(content).hexdigest()


def canonical_content(entry: Entry) -> bytes:
    """The entry's content as ``Entry.content_hash`` hashes it: sorted keys, no spaces, UTF-8."""
    text = json.dumps(entry.content_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def parse_stamp(text: str) -> Stamp:
    """The stamp ``text`` stands for; ``ProtocolError`` naming the field when it does not parse."""
    try:
        return Hlc.parse(text)
    except InvalidHlcError as exc:
        raise ProtocolError(str(exc), field="hlc") from None


def clock_after(*, writer: str, last: Stamp | None, physical_ms: Callable[[], int]) -> HybridClock:
    """``writer``'s clock, continued after ``last`` (a stamp persisted earlier, possibly another writer's):
    every stamp it issues orders after ``last``. ``physical_ms`` is the writer's best estimate of true
    time; the store passes the device clock corrected by its offset estimate."""
    clock = HybridClock(writer, physical_ms=physical_ms)
    if last is not None:
        clock.receive(last)
    return clock


@dataclass(frozen=True, slots=True)
class EntryEnvelope:
    """An entry as sync sees it. ``content`` is the canonical JSON of everything but the HLC."""

    entry_id: UUID
    journal_id: UUID
    hlc: str
    content: bytes
    content_hash: str

    @classmethod
    def of(cls, *, entry_id: UUID, journal_id: UUID, hlc: str, content: bytes) -> EntryEnvelope:
        """An envelope whose hash is computed from ``content``."""
        parse_stamp(hlc)
        return cls(entry_id, journal_id, hlc, content, content_hash(content))

    @classmethod
    def from_entry(cls, entry: Entry) -> EntryEnvelope:
        """The envelope of a journal entry (what the tablet captures)."""
        return cls(
            entry.entry_id,
            entry.journal_id,
            entry.hlc.encode(),
            canonical_content(entry),
            entry.content_hash(),
        )

    def to_entry(self) -> Entry:
        """The journal entry, validated; ``UnknownKindError``/``EntryValidationError`` as journal raises."""
        data = json.loads(self.content)
        if not isinstance(data, dict):
            raise ProtocolError("entry content is not a JSON object", field="content")
        return entry_from_dict({**data, "hlc": self.hlc})

    def verify(self) -> None:
        """Raise ``ProtocolError`` when the hash does not match the content or the stamp does not parse."""
        parse_stamp(self.hlc)
        if content_hash(self.content) != self.content_hash:
            raise ProtocolError(f"content hash does not match entry {self.entry_id}", field="content_hash")

    def restamped(self, hlc: str) -> EntryEnvelope:
        """The same entry (same content, same hash) under a new HLC stamp."""
        parse_stamp(hlc)
        return replace(self, hlc=hlc)
