"""VANSEnvelope 1.0.4 (namespace ``urn:oio:medcom:vans-envelope:1.0.4``): wrap a FHIR message for the VANS
network and unwrap a received one (reference/notes/medcom.md §2.9; MedCom "FHIR messages and network
envelopes").

One FHIR message per envelope, base64 in ``Message/Data``; ``Document/Format`` ``HL7``; ``Document/Name``
``MCM:FDIS91#<category>`` (CareCommunication, version ``5.0``) or ``MCM:FCTL#<response code>``
(Acknowledgement, ``2.0.0``); ``ServiceTag name="MCM:MIME"`` says JSON or XML. Sender and receiver are GLNs
(``EndPointType="EAN"``). ``EnvelopeIdentifier`` is new for every transmission (the Bundle.id), the message
``Identifier`` is the MessageHeader.id.

PPJ's handover has no MedCom statistical code; its envelope says ``PPJ:prehospital-handover-message``
version ``0.1`` (part of the documented deviation, docs/medcom-handover-profile.md).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from medcom.errors import EnvelopeError, InputError
from medcom.fhir_input import DEFAULT_MAX_BYTES, parse_instance
from medcom.fhir_xml import json_to_xml
from medcom.message_parts import fhir_time

NAMESPACE = "urn:oio:medcom:vans-envelope:1.0.4"
MIME_JSON = "application/fhir+json"
MIME_XML = "application/fhir+xml"
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
_GLN_RE = re.compile(r"^[0-9]{13}$")
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True, slots=True)
class Envelope:
    """An unwrapped envelope: its addresses and identifiers, the document name, and the FHIR message."""

    sender_gln: str
    receiver_gln: str
    envelope_id: str
    sent: str
    message_id: str
    document_name: str
    document_version: str | None
    mime: str
    message: dict[str, Any]


def document_name(message: dict[str, Any]) -> tuple[str, str]:
    """(``Document/Name``, ``Document/Version``) for a MedCom or PPJ message."""
    header = message["entry"][0]["resource"]
    event = header.get("eventCoding", {}).get("code")
    if event == "care-communication-message":
        communication = next(
            e["resource"] for e in message["entry"] if e["resource"]["resourceType"] == "Communication"
        )
        category = communication["category"][0]["coding"][0]["code"]
        return f"MCM:FDIS91#{category}", "5.0"
    if event == "acknowledgement-message":
        return f"MCM:FCTL#{header['response']['code']}", "2.0.0"
    if event == "prehospital-handover-message":
        return "PPJ:prehospital-handover-message", "0.1"
    raise EnvelopeError(f"no VANS document name is defined for event {event!r}")


def _el(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


VANS_MAX_BYTES = 100 * 1024 * 1024
"""One message with its envelope must stay under 100 MB on VANS (GOV 030)."""


def wrap(
    message: dict[str, Any],
    *,
    sender_gln: str,
    receiver_gln: str,
    sent_at: datetime,
    xml: bool = False,
    max_bytes: int = VANS_MAX_BYTES,
) -> bytes:
    """The VANSEnvelope XML around ``message`` (a FHIR message Bundle), as FHIR JSON or XML inside;
    EnvelopeError when an address is not a GLN or the envelope would exceed ``max_bytes``."""
    for role, gln in (("sender", sender_gln), ("receiver", receiver_gln)):
        if not _GLN_RE.match(gln):
            raise EnvelopeError(f"{role}_gln: {gln!r} is not a GLN (13 digits)")
    if message.get("resourceType") != "Bundle" or message.get("type") != "message":
        raise EnvelopeError("only a FHIR message Bundle can be wrapped")
    data = (
        json_to_xml(message)
        if xml
        else json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    )
    name, version = document_name(message)
    root = etree.Element(f"{{{NAMESPACE}}}VANSEnvelope", nsmap={None: NAMESPACE})
    _el(root, "SenderID", sender_gln, EndPointType="EAN")
    _el(root, "ReceiverID", receiver_gln, EndPointType="EAN")
    _el(root, "EnvelopeIdentifier", str(message["id"]))
    _el(root, "SentDateTime", fhir_time(sent_at))
    body = _el(root, "Message")
    meta = _el(body, "MetaInformation")
    _el(meta, "Identifier", str(message["entry"][0]["resource"]["id"]))
    document = _el(meta, "Document")
    _el(document, "Format", "HL7")
    _el(document, "Name", name)
    _el(document, "Version", version)
    _el(document, "SizeInBytes", str(len(data)))
    transport = _el(meta, "Transport")
    _el(transport, "Type", "reliable")
    _el(transport, "TransformMessage", "false")
    _el(transport, "ServiceTag", MIME_XML if xml else MIME_JSON, name="MCM:MIME")
    _el(body, "Data", base64.b64encode(data).decode("ascii"))
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    if len(result) > max_bytes:
        raise EnvelopeError(f"the envelope is {len(result)} bytes, more than the limit of {max_bytes}")
    return result


def _text(root: Any, path: str, *, required: bool = True) -> str | None:
    found = root.find(path, namespaces={"v": NAMESPACE})
    if found is None or not (found.text or "").strip():
        if required:
            raise EnvelopeError(f"VANSEnvelope lacks {path.replace('v:', '')}")
        return None
    return str(found.text).strip()


def unwrap(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Envelope:
    """Read an envelope; EnvelopeError names what is missing or wrong (never an unhandled crash)."""
    if len(data) > max_bytes:
        raise EnvelopeError(f"envelope is {len(data)} bytes, more than the limit of {max_bytes}")
    try:
        root = etree.fromstring(data, parser=_SAFE_XML)
    except etree.XMLSyntaxError as exc:
        raise EnvelopeError(f"not well-formed XML ({exc})") from exc
    if root.tag != f"{{{NAMESPACE}}}VANSEnvelope":
        raise EnvelopeError(f"not a VANSEnvelope 1.0.4 (root element {root.tag})")
    mime = _text(root, "v:Message/v:MetaInformation/v:Transport/v:ServiceTag[@name='MCM:MIME']")
    if mime not in (MIME_JSON, MIME_XML):
        raise EnvelopeError(f"ServiceTag MCM:MIME is {mime!r}, expected {MIME_JSON} or {MIME_XML}")
    encoded = _text(root, "v:Message/v:Data") or ""
    try:
        payload = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EnvelopeError(f"Message/Data is not base64 ({exc})") from exc
    try:
        message = parse_instance(payload, source="VANSEnvelope Message/Data", max_bytes=max_bytes)
    except InputError as exc:
        raise EnvelopeError(str(exc)) from exc
    envelope_id = _text(root, "v:EnvelopeIdentifier") or ""
    if not _UUID_RE.match(envelope_id.lower()):
        raise EnvelopeError(f"EnvelopeIdentifier {envelope_id!r} is not a UUID")
    return Envelope(
        sender_gln=_text(root, "v:SenderID") or "",
        receiver_gln=_text(root, "v:ReceiverID") or "",
        envelope_id=envelope_id,
        sent=_text(root, "v:SentDateTime") or "",
        message_id=_text(root, "v:Message/v:MetaInformation/v:Identifier") or "",
        document_name=_text(root, "v:Message/v:MetaInformation/v:Document/v:Name") or "",
        document_version=_text(root, "v:Message/v:MetaInformation/v:Document/v:Version", required=False),
        mime=mime,
        message=message,
    )
