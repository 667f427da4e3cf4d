"""Storage-paths facade: where the app keeps its per-user data (local store, Kivy's config and logs).

``PPJ_TABLET_HOME`` overrides the location (tests, several crews on one test machine). Otherwise:
Linux ``$XDG_DATA_HOME/ppj`` (default ``~/.local/share/ppj``), Windows ``%LOCALAPPDATA%\\PPJ``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

OVERRIDE_VARIABLE = "PPJ_TABLET_HOME"


class StoragePathsFacade(ABC):
    def __init__(self, *, environ: Mapping[str, str], home: Path) -> None:
        self._environ = environ
        self._home = home

    def app_data_dir(self) -> Path:
        """The per-user data directory (created if missing)."""
        override = self._environ.get(OVERRIDE_VARIABLE)
        root = Path(override) if override else self._platform_data_dir()
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return root

    def kivy_home(self) -> Path:
        """Kivy's config and log directory (``KIVY_HOME``), inside the app data, never ``~/.kivy``."""
        path = self.app_data_dir() / "kivy"
        path.mkdir(exist_ok=True, mode=0o700)
        return path

    def store_path(self) -> Path:
        """The local journal store's database file (created by the sync store, not here)."""
        return self.app_data_dir() / "ppj-tablet.sqlite3"

    @abstractmethod
    def _platform_data_dir(self) -> Path:
        """Platform hook: the conventional per-user data directory for PPJ."""


class LinuxStoragePaths(StoragePathsFacade):
    def _platform_data_dir(self) -> Path:
        xdg = self._environ.get("XDG_DATA_HOME")
        base = Path(xdg) if xdg else self._home / ".local" / "share"
        return base / "ppj"


class WindowsStoragePaths(StoragePathsFacade):
    def _platform_data_dir(self) -> Path:
        local = self._environ.get("LOCALAPPDATA")
        base = Path(local) if local else self._home / "AppData" / "Local"
        return base / "PPJ"


def desktop_storage_paths(*, platform: str, environ: Mapping[str, str], home: Path) -> StoragePathsFacade:
    """The storage facade for ``platform`` (``sys.platform``)."""
    if platform.startswith("win"):
        return WindowsStoragePaths(environ=environ, home=home)
    return LinuxStoragePaths(environ=environ, home=home)
