"""The hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", OPODIS 2014).

A stamp is (physical milliseconds, logical counter, writer id). Stamps are totally ordered by that tuple; the
writer id only breaks ties between writers. Rules, for a writer whose previous stamp is ``(l, c)`` and whose
physical clock reads ``pt``:

* local event / send: ``l' = max(l, pt)``; ``c' = c + 1`` if ``l' == l`` else 0.
* receive of stamp ``(ml, mc)``: ``l' = max(l, ml, pt)``; ``c'`` is ``max(c, mc) + 1`` if ``l' == l == ml``,
  ``c + 1`` if only ``l' == l``, ``mc + 1`` if only ``l' == ml``, else 0.

Invariants (tested with Hypothesis): every new stamp of a writer is greater than its previous one, whatever
its physical clock does; a stamp made after receiving ``m`` is greater than ``m``, however skewed the clocks.

The string form ``PPPPPPPPPPPPPPP.LLLLLLLLLL.writer`` (15-digit ms, 10-digit counter) sorts lexicographically
in the same order as the stamps, so databases can index and compare it as text.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from journal.errors import InvalidHlcError

_MS_DIGITS = 15
_COUNTER_DIGITS = 10
_MAX_MS = 10**_MS_DIGITS - 1
_MAX_COUNTER = 10**_COUNTER_DIGITS - 1
# Writer ids are opaque but must not be empty or contain whitespace, so the encoding stays one token.
WRITER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,99}$"
_WRITER_RE = re.compile(WRITER_PATTERN)
_STAMP_RE = re.compile(rf"^(\d{{{_MS_DIGITS}}})\.(\d{{{_COUNTER_DIGITS}}})\.(.+)$")


@dataclass(frozen=True, order=True, slots=True)
class Hlc:
    """One hybrid-logical-clock stamp; ``order=True`` compares (physical_ms, logical, writer)."""

    physical_ms: int
    logical: int
    writer: str

    def __post_init__(self) -> None:
        if not 0 <= self.physical_ms <= _MAX_MS:
            raise InvalidHlcError(f"physical_ms {self.physical_ms} out of range")
        if not 0 <= self.logical <= _MAX_COUNTER:
            raise InvalidHlcError(f"logical counter {self.logical} out of range")
        if not _WRITER_RE.match(self.writer):
            raise InvalidHlcError(f"writer id {self.writer!r} is empty or has characters not allowed")

    def encode(self) -> str:
        """The lexicographically sortable string form."""
        return f"{self.physical_ms:0{_MS_DIGITS}d}.{self.logical:0{_COUNTER_DIGITS}d}.{self.writer}"

    def __str__(self) -> str:
        return self.encode()

    @classmethod
    def parse(cls, text: str) -> Hlc:
        """The stamp a string made by ``encode`` stands for; ``InvalidHlcError`` on anything else."""
        match = _STAMP_RE.match(text)
        if match is None:
            raise InvalidHlcError(f"{text!r} is not an HLC stamp (expected 15 digits.10 digits.writer)")
        return cls(int(match.group(1)), int(match.group(2)), match.group(3))


def _coerce(value: Any) -> Hlc:
    if isinstance(value, Hlc):
        return value
    if isinstance(value, str):
        return Hlc.parse(value)
    raise InvalidHlcError(f"an HLC stamp must be a string, not {type(value).__name__}")


HlcField = Annotated[
    Hlc,
    BeforeValidator(_coerce),
    PlainSerializer(lambda h: h.encode(), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _STAMP_RE.pattern}),
]
"""Use as a pydantic field type: parses from and serialises to the string form."""


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class HybridClock:
    """One writer's clock. Not thread-safe: each writer (device store, server process) owns one."""

    def __init__(self, writer: str, *, physical_ms: Callable[[], int] = _wall_clock_ms) -> None:
        self._physical_ms = physical_ms
        self._last = Hlc(0, 0, writer)

    @property
    def writer(self) -> str:
        return self._last.writer

    @property
    def last(self) -> Hlc:
        """The latest stamp this clock issued or absorbed."""
        return self._last

    def tick(self) -> Hlc:
        """A stamp for a local event or a send."""
        last = self._last
        pt = self._physical_ms()
        if pt > last.physical_ms:
            stamp = Hlc(pt, 0, last.writer)
        else:
            stamp = Hlc(last.physical_ms, last.logical + 1, last.writer)
        self._last = stamp
        return stamp

    def receive(self, seen: Hlc) -> Hlc:
        """A stamp ordered after both this clock's last stamp and ``seen`` (a stamp from another writer)."""
        last = self._last
        pt = self._physical_ms()
        top = max(last.physical_ms, seen.physical_ms, pt)
        if top == last.physical_ms == seen.physical_ms:
            logical = max(last.logical, seen.logical) + 1
        elif top == last.physical_ms:
            logical = last.logical + 1
        elif top == seen.physical_ms:
            logical = seen.logical + 1
        else:
            logical = 0
        stamp = Hlc(top, logical, last.writer)
        self._last = stamp
        return stamp
