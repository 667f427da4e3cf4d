"""MedCom CareCommunication 5.0 (korrespondancemeddelelse) from a journal: the epikrise to the GP and the
notice to the municipality's home care (ARCHITECTURE §6; reference/notes/medcom.md §3.2).

When each is called for (``NotCalledForError`` otherwise):

* **epikrise** to the GP: treatment ended on scene (``treated_and_released``) and the patient has a CPR
  number (S20f: no epikrise without CPR; a replacement CPR is not enough). Text in PSOAP order.
* **home-care notice** to the municipality: the disposition records the patient's consent to share with
  home care (``consent_share_with_home_care is True``), and the patient is identified by CPR or an
  issuer's replacement CPR (CareCommunication allows X-eCPR; never PPJ's local id).

Both are category ``acute-ambulant`` / ``carecoordination`` messages with one text payload.
Corrections after sending: CareCommunication 5 has no modify or retract message. A correction is a new
message in the same thread (same ``Communication.identifier``) with activity ``reply-message`` whose
Provenance names the previous MessageHeader (entity ``revision``); it carries the earlier payloads and
Provenances (as every message in a thread does) and a new payload that begins with "RETTELSE". A changed
person raises ``WrongPatientError`` (manual handling), as for the handover.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from journal.gc_pause import cycle_collection_paused
from journal.handover import TREATMENT_KINDS
from journal.kinds.disposition import Disposition
from journal.kinds.observations import Assessment, Consciousness, VitalSigns
from journal.kinds.patient import ChiefComplaint, CprIdentifier, History, LocalIdentifier, PatientIdentity
from journal.local_time import DANISH_TIME
from journal.state import JournalState
from medcom.errors import MessageBuildError, NotCalledForError
from medcom.handover_message import (
    DEFAULT_MAX_BYTES,
    BuiltMessage,
    SentMessage,
    check_same_patient,
    require_identity,
)
from medcom.message_parts import (
    EVENT_SYSTEM,
    BundleBuilder,
    MessageClock,
    Organisation,
    destination,
    fhir_time,
    narrative,
    organization_resource,
    patient_resource,
    practitioner_resources,
    provenance,
)

CC = "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/"
MESSAGE_PROFILE = CC + "medcom-careCommunication-message"
HEADER_PROFILE = CC + "medcom-careCommunication-messageHeader"
COMMUNICATION_PROFILE = CC + "medcom-careCommunication-communication"
PROVENANCE_PROFILE = CC + "medcom-careCommunication-provenance"
DEFINITION = "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/MedComCareCommunicationMessageDefinition|5.0"
CATEGORY_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes"
CORE = "http://medcomfhir.dk/ig/core/StructureDefinition/"
FULL_URL_BASE = "https://ppj.dk/fhir/"

Kind = Literal["epikrise", "homecare"]


@dataclass(frozen=True)
class SentCareCommunication:
    """What a correction needs of the last message sent in a thread."""

    sent: SentMessage
    thread_id: str
    payloads: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, message: dict[str, Any]) -> SentCareCommunication:
        communication = next(
            e["resource"] for e in message["entry"] if e["resource"]["resourceType"] == "Communication"
        )
        return cls(
            sent=SentMessage.of(message),
            thread_id=communication["identifier"][0]["value"],
            payloads=tuple(copy.deepcopy(p) for p in communication["payload"]),
        )


def _clock_time(at: datetime) -> str:
    return f"{at.astimezone(DANISH_TIME):%d.%m.%Y %H:%M}"


def _lines(state: JournalState, kind: str) -> list[str]:
    return [f"{_clock_time(r.time)} {r.value.summary()}" for r, _ in state.current_entries(kind) if r.value]


def psoap_text(state: JournalState, disposition: Disposition) -> str:
    """The epikrise text: Problem, Subjective, Objective, Analysis, Plan (PSOAP), from current values only."""
    complaint = state.value("chief_complaint")
    history = state.value("history")
    problem = (
        complaint.text if isinstance(complaint, ChiefComplaint) else "Årsag til henvendelse ikke registreret"
    )
    subjective = [problem]
    if isinstance(history, History):
        subjective.append(history.summary())
    objective = [
        f"{_clock_time(r.time)} {r.value.summary()}"
        for kind in ("vital_signs", "consciousness")
        for r, _ in state.current_entries(kind)
        if isinstance(r.value, VitalSigns | Consciousness)
    ]
    treatment = [line for kind in TREATMENT_KINDS for line in _lines(state, kind)]
    analysis = [
        r.value.impression or r.value.summary()
        for r, _ in state.current_entries("assessment")
        if isinstance(r.value, Assessment)
    ]
    plan = [disposition.summary()]
    if disposition.physician_order is not None:
        plan.append(f"Afsluttet efter {disposition.physician_order.text()}")
    if disposition.advice_given:
        plan.append(f"Råd givet: {disposition.advice_given}")
    return "\n".join(
        [
            f"P: {problem}",
            "S: " + ". ".join(subjective),
            "O: " + ("; ".join(objective) or "ingen målinger registreret"),
            "   Behandling: " + ("; ".join(treatment) or "ingen"),
            "A: " + ("; ".join(analysis) or "ingen vurdering registreret"),
            "P: " + ". ".join(plan),
        ]
    )


def homecare_text(state: JournalState, disposition: Disposition) -> str:
    complaint = state.value("chief_complaint")
    why = complaint.text if isinstance(complaint, ChiefComplaint) else "præhospital behandling"
    lines = [
        f"Ambulancen har behandlet borgeren på stedet ({why}). Borgeren har givet samtykke til, at "
        "hjemmeplejen orienteres.",
        disposition.summary() + ".",
    ]
    if disposition.advice_given:
        lines.append(f"Råd givet til borgeren: {disposition.advice_given}")
    return "\n".join(lines)


def _called_for(state: JournalState, kind: Kind) -> tuple[Disposition, PatientIdentity]:
    disposition = state.value("disposition")
    if not isinstance(disposition, Disposition):
        raise NotCalledForError(f"{kind}: the journal has no (single) disposition")
    identity = require_identity(state)
    if kind == "epikrise":
        if disposition.outcome != "treated_and_released":
            raise NotCalledForError(
                f"epikrise: disposition is {disposition.outcome!r}; the epikrise to the GP is sent when "
                "treatment ended on scene (treated_and_released)"
            )
        if not isinstance(identity.identifier, CprIdentifier):
            raise NotCalledForError("epikrise: the patient has no CPR number; no epikrise without CPR (S20f)")
    else:
        if disposition.consent_share_with_home_care is not True:
            raise NotCalledForError(
                "homecare: the disposition does not record the patient's consent to notify home care"
            )
        if isinstance(identity.identifier, LocalIdentifier):
            raise NotCalledForError("homecare: the patient is not identified (no CPR or replacement CPR)")
    return disposition, identity


# No reference cycles in what it builds: the cycle collector is paused, as for the handover.
@cycle_collection_paused()
def build_care_communication(
    *,
    state: JournalState,
    kind: Kind,
    sender: Organisation,
    receiver: Organisation,
    clock: MessageClock | None = None,
    previous: SentCareCommunication | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> BuiltMessage:
    """The CareCommunication 5.0 ``kind`` (epikrise or homecare) for the journal; see the module doc."""
    clock = clock or MessageClock()
    sender.check("sender")
    receiver.check("receiver")
    if not sender.phone:
        raise MessageBuildError("sender.phone: CareCommunication needs the sender's contact phone number")
    disposition, identity = _called_for(state, kind)
    check_same_patient(previous.sent if previous else None, identity)
    author_entry = state.fact("disposition")
    assert author_entry is not None  # a disposition value exists
    author = author_entry.current[0].entry.author
    now = clock.now()
    header_id = clock.new_id()
    b = BundleBuilder(FULL_URL_BASE, clock)
    header: dict[str, Any] = {"resourceType": "MessageHeader", "id": header_id}
    b.add(header)
    sender_ref = b.add(organization_resource(sender))
    receiver_ref = b.add(organization_resource(receiver))
    patient = b.add(patient_resource(identity))
    practitioner, role = practitioner_resources(author, sender_ref)
    role["practitioner"] = b.add(practitioner)
    role_ref = b.add(role)

    text = psoap_text(state, disposition) if kind == "epikrise" else homecare_text(state, disposition)
    if previous is not None:
        text = f"RETTELSE til meddelelse {previous.sent.header_id}:\n{text}"
    payload_id = f"urn:uuid:{clock.new_id()}"
    payload = {
        "extension": [
            {"url": CORE + "medcom-core-datetime-extension", "valueDateTime": fhir_time(now)},
            {
                "url": CORE + "medcom-core-identifier-extension",
                "valueIdentifier": {"value": payload_id, "assigner": sender_ref},
            },
            {"url": CORE + "medcom-core-practitioner-extension", "valueReference": role_ref},
            {
                "url": CORE + "medcom-core-contact-extension",
                "valueContactPoint": {"system": "phone", "value": sender.phone},
            },
        ],
        "contentString": text,
    }
    earlier_payloads = [copy.deepcopy(p) for p in previous.payloads] if previous else []
    for earlier in earlier_payloads:
        # Earlier payloads keep their identifiers; their assigner is this message's sender Organization.
        for extension in earlier.get("extension", []):
            if extension["url"].endswith("medcom-core-identifier-extension"):
                extension["valueIdentifier"]["assigner"] = sender_ref
            if extension["url"].endswith("medcom-core-practitioner-extension"):
                extension["valueReference"] = role_ref
    thread_id = previous.thread_id if previous else f"urn:uuid:{clock.new_id()}"
    category, topic = (
        ("acute-ambulant", "Præhospital epikrise")
        if kind == "epikrise"
        else ("carecoordination", "Orientering fra ambulancen")
    )
    communication = {
        "resourceType": "Communication",
        "meta": {"profile": [COMMUNICATION_PROFILE]},
        "text": narrative(topic, *text.splitlines()),
        "identifier": [{"value": thread_id}],
        "status": "unknown",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": category}]}],
        "subject": patient,
        "topic": {"text": topic},
        "payload": [*earlier_payloads, payload],
    }
    focus = b.add(communication)
    for earlier in previous.sent.provenances if previous else ():
        b.add(copy.deepcopy(earlier))
    b.add(
        provenance(
            profile=PROVENANCE_PROFILE,
            header_id=header_id,
            agent=sender_ref,
            activity="reply-message" if previous else "new-message",
            at=now,
            text=f"{topic} sent by {sender.name} at {fhir_time(now)}",
            preceding_header_id=previous.sent.header_id if previous else None,
            extra_entities=[{"role": "source", "what": {"identifier": {"value": payload_id}}}],
        )
    )
    header.update(
        {
            "meta": {"profile": [HEADER_PROFILE]},
            "text": narrative(
                f"CareCommunication {header_id} (care-communication-message) from {sender.name} "
                f"(SOR {sender.sor}, endpoint {sender.sor_endpoint}) to {receiver.name} "
                f"(SOR {receiver.sor}, endpoint {receiver.sor_endpoint})"
            ),
            "eventCoding": {"system": EVENT_SYSTEM, "code": "care-communication-message"},
            "destination": [destination(receiver_ref, receiver)],
            "sender": sender_ref,
            "source": {"endpoint": sender.sor_endpoint},
            "focus": [focus],
            "definition": DEFINITION,
        }
    )
    return BuiltMessage(b.bundle(MESSAGE_PROFILE, clock.new_id(), now), max_bytes)
