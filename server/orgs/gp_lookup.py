"""Which GP practice a patient is listed with, behind an interface.

``GpLookup`` is what the rest of the server asks. ``RegistryGpLookup`` answers from the local
``gp_assignments`` table (seeded with demo data); the NSP issue adds an implementation backed by the CPR
register (Stamdata CPR "Det Gode CPR-opslag", which carries the patient's GP) and writes through to the
same table. Callers must audit the look-up: it is a look-up in patient data.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy.orm import Session

from server.errors import InvalidInput
from server.orgs.models import GpAssignment, Organisation, OrgKind


class GpLookup(Protocol):
    def gp_for(self, *, patient_cpr: str) -> Organisation | None:
        """The patient's GP practice, or None when unknown."""
        ...


class RegistryGpLookup:
    def __init__(self, session: Session) -> None:
        self._session = session

    def gp_for(self, *, patient_cpr: str) -> Organisation | None:
        assignment = self._session.get(GpAssignment, patient_cpr)
        if assignment is None:
            return None
        return self._session.get(Organisation, assignment.organisation_id)


def assign_gp(
    *, session: Session, patient_cpr: str, organisation: Organisation, source: str, now: dt.datetime
) -> GpAssignment:
    if not (len(patient_cpr) == 10 and patient_cpr.isdigit()):
        raise InvalidInput("patient_cpr", "a CPR number is 10 digits")
    if organisation.kind is not OrgKind.gp_practice:
        raise InvalidInput("organisation_id", "not a GP practice")
    assignment = session.get(GpAssignment, patient_cpr)
    if assignment is None:
        assignment = GpAssignment(
            patient_cpr=patient_cpr, organisation_id=organisation.id, source=source, updated_at=now
        )
        session.add(assignment)
    else:
        assignment.organisation_id, assignment.source, assignment.updated_at = organisation.id, source, now
    session.flush()
    return assignment
