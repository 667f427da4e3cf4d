"""Organisation registry services: create, edit, look up; identifiers validated on the way in."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import Conflict, InvalidInput, NotFound
from server.orgs.models import EndpointKind, MessageEndpoint, Organisation, OrgKind, UnitType

# DK Core invariant min-digits-sor: a SOR id is at least 11 digits.
SOR_PATTERN = re.compile(r"^[0-9]{11,20}$")
GLN_PATTERN = re.compile(r"^[0-9]{13}$")
CALL_SIGN_PATTERN = re.compile(r"^[A-ZÆØÅ0-9][A-ZÆØÅ0-9 -]{1,39}$")

# Which kind may sit under which: the registry is a tree rooted in regions (municipalities stand alone).
ALLOWED_PARENTS: dict[OrgKind, frozenset[OrgKind]] = {
    OrgKind.region: frozenset(),
    OrgKind.municipality: frozenset(),
    OrgKind.hospital: frozenset({OrgKind.region}),
    OrgKind.emergency_department: frozenset({OrgKind.hospital}),
    OrgKind.gp_practice: frozenset({OrgKind.region}),
    OrgKind.unit: frozenset({OrgKind.region}),
}
# Organisations that receive messages and therefore may carry endpoints.
RECEIVER_KINDS = frozenset(
    {OrgKind.hospital, OrgKind.emergency_department, OrgKind.municipality, OrgKind.gp_practice}
)


def gln_check_digit_ok(gln: str) -> bool:
    """GS1 mod-10: weights 3,1,3,1… from the right over the first 12 digits."""
    digits = [int(c) for c in gln]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def _check_identifiers(sor_id: str | None, gln: str | None) -> None:
    if sor_id is not None and not SOR_PATTERN.fullmatch(sor_id):
        raise InvalidInput("sor_id", "a SOR id is 11–20 digits")
    if gln is not None and not (GLN_PATTERN.fullmatch(gln) and gln_check_digit_ok(gln)):
        raise InvalidInput("gln", "a GLN is 13 digits with a valid GS1 check digit")


def create_organisation(
    *,
    session: Session,
    kind: OrgKind,
    name: str,
    parent_id: uuid.UUID | None = None,
    sor_id: str | None = None,
    gln: str | None = None,
    call_sign: str | None = None,
    unit_type: UnitType | None = None,
    demo_identifiers: bool = False,
) -> Organisation:
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    _check_identifiers(sor_id, gln)
    allowed = ALLOWED_PARENTS[kind]
    if parent_id is None:
        if allowed:
            raise InvalidInput("parent_id", f"a {kind.value} belongs to a {' or '.join(sorted(allowed))}")
    else:
        parent = session.get(Organisation, parent_id)
        if parent is None or parent.kind not in allowed:
            raise InvalidInput("parent_id", f"a {kind.value} cannot belong to this organisation")
    if kind is OrgKind.unit:
        if call_sign is None or not CALL_SIGN_PATTERN.fullmatch(call_sign):
            raise InvalidInput("call_sign", "units need a call sign: capitals, digits, spaces or '-'")
        if unit_type is None:
            raise InvalidInput("unit_type", "units need a type: ambulance, physician_car or helicopter")
    elif call_sign is not None or unit_type is not None:
        raise InvalidInput("call_sign", "only units have call signs and unit types")
    if sor_id is not None and session.scalar(select(Organisation.id).where(Organisation.sor_id == sor_id)):
        raise Conflict(f"SOR id {sor_id} is already registered")
    if call_sign is not None and session.scalar(
        select(Organisation.id).where(Organisation.call_sign == call_sign)
    ):
        raise Conflict(f"call sign {call_sign} is already registered")
    organisation = Organisation(
        kind=kind,
        name=name.strip(),
        parent_id=parent_id,
        sor_id=sor_id,
        gln=gln,
        call_sign=call_sign,
        unit_type=unit_type,
        demo_identifiers=demo_identifiers,
    )
    session.add(organisation)
    session.flush()
    return organisation


def update_organisation(
    *,
    session: Session,
    organisation_id: uuid.UUID,
    name: str | None = None,
    sor_id: str | None = None,
    gln: str | None = None,
    active: bool | None = None,
) -> Organisation:
    """Change name, identifiers or the active flag; ``None`` leaves a field as it is."""
    organisation = get_organisation(session=session, organisation_id=organisation_id)
    _check_identifiers(sor_id, gln)
    if name is not None:
        if not name.strip():
            raise InvalidInput("name", "must not be empty")
        organisation.name = name.strip()
    if sor_id is not None and sor_id != organisation.sor_id:
        if session.scalar(select(Organisation.id).where(Organisation.sor_id == sor_id)):
            raise Conflict(f"SOR id {sor_id} is already registered")
        organisation.sor_id = sor_id
        organisation.demo_identifiers = False
    if gln is not None:
        organisation.gln = gln
    if active is not None:
        organisation.active = active
    session.flush()
    return organisation


def add_endpoint(
    *, session: Session, organisation_id: uuid.UUID, kind: EndpointKind, address: str
) -> MessageEndpoint:
    organisation = get_organisation(session=session, organisation_id=organisation_id)
    if organisation.kind not in RECEIVER_KINDS:
        raise InvalidInput("organisation_id", f"a {organisation.kind.value} receives no messages")
    if kind is EndpointKind.vans and not (GLN_PATTERN.fullmatch(address) and gln_check_digit_ok(address)):
        raise InvalidInput("address", "a VANS endpoint is addressed by the receiver's GLN")
    if kind is EndpointKind.fhir_http and not address.startswith("https://"):
        raise InvalidInput("address", "an HTTP FHIR endpoint must be an https:// URL")
    endpoint = MessageEndpoint(organisation_id=organisation.id, kind=kind, address=address)
    session.add(endpoint)
    session.flush()
    return endpoint


def get_organisation(*, session: Session, organisation_id: uuid.UUID) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"no organisation {organisation_id}")
    return organisation


def find_organisation(*, session: Session, key: str) -> Organisation:
    """By SOR id, call sign or id (as the CLI is given it)."""
    by = select(Organisation).where((Organisation.sor_id == key) | (Organisation.call_sign == key.upper()))
    found = session.scalar(by)
    if found is None:
        try:
            found = session.get(Organisation, uuid.UUID(key))
        except ValueError:
            found = None
    if found is None:
        raise NotFound(f"no organisation with SOR id, call sign or id {key!r}")
    return found


def list_organisations(*, session: Session, kind: OrgKind | None = None) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.kind, Organisation.name)
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    return list(session.scalars(query))
