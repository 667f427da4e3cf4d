"""Platform facades: offset-corrected clock, haptics fallback, keep-awake, storage paths."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tablet_app.facades.haptics import DesktopHaptics
from tablet_app.facades.keep_awake import UnavailableKeepAwake, XdgScreensaverKeepAwake
from tablet_app.facades.storage import desktop_storage_paths
from tests.tablet_app.fakes import ManualClock


def test_now_is_corrected_by_the_server_offset_and_monotonic_is_not() -> None:
    clock = ManualClock()
    mono = clock.monotonic()
    clock.set_server_offset(offset=timedelta(seconds=-90), measured_at=clock.device_now())
    assert clock.now() == datetime(2026, 11, 25, 11, 58, 30, tzinfo=UTC)
    assert clock.device_now() == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert clock.monotonic() == mono
    assert clock.offset == timedelta(seconds=-90)


def test_a_naive_measurement_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock().set_server_offset(offset=timedelta(0), measured_at=datetime(2026, 1, 1))


def test_desktop_haptics_reports_false_without_a_flash_hook_and_flashes_with_one() -> None:
    haptics = DesktopHaptics()
    assert haptics.vibrate() is False
    flashes: list[int] = []
    haptics.set_flash_hook(flashes.append)
    assert haptics.vibrate(duration_ms=400) is True
    assert flashes == [400]
    with pytest.raises(ValueError, match="duration_ms"):
        haptics.vibrate(duration_ms=0)


class RecordingRunner:
    def __init__(self, status: int) -> None:
        self.status = status
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> int:
        self.calls.append(list(argv))
        return self.status


def test_keep_awake_suspends_the_screensaver_for_the_window_and_resumes_after_the_last_release() -> None:
    runner = RecordingRunner(0)
    awake = XdgScreensaverKeepAwake(
        window_id=lambda: 0x400007, runner=runner, which=lambda _name: "/usr/bin/xdg-screensaver"
    )
    assert awake.acquire() is True
    assert awake.acquire() is True
    awake.release()
    assert runner.calls == [["/usr/bin/xdg-screensaver", "suspend", "0x400007"]]
    awake.release()
    assert runner.calls[-1] == ["/usr/bin/xdg-screensaver", "resume", "0x400007"]
    assert not awake.held and not awake.active


@pytest.mark.parametrize(
    ("executable", "window", "status"),
    [(None, 0x400007, 0), ("/usr/bin/xdg-screensaver", None, 0), ("/usr/bin/xdg-screensaver", 0x400007, 4)],
    ids=["no xdg-screensaver", "no X window", "command fails"],
)
def test_keep_awake_reports_unavailable_when_it_cannot_work(
    executable: str | None, window: int | None, status: int
) -> None:
    awake = XdgScreensaverKeepAwake(
        window_id=lambda: window, runner=RecordingRunner(status), which=lambda _name: executable
    )
    assert awake.acquire() is False
    assert awake.held and not awake.active
    awake.release()
    assert UnavailableKeepAwake().acquire() is False


def test_release_without_acquire_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="without acquire"):
        UnavailableKeepAwake().release()


def test_app_data_lives_in_the_platforms_per_user_directory(tmp_path: Path) -> None:
    linux = desktop_storage_paths(
        platform="linux", environ={"XDG_DATA_HOME": str(tmp_path / "xdg")}, home=tmp_path
    )
    assert linux.app_data_dir() == tmp_path / "xdg" / "ppj"
    assert linux.kivy_home() == tmp_path / "xdg" / "ppj" / "kivy"
    windows = desktop_storage_paths(
        platform="win32", environ={"LOCALAPPDATA": str(tmp_path / "local")}, home=tmp_path
    )
    assert windows.app_data_dir() == tmp_path / "local" / "PPJ"
    override = desktop_storage_paths(
        platform="linux", environ={"PPJ_TABLET_HOME": str(tmp_path / "o")}, home=tmp_path
    )
    assert override.app_data_dir() == tmp_path / "o"
