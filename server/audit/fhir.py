"""Audit events as FHIR R4 AuditEvent resources, in the style of IHE Basic Audit Log Patterns (BALP).

Mapping (BALP "patient-related RESTful" pattern): ``type`` audit-event-type#rest; ``subtype`` the RESTful
interaction (read, search-type for list, create for write) or DICOM 110106 Export; ``action`` R/E/C;
``outcome`` 0 (allowed) or 4 (refused); the user agent is a ``humanuser`` with ``requestor`` true, the
purpose of use v3-ActReason#TREAT (Sundhedsloven §42a); ``source`` is this server; entities are the patient
(CPR, ``urn:oid:1.2.208.176.1.2``, role Patient) and the journal (``urn:uuid:``).
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from fhir.resources.R4B.bundle import Bundle

from server.audit.models import AuditEvent

CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
RESTFUL = "http://hl7.org/fhir/restful-interaction"
DCM = "http://dicom.nema.org/resources/ontology/DCM"

_SUBTYPE: dict[str, tuple[str, str, str]] = {
    # action → (system, code, FHIR AuditEvent.action)
    "read": (RESTFUL, "read", "R"),
    "list": (RESTFUL, "search-type", "E"),
    "write": (RESTFUL, "create", "C"),
    "export": (DCM, "110106", "R"),
}


def to_fhir(event: AuditEvent) -> FhirAuditEvent:
    system, code, action = _SUBTYPE[event.action]
    user: dict[str, Any] = {
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
                    "code": "humanuser",
                    "display": "human user",
                }
            ]
        },
        "role": [{"text": event.actor_role}],
        "who": {"display": event.actor_name},
        "requestor": True,
        "purposeOfUse": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}]}
        ],
    }
    if event.actor_id is not None:
        user["who"]["identifier"] = {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{event.actor_id}"}
    if event.actor_authorisation_id:
        user["altId"] = event.actor_authorisation_id
    if event.client_ip:
        user["network"] = {"address": event.client_ip, "type": "2"}
    entities: list[dict[str, Any]] = []
    if event.patient_cpr:
        entities.append(
            {
                "what": {"identifier": {"system": CPR_SYSTEM, "value": event.patient_cpr}},
                "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1"},
                "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1"},
            }
        )
    if event.journal_id:
        entities.append(
            {
                "what": {
                    "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{event.journal_id}"}
                },
                "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2"},
                "description": "PPJ journal",
            }
        )
    return FhirAuditEvent.model_validate(
        {
            "resourceType": "AuditEvent",
            "id": str(event.id),
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
                "code": "rest",
                "display": "Restful Operation",
            },
            "subtype": [{"system": system, "code": code}],
            "action": action,
            "recorded": event.occurred_at.isoformat(),
            "outcome": "0" if event.outcome == "allowed" else "4",
            "outcomeDesc": None if event.outcome == "allowed" else "refused by the access policy",
            "purposeOfEvent": [
                {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}
                    ]
                }
            ],
            "agent": [user],
            "source": {
                "site": event.channel,
                "observer": {"display": "PPJ server"},
                "type": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                        "code": "4",
                        "display": "Application Server",
                    }
                ],
            },
            "entity": entities,
        }
    )


def bundle(events: list[AuditEvent]) -> Bundle:
    """A searchset Bundle of AuditEvents (the shape of an IHE ITI-81 answer)."""
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(events),
            "entry": [
                {"fullUrl": f"urn:uuid:{event.id}", "resource": to_fhir(event).model_dump(mode="json")}
                for event in events
            ],
        }
    )
