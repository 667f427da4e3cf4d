"""The MedCom Acknowledgement 2.0 a receiver sends for a message (MedCom ACK IG 2.0.3, GOV 040 §7).

Rules followed (see reference/notes/medcom.md §2.8): ``ok`` when the message has no errors, ``fatal-error``
(with an OperationOutcome carrying the validator's errors) when it violates the profiles. The header answers
the acknowledged message: ``response.identifier`` is its MessageHeader.id, the sender and receiver swap
(the acknowledged primary receiver sends to the acknowledged sender, at the sender's ``source.endpoint``),
the destination carries the ``primary`` use extension. Provenance: the latest Provenance of the
acknowledged message, copied, plus a new one with activity ``acknowledgement``, the acknowledging
organisation as agent and ``entity.role = revision`` pointing at the acknowledged MessageHeader.
Ids and timestamps come from injected factories so the output can be golden-tested.
"""

from __future__ import annotations

import copy
import html
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from medcom.errors import AcknowledgementError
from medcom.fhir_validator import Validator
from medcom.operation_outcome import Issue, Severity, ValidationResult

ACK_BUNDLE_PROFILE = (
    "http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-messaging-acknowledgement"
)
ACK_HEADER_PROFILE = (
    "http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-messaging-acknowledgementHeader"
)
ACK_OUTCOME_PROFILE = (
    "http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-acknowledgement-operationoutcome"
)
PROVENANCE_PROFILE = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"
ORGANIZATION_PROFILE = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization"
EVENT_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes"
ACTIVITY_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes"
DESTINATION_USE_URL = (
    "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension"
)
DESTINATION_USE_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse"
SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
SOR_ENDPOINT_PREFIX = "https://sor2.sum.dsdn.dk/#id="
ISSUE_DETAILS_VS = "http://medcomfhir.dk/ig/terminology/ValueSet/medcom-acknowledgement-issue-details"
# validator issue type → acknowledgement issue detail code (MedCom Terminology, issue-details ValueSet)
DETAIL_CODES = {
    "code-invalid": "MSG_VALUESET_VALUE_UNKNOWN",
    "value": "MSG_Datatype_Wrong",
    "too-long": "MSG_Element_To_Long",
    "required": "MSG_RESOURCE_REQUIRED",
    "transient": "MSG_Mailbox_Out_Of_Operation",
    "receiver-unknown": "MSG_Receiver_Identifier_UNKNOWN",
}
# PPJ's own issue codes (above) as FHIR issue-type codes in the OperationOutcome.
OUTCOME_CODES = {"invariant": "invalid", "receiver-unknown": "not-found"}
DEFAULT_DETAIL_CODE = "MSG_BAD_FORMAT"
MAX_OUTCOME_ISSUES = 100


def _new_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


