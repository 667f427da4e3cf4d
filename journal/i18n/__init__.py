"""Message catalogues for the text the journal itself writes: summaries, timeline titles, ISBAR/ATMIST.

Framework-free and stateless: every function that writes text takes ``lang`` (default Danish) and looks its
messages up here; the tablet passes its current language, the ED board the page's, MedCom builders the
default (Danish, for Danish hospitals). Catalogues are flat JSON files ``<lang>.json`` next to this module
mapping message ids to ``str.format`` templates.

The loader (``read_catalogue``) and ``placeholders`` are shared with the tablet's and the server's
catalogues, so there is one definition of what a catalogue file is.

Invariant (tested): both catalogues have the same ids with the same placeholders, and a missing id fails
loudly (``KeyError``) rather than showing an id to a reader.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES: tuple[str, ...] = ("da", "en")
DEFAULT_LANGUAGE = "da"
CATALOGUE_DIR = Path(__file__).resolve().parent

Translate = Callable[..., str]


def read_catalogue(path: Path) -> dict[str, str]:
    """One catalogue file: a JSON object of message id -> template (refused if it is anything else)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path.name} must be one JSON object of message id -> string")
    return {str(k): v for k, v in data.items()}


def placeholders(template: str) -> set[str]:
    """The names of the ``{placeholders}`` in a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@cache
def catalogue(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValueError(f"no journal catalogue for language {language!r} (known: {', '.join(LANGUAGES)})")
    return read_catalogue(CATALOGUE_DIR / f"{language}.json")


def text(lang: str, msg_id: str, /, **params: Any) -> str:
    """The message ``msg_id`` in ``lang`` with ``params`` filled in."""
    template = catalogue(lang)[msg_id]
    return template.format(**params) if params else template


@cache
def translator(lang: str) -> Translate:
    """``text`` bound to one language (what a function writing many messages holds)."""
    messages = catalogue(lang)

    def translate(msg_id: str, /, **params: Any) -> str:
        template = messages[msg_id]
        return template.format(**params) if params else template

    return translate


def label(lang: str, group: str, value: str) -> str:
    """The label of a coded value (``group.value``), e.g. ``label("da", "disposition", "transported")``."""
    return text(lang, f"{group}.{value}")


__all__ = [
    "CATALOGUE_DIR",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Translate",
    "catalogue",
    "label",
    "placeholders",
    "read_catalogue",
    "text",
    "translator",
]
