"""The cardiac-arrest running timer: elapsed time and the 2-minute CPR cycle marker.

While it runs the screen is kept awake (``KeepAwakeFacade``) and auto-lock is suspended; if the
platform cannot keep the screen awake the view-model says so (``keep_awake_unavailable``) so the screen
can warn. Elapsed time is monotonic (an offset update or clock jump does not move it); the start time
shown and recorded is the offset-corrected clinical "now". Each new cycle gives haptic feedback once.
"""

from __future__ import annotations

from datetime import datetime

from tablet_app.facades.clock import ClockFacade
from tablet_app.facades.haptics import HapticsFacade
from tablet_app.facades.keep_awake import KeepAwakeFacade
from tablet_app.viewmodels.lock import LockViewModel

CPR_CYCLE_S = 120
AUTO_LOCK_REASON = "cardiac_arrest"


def format_elapsed(seconds: float) -> str:
    """``MM:SS`` (``H:MM:SS`` from one hour), whole seconds rounded down."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class ArrestTimerViewModel:
    def __init__(
        self,
        *,
        clock: ClockFacade,
        keep_awake: KeepAwakeFacade,
        haptics: HapticsFacade,
        lock: LockViewModel,
        cycle_s: int = CPR_CYCLE_S,
    ) -> None:
        self._clock = clock
        self._keep_awake = keep_awake
        self._haptics = haptics
        self._lock = lock
        self.cycle_s = cycle_s
        self.started_at: datetime | None = None
        self._started_mono: float | None = None
        self._cycles_signalled = 0
        self.keep_awake_unavailable = False

    @property
    def running(self) -> bool:
        return self._started_mono is not None

    def start(self) -> None:
        if self.running:
            return
        self.started_at = self._clock.now()
        self._started_mono = self._clock.monotonic()
        self._cycles_signalled = 0
        self.keep_awake_unavailable = not self._keep_awake.acquire()
        self._lock.suspend_auto_lock(AUTO_LOCK_REASON)

    def attach_lock(self, lock: LockViewModel) -> None:
        """A new session's lock (after a full re-log-in) takes over; a running timer keeps running and
        keeps auto-lock suspended on the new lock."""
        if self.running:
            self._lock.resume_auto_lock(AUTO_LOCK_REASON)
            lock.suspend_auto_lock(AUTO_LOCK_REASON)
        self._lock = lock

    def stop(self) -> None:
        if not self.running:
            return
        self._started_mono = None
        self._keep_awake.release()
        self._lock.resume_auto_lock(AUTO_LOCK_REASON)

    def elapsed_s(self) -> float:
        if self._started_mono is None:
            return 0.0
        return self._clock.monotonic() - self._started_mono

    def cycle_number(self) -> int:
        """1 during the first two minutes, 2 during the next, …; 0 when not running."""
        return int(self.elapsed_s() // self.cycle_s) + 1 if self.running else 0

    def seconds_to_next_cycle(self) -> float:
        return self.cycle_s - (self.elapsed_s() % self.cycle_s) if self.running else 0.0

    def tick(self) -> bool:
        """Called periodically; True (and haptic feedback) once when a new cycle has begun."""
        completed = self.cycle_number() - 1
        if self.running and completed > self._cycles_signalled:
            self._cycles_signalled = completed
            self._haptics.vibrate(duration_ms=400)
            return True
        return False
