"""Recording a medication given: a favourite (or ATC code and name), dose with its UCUM unit, route, and
the legal basis — the journal's tagged union (standing protocol, a physician's concrete delegation, the
physician's own authorisation, given before arrival, the patient's own medication).

The dose is always typed by the person: favourites carry no doses (no clinical dose data lives here).
Each missing or invalid part is reported on its own field (``errors``: field → message), and nothing is
stored until the whole entry validates in ``journal`` (one ``Medication`` entry, one local transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal, get_args

from pydantic import ValidationError

from journal.entry import Author, Role
from journal.kinds.common import PersonRef, Quantity
from journal.kinds.treatment import (
    ConcreteDelegation,
    GivenBeforeArrival,
    Medication,
    PatientOwnMedication,
    PhysicianOwnAuthorisation,
    Route,
    StandingProtocol,
)
from tablet_app.i18n import Message, message
from tablet_app.observable import Observable


@dataclass(frozen=True)
class Favourite:
    atc: str
    name: str


FAVOURITES: tuple[Favourite, ...] = (
    Favourite("B01AC06", "Acetylsalicylsyre"),
    Favourite("N02BE01", "Paracetamol"),
    Favourite("N02AA01", "Morfin"),
    Favourite("C01CA24", "Adrenalin"),
    Favourite("R03AC02", "Salbutamol"),
    Favourite("A04AA01", "Ondansetron"),
)
"""Substances on the tablet's quick list, with their WHO ATC codes (WHO Collaborating Centre, ATC/DDD
Index). A quick list, not a formulary: the region's own list replaces it when configured."""

DOSE_UNITS: tuple[str, ...] = ("mg", "ug", "g", "mL", "[iU]")
ROUTES: tuple[str, ...] = get_args(Route)
BasisKind = Literal[
    "standing_protocol",
    "concrete_delegation",
    "physician_own_authorisation",
    "given_before_arrival",
    "patient_own_medication",
]
BASES: tuple[BasisKind, ...] = get_args(BasisKind)


class MedicationViewModel(Observable):
    def __init__(
        self,
        *,
        save: Callable[[Medication], None],
        now: Callable[[], datetime],
        author: Callable[[], Author],
    ) -> None:
        super().__init__()
        self._save = save
        self._now = now
        self._author = author  # who writes now (the crew's active author may change at any time)
        self.favourite: Favourite | None = None
        self.dose = ""
        self.unit = "mg"
        self.route: str | None = None
        self.basis: BasisKind | None = None
        self.protocol_id = ""
        self.protocol_version = ""
        self.physician = ""
        self.channel = "phone"
        self.errors: dict[str, Message] = {}
        self.saved: Medication | None = None

    def choose(self, atc: str) -> None:
        self.favourite = next(f for f in FAVOURITES if f.atc == atc)
        self.errors.pop("drug", None)
        self._changed()

    def set(self, name: str, value: str) -> None:
        if name not in ("dose", "unit", "route", "basis", "protocol_id", "protocol_version", "physician"):
            raise ValueError(f"no such medication field: {name!r}")
        if name == "unit" and value not in DOSE_UNITS:
            raise ValueError(f"unit: {value!r} is not one of {DOSE_UNITS}")
        if name == "route" and value not in ROUTES:
            raise ValueError(f"route: {value!r} is not one of {ROUTES}")
        if name == "basis" and value not in BASES:
            raise ValueError(f"basis: {value!r} is not one of {BASES}")
        setattr(self, name, value)
        self.errors.pop(name, None)
        self._changed()

    def submit(self) -> bool:
        """Save the medication; False with ``errors`` (one per field) when something is missing."""
        self.errors = {}
        if self.favourite is None:
            self.errors["drug"] = message("med.error.drug")
        dose = _dose(self.dose)
        if dose is None:
            self.errors["dose"] = message("med.error.dose")
        if self.route is None:
            self.errors["route"] = message("med.error.route")
        basis = self._legal_basis()
        if self.errors or self.favourite is None or dose is None or basis is None:
            self._changed()
            return False
        try:
            medication = Medication.model_validate(
                {
                    "atc": self.favourite.atc,
                    "name": self.favourite.name,
                    "dose": Quantity(value=float(dose), unit=self.unit),
                    "route": self.route,
                    "legal_basis": basis,
                }
            )
        except ValidationError as exc:
            self.errors["form"] = message("med.error.invalid", detail=exc.errors()[0]["msg"])
            self._changed()
            return False
        self._save(medication)
        self.saved = medication
        self.favourite, self.dose, self.route = None, "", None
        self._changed()
        return True

    def _legal_basis(self) -> object | None:
        if self.basis is None:
            self.errors["basis"] = message("med.error.basis")
            return None
        if self.basis == "standing_protocol":
            if not self.protocol_id.strip() or not self.protocol_version.strip():
                self.errors["protocol_id"] = message("med.error.protocol")
                return None
            return StandingProtocol(protocol_id=self.protocol_id, protocol_version=self.protocol_version)
        if self.basis == "concrete_delegation":
            if not self.physician.strip():
                self.errors["physician"] = message("med.error.physician")
                return None
            return ConcreteDelegation(
                physician=PersonRef(name=self.physician), ordered_at=self._now(), channel="phone"
            )
        if self.basis == "physician_own_authorisation":
            author = self._author()
            if author.role is not Role.PHYSICIAN or author.autorisations_id is None:
                self.errors["basis"] = message("med.error.not_physician")
                return None
            return PhysicianOwnAuthorisation(autorisations_id=author.autorisations_id)
        if self.basis == "given_before_arrival":
            return GivenBeforeArrival(given_by="unknown")
        return PatientOwnMedication()


def _dose(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None
