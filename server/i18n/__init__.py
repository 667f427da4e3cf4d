"""A tiny message catalogue for server-rendered pages: Danish by default, English available.

Catalogues are flat JSON files ``<lang>.json`` next to this module, mapping message keys to text with
``str.format`` placeholders. Every catalogue has exactly the keys of the Danish one (a test checks it);
a missing key is a bug, so lookups fail loudly instead of showing a key to a user.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from journal.i18n import read_catalogue

DEFAULT_LANGUAGE = "da"
LANGUAGES = ("da", "en")
_DIR = Path(__file__).resolve().parent

Translate = Callable[..., str]


@cache
def catalogue(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValueError(f"no catalogue for language {language!r}")
    return read_catalogue(_DIR / f"{language}.json")


def translator(language: str) -> Translate:
    messages = catalogue(language)

    def translate(key: str, **values: Any) -> str:
        return messages[key].format(**values) if values else messages[key]

    return translate


def negotiate(accept_language: str | None, override: str | None = None) -> str:
    """The page language: an explicit ``?lang=`` wins, then the first supported Accept-Language tag."""
    if override is not None and override in LANGUAGES:
        return override
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE
