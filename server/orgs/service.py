"""Organisation registry services: create, edit, look up; identifiers validated on the way in."""

from __future__ import annotations

import ipaddress
import re
import uuid
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import Conflict, InvalidInput, NotFound
from server.orgs.models import EndpointKind, MessageEndpoint, Organisation, OrgKind, UnitType

# DK Core invariant min-digits-sor: a SOR id is at least 11 digits.
SOR_PATTERN = re.compile(r"^[0-9]{11,20}$")
GLN_PATTERN = re.compile(r"^[0-9]{13}$")
CALL_SIGN_PATTERN = re.compile(r"^[A-ZÆØÅ0-9][A-ZÆØÅ0-9 -]{1,39}$")
# A phone number as people write it: optional +, digits and single spaces, 8–20 characters.
PHONE_PATTERN = re.compile(r"^\+?[0-9]+( [0-9]+)*$")
# DK Core municipality codes are four digits (CodeSystem dk-core-municipality-codes, e.g. 0461 Odense).
MUNICIPALITY_CODE_PATTERN = re.compile(r"^[0-9]{4}$")

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


def _check_contact(kind: OrgKind, phone: str | None, municipality_code: str | None) -> None:
    if phone is not None and not (8 <= len(phone) <= 20 and PHONE_PATTERN.fullmatch(phone)):
        raise InvalidInput("phone", "a phone number is 8–20 characters: an optional +, digits and spaces")
    if municipality_code is not None:
        if kind is not OrgKind.municipality:
            raise InvalidInput("municipality_code", "only municipalities have a municipality code")
        if not MUNICIPALITY_CODE_PATTERN.fullmatch(municipality_code):
            raise InvalidInput("municipality_code", "a municipality code is 4 digits (DK Core, e.g. 0461)")


def _check_municipality_code_free(session: Session, code: str | None, own_id: uuid.UUID | None) -> None:
    if code is None:
        return
    holder = session.scalar(select(Organisation.id).where(Organisation.municipality_code == code))
    if holder is not None and holder != own_id:
        raise Conflict(f"municipality code {code} is already registered")


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
    phone: str | None = None,
    municipality_code: str | None = None,
) -> Organisation:
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    _check_identifiers(sor_id, gln)
    _check_contact(kind, phone, municipality_code)
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
    _check_municipality_code_free(session, municipality_code, None)
    organisation = Organisation(
        kind=kind,
        name=name.strip(),
        parent_id=parent_id,
        sor_id=sor_id,
        gln=gln,
        call_sign=call_sign,
        unit_type=unit_type,
        demo_identifiers=demo_identifiers,
        phone=phone,
        municipality_code=municipality_code,
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
    phone: str | None = None,
    municipality_code: str | None = None,
) -> Organisation:
    """Change name, identifiers, contact or the active flag; ``None`` leaves a field as it is."""
    organisation = get_organisation(session=session, organisation_id=organisation_id)
    _check_identifiers(sor_id, gln)
    _check_contact(organisation.kind, phone, municipality_code)
    _check_municipality_code_free(session, municipality_code, organisation.id)
    if phone is not None:
        organisation.phone = phone
    if municipality_code is not None:
        organisation.municipality_code = municipality_code
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


def is_loopback_url(address: str) -> bool:
    """Whether the URL's host is this machine (localhost, 127.0.0.0/8, ::1): plain HTTP to it never
    crosses a network."""
    try:
        host = urlsplit(address).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_http_endpoint(address: str, *, allow_loopback_http: bool) -> None:
    """An HTTP FHIR endpoint is an https:// URL with a host. Plain http:// is accepted only to a loopback
    host and only when ``allow_loopback_http`` (development: the receiver simulator); patient data never
    travels unencrypted over a network."""
    scheme = address.partition("://")[0].lower() if "://" in address else ""
    try:
        host = urlsplit(address).hostname
    except ValueError:
        host = None
    if scheme == "https" and host:
        return
    if scheme == "http" and host:
        if not is_loopback_url(address):
            raise InvalidInput(
                "address", "an HTTP FHIR endpoint must be an https:// URL (http:// only to loopback)"
            )
        if not allow_loopback_http:
            raise InvalidInput(
                "address", "http:// to a loopback host is allowed only in development (the simulator)"
            )
        return
    raise InvalidInput("address", "an HTTP FHIR endpoint must be an https:// URL with a host")


def add_endpoint(
    *,
    session: Session,
    organisation_id: uuid.UUID,
    kind: EndpointKind,
    address: str,
    allow_loopback_http: bool = False,
) -> MessageEndpoint:
    """Register where an organisation takes messages. ``allow_loopback_http``: the caller runs in
    development (see ``check_http_endpoint``)."""
    organisation = get_organisation(session=session, organisation_id=organisation_id)
    if organisation.kind not in RECEIVER_KINDS:
        raise InvalidInput("organisation_id", f"a {organisation.kind.value} receives no messages")
    if kind is EndpointKind.vans and not (GLN_PATTERN.fullmatch(address) and gln_check_digit_ok(address)):
        raise InvalidInput("address", "a VANS endpoint is addressed by the receiver's GLN")
    if kind is EndpointKind.fhir_http:
        check_http_endpoint(address, allow_loopback_http=allow_loopback_http)
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
