"""Deterministic test doubles for the tablet app's facades and background runner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from tablet_app.facades.clock import ClockFacade
from tablet_app.facades.haptics import HapticsFacade
from tablet_app.facades.keep_awake import KeepAwakeFacade

T = TypeVar("T")


class ManualClock(ClockFacade):
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)) -> None:
        super().__init__()
        self.wall = start
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds

    def _device_now(self) -> datetime:
        return self.wall

    def _monotonic(self) -> float:
        return self.mono


class RecordingHaptics(HapticsFacade):
    def __init__(self) -> None:
        self.buzzes: list[int] = []

    def _vibrate(self, duration_ms: int) -> bool:
        self.buzzes.append(duration_ms)
        return True


class SwitchableKeepAwake(KeepAwakeFacade):
    def __init__(self, *, available: bool) -> None:
        super().__init__()
        self.available = available
        self.inhibited = False

    def _inhibit(self) -> bool:
        self.inhibited = self.available
        return self.available

    def _uninhibit(self) -> None:
        self.inhibited = False


class InlineRunner:
    """Runs background work immediately on the calling thread (view-model tests need no threads)."""

    def submit(
        self, work: Callable[[], T], *, on_success: Callable[[T], None], on_error: Callable[[Exception], None]
    ) -> None:
        try:
            result = work()
        except Exception as exc:
            on_error(exc)
        else:
            on_success(result)
