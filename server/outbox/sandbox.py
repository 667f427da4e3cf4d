"""The integrators' sandbox: PPJ as a MedCom receiver. Post a message, get its Acknowledgement back.

``receive_in_sandbox`` answers every body and never raises for bad input; every original is kept in
``received_messages`` exactly as it came (MedCom: keep logs; the original stays readable):

* larger than the limit → HTTP 413 with an OperationOutcome (not stored: the limit is what protects us);
* not JSON/XML, not FHIR, or nobody to address an Acknowledgement to (no MessageHeader id, sender or
  receiver) → HTTP 400 with an OperationOutcome that says why; stored as ``refused``;
* otherwise an Acknowledgement 2.0 (HTTP 200): ``ok`` when the message validates against the official
  MedCom packages and PPJ's own profiles, ``fatal-error`` with the validator's OperationOutcome when it
  does not, or when its primary receiver is not in the organisation registry
  (MSG_Receiver_Identifier_UNKNOWN). The answer is JSON or XML as the message came;
* the same MessageHeader.id again from the same integrator is a duplicate: the same Acknowledgement bytes
  again, counted on the row, never listed twice (GOV 043).

Sandbox rows are test data posted by integrators (the published MedCom test persons), segregated per
integrator and never folded into journals, so receiving them writes no audit events (docs/medcom-outbox.md).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medcom.acknowledgement import build_acknowledgement, bundle_resource
from medcom.errors import AcknowledgementError, InputError
from medcom.fhir_input import DEFAULT_MAX_BYTES, parse_instance
from medcom.fhir_validator import Validator
from medcom.fhir_xml import json_to_xml
from medcom.message_parts import GLN_SYSTEM, SOR_SYSTEM
from medcom.operation_outcome import Issue, Severity, ValidationResult
from server.orgs.models import Organisation
from server.outbox.models import ReceivedMessage

FHIR_JSON = "application/fhir+json"
FHIR_XML = "application/fhir+xml"
MAX_SANDBOX_BYTES = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class SandboxAnswer:
    status: int
    body: bytes
    content_type: str
    duplicate: bool = False


def refusal(status: int, text: str) -> SandboxAnswer:
    """An HTTP error answer whose body is an OperationOutcome naming the problem."""
    code = "too-long" if status == 413 else "invalid"
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    return SandboxAnswer(status, json.dumps(outcome, ensure_ascii=False).encode("utf-8"), FHIR_JSON)


def receive_in_sandbox(
    *,
    session: Session,
    validator: Validator,
    integrator_id: uuid.UUID,
    body: bytes,
    content_type: str,
    now: dt.datetime,
    max_bytes: int = MAX_SANDBOX_BYTES,
) -> SandboxAnswer:
    """The answer to one posted message (see the module doc); the caller commits."""
    if len(body) > max_bytes:
        return refusal(
            413, f"the message is {len(body)} bytes, more than the sandbox's limit of {max_bytes} bytes"
        )
    try:
        message = parse_instance(body, source="message", max_bytes=max_bytes)
    except InputError as exc:
        return _refused(session, integrator_id, body, content_type, now, str(exc))
    header_id = _header_id(message)
    if header_id is not None:
        seen = _seen(session, integrator_id, header_id)
        if seen is not None:
            return _again(seen)
    result = validator.validate(message)
    unknown = _unknown_receiver(session, message)
    if unknown is not None:
        result = ValidationResult((unknown, *result.issues))
    try:
        ack = build_acknowledgement(message=message, result=result, validator=validator)
    except AcknowledgementError as exc:
        return _refused(session, integrator_id, body, content_type, now, str(exc))
    as_xml = body.lstrip()[:1] == b"<"
    answer = (
        SandboxAnswer(200, json_to_xml(ack), FHIR_XML)
        if as_xml
        else SandboxAnswer(200, json.dumps(ack, ensure_ascii=False).encode("utf-8"), FHIR_JSON)
    )
    row = ReceivedMessage(
        integrator_id=integrator_id,
        header_id=header_id,
        content_type=content_type[:100],
        original=body,
        outcome="ok" if result.is_valid else "fatal-error",
        http_status=answer.status,
        validation=json.dumps(result.to_operation_outcome(), ensure_ascii=False),
        ack=answer.body,
        ack_content_type=answer.content_type,
        duplicates=0,
        received_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # A concurrent post of the same MessageHeader.id won: answer what it answered.
        winner = _seen(session, integrator_id, header_id or "")
        if winner is None:
            raise
        return _again(winner)
    return answer


def list_received(*, session: Session, integrator_id: uuid.UUID, limit: int = 200) -> list[ReceivedMessage]:
    """The integrator's own sandbox rows, newest first."""
    return list(
        session.scalars(
            select(ReceivedMessage)
            .where(ReceivedMessage.integrator_id == integrator_id)
            .order_by(ReceivedMessage.received_at.desc())
            .limit(limit)
        )
    )


