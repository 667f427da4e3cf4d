"""The device clock's offset from the server's, estimated NTP-style at each exchange.

With t0 = device time the request left, t1 = server time it arrived, t2 = server time the answer left,
t3 = device time the answer arrived::

    offset = ((t1 - t0) + (t2 - t3)) / 2      (server clock minus device clock)
    rtt    = (t3 - t0) - (t2 - t1)             (time on the wire, both ways)

The error of ``offset`` is at most ``rtt / 2`` (when the two directions are asymmetric), so the store
prefers the sample with the smallest round trip (``LocalStore.offset_ms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class OffsetSample:
    offset_ms: float
    rtt_ms: float


def estimate_offset(
    *, sent_at: datetime, server_received_at: datetime, server_sent_at: datetime, received_at: datetime
) -> OffsetSample:
    """One offset sample from the four timestamps of an exchange (all timezone-aware)."""
    t0, t1, t2, t3 = sent_at, server_received_at, server_sent_at, received_at
    offset = ((t1 - t0) + (t2 - t3)) / 2
    rtt = (t3 - t0) - (t2 - t1)
    return OffsetSample(offset_ms=offset.total_seconds() * 1000, rtt_ms=max(0.0, rtt.total_seconds() * 1000))
