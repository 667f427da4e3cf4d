"""Clock facade: clinical "now" corrected by the server offset, and a monotonic clock for timers.

Devices are not trusted (ARCHITECTURE §4): the sync layer estimates ``server time − device time`` at
each sync and hands it to ``set_server_offset``; ``now()`` adds it, so a "now" tapped on the timeline is
in server time even on a tablet whose clock is wrong. Entries also record the offset in force
(``offset``), so a later better estimate can correct and flag them. Running timers use ``monotonic()``,
which an offset update or a wall-clock jump never moves.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta


class ClockFacade(ABC):
    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._offset_measured_at: datetime | None = None

    def now(self) -> datetime:
        """The current time in UTC, corrected by the latest server-offset estimate (timezone-aware)."""
        return self._device_now() + self._offset

    def device_now(self) -> datetime:
        """The device's own UTC time, uncorrected."""
        return self._device_now()

    def monotonic(self) -> float:
        """Seconds on a clock that only moves forward; for elapsed times, never for timestamps."""
        return self._monotonic()

    @property
    def offset(self) -> timedelta:
        """The server-offset estimate in force (server time − device time); zero until the first sync."""
        return self._offset

    @property
    def offset_measured_at(self) -> datetime | None:
        """When the offset in force was measured (device time), or None if never."""
        return self._offset_measured_at

    def set_server_offset(self, *, offset: timedelta, measured_at: datetime) -> None:
        """The sync layer's hook: from now on ``now()`` adds ``offset``. ``measured_at`` must be aware."""
        if measured_at.tzinfo is None:
            raise ValueError("measured_at must be timezone-aware")
        self._offset = offset
        self._offset_measured_at = measured_at

    @abstractmethod
    def _device_now(self) -> datetime:
        """The platform's wall clock as an aware UTC datetime."""

    @abstractmethod
    def _monotonic(self) -> float:
        """The platform's monotonic clock in seconds."""


class DesktopClock(ClockFacade):
    """The operating system's clock (Linux, Windows)."""

    def _device_now(self) -> datetime:
        return datetime.now(UTC)

    def _monotonic(self) -> float:
        return time.monotonic()