def issue_lines(row: ReceivedMessage) -> list[str]:
    """The validation findings of a row, one line each (for the sandbox page)."""
    outcome = json.loads(row.validation)
    return [
        f"{i.get('severity')}: {i.get('diagnostics', '')} ({', '.join(i.get('expression', []))})"
        for i in outcome.get("issue", [])
    ]


def _seen(session: Session, integrator_id: uuid.UUID, header_id: str) -> ReceivedMessage | None:
    return session.scalar(
        select(ReceivedMessage).where(
            ReceivedMessage.integrator_id == integrator_id, ReceivedMessage.header_id == header_id
        )
    )


def _again(row: ReceivedMessage) -> SandboxAnswer:
    row.duplicates += 1
    return SandboxAnswer(row.http_status, row.ack, row.ack_content_type, duplicate=True)


def _refused(
    session: Session, integrator_id: uuid.UUID, body: bytes, content_type: str, now: dt.datetime, reason: str
) -> SandboxAnswer:
    answer = refusal(400, reason)
    # header_id stays empty: a refused post must not make a later, valid one with that id a "duplicate".
    session.add(
        ReceivedMessage(
            integrator_id=integrator_id,
            header_id=None,
            content_type=content_type[:100],
            original=body,
            outcome="refused",
            http_status=answer.status,
            validation=answer.body.decode("utf-8"),
            ack=answer.body,
            ack_content_type=answer.content_type,
            duplicates=0,
            received_at=now,
        )
    )
    return answer


def _header_id(message: dict[str, Any]) -> str | None:
    entries = message.get("entry")
    first = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else {}
    resource = first.get("resource")
    if not isinstance(resource, dict) or resource.get("resourceType") != "MessageHeader":
        return None
    header_id = resource.get("id")
    return header_id if isinstance(header_id, str) else None


def _unknown_receiver(session: Session, message: dict[str, Any]) -> Issue | None:
    """An error issue when the primary receiver names no SOR id or GLN in the organisation registry."""
    if _header_id(message) is None:
        return None  # no MessageHeader: build_acknowledgement refuses it next, with the reason
    header = message["entry"][0]["resource"]
    destinations = header.get("destination")
    first = destinations[0] if isinstance(destinations, list) and destinations else {}
    organization = bundle_resource(message, first.get("receiver") if isinstance(first, dict) else None)
    identifiers = [i for i in (organization or {}).get("identifier") or [] if isinstance(i, dict)]
    sors = [
        i.get("value")
        for i in identifiers
        if i.get("system") == SOR_SYSTEM and isinstance(i.get("value"), str)
    ]
    glns = [
        i.get("value")
        for i in identifiers
        if i.get("system") == GLN_SYSTEM and isinstance(i.get("value"), str)
    ]
    if (sors or glns) and session.scalar(
        select(Organisation.id).where(or_(Organisation.sor_id.in_(sors), Organisation.gln.in_(glns))).limit(1)
    ):
        return None
    named = ", ".join([*(f"SOR {s}" for s in sors), *(f"GLN {g}" for g in glns)]) or "no SOR id or GLN"
    return Issue(
        Severity.ERROR,
        "Bundle.entry[0].resource.destination[0].receiver",
        f"the receiver ({named}) is not in PPJ's organisation registry",
        "receiver-unknown",
    )
