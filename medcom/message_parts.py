"""Parts every PPJ message shares: organisations, the clock and ids, narrative, Patient, practitioners and the
Provenance stack (MedCom messaging 4.0.2 as summarised in reference/notes/medcom.md §2).

Ids and timestamps come from an injected ``MessageClock`` so a message can be golden-tested. Resource ids
are UUIDs; fullUrls follow the official examples (``<base>/<Type>/<id>``), references are relative.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from journal.cpr import CPR_SYSTEM, REPLACEMENT_CPR_SYSTEMS
from journal.entry import Author, Role
from journal.kinds.patient import CprIdentifier, LocalIdentifier, PatientIdentity, ReplacementCprIdentifier
from medcom.errors import UnknownReceiverError

SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
GLN_SYSTEM = "https://www.gs1.org/gln"  # DK Core ≤ 3.4.0, which every messaging standard in force uses
SOR_ENDPOINT_PREFIX = "https://sor2.sum.dsdn.dk/#id="
EVENT_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes"
ACTIVITY_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes"
DESTINATION_USE_URL = (
    "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension"
)
DESTINATION_USE_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse"
ORGANIZATION_PROFILE = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization"
PATIENT_PROFILE = "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-patient"
PRACTITIONER_PROFILE = "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitioner"
PRACTITIONER_ROLE_PROFILE = "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitionerrole"
ROLE_SYSTEM = (
    "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-PractitionerRolesAutorisationsregistret"
)
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
PPJ_LOCAL_SYSTEM = "urn:ppj:identifier:unknown-patient"

# Autorisationsregistret role per PPJ role (MedCom Terminology 2.0.2). A paramediciner is an
# ambulancebehandler with special competence; an ambulanceassistent has no authorisation role, so the
# role is given as text (MedCom allows code.coding xor code.text).
ROLE_CODES: dict[Role, str] = {
    Role.AMBULANCEBEHANDLER: "ambulancebehandler",
    Role.PARAMEDICINER: "ambulancebehandler",
    Role.PHYSICIAN: "laege",
}
ROLE_TEXT: dict[Role, str] = {
    Role.AMBULANCEASSISTENT: "Ambulanceassistent",
    Role.AMBULANCEBEHANDLER: "Ambulancebehandler",
    Role.PARAMEDICINER: "Paramediciner",
    Role.PHYSICIAN: "Læge",
}
_SOR_RE = re.compile(r"^[0-9]{11,}$")
_GLN_RE = re.compile(r"^[0-9]{13}$")


def gln_check_digit_ok(gln: str) -> bool:
    """GS1 mod-10: weights 3,1,3,… from the right, excluding the check digit (DK Core GLN invariant)."""
    digits = [int(d) for d in gln]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


@dataclass(frozen=True, slots=True)
class Organisation:
    """A sender or receiver as the organisation registry knows it: SOR id, GLN (EAN), name, endpoint.

    ``endpoint`` is where messages to it go (an HTTP FHIR endpoint or a VANS address); the MessageHeader
    carries the SOR endpoint convention of the official examples. ``phone`` is the sender's contact number,
    which CareCommunication requires on every payload.
    """

    sor: str
    gln: str
    name: str
    endpoint: str | None = None
    phone: str | None = None

    def check(self, role: str) -> None:
        """Raise UnknownReceiverError naming the field when this organisation cannot be addressed."""
        if not _SOR_RE.match(self.sor):
            raise UnknownReceiverError(f"{role}.sor: {self.sor!r} is not a SOR id (11 or more digits)")
        if not _GLN_RE.match(self.gln) or not gln_check_digit_ok(self.gln):
            raise UnknownReceiverError(f"{role}.gln: {self.gln!r} is not a GLN (13 digits, GS1 check digit)")
        if not self.name.strip():
            raise UnknownReceiverError(f"{role}.name: an organisation needs its name")

    @property
    def sor_endpoint(self) -> str:
        return SOR_ENDPOINT_PREFIX + self.sor


def uuid4_text(random16: bytes) -> str:
    """A UUIDv4 in text form from 16 random bytes (version and variant bits set); the same as
    ``str(uuid.UUID(bytes=..., version=4))``, without the object — a message has a thousand ids."""
    raw = bytearray(random16)
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    x = raw.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def _new_id() -> str:
    return uuid4_text(os.urandom(16))


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class MessageClock:
    """Where a builder gets ids and the time; inject deterministic ones for golden files."""

    new_id: Callable[[], str] = _new_id
    now: Callable[[], datetime] = _now


def deterministic_clock(seed: str, at: datetime) -> MessageClock:
    """Ids derived from ``seed`` and a counter (UUIDv4-shaped: CareCommunication requires v4 identifiers),
    and a fixed time: the same message every run, for golden files and benchmarks."""
    counter = iter(range(1_000_000))

    def new_id() -> str:
        return uuid4_text(hashlib.sha256(f"{seed}/{next(counter)}".encode()).digest()[:16])

    return MessageClock(new_id=new_id, now=lambda: at)


@lru_cache(maxsize=8192)
def fhir_time(at: datetime) -> str:
    """A FHIR dateTime with its timezone (GOV 052.2: timestamps SHALL include a timezone)."""
    if at.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def narrative(*paragraphs: str) -> dict[str, str]:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


@dataclass
class BundleBuilder:
    """Collects the resources of one message; the first one added is the MessageHeader."""

    base: str
    clock: MessageClock
    resources: list[dict[str, Any]] = field(default_factory=list)

    def add(self, resource: dict[str, Any]) -> dict[str, str]:
        """Add a resource (given an id if it has none) and return a relative reference to it."""
        resource.setdefault("id", self.clock.new_id())
        self.resources.append(resource)
        return {"reference": f"{resource['resourceType']}/{resource['id']}"}

    def bundle(self, profile: str, bundle_id: str, timestamp: datetime) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "id": bundle_id,
            "meta": {"profile": [profile]},
            "type": "message",
            "timestamp": fhir_time(timestamp),
            "entry": [
                {"fullUrl": f"{self.base}{r['resourceType']}/{r['id']}", "resource": r}
                for r in self.resources
            ],
        }


def organization_resource(org: Organisation) -> dict[str, Any]:
    """A MedComMessagingOrganization. Its id is derived from the SOR id, so every message of a thread names
    an organisation by the same id and the Provenances a follow-up message carries still resolve."""
    digest = hashlib.sha256(f"urn:ppj:organisation:sor:{org.sor}".encode()).digest()[:16]
    return {
        "resourceType": "Organization",
        "id": uuid4_text(digest),
        "meta": {"profile": [ORGANIZATION_PROFILE]},
        "text": narrative(f"{org.name} (SOR {org.sor}, GLN {org.gln})"),
        "identifier": [{"system": GLN_SYSTEM, "value": org.gln}, {"system": SOR_SYSTEM, "value": org.sor}],
        "name": org.name,
    }


def destination(receiver: dict[str, str], org: Organisation) -> dict[str, Any]:
    return {
        "extension": [
            {"url": DESTINATION_USE_URL, "valueCoding": {"system": DESTINATION_USE_SYSTEM, "code": "primary"}}
        ],
        "endpoint": org.sor_endpoint,
        "receiver": receiver,
    }


def patient_identifier(identity: PatientIdentity) -> dict[str, str]:
    """The FHIR identifier of the patient: CPR, the issuer's replacement CPR, or PPJ's local id."""
    ident = identity.identifier
    if isinstance(ident, CprIdentifier):
        return {"system": CPR_SYSTEM, "value": ident.value}
    if isinstance(ident, ReplacementCprIdentifier):
        assert ident.system in REPLACEMENT_CPR_SYSTEMS  # checked when the entry was validated
        return {"use": "temp", "system": ident.system, "value": ident.value}
    assert isinstance(ident, LocalIdentifier)
    return {"use": "temp", "system": PPJ_LOCAL_SYSTEM, "value": ident.value}


def patient_resource(identity: PatientIdentity) -> dict[str, Any]:
    """A MedComCorePatient. An unknown name is an official name whose family carries data-absent-reason
    (MedCom requires name[official].family; DK Core's documented way to say it is unknown)."""
    name: dict[str, Any] = {"use": "official"}
    if identity.family_name:
        name["family"] = identity.family_name
    else:
        name["_family"] = {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}
    if identity.given_names:
        name["given"] = identity.given_names.split()
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "meta": {"profile": [PATIENT_PROFILE]},
        "text": narrative(identity.summary()),
        "identifier": [patient_identifier(identity)],
        "name": [name],
    }
    if identity.sex is not None:
        resource["gender"] = identity.sex
    return resource


