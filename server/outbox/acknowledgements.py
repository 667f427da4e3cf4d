"""Asynchronous Acknowledgements: a receiver POSTs its Acknowledgement 2.0 of a message we sent, later
than the HTTP answer to the message itself (MedCom: an Acknowledgement is a message of its own; the
synchronous case is handled by the worker from the reply body).

``receive_acknowledgement`` answers every body and never raises for bad input. Rules:

* the body must be an Acknowledgement that validates against the official MedCom packages (MedCom: a
  receiver SHALL validate what it receives) — else 400 with the validator's OperationOutcome;
* its ``response.identifier`` must name a message PPJ sent — else 404 (``unknown``);
* its sender (MessageHeader.sender: SOR id or GLN) must be that message's receiver, and the caller's
  account must belong to that receiver or an organisation above it (a hospital's system answers for its
  emergency departments) — else 403: nobody closes another receiver's deliveries;
* the answer becomes the delivery's state machine event: ``ok`` closes it (also after a resend or the
  dead letter: the receiver did process it), ``fatal-error`` rejects it (never resent unchanged),
  ``transient-error`` makes it due for a resend now (the worker's attempt limit still holds);
* the same answer again for a delivery that already has it is a duplicate: 200, nothing changes
  (``duplicate``); an answer the state machine does not allow (e.g. ``fatal-error`` after ``ok``) is 409.

Acknowledgements are never acknowledged (GOV 040 KR rules), so the HTTP answer is a small JSON status.
An Acknowledgement carries no patient data (no Patient resource), so no audit event is written.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from medcom.acknowledgement import AcknowledgementSummary, bundle_resource, read_acknowledgement
from medcom.errors import AcknowledgementError, InputError
from medcom.fhir_input import parse_instance
from medcom.fhir_validator import Validator
from medcom.message_parts import GLN_SYSTEM, SOR_SYSTEM
from server.orgs.models import Organisation
from server.outbox.errors import TransitionRefused
from server.outbox.models import Delivery, OutboxMessage
from server.outbox.sandbox import FHIR_JSON, MAX_SANDBOX_BYTES, refusal
from server.outbox.states import DeliveryEvent, DeliveryState, ErrorCode, transition

MAX_ACK_BYTES = MAX_SANDBOX_BYTES


@dataclass(frozen=True)
class AckAnswer:
    status: int
    body: bytes
    content_type: str


def _answer(status: int, outcome: str, **fields: Any) -> AckAnswer:
    body = json.dumps({"outcome": outcome, **fields}, ensure_ascii=False).encode("utf-8")
    return AckAnswer(status, body, "application/json")


def _refused(status: int, text: str) -> AckAnswer:
    refused = refusal(status, text)
    return AckAnswer(refused.status, refused.body, refused.content_type)


def receive_acknowledgement(
    *,
    session: Session,
    validator: Validator,
    caller_organisation_id: uuid.UUID | None,
    body: bytes,
    now: dt.datetime,
    max_bytes: int = MAX_ACK_BYTES,
) -> AckAnswer:
    """The answer to one posted Acknowledgement (see the module doc); the caller commits."""
    if len(body) > max_bytes:
        return _refused(413, f"the acknowledgement is {len(body)} bytes, more than the limit of {max_bytes}")
    try:
        message = parse_instance(body, source="acknowledgement", max_bytes=max_bytes)
        summary = read_acknowledgement(message)
    except (InputError, AcknowledgementError) as exc:
        return _refused(400, str(exc))
    result = validator.validate(message)
    if not result.is_valid:
        outcome = json.dumps(result.to_operation_outcome(), ensure_ascii=False).encode("utf-8")
        return AckAnswer(400, outcome, FHIR_JSON)
    try:
        message_id = uuid.UUID(summary.acknowledged_header_id)
    except ValueError:
        message_id = None
    sent = session.get(OutboxMessage, message_id) if message_id else None
    if sent is None or sent.delivery is None:
        return _answer(
            404,
            "unknown",
            detail=f"PPJ sent no message with MessageHeader.id {summary.acknowledged_header_id!r}",
        )
    receiver = session.get(Organisation, sent.receiver_id) if sent.receiver_id else None
    if receiver is None or not _sent_by(message, receiver):
        return _answer(
            403,
            "refused",
            detail="MessageHeader.sender: the acknowledgement must come from the message's receiver",
        )
    if caller_organisation_id is None or not _answers_for(session, caller_organisation_id, receiver):
        return _answer(
            403,
            "refused",
            detail="this account does not belong to the message's receiver or an organisation above it",
        )
    return _apply(session, sent.delivery, summary, body, now)


def _apply(
    session: Session, delivery: Delivery, summary: AcknowledgementSummary, body: bytes, now: dt.datetime
) -> AckAnswer:
    fields = {"message_id": str(delivery.message_id), "code": summary.code}
    if delivery.ack_code == summary.code and delivery.state in _STATE_OF_CODE[summary.code]:
        return _answer(200, "duplicate", state=delivery.state.value, **fields)
    event = {
        "ok": DeliveryEvent.ack_ok,
        "fatal-error": DeliveryEvent.ack_fatal,
        "transient-error": DeliveryEvent.retry_later,
    }[summary.code]
    try:
        state = transition(delivery.state, event)
    except TransitionRefused:
        return _answer(
            409,
            "conflict",
            detail=f"the delivery is {delivery.state.value}; {summary.code} cannot change it",
            state=delivery.state.value,
            **fields,
        )
    detail = "; ".join(summary.details) or None
    code = {
        "ok": None,
        "fatal-error": ErrorCode.ack_fatal_error,
        "transient-error": ErrorCode.ack_transient_error,
    }[summary.code]
    # Guarded by the version like every worker update: a worker that is mid-send (state ``sending``)
    # finds the version moved and records only its attempt (an ``ok`` it then reads changes nothing).
    changed = session.execute(  # type: ignore[attr-defined]
        update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.version == delivery.version)
        .values(
            state=state,
            next_attempt_at=now if summary.retry else None,
            error_code=code,
            error_detail=detail[:1000] if detail else None,
            ack_code=summary.code,
            ack=body,
            version=delivery.version + 1,
            updated_at=now,
        )
    ).rowcount
    if changed != 1:
        return _answer(409, "conflict", detail="the delivery changed meanwhile; post it again", **fields)
    return _answer(200, "recorded", state=state.value, **fields)


# A repeated answer is a duplicate when the delivery is already where that answer put it.
_STATE_OF_CODE: dict[str, frozenset[DeliveryState]] = {
    "ok": frozenset({DeliveryState.acknowledged}),
    "fatal-error": frozenset({DeliveryState.rejected}),
    "transient-error": frozenset({DeliveryState.failed_retrying}),
}


def _identifiers(organization: dict[str, Any] | None) -> set[tuple[str, str]]:
    return {
        (str(i.get("system")), str(i.get("value")))
        for i in (organization or {}).get("identifier") or []
        if isinstance(i, dict) and isinstance(i.get("value"), str)
    }


def _sent_by(message: dict[str, Any], receiver: Organisation) -> bool:
    """Whether the Acknowledgement's sender Organization carries the receiver's SOR id or GLN."""
    header = message["entry"][0]["resource"]
    found = _identifiers(bundle_resource(message, header.get("sender")))
    wanted = {(SOR_SYSTEM, receiver.sor_id or ""), (GLN_SYSTEM, receiver.gln or "")}
    return bool(found & {w for w in wanted if w[1]})


def _answers_for(session: Session, organisation_id: uuid.UUID, receiver: Organisation) -> bool:
    """Whether the caller's organisation is the receiver or one of the organisations above it."""
    current: Organisation | None = receiver
    for _ in range(10):
        if current is None:
            return False
        if current.id == organisation_id:
            return True
        current = session.get(Organisation, current.parent_id) if current.parent_id else None
    return False
