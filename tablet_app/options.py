"""How the tablet app was asked to start (``ppj tablet`` options); no Kivy here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tablet_app.i18n import DEFAULT_LANGUAGE, LANGUAGES

MIN_SIZE = (1280, 800)
FIRST_FRAME_MARKER = "PPJ-TABLET-FIRST-FRAME"
DEMO_LOGIN_MARKER = "PPJ-DEMO-LOGIN"  # followed by user=… password=… (``ppj tablet --demo``)


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x800"`` -> (1280, 800); landscape, at least 1280×800."""
    match = re.fullmatch(r"\s*(\d{3,5})\s*[xX×]\s*(\d{3,5})\s*", text)
    if match is None:
        raise ValueError(f"size must look like 1280x800, not {text!r}")
    width, height = int(match[1]), int(match[2])
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        raise ValueError(
            f"size must be at least {MIN_SIZE[0]}x{MIN_SIZE[1]} (landscape), not {width}x{height}"
        )
    return width, height


@dataclass(frozen=True)
class TabletOptions:
    server_url: str | None = None
    demo: bool = False
    language: str = DEFAULT_LANGUAGE
    high_contrast: bool = False
    size: tuple[int, int] = MIN_SIZE
    unit: str = "DEMO-1"

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {self.language!r}")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,49}", self.unit):
            raise ValueError(f"unit must be a call sign of 1–50 letters, digits, ' ._-', not {self.unit!r}")
        if self.server_url is not None and not re.match(r"^https?://[^\s/]+", self.server_url):
            raise ValueError(f"server URL must start with http:// or https://, not {self.server_url!r}")
