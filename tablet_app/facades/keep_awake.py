"""Keep-awake facade: the screen must not blank or lock while cardiac-arrest mode runs.

``acquire()`` returns whether the platform now keeps the screen on; the arrest screen warns when it is
False. Calls nest: the screen stays awake until every ``acquire`` has its ``release``.

Desktop Linux (X11): ``xdg-screensaver suspend <window id>`` (xdg-utils), undone by ``resume``. When
``xdg-screensaver`` is absent, there is no X window id (Wayland, headless) or the command fails, the
facade reports unavailable (False). Other desktops (Windows) report unavailable in this wave.
"""

from __future__ import annotations

import shutil
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

CommandRunner = Callable[[Sequence[str]], int]
WindowIdProvider = Callable[[], int | None]


def run_command(argv: Sequence[str]) -> int:
    """Run a short command; its exit status, or 127 when it cannot be run at all."""
    try:
        completed = subprocess.run(list(argv), capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return 127
    return completed.returncode


class KeepAwakeFacade(ABC):
    def __init__(self) -> None:
        self._holds = 0
        self._active = False

    @property
    def held(self) -> bool:
        """Whether someone holds the screen awake (whether or not the platform honours it)."""
        return self._holds > 0

    @property
    def active(self) -> bool:
        """Whether the platform confirmed it keeps the screen awake now."""
        return self._active

    def acquire(self) -> bool:
        """Keep the screen on until the matching ``release``; True if the platform honours it."""
        self._holds += 1
        if self._holds == 1:
            self._active = self._inhibit()
        return self._active

    def release(self) -> None:
        """Undo one ``acquire``; the last release lets the screen sleep again."""
        if self._holds == 0:
            raise ValueError("release() without acquire()")
        self._holds -= 1
        if self._holds == 0 and self._active:
            self._uninhibit()
            self._active = False

    @abstractmethod
    def _inhibit(self) -> bool:
        """Platform hook: stop the screen from blanking; True on success."""

    @abstractmethod
    def _uninhibit(self) -> None:
        """Platform hook: let the screen blank again."""


class XdgScreensaverKeepAwake(KeepAwakeFacade):
    """Desktop Linux/X11 through ``xdg-screensaver``; the window id comes from the running Kivy window."""

    def __init__(
        self,
        *,
        window_id: WindowIdProvider,
        runner: CommandRunner = run_command,
        which: Callable[[str], str | None] = shutil.which,
    ) -> None:
        super().__init__()
        self._window_id = window_id
        self._runner = runner
        self._executable = which("xdg-screensaver")
        self._suspended_window: int | None = None

    def _inhibit(self) -> bool:
        window = self._window_id()
        if self._executable is None or window is None:
            return False
        if self._runner([self._executable, "suspend", hex(window)]) != 0:
            return False
        self._suspended_window = window
        return True

    def _uninhibit(self) -> None:
        if self._executable is not None and self._suspended_window is not None:
            self._runner([self._executable, "resume", hex(self._suspended_window)])
        self._suspended_window = None


class UnavailableKeepAwake(KeepAwakeFacade):
    """Platforms without a way to keep the screen on (in this wave: Windows): always reports False."""

    def _inhibit(self) -> bool:
        return False

    def _uninhibit(self) -> None:
        return None
