"""The one place where sync knows what a journal entry looks like.

Sync treats an entry as an opaque envelope: its id, its journal, its HLC stamp (an ordering field outside
the content, so it may be re-stamped), the canonical JSON bytes of its content and the hash of those bytes.
Everything else about entries (kinds, payloads, validation, the fold) belongs to ``journal``.

WIRING POINT (wave 2): when ``journal`` is on main, replace the bodies below by calls into it:

* ``EntryEnvelope.from_entry`` / ``to_entry`` — convert from/to ``journal``'s entry envelope, using its
  canonical JSON encoding (with ``hlc`` left out of the content) and its content hash;
* ``content_hash`` — equals ``journal.entry.Entry.content_hash()`` when ``content`` is the canonical JSON
  of ``Entry.content_dict()`` (sorted keys, no spaces, UTF-8, ``ensure_ascii=False``); keep one of them;
* ``Stamp``/``StampClock`` — ``journal.hlc.Hlc``/``HybridClock``, whose string form
  ``PPPPPPPPPPPPPPP.LLLLLLLLLL.writer`` (15-digit ms, 10-digit counter) these mirror exactly.

Invariants the rest of ``sync`` relies on (and tests): the HLC string sorts lexicographically in stamp
order; ``content_hash`` depends on the content bytes only, never on the HLC.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from uuid import UUID

from sync.errors import ProtocolError

_MS_DIGITS = 15
_COUNTER_DIGITS = 10
STAMP_PATTERN = rf"^\d{{{_MS_DIGITS}}}\.\d{{{_COUNTER_DIGITS}}}\.[A-Za-z0-9][A-Za-z0-9._:@/-]{{0,127}}$"
_STAMP_RE = re.compile(rf"^(\d{{{_MS_DIGITS}}})\.(\d{{{_COUNTER_DIGITS}}})\.(.+)$")
CONTENT_HASH_PATTERN = r"^[0-9a-f]{64}$"


def content_hash(content: bytes) -> str:
    """The hash that identifies an entry's content: SHA-256 of the canonical bytes, 64 lowercase hex digits
    (what ``journal.entry.Entry.content_hash`` computes over the same canonical JSON)."""
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True, order=True, slots=True)
class Stamp:
    """An HLC stamp (mirror of ``journal.hlc.Hlc``), ordered by (physical_ms, logical, writer)."""

    physical_ms: int
    logical: int
    writer: str

    def encode(self) -> str:
        return f"{self.physical_ms:0{_MS_DIGITS}d}.{self.logical:0{_COUNTER_DIGITS}d}.{self.writer}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        match = _STAMP_RE.match(text)
        if match is None or not re.match(STAMP_PATTERN, text):
            raise ProtocolError(f"{text!r} is not an HLC stamp (15 digits.10 digits.writer)", field="hlc")
        return cls(int(match.group(1)), int(match.group(2)), match.group(3))


class StampClock:
    """One writer's hybrid logical clock (mirror of ``journal.hlc.HybridClock``), starting after ``last``.

    ``physical_ms`` is the writer's best estimate of true time; the sync client passes the device clock
    corrected by its offset estimate, so a device whose clock runs ahead does not stamp ahead.
    """

    def __init__(self, *, writer: str, last: Stamp | None, physical_ms: Callable[[], int]) -> None:
        self._physical_ms = physical_ms
        self._last = last if last is not None else Stamp(0, 0, writer)
        self._writer = writer

    @property
    def last(self) -> Stamp:
        return self._last

    def tick(self) -> Stamp:
        """A stamp after every stamp this clock issued or absorbed."""
        pt = self._physical_ms()
        if pt > self._last.physical_ms:
            stamp = Stamp(pt, 0, self._writer)
        else:
            stamp = Stamp(self._last.physical_ms, self._last.logical + 1, self._writer)
        self._last = stamp
        return stamp

    def receive(self, seen: Stamp) -> None:
        """Absorb a stamp from another writer, so the next tick orders after it."""
        top = max(self._last.physical_ms, seen.physical_ms)
        if top == self._last.physical_ms == seen.physical_ms:
            logical = max(self._last.logical, seen.logical)
        elif top == seen.physical_ms:
            logical = seen.logical
        else:
            logical = self._last.logical
        self._last = Stamp(top, logical, self._writer)


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
        Stamp.parse(hlc)
        return cls(entry_id, journal_id, hlc, content, content_hash(content))

    def verify(self) -> None:
        """Raise ``ProtocolError`` when the hash does not match the content or the stamp does not parse."""
        Stamp.parse(self.hlc)
        if content_hash(self.content) != self.content_hash:
            raise ProtocolError(f"content hash does not match entry {self.entry_id}", field="content_hash")

    def restamped(self, hlc: str) -> EntryEnvelope:
        """The same entry (same content, same hash) under a new HLC stamp."""
        Stamp.parse(hlc)
        return replace(self, hlc=hlc)
