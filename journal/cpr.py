"""Danish CPR numbers and the patient identifier systems PPJ uses.

CPR (Det Centrale Personregister): ``DDMMYY-SSSS``, accepted with or without the dash. The first six digits
are the birth date; the 7th digit (first of the serial) gives the century together with YY (CPR-kontoret's
table, "Personnummeret i CPR-systemet", as summarised by DK Core's ``cpr`` invariant and NamingSystem):

=========  ==========  ==========  ==========
7th digit  YY 00–36    YY 37–57    YY 58–99
=========  ==========  ==========  ==========
0–3        19xx        19xx        19xx
4, 9       20xx        19xx        19xx
5–8        20xx        20xx        18xx
=========  ==========  ==========  ==========

Modulus 11 is *not* a validity rule: CPR numbers without it have been issued since 1 October 2007, so
``Cpr.mod11_ok`` is information only and never refuses a number (DK Core's invariant has no mod-11 check).

Identifier systems (the ``system`` of a FHIR Identifier):

* ``CPR_SYSTEM`` ``urn:oid:1.2.208.176.1.2`` — the CPR register (DK Core NamingSystem ``cpr``).
* ``X_ECPR_SYSTEM`` ``urn:oid:1.2.208.176.1.6.1.1`` — national replacement CPR from Sundhedsdatastyrelsen's
  eCPR service (DK Core ``x-ecpr``; MedCom example ``Patient-ded1fc9a…``, value ``0703921VJ4``).
* ``D_ECPR_SYSTEMS`` ``urn:oid:1.2.208.176.1.6.1.3`` (generic) and ``.177/.179/.181/.183/.187`` — regional
  replacement CPRs (DK Core ``d-ecpr`` value set).
* ``PPJ_LOCAL_SYSTEM`` ``urn:ppj:identifier:unknown-patient`` — PPJ's own system for a patient whose identity
  is not (yet) known. Values are ``U-`` + the UUIDv7 of the journal that created them, so two devices offline
  never mint the same one. They never leave PPJ as a CPR substitute: a replacement CPR is only ever the one
  its issuer gave (we never make one up), and the patient is identified later by a correction entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from journal.errors import InvalidCprError

CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
X_ECPR_SYSTEM = "urn:oid:1.2.208.176.1.6.1.1"
D_ECPR_SYSTEMS: dict[str, str] = {
    "urn:oid:1.2.208.176.1.6.1.3": "regional replacement CPR (generic)",
    "urn:oid:1.2.208.176.1.6.1.3.177": "Region Sjælland",
    "urn:oid:1.2.208.176.1.6.1.3.179": "Region Nordjylland",
    "urn:oid:1.2.208.176.1.6.1.3.181": "Region Midtjylland",
    "urn:oid:1.2.208.176.1.6.1.3.183": "Region Syddanmark",
    "urn:oid:1.2.208.176.1.6.1.3.187": "Region Hovedstaden",
}
REPLACEMENT_CPR_SYSTEMS: dict[str, str] = {
    X_ECPR_SYSTEM: "national replacement CPR (X-eCPR)",
    **D_ECPR_SYSTEMS,
}
PPJ_LOCAL_SYSTEM = "urn:ppj:identifier:unknown-patient"

_CPR_RE = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d{4})$")
# DK Core x-ecpr: DDMM YY 1|7 two capitals one digit; d-ecpr: DDMM YY 0|5|6 two capitals one digit.
_X_ECPR_RE = re.compile(r"^\d{6}[17][A-Z]{2}\d$")
_D_ECPR_RE = re.compile(r"^\d{6}[056][A-Z]{2}\d$")
_MOD11_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def century(*, seventh_digit: int, yy: int) -> int:
    """The century (1800, 1900 or 2000) of a CPR birth year, from the table in the module docstring."""
    if not 0 <= seventh_digit <= 9 or not 0 <= yy <= 99:
        raise InvalidCprError("7th digit must be 0–9 and year 00–99")
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


@dataclass(frozen=True, slots=True)
class Cpr:
    """A syntactically valid CPR number naming a real calendar date."""

    digits: str
    birth_date: date

    @property
    def formatted(self) -> str:
        return f"{self.digits[:6]}-{self.digits[6:]}"

    @property
    def mod11_ok(self) -> bool:
        """Whether the number passes the old modulus-11 check — information only, never a validity rule."""
        return sum(int(d) * w for d, w in zip(self.digits, _MOD11_WEIGHTS, strict=True)) % 11 == 0

    @property
    def sex_digit_is_odd(self) -> bool:
        """Odd last digit: registered male; even: registered female (CPR convention)."""
        return int(self.digits[-1]) % 2 == 1


def parse_cpr(text: str) -> Cpr:
    """The CPR number in ``text`` (``DDMMYY-SSSS`` or ``DDMMYYSSSS``); ``InvalidCprError`` says why not."""
    match = _CPR_RE.match(text.strip())
    if match is None:
        raise InvalidCprError("CPR must be 10 digits, DDMMYY-SSSS or DDMMYYSSSS")
    dd, mm, yy, serial = match.groups()
    year = century(seventh_digit=int(serial[0]), yy=int(yy)) + int(yy)
    try:
        born = date(year, int(mm), int(dd))
    except ValueError:
        raise InvalidCprError(f"CPR {dd}{mm}{yy}-{serial} names no real date ({dd}.{mm}.{year})") from None
    return Cpr(digits=f"{dd}{mm}{yy}{serial}", birth_date=born)


def check_replacement_cpr(*, system: str, value: str) -> None:
    """Refuse a replacement CPR whose system is not a known issuer or whose value breaks its format."""
    if system not in REPLACEMENT_CPR_SYSTEMS:
        raise InvalidCprError(
            f"{system!r} is not a replacement-CPR issuer PPJ knows; only the issuer's own number is accepted"
        )
    pattern = _X_ECPR_RE if system == X_ECPR_SYSTEM else _D_ECPR_RE
    if not pattern.match(value):
        raise InvalidCprError(f"{value!r} does not have the format of a replacement CPR from {system}")
