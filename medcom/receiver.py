"""The receiving side of MedCom messaging, without any transport: validate, acknowledge, deduplicate.

``MessageReceiver.receive(body)`` answers every message, never crashes on bad input, and keeps every
original it was given (``received``), valid or not (MedCom: keep logs; the original stays readable):

* a message that parses and names its MessageHeader, sender and receiver gets an Acknowledgement 2.0:
  ``ok`` when it validates, ``fatal-error`` with the validator's errors when it does not;
* the same MessageHeader.id again is a duplicate: the same acknowledgement bytes again, and it is never
  processed twice (GOV 043: receivers never show duplicates and return the same ack content);
* ``transient_error`` (a receiver that is technically unable right now) answers ``transient-error``, which
  is not remembered — the resend is processed normally;
* bytes that are too large, not JSON/XML, not a FHIR message or that name nobody to answer get an HTTP
  error status with an OperationOutcome that says why (there is nobody an Acknowledgement could address).

HTTP status codes are what an HTTP FHIR endpoint answers; the receiver simulator in ``integrations``
serves this over real HTTP.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from medcom.acknowledgement import build_acknowledgement, bundle_resource
from medcom.errors import AcknowledgementError, InputError, InputTooLargeError
from medcom.fhir_input import DEFAULT_MAX_BYTES, parse_instance
from medcom.fhir_validator import Validator
from medcom.fhir_xml import json_to_xml
from medcom.message_parts import GLN_SYSTEM, SOR_SYSTEM, MessageClock, Organisation
from medcom.operation_outcome import Issue, Severity, ValidationResult

FHIR_JSON = "application/fhir+json"
FHIR_XML = "application/fhir+xml"


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer: status, body bytes and their content type."""

    status: int
    body: bytes
    content_type: str = FHIR_JSON


@dataclass(frozen=True, slots=True)
class Received:
    """One original as it arrived, and what the receiver made of it."""

    body: bytes
    header_id: str | None
    outcome: str
    """``processed``, ``duplicate``, ``transient-error``, or ``refused: <reason>``."""


def _outcome(status: int, text: str) -> Reply:
    issue = {"severity": "error", "code": "invalid" if status != 413 else "too-long", "diagnostics": text}
    body = {"resourceType": "OperationOutcome", "issue": [issue]}
    return Reply(status, json.dumps(body, ensure_ascii=False).encode("utf-8"))


@dataclass
class MessageReceiver:
    """A MedCom receiver, one per receiving organisation; thread-safe (HTTP servers call it concurrently)."""

    validator: Validator
    clock: MessageClock = field(default_factory=MessageClock)
    max_bytes: int = DEFAULT_MAX_BYTES
    own: Organisation | None = None
    """The receiving organisation; when given, a message whose primary receiver has neither its SOR id nor
    its GLN is answered ``fatal-error`` with MSG_Receiver_Identifier_UNKNOWN."""
    on_processed: Callable[[dict[str, Any]], None] | None = None
    """Called once per new valid-or-invalid message that was acknowledged (the receiver's own processing)."""
    received: list[Received] = field(default_factory=list)
    _acks: dict[str, Reply] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, body: bytes, *, transient_error: bool = False, xml: bool | None = None) -> Reply:
        """The answer to one delivery of ``body``; ``xml`` answers in FHIR XML (default: as it came)."""
        try:
            message = parse_instance(body, source="message", max_bytes=self.max_bytes)
        except InputTooLargeError as exc:
            return self._refuse(body, None, _outcome(413, str(exc)))
        except InputError as exc:
            return self._refuse(body, None, _outcome(400, str(exc)))
        header_id = _header_id(message)
        as_xml = body.lstrip()[:1] == b"<" if xml is None else xml
        with self._lock:
            if header_id is not None and header_id in self._acks:
                self.received.append(Received(body, header_id, "duplicate"))
                return self._acks[header_id]
        try:
            if transient_error:
                ack = build_acknowledgement(
                    message=message,
                    result=self.validator.validate(message),
                    new_id=self.clock.new_id,
                    now=self.clock.now,
                    transient_reason="the receiver cannot process messages right now; resend later",
                )
            else:
                result = self.validator.validate(message)
                misaddressed = self._misaddressed(message)
                if misaddressed is not None:
                    result = ValidationResult((misaddressed, *result.issues))
                ack = build_acknowledgement(
                    message=message,
                    result=result,
                    new_id=self.clock.new_id,
                    now=self.clock.now,
                    validator=self.validator,
                )
        except AcknowledgementError as exc:
            return self._refuse(body, header_id, _outcome(400, str(exc)))
        reply = (
            Reply(200, json_to_xml(ack), FHIR_XML)
            if as_xml
            else Reply(200, json.dumps(ack, ensure_ascii=False).encode("utf-8"))
        )
        with self._lock:
            if transient_error:
                self.received.append(Received(body, header_id, "transient-error"))
                return reply
            if header_id is not None and header_id in self._acks:  # a concurrent duplicate won the race
                self.received.append(Received(body, header_id, "duplicate"))
                return self._acks[header_id]
            assert header_id is not None  # build_acknowledgement refuses a message without one
            self._acks[header_id] = reply
            self.received.append(Received(body, header_id, "processed"))
        if self.on_processed is not None:
            self.on_processed(message)
        return reply

    def _misaddressed(self, message: dict[str, Any]) -> Issue | None:
        if self.own is None or _header_id(message) is None:
            return None  # without a MessageHeader there is nobody to acknowledge; that refusal comes next
        header = message["entry"][0]["resource"]
        destinations = header.get("destination")
        first = destinations[0] if isinstance(destinations, list) and destinations else {}
        organization = bundle_resource(message, first.get("receiver") if isinstance(first, dict) else None)
        identifiers = organization.get("identifier") if organization else None
        known = {(i.get("system"), i.get("value")) for i in identifiers or [] if isinstance(i, dict)}
        if (SOR_SYSTEM, self.own.sor) in known or (GLN_SYSTEM, self.own.gln) in known:
            return None
        return Issue(
            Severity.ERROR,
            "Bundle.entry[0].resource.destination[0].receiver",
            f"the message is not addressed to this receiver ({self.own.name}, SOR {self.own.sor}, "
            f"GLN {self.own.gln})",
            "receiver-unknown",
        )

    def _refuse(self, body: bytes, header_id: str | None, reply: Reply) -> Reply:
        reason = json.loads(reply.body)["issue"][0]["diagnostics"]
        with self._lock:
            self.received.append(Received(body, header_id, f"refused: {reason}"))
        return reply

    def processed(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.outcome == "processed"]


def _header_id(message: dict[str, Any]) -> str | None:
    entries = message.get("entry")
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        return None
    resource = entries[0].get("resource")
    if not isinstance(resource, dict) or resource.get("resourceType") != "MessageHeader":
        return None
    header_id = resource.get("id")
    return header_id if isinstance(header_id, str) else None