def _obj(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object, else an empty one: the message may be invalid in any way."""
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _entries(message: dict[str, Any]) -> list[dict[str, Any]]:
    entries = message.get("entry")
    return (
        [e for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
        if isinstance(entries, list)
        else []
    )


def bundle_resource(message: dict[str, Any], reference: Any) -> dict[str, Any] | None:
    """The resource a Reference (a dict with ``reference``) names in a message Bundle, or None."""
    if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
        return None
    ref = reference["reference"]
    for entry in _entries(message):
        resource = entry["resource"]
        if (
            entry.get("fullUrl") == ref
            or ref == f"{resource.get('resourceType')}/{resource.get('id')}"
            or str(entry.get("fullUrl", "")).endswith("/" + ref)
        ):
            return dict(resource)
    return None


def build_acknowledgement(
    *,
    message: dict[str, Any],
    result: ValidationResult,
    new_id: Callable[[], str] = _new_id,
    now: Callable[[], datetime] = _now,
    validator: Validator | None = None,
    transient_reason: str | None = None,
) -> dict[str, Any]:
    """The Acknowledgement Bundle for ``message`` given its validation ``result``.

    ``transient_reason`` makes it a ``transient-error`` (a technical problem at the receiver: the sender
    may resend later, GOV 040 KR rules), with the reason in the OperationOutcome.

    Raises AcknowledgementError when the message cannot be answered (no MessageHeader with an id, no
    sender or primary receiver Organization in the Bundle): there is nobody to address the ack to.
    """
    entries = _entries(message)
    header = entries[0]["resource"] if entries else None
    if message.get("resourceType") != "Bundle" or not header or header.get("resourceType") != "MessageHeader":
        raise AcknowledgementError("the message is not a Bundle whose first entry is a MessageHeader")
    acked_id = header.get("id")
    if not isinstance(acked_id, str):
        raise AcknowledgementError("the MessageHeader has no id, so the acknowledgement cannot name it")
    if _obj(header.get("eventCoding")).get("code") == "acknowledgement-message":
        raise AcknowledgementError("acknowledgements are never acknowledged (MedCom rule KR2)")
    original_sender = bundle_resource(message, header.get("sender"))
    destinations = _items(header.get("destination"))
    primary = next(
        (
            d
            for d in destinations
            if any(_obj(e.get("valueCoding")).get("code") == "primary" for e in _items(d.get("extension")))
        ),
        destinations[0] if destinations else {},
    )
    original_receiver = bundle_resource(message, primary.get("receiver"))
    if original_sender is None or original_receiver is None:
        raise AcknowledgementError(
            "the message lacks its sender or primary receiver Organization in the Bundle"
        )
    for organization in (original_sender, original_receiver):
        if organization.get("resourceType") != "Organization" or not isinstance(organization.get("id"), str):
            raise AcknowledgementError(
                "the message's sender and primary receiver must be Organizations with an id"
            )

    stamp = now()
    timestamp = stamp.isoformat(timespec="seconds").replace("+00:00", "Z")
    base = _full_url_base(entries[0].get("fullUrl"), "MessageHeader", acked_id)
    if transient_reason is not None:
        code = "transient-error"
        result = ValidationResult((Issue(Severity.ERROR, "", transient_reason, "transient"),))
    else:
        code = "ok" if result.is_valid else "fatal-error"
    header_id, provenance_id, bundle_id = new_id(), new_id(), new_id()
    sender_org = _as_messaging_org(original_receiver)
    receiver_org = _as_messaging_org(original_sender)

    response: dict[str, Any] = {"identifier": acked_id, "code": code}
    outcome: dict[str, Any] | None = None
    if code != "ok":
        outcome = _operation_outcome(new_id(), result, validator)
        response["details"] = {"reference": f"OperationOutcome/{outcome['id']}"}
    ack_header: dict[str, Any] = {
        "resourceType": "MessageHeader",
        "id": header_id,
        "meta": {"profile": [ACK_HEADER_PROFILE]},
        "text": _narrative(
            f"Acknowledgement ({code}) of message {acked_id} "
            f"from {receiver_org.get('name', receiver_org['id'])}, "
            f"sent by {sender_org.get('name', sender_org['id'])}"
        ),
        "eventCoding": {"system": EVENT_SYSTEM, "code": "acknowledgement-message"},
        "destination": [
            {
                "extension": [
                    {
                        "url": DESTINATION_USE_URL,
                        "valueCoding": {"system": DESTINATION_USE_SYSTEM, "code": "primary"},
                    }
                ],
                "endpoint": _endpoint(_obj(header.get("source")).get("endpoint"), receiver_org),
                "receiver": {"reference": f"Organization/{receiver_org['id']}"},
            }
        ],
        "sender": {"reference": f"Organization/{sender_org['id']}"},
        "source": {"endpoint": _endpoint(primary.get("endpoint"), sender_org)},
        "response": response,
    }
    own_provenance = {
        "resourceType": "Provenance",
        "id": provenance_id,
        "meta": {"profile": [PROVENANCE_PROFILE]},
        "text": _narrative(f"Acknowledgement of MessageHeader {acked_id} sent"),
        "target": [{"reference": f"MessageHeader/{header_id}"}],
        "occurredDateTime": timestamp,
        "recorded": timestamp,
        "activity": {"coding": [{"system": ACTIVITY_SYSTEM, "code": "acknowledgement"}]},
        "agent": [{"who": {"reference": f"Organization/{sender_org['id']}"}}],
        "entity": [{"role": "revision", "what": {"reference": f"MessageHeader/{acked_id}"}}],
    }
    resources: list[dict[str, Any]] = [ack_header]
    latest = _latest_provenance(message, acked_id)
    if latest is not None:
        resources.append(latest)
    resources += [own_provenance, sender_org, receiver_org]
    if outcome is not None:
        resources.append(outcome)
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"profile": [ACK_BUNDLE_PROFILE]},
        "type": "message",
        "timestamp": timestamp,
        "entry": [{"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }


def _full_url_base(full_url: Any, rtype: str, rid: str) -> str:
    """The base of the acknowledged message's fullUrls, so relative references resolve alike."""
    suffix = f"{rtype}/{rid}"
    if isinstance(full_url, str) and full_url.endswith(suffix) and "://" in full_url:
        return full_url[: -len(suffix)]
    return "https://medcomfhir.dk/ig/acknowledgement/"


def _endpoint(given: Any, organization: dict[str, Any]) -> str:
    """The endpoint the message named, else the SOR endpoint of the organisation (the MedCom convention
    ``https://sor2.sum.dsdn.dk/#id=<SOR-id>``)."""
    if isinstance(given, str) and given:
        return given
    for identifier in _items(organization.get("identifier")):  # any shape: the message may be invalid
        if identifier.get("system") == SOR_SYSTEM and identifier.get("value"):
            return f"{SOR_ENDPOINT_PREFIX}{identifier['value']}"
    raise AcknowledgementError(f"Organization {organization.get('id')} has no endpoint and no SOR identifier")


def _as_messaging_org(organization: dict[str, Any]) -> dict[str, Any]:
    org = copy.deepcopy(organization)
    org["meta"] = {"profile": [ORGANIZATION_PROFILE]}
    if "text" not in org:
        org["text"] = _narrative(f"Organization {org.get('name', org.get('id'))}")
    return org


def _latest_provenance(message: dict[str, Any], acked_id: str) -> dict[str, Any] | None:
    """The Provenance describing the acknowledged message itself (its target is that MessageHeader)."""
    candidates = [
        e["resource"]
        for e in _entries(message)
        if e["resource"].get("resourceType") == "Provenance"
        and isinstance(e["resource"].get("id"), str)
        and any(
            isinstance(t, dict) and str(t.get("reference", "")).endswith(f"MessageHeader/{acked_id}")
            for t in _items(e["resource"].get("target"))
        )
    ]
    if not candidates:
        return None
    provenance: dict[str, Any] = copy.deepcopy(candidates[-1])
    provenance["meta"] = {"profile": [PROVENANCE_PROFILE]}
    return provenance


def _narrative(text: str) -> dict[str, str]:
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{html.escape(text)}</p></div>',
    }


