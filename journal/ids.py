"""UUIDv7 identifiers made on the device (RFC 9562 §5.7); Python 3.11's ``uuid`` has no uuid7.

Layout: 48 bits Unix milliseconds, 4 bits version (7), 12 bits ``rand_a``, 2 bits variant (10), 62 bits
``rand_b``. Ids made later sort after ids made earlier (to the millisecond), which keeps database indexes
append-friendly. Within one process, ``new_uuid7`` is strictly increasing even within one millisecond: it
uses ``rand_a`` as a counter (RFC 9562 §6.2, method 1) seeded randomly each new millisecond.
"""

from __future__ import annotations

import os
import threading
import time
from uuid import UUID

_MAX_MS = (1 << 48) - 1
_lock = threading.Lock()
_last_ms = -1
_last_counter = 0


def uuid7_from(*, unix_ms: int, rand_a: int, rand_b: int) -> UUID:
    """The UUIDv7 for the given parts; pure, so demo data and tests can make stable ids."""
    if not 0 <= unix_ms <= _MAX_MS:
        raise ValueError(f"unix_ms {unix_ms} does not fit in 48 bits")
    if not 0 <= rand_a < 1 << 12 or not 0 <= rand_b < 1 << 62:
        raise ValueError("rand_a must fit in 12 bits and rand_b in 62 bits")
    value = (unix_ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return UUID(int=value)


def uuid7_unix_ms(value: UUID) -> int:
    """The millisecond timestamp a UUIDv7 carries."""
    if value.version != 7:
        raise ValueError(f"{value} is not a UUIDv7")
    return value.int >> 80


def new_uuid7() -> UUID:
    """A fresh UUIDv7 from the wall clock, strictly greater than the previous one made in this process."""
    global _last_ms, _last_counter
    rand_b = int.from_bytes(os.urandom(8), "big") >> 2
    with _lock:
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms = now
            _last_counter = int.from_bytes(os.urandom(2), "big") >> 5  # 11 random bits leave counter headroom
        else:
            # Same millisecond, or the clock went back: count on from the last id instead of going back.
            _last_counter += 1
            if _last_counter >= 1 << 12:
                _last_ms += 1
                _last_counter = 0
        return uuid7_from(unix_ms=_last_ms, rand_a=_last_counter, rand_b=rand_b)
