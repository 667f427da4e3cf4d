"""Danish municipalities of residence: the DK Core code list, and finding one from what a crew types.

The patient's municipality addresses the home-care notice (MedCom CareCommunication to the municipality),
so a typed code or name must name exactly one municipality in the list; anything else is refused with a
message, never guessed. The list is data (``journal/codes/dk_municipality_codes.json``) with its source
and version; a code a later list drops stays readable in old entries, because the entry kind checks only
the code's form and this module checks membership when the crew records it.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from journal.errors import JournalError


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class MunicipalityList:
    source_url: str
    version: str
    municipalities: tuple[Municipality, ...]


class UnknownMunicipalityError(JournalError, ValueError):
    """The typed code or name names no municipality, or more than one (``candidates`` lists them)."""

    def __init__(self, text: str, candidates: tuple[Municipality, ...] = ()) -> None:
        self.text = text
        self.candidates = candidates
        if candidates:
            names = ", ".join(m.name for m in candidates[:5])
            reason = f"{text!r} matches more than one municipality ({names}); type more of the name"
        else:
            reason = f"{text!r} is no Danish municipality code or name"
        super().__init__(reason)


@cache
def municipality_list() -> MunicipalityList:
    listing = resources.files("journal.codes").joinpath("dk_municipality_codes.json")
    data = json.loads(listing.read_text("utf-8"))
    return MunicipalityList(
        source_url=data["source"]["url"],
        version=data["source"]["version"],
        municipalities=tuple(Municipality(code=c["code"], name=c["display"]) for c in data["codes"]),
    )


def _folded(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def find_municipality(text: str) -> Municipality:
    """The one municipality ``text`` names: a 4-digit code, a full name, or the start of exactly one name
    (case and surrounding blanks ignored). Raises UnknownMunicipalityError otherwise."""
    wanted = _folded(text)
    if not wanted:
        raise UnknownMunicipalityError(text)
    listed = municipality_list().municipalities
    if wanted.isdigit():
        by_code = [m for m in listed if m.code == wanted.zfill(4)] if len(wanted) <= 4 else []
        if len(by_code) == 1:
            return by_code[0]
        raise UnknownMunicipalityError(text)
    exact = [m for m in listed if _folded(m.name) == wanted]
    if len(exact) == 1:
        return exact[0]
    starting = tuple(m for m in listed if _folded(m.name).startswith(wanted))
    if len(starting) == 1:
        return starting[0]
    raise UnknownMunicipalityError(text, starting)