def _detail_coding(code: str, validator: Validator | None) -> dict[str, str]:
    """The coding of a detail code, with the system the issue-details ValueSet uses for it."""
    system = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-error-codes"
    if validator is not None:
        profile = validator.profile(ACK_OUTCOME_PROFILE, None)
        expansion = validator.terminology.expansion(ISSUE_DETAILS_VS, profile.package if profile else None)
        for known_system, known_code in sorted(expansion.codes) if expansion else []:
            if known_code == code:
                system = known_system
                break
    return {"system": system, "code": code}


def _operation_outcome(
    outcome_id: str, result: ValidationResult, validator: Validator | None
) -> dict[str, Any]:
    errors: list[Issue] = list(result.errors)[:MAX_OUTCOME_ISSUES]
    issues = []
    for issue in errors:
        detail = DETAIL_CODES.get(issue.code, DEFAULT_DETAIL_CODE)
        entry: dict[str, Any] = {
            "severity": Severity.ERROR.value if issue.severity is Severity.ERROR else issue.severity.value,
            "code": OUTCOME_CODES.get(issue.code, issue.code),
            "details": {"coding": [_detail_coding(detail, validator)], "text": issue.message},
        }
        if issue.location:
            entry["expression"] = [issue.location]
        issues.append(entry)
    return {
        "resourceType": "OperationOutcome",
        "id": outcome_id,
        "meta": {"profile": [ACK_OUTCOME_PROFILE]},
        "text": _narrative(f"{len(issues)} error(s) found when validating the message"),
        "issue": issues,
    }


@dataclass(frozen=True, slots=True)
class AcknowledgementSummary:
    """What a sender needs from a received Acknowledgement: which message, and the answer."""

    acknowledged_header_id: str
    code: str
    details: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.code == "ok"

    @property
    def retry(self) -> bool:
        """transient-error: resend later; fatal-error: never resend unchanged."""
        return self.code == "transient-error"


def read_acknowledgement(message: dict[str, Any]) -> AcknowledgementSummary:
    """The acknowledged MessageHeader.id, the response code and the issue texts of an Acknowledgement;
    AcknowledgementError when the message is not one."""
    entries = _entries(message)
    header = entries[0]["resource"] if entries else {}
    if _obj(header.get("eventCoding")).get("code") != "acknowledgement-message":
        raise AcknowledgementError("the message is not an Acknowledgement (first entry, eventCoding)")
    response = _obj(header.get("response"))
    acked, code = response.get("identifier"), response.get("code")
    if not isinstance(acked, str) or code not in ("ok", "transient-error", "fatal-error"):
        raise AcknowledgementError("the Acknowledgement lacks response.identifier or a valid response.code")
    outcome = bundle_resource(message, _obj(response.get("details"))) or {}
    details = tuple(
        str(_obj(i.get("details")).get("text", i.get("diagnostics", "")))
        for i in _items(outcome.get("issue"))
    )
    return AcknowledgementSummary(acked, code, details)
