"""The server process's hybrid logical clock, and stamps for entries re-stamped under the bound.

Each server process owns one clock (thread-safe here, since FastAPI runs sync routes on a thread pool).
It absorbs every stamp it accepts, so a stamp it issues later orders after them (docs/sync/protocol.md §5).
Several processes on one database do not share memory, so a re-stamp also absorbs the largest stamp in the
database and the incarnation's last stamp before ticking (``server.sync.ingest``): a re-stamped entry
orders after everything any device could have pulled, and after its own device's earlier entries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from journal.hlc import Hlc, HybridClock

SERVER_WRITER = "server"


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class ServerClock:
    """A lock around ``journal.hlc.HybridClock``; ``last`` is the ``server_hlc`` the push answer carries."""

    def __init__(
        self, *, writer: str = SERVER_WRITER, physical_ms: Callable[[], int] = wall_clock_ms
    ) -> None:
        self._lock = threading.Lock()
        self._clock = HybridClock(writer, physical_ms=physical_ms)

    @property
    def last(self) -> Hlc:
        with self._lock:
            return self._clock.last

    def absorb(self, seen: Hlc) -> None:
        """Let a stamp this server holds push the clock forward (never backward)."""
        with self._lock:
            if seen > self._clock.last:
                self._clock.receive(seen)

    def restamp(self, *, after: Hlc | None, writer: str) -> Hlc:
        """A fresh stamp after everything this clock saw and after ``after``, under ``writer``.

        The writer stays the entry's own (journal.entry requires the stamp's writer to be its device_id);
        the physical and logical parts are the server's, so the stamp is bounded by the server's time.
        """
        with self._lock:
            if after is not None and after > self._clock.last:
                self._clock.receive(after)
            stamp = self._clock.tick()
        return Hlc(stamp.physical_ms, stamp.logical, writer)
