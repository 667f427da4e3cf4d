"""Message catalogues and the current language.

Every text a person reads comes from a catalogue (``da.json``, ``en.json`` next to this module) keyed by a
message id; Danish is the default. ``_(msg_id, **params)`` renders one message in the current language
with ``str.format`` placeholders. View-models never hold rendered text: they hold ``Message`` values (an id
and its parameters), and screens render them, so switching the language re-renders everything without
the view-models knowing. Numbers passed as ``Decimal``/``float`` parameters are written with the
language's decimal separator (comma in Danish).

The file format (``read_catalogue``) and ``placeholders`` are the journal catalogue's (``journal.i18n``),
whose messages the tablet shows in its current language too (summaries, ISBAR).

Invariant (tested): both catalogues have the same ids with the same placeholders, and every id the code or
the kv files use exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from journal.i18n import placeholders as placeholders  # re-exported: the catalogue tests use it
from journal.i18n import read_catalogue
from tablet_app.errors import MissingMessageError, UnknownLanguageError
from tablet_app.observable import Observable

LANGUAGES: tuple[str, ...] = ("da", "en")
DEFAULT_LANGUAGE = "da"
CATALOGUE_DIR = Path(__file__).resolve().parent


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """The catalogue of ``language`` (read once): message id -> template."""
    if language not in LANGUAGES:
        raise UnknownLanguageError(language, LANGUAGES)
    return read_catalogue(CATALOGUE_DIR / f"{language}.json")


class LanguageState(Observable):
    """The current language; screens subscribe to re-render when it changes."""

    def __init__(self) -> None:
        super().__init__()
        self._current = DEFAULT_LANGUAGE

    @property
    def current(self) -> str:
        return self._current

    def set(self, language: str) -> None:
        """Switch language; raises ``UnknownLanguageError`` for a language with no catalogue."""
        catalogue(language)  # fail before changing anything
        if language != self._current:
            self._current = language
            self._changed()


language = LanguageState()


def set_language(code: str) -> None:
    language.set(code)


def format_number(value: Decimal | float | int) -> str:
    """A number as the current language writes it (decimal comma in Danish)."""
    text = format(value, "f") if isinstance(value, Decimal) else f"{value:g}"
    return text.replace(".", _("format.decimal_separator"))


def _(msg_id: str, /, **params: Any) -> str:
    """The message ``msg_id`` in the current language, with ``params`` filled in."""
    try:
        template = catalogue(language.current)[msg_id]
    except KeyError:
        raise MissingMessageError(msg_id, language.current) from None
    return template.format(**{name: _shown(value) for name, value in params.items()})


def _shown(value: Any) -> Any:
    """A parameter as it appears in text: numbers localised, nested messages rendered (a tuple of them
    joined with commas)."""
    if isinstance(value, Message):
        return value.render()
    if isinstance(value, tuple):  # a list of messages, e.g. the missing parameters of a score
        return ", ".join(str(_shown(item)) for item in value)
    if isinstance(value, Decimal | float):
        return format_number(value)
    return value


@dataclass(frozen=True)
class Message:
    """A message id with its parameters: what view-models hold instead of rendered text."""

    msg_id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        return _(self.msg_id, **self.params)


def message(msg_id: str, /, **params: Any) -> Message:
    return Message(msg_id, params)
