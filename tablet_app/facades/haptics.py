"""Haptics facade: a short buzz to confirm a tap that mattered (a saved value, a 2-minute cycle).

Desktop tablets have no vibrator. ``DesktopHaptics`` therefore gives the feedback another way: the app
installs a *flash hook* (the screen flashes its border for the same duration) and ``vibrate`` reports
True; without a hook it reports False — the caller then knows no feedback was given.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

FlashHook = Callable[[int], None]


class HapticsFacade(ABC):
    def vibrate(self, *, duration_ms: int = 150) -> bool:
        """Give tactile (or equivalent) feedback for ``duration_ms``; True if the user got feedback."""
        if not 0 < duration_ms <= 2000:
            raise ValueError(f"duration_ms must be 1..2000, not {duration_ms}")
        return self._vibrate(duration_ms)

    @abstractmethod
    def _vibrate(self, duration_ms: int) -> bool:
        """Platform hook; returns whether feedback was given."""


class DesktopHaptics(HapticsFacade):
    """No vibrator: flash the screen through the installed hook instead."""

    def __init__(self) -> None:
        self._flash: FlashHook | None = None

    def set_flash_hook(self, hook: FlashHook | None) -> None:
        """Install (or remove, with None) the visual flash that stands in for vibration."""
        self._flash = hook

    def _vibrate(self, duration_ms: int) -> bool:
        if self._flash is None:
            return False
        self._flash(duration_ms)
        return True
