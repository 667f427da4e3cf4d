"""Lock and unlock: a quick PIN brings the same person back; locking is not logging out.

* ``lock()`` (the lock button, or the auto-lock after ``timeout_s`` without a touch) hides the screens;
  the session, open screens and drafts stay as they were.
* The PIN pad unlocks with the PIN the person chose at log-in. After ``MAX_FAILED_UNLOCKS`` wrong PINs
  the session needs a full log-in (``state`` becomes LOGIN_REQUIRED); drafts are still kept.
* Auto-lock is suspended while a reason holds it (cardiac-arrest mode runs: no one has a hand free to
  unlock); it counts idle time again from the moment the last reason is released.
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol

from tablet_app.facades.clock import ClockFacade
from tablet_app.i18n import Message, message
from tablet_app.observable import Observable

MAX_FAILED_UNLOCKS = 5
PIN_LENGTH_MAX = 6
DEFAULT_AUTO_LOCK_S = 120.0


class PinVerifier(Protocol):
    def verify_pin(self, pin: str) -> bool:
        """Whether ``pin`` is the session's unlock PIN."""


class LockState(Enum):
    UNLOCKED = "unlocked"
    LOCKED = "locked"
    LOGIN_REQUIRED = "login_required"


class LockViewModel(Observable):
    def __init__(self, *, clock: ClockFacade, verifier: PinVerifier, timeout_s: float = DEFAULT_AUTO_LOCK_S):
        super().__init__()
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self._clock = clock
        self._verifier = verifier
        self.timeout_s = timeout_s
        self.state = LockState.UNLOCKED
        self.pin = ""
        self.failed_attempts = 0
        self.message: Message | None = None
        self._last_activity = clock.monotonic()
        self._suspended_by: set[str] = set()

    # --- auto-lock ------------------------------------------------------------------------------
    def note_activity(self) -> None:
        """Any touch while unlocked restarts the idle count."""
        self._last_activity = self._clock.monotonic()

    def suspend_auto_lock(self, reason: str) -> None:
        self._suspended_by.add(reason)

    def resume_auto_lock(self, reason: str) -> None:
        self._suspended_by.discard(reason)
        if not self._suspended_by:
            self._last_activity = self._clock.monotonic()

    @property
    def auto_lock_suspended(self) -> bool:
        return bool(self._suspended_by)

    def tick(self) -> None:
        """Called periodically (once a second) by the app: locks when idle too long and not suspended."""
        idle = self._clock.monotonic() - self._last_activity
        if self.state is LockState.UNLOCKED and not self._suspended_by and idle >= self.timeout_s:
            self.lock()

    # --- lock and PIN pad -----------------------------------------------------------------------
    def lock(self) -> None:
        if self.state is LockState.UNLOCKED:
            self.state = LockState.LOCKED
            self.pin = ""
            self.message = None
            self._changed()

    def press_digit(self, digit: str) -> None:
        if digit not in "0123456789" or len(digit) != 1:
            raise ValueError(f"not a PIN digit: {digit!r}")
        if self.state is LockState.LOCKED and len(self.pin) < PIN_LENGTH_MAX:
            self.pin += digit
            self._changed()

    def backspace(self) -> None:
        if self.pin:
            self.pin = self.pin[:-1]
            self._changed()

    def masked_pin(self) -> str:
        return "●" * len(self.pin)

    def submit(self) -> None:
        if self.state is not LockState.LOCKED:
            return
        if not self.pin:
            self.message = message("lock.enter_pin")
        elif self._verifier.verify_pin(self.pin):
            self.state = LockState.UNLOCKED
            self.failed_attempts = 0
            self.message = None
            self._last_activity = self._clock.monotonic()
        else:
            self.failed_attempts += 1
            left = MAX_FAILED_UNLOCKS - self.failed_attempts
            if left <= 0:
                self.state = LockState.LOGIN_REQUIRED
                self.message = message("lock.login_required")
            else:
                self.message = message("lock.wrong_pin", left=left)
        self.pin = ""
        self._changed()
