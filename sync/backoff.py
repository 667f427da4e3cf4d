"""Exponential backoff with full jitter (the delay is uniform in [0, min(cap, base * 2**attempt)]).

Full jitter spreads the retries of many tablets that lost the network together (a tunnel, a server
restart), so they do not return in lockstep; the ceiling still grows exponentially while the server stays
unreachable. A server's ``Retry-After`` is honoured as a floor, itself capped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

_MAX_EXPONENT = 62  # beyond this the ceiling is the cap anyway; avoids float overflow for huge attempts


@dataclass(frozen=True, slots=True)
class Backoff:
    base_s: float = 1.0
    cap_s: float = 300.0

    def __post_init__(self) -> None:
        if not 0 < self.base_s <= self.cap_s:
            raise ValueError("backoff needs 0 < base_s <= cap_s")

    def ceiling(self, attempt: int) -> float:
        """The largest delay after failed attempt number ``attempt`` (0 for the first failure)."""
        if attempt < 0:
            raise ValueError("attempt counts from 0")
        return min(self.cap_s, self.base_s * 2.0 ** min(attempt, _MAX_EXPONENT))

    def delay(self, attempt: int, *, rand: Callable[[], float], retry_after: float | None = None) -> float:
        """The delay before the next attempt; ``rand`` returns a float in [0, 1) (``random.random``)."""
        jittered = rand() * self.ceiling(attempt)
        if retry_after is not None and retry_after > 0:
            return max(jittered, min(retry_after, self.cap_s))
        return jittered
