"""The real app under Xvfb, driven by simulated touches: log-in in Danish, language switch, the vitals
pad refusing a meaningless value and asking about an implausible one, the lock screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tablet_app.testing.harness import HarnessError, RunningTablet, VirtualScreen

pytestmark = pytest.mark.slow


def tap_keys(tablet: RunningTablet, keys: str, prefix: str = "pad_") -> None:
    for key in keys:
        tablet.tap(prefix + ("decimal" if key == "," else key))


def test_log_in_then_enter_vitals_on_the_pad_then_lock_and_unlock(
    demo_tablet: RunningTablet, screenshots: Path
) -> None:
    tablet = demo_tablet
    assert tablet.screen() == "login"
    assert tablet.text("login_title") == "Log ind på PPJ"
    assert tablet.text("login_submit") == "Log ind"
    tablet.screenshot(screenshots / "01-login-da.png")

    with pytest.raises(HarnessError, match="no widget 'pad_ok' on screen 'login'"):
        tablet.tap("pad_ok")
    tablet.tap("login_submit")  # empty form: each field says what is missing
    assert tablet.text("login_username_error") == "Skriv dit brugernavn."
    assert tablet.text("login_pin_error") == "Vælg en PIN til hurtig oplåsning."

    tablet.tap("login_language")
    assert tablet.text("login_title") == "Log in to PPJ"
    assert tablet.text("login_username_error") == "Enter your user name."
    tablet.screenshot(screenshots / "02-login-en-errors.png")
    tablet.tap("login_language")
    assert tablet.text("login_title") == "Log ind på PPJ"

    tablet.command("type", id="login_username", text="demo")
    tablet.command("type", id="login_password", text="ppj-demo")
    tablet.command("type", id="login_pin", text="2580")
    tablet.tap("login_submit")
    tablet.wait_for_screen("vitals_pad")
    assert tablet.text("vitals_offline_banner").startswith("Offline log-ind")

    tablet.tap("field_spo2")
    assert tablet.text("pad_label") == "SpO2"
    tap_keys(tablet, "101")  # the last key would make it 101 %: refused on the spot, entry kept
    assert tablet.text("pad_display") == "10"
    assert tablet.text("pad_message") == "SpO2 kan ikke være over 100 %."
    tablet.screenshot(screenshots / "03-pad-refused.png")

    tablet.tap("field_heart_rate")
    tap_keys(tablet, "260")
    tablet.tap("pad_ok")
    assert tablet.text("pad_message") == "Puls 260 /min er usædvanlig. Er værdien rigtig?"
    assert tablet.text("vitals_registered") == "Intet registreret endnu."
    tablet.screenshot(screenshots / "04-pad-confirm.png")
    tablet.tap("pad_confirm")
    assert tablet.text("pad_message") == "Puls: 260 /min registreret."
    assert "Puls: 260 /min (bekræftet usædvanlig)" in tablet.text("vitals_registered")

    tablet.tap("field_temperature")
    tap_keys(tablet, "37,5")
    assert tablet.text("pad_display") == "37,5"
    tablet.tap("pad_ok")
    assert "Temperatur: 37,5 °C" in tablet.text("vitals_registered")
    tablet.screenshot(screenshots / "05-pad-registered.png")

    assert tablet.text("arrest_toggle") == "Start hjertestop-ur"
    tablet.tap("arrest_toggle")
    assert re.fullmatch(r"00:0\d", tablet.text("arrest_elapsed"))
    assert tablet.text("arrest_cycle").startswith("Cyklus 1 · næste rytmetjek om 0")
    tablet.screenshot(screenshots / "05b-arrest-timer.png")
    tablet.tap("arrest_toggle")
    assert tablet.text("arrest_toggle") == "Start hjertestop-ur" and tablet.text("arrest_elapsed") == ""

    tablet.tap("vitals_lock")
    assert tablet.screen() == "lock"
    tap_keys(tablet, "1234", prefix="lock_")
    tablet.tap("lock_submit")
    assert tablet.text("lock_message") == "Forkert PIN. 4 forsøg tilbage."
    tablet.screenshot(screenshots / "06-lock-wrong-pin.png")
    tap_keys(tablet, "2580", prefix="lock_")
    tablet.tap("lock_submit")
    assert tablet.screen() == "vitals_pad"
    assert "Temperatur: 37,5 °C" in tablet.text("vitals_registered")  # locking is not logging out


def test_the_command_line_chooses_english_and_the_high_contrast_theme(
    virtual_screen: VirtualScreen, tmp_path: Path, screenshots: Path, app_env: dict[str, str | None]
) -> None:
    tablet = RunningTablet(
        screen=virtual_screen,
        home=tmp_path / "home",
        args=["--lang", "en", "--high-contrast", "--size", "1280x800"],
        extra_env=app_env,
    )
    try:
        assert tablet.text("login_title") == "Log in to PPJ"
        assert tablet.text("login_language") == "Dansk"
        tablet.screenshot(screenshots / "07-login-en-high-contrast.png")
    finally:
        tablet.close()