def practitioner_resources(author: Author, organisation: dict[str, str] | None) -> list[dict[str, Any]]:
    """A MedComCorePractitioner and its MedComCorePractitionerRole (role coded where Autorisationsregistret
    has it)."""
    parts = author.name.split()
    practitioner_name: dict[str, Any] = {"family": parts[-1]}
    if len(parts) > 1:
        practitioner_name["given"] = parts[:-1]
    practitioner: dict[str, Any] = {
        "resourceType": "Practitioner",
        "meta": {"profile": [PRACTITIONER_PROFILE]},
        "text": narrative(f"{author.name}, {ROLE_TEXT.get(author.role, author.role.value)}"),
        "name": [practitioner_name],
    }
    if author.autorisations_id:
        practitioner["identifier"] = [
            {"system": "https://autregweb.sst.dk", "value": author.autorisations_id}
        ]
    role_code = ROLE_CODES.get(author.role)
    code: dict[str, Any] = (
        {"coding": [{"system": ROLE_SYSTEM, "code": role_code}]}
        if role_code
        else {"text": ROLE_TEXT.get(author.role, author.role.value)}
    )
    role: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "meta": {"profile": [PRACTITIONER_ROLE_PROFILE]},
        "text": narrative(f"{author.name} as {ROLE_TEXT.get(author.role, author.role.value)}"),
        "code": [code],
    }
    if organisation is not None:
        role["organization"] = organisation
    return [practitioner, role]


def provenance(
    *,
    profile: str,
    header_id: str,
    agent: dict[str, str],
    activity: str,
    at: datetime,
    text: str,
    preceding_header_id: str | None = None,
    extra_entities: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The Provenance of one message; ``preceding_header_id`` makes it a follow-up (entity role revision)."""
    entities: list[dict[str, Any]] = []
    if preceding_header_id is not None:
        entities.append({"role": "revision", "what": {"reference": f"MessageHeader/{preceding_header_id}"}})
    entities += extra_entities or []
    resource: dict[str, Any] = {
        "resourceType": "Provenance",
        "meta": {"profile": [profile]},
        "text": narrative(text),
        "target": [{"reference": f"MessageHeader/{header_id}"}],
        "occurredDateTime": fhir_time(at),
        "recorded": fhir_time(at),
        "activity": {"coding": [{"system": ACTIVITY_SYSTEM, "code": activity}]},
        "agent": [{"who": agent}],
    }
    if entities:
        resource["entity"] = entities
    return resource
