"""``ppj tablet`` options: checked before Kivy starts, each error naming the option."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ppj.cli import app
from tablet_app.options import TabletOptions, parse_size


def test_sizes_are_landscape_and_at_least_1280_by_800() -> None:
    assert parse_size("1920x1200") == (1920, 1200)
    assert parse_size("1280×800") == (1280, 800)
    with pytest.raises(ValueError, match="at least 1280x800"):
        parse_size("800x1280")
    with pytest.raises(ValueError, match="like 1280x800"):
        parse_size("big")


def test_language_and_server_url_are_checked() -> None:
    with pytest.raises(ValueError, match="language must be one of da, en"):
        TabletOptions(language="sv")
    with pytest.raises(ValueError, match="server URL"):
        TabletOptions(server_url="ftp://x")
    assert TabletOptions(server_url="https://ppj.example.org").server_url == "https://ppj.example.org"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--size", "1024x768"], "at least 1280x800"), (["--lang", "de"], "language must be one of")],
)
def test_bad_options_stop_ppj_tablet_before_any_window_opens(args: list[str], fragment: str) -> None:
    result = CliRunner().invoke(app, ["tablet", *args])
    assert result.exit_code == 2
    assert fragment in " ".join(result.output.split())
