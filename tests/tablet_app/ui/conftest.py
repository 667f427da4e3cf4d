"""UI tests: the real app in a subprocess on a private Xvfb screen, driven through its control socket.

Screenshots go to ``artifacts/screenshots/`` (gitignored) at the repository root.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tablet_app.testing.harness import RunningTablet, VirtualScreen

SCREENSHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def virtual_screen() -> Iterator[VirtualScreen]:
    screen = VirtualScreen()
    yield screen
    screen.close()


@pytest.fixture(scope="session")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | None]:
    """A bytecode cache shared by the session's app starts: the first start compiles, later ones load."""
    return {"PYTHONPYCACHEPREFIX": str(tmp_path_factory.mktemp("pycache")), "PYTHONDONTWRITEBYTECODE": None}


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def demo_tablet(
    virtual_screen: VirtualScreen, tmp_path: Path, app_env: dict[str, str | None]
) -> Iterator[RunningTablet]:
    tablet = RunningTablet(
        screen=virtual_screen, home=tmp_path / "tablet-home", args=["--demo"], extra_env=app_env
    )
    yield tablet
    tablet.close()
