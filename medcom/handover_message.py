"""The prehospital handover message to a hospital (PPJ profiles, docs/medcom-handover-profile.md).

Built only for a transported patient (``Disposition.outcome == "transported"``); anything else raises
``NotCalledForError``. The message restates the MedCom messaging framework with PPJ's event code
``prehospital-handover-message``; its focus is a prehospital summary Composition (IHE PCC mPSC model) with
the Patient, Encounter, practitioners, Observations (vital signs, GCS, NEWS2), MedicationAdministrations
and Procedures.

Corrections after sending (ARCHITECTURE §3: never a silent change): pass the ``SentMessage`` of the last
message sent for this journal as ``previous``. The new message gets a new MessageHeader.id, carries the
previous Provenances and adds its own with activity ``modified-message`` and ``entity.role = revision``
pointing at the previous MessageHeader (the MedCom correction pattern, cf. HospitalNotification's
``revise-*``). If the previous message named another person than the journal now does — a CPR or
replacement CPR that changed — ``WrongPatientError`` routes it to manual handling. An unknown patient
(PPJ's local id) identified later is a correction, not a wrong patient.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from journal.entry import CLINICAL_ROLES, Author
from journal.gc_pause import cycle_collection_paused
from journal.handover import isbar
from journal.intervals import mark
from journal.kinds.disposition import Destination, Disposition, Handover, TransportUrgency
from journal.kinds.mission import MissionAssignment
from journal.kinds.observations import Assessment, VitalSigns
from journal.kinds.patient import ChiefComplaint, History, LocalIdentifier, MechanismInjuries, PatientIdentity
from journal.kinds.treatment import Medication, Procedure
from journal.state import JournalState
from medcom.errors import MessageTooLargeError, NotCalledForError, WrongPatientError
from medcom.message_parts import (
    PPJ_LOCAL_SYSTEM,
    BundleBuilder,
    MessageClock,
    Organisation,
    destination,
    fhir_time,
    narrative,
    organization_resource,
    patient_identifier,
    patient_resource,
    practitioner_resources,
    provenance,
)
from medcom.observations import derived_scores, score_observations, vital_observations

PPJ = "http://ppj.dk/fhir"
MESSAGE_PROFILE = f"{PPJ}/StructureDefinition/ppj-handover-message"
HEADER_PROFILE = f"{PPJ}/StructureDefinition/ppj-handover-messageHeader"
PROVENANCE_PROFILE = f"{PPJ}/StructureDefinition/ppj-handover-provenance"
SUMMARY_PROFILE = f"{PPJ}/StructureDefinition/ppj-prehospital-summary"
EVENT_SYSTEM = f"{PPJ}/CodeSystem/ppj-message-events"
EVENT_CODE = "prehospital-handover-message"
SECTION_SYSTEM = f"{PPJ}/CodeSystem/ppj-summary-sections"
ENCOUNTER_PROFILE = "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-encounter"
FULL_URL_BASE = "https://ppj.dk/fhir/"
LOINC = "http://loinc.org"
ATC = "http://www.whocc.no/atc"
SNOMED = "http://snomed.info/sct"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
"""The messages PPJ builds stay far below VANS' 100 MB; 20 MiB is the validator's own input limit."""

SECTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("times", SECTION_SYSTEM, "times", "Times"),
    ("dispatch", SECTION_SYSTEM, "dispatch", "Dispatch"),
    ("chiefComplaint", LOINC, "10154-3", "Chief complaint"),
    ("history", LOINC, "11348-0", "History"),
    ("vitalSigns", LOINC, "8716-3", "Vital signs"),
    ("assessments", LOINC, "51848-0", "Assessments"),
    ("medications", LOINC, "29549-3", "Medications administered"),
    ("procedures", LOINC, "47519-4", "Procedures"),
    ("handover", SECTION_SYSTEM, "handover", "Handover"),
)


@dataclass(frozen=True)
class SentMessage:
    """What a later message needs to know about the last one sent for the journal."""

    header_id: str
    patient_identifier: dict[str, str]
    provenances: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, message: dict[str, Any]) -> SentMessage:
        resources = [e["resource"] for e in message["entry"]]
        patient = next(r for r in resources if r["resourceType"] == "Patient")
        return cls(
            header_id=resources[0]["id"],
            patient_identifier=dict(patient["identifier"][0]),
            provenances=tuple(copy.deepcopy(r) for r in resources if r["resourceType"] == "Provenance"),
        )


@dataclass(frozen=True)
class BuiltMessage:
    """A built message. MessageHeader.id stays with the message; Bundle.id is new on every send."""

    bundle: dict[str, Any]
    max_bytes: int = DEFAULT_MAX_BYTES
    """The largest serialised form allowed (the transport's limit): ``to_json`` refuses a larger message."""

    @property
    def header_id(self) -> str:
        return str(self.bundle["entry"][0]["resource"]["id"])

    @property
    def bundle_id(self) -> str:
        return str(self.bundle["id"])

    def to_json(self, *, pretty: bool = False) -> bytes:
        """UTF-8 JSON; compact by default (the wire form, and fast: the C encoder), indented for reading.
        MessageTooLargeError when the wire form is larger than ``max_bytes``."""
        wire = json.dumps(self.bundle, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(wire) > self.max_bytes:
            event = self.bundle["entry"][0]["resource"].get("eventCoding", {}).get("code", "message")
            raise MessageTooLargeError(
                f"{event} is {len(wire)} bytes, more than the limit of {self.max_bytes}"
            )
        return json.dumps(self.bundle, ensure_ascii=False, indent=2).encode("utf-8") if pretty else wire


def for_resend(message: BuiltMessage, *, clock: MessageClock) -> BuiltMessage:
    """The same message sent again (MedCom MR rules): same MessageHeader.id, new Bundle.id, new Bundle and
    Provenance timestamps for this message's own Provenance."""
    bundle = copy.deepcopy(message.bundle)
    at = fhir_time(clock.now())
    bundle["id"] = clock.new_id()
    bundle["timestamp"] = at
    header_ref = f"MessageHeader/{message.header_id}"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Provenance" and resource["target"][0]["reference"] == header_ref:
            resource["occurredDateTime"] = resource["recorded"] = at
    return BuiltMessage(bundle, message.max_bytes)


def _require_transported(state: JournalState) -> Disposition:
    disposition = state.value("disposition")
    if not isinstance(disposition, Disposition):
        fact = state.fact("disposition")
        why = "is in conflict" if fact is not None and fact.conflict else "is not recorded"
        raise NotCalledForError(f"disposition {why}: a hospital handover is sent for a transported patient")
    if disposition.outcome != "transported":
        raise NotCalledForError(
            f"disposition is {disposition.outcome!r}: "
            "a hospital handover is sent only for a transported patient"
        )
    return disposition


def require_identity(state: JournalState) -> PatientIdentity:
    identity = state.value("patient_identity")
    if not isinstance(identity, PatientIdentity):
        fact = state.fact("patient_identity")
        why = "is in conflict" if fact is not None and fact.conflict else "is not recorded"
        raise NotCalledForError(f"patient_identity {why}: no message can name the patient")
    return identity


def check_same_patient(previous: SentMessage | None, identity: PatientIdentity) -> None:
    """WrongPatientError when the person changed after sending (an identified unknown patient is fine)."""
    if previous is None:
        return
    before = previous.patient_identifier
    now = patient_identifier(identity)
    if before.get("system") == PPJ_LOCAL_SYSTEM or isinstance(identity.identifier, LocalIdentifier):
        return
    if (before.get("system"), before.get("value")) != (now["system"], now["value"]):
        raise WrongPatientError(
            f"message {previous.header_id} was sent for {before.get('system')}|{before.get('value')}, the "
            f"journal now names {now['system']}|{now['value']}: the receiver must be told by a person "
            "(manual handling), no corrected message is sent automatically"
        )


def _text_lines(state: JournalState, kind: str) -> list[str]:
    return [f"{fhir_time(r.time)} {r.value.summary()}" for r, _ in state.current_entries(kind) if r.value]


def _fact_text(state: JournalState, kind: str) -> str | None:
    fact = state.fact(kind)
    if fact is None or fact.retracted:
        return None
    if fact.conflict:
        return "IN CONFLICT: " + " | ".join(
            r.value.summary() if r.value else "retracted" for r in fact.current
        )
    return fact.value.summary() if fact.value is not None else None


def _times(state: JournalState) -> list[str]:
    out = []
    for item in state.timeline:
        if item.fact.kind == "timestamp" and item.revision.value is not None:
            label = item.revision.value.summary()  # the journal catalogue's label, Danish by default
            unit = f" ({item.revision.entry.unit})" if item.revision.entry.unit else ""
            estimated = " (estimated)" if item.estimated else ""
            out.append(f"{fhir_time(item.time)} {label}{unit}{estimated}")
    return out


def _authors(state: JournalState) -> list[Author]:
    seen: dict[str, Author] = {}
    for entry in sorted(state.entries.values(), key=lambda e: e.time_key):
        if entry.author.role in CLINICAL_ROLES:
            seen.setdefault(entry.author.person_id, entry.author)
    return list(seen.values())


# The builder allocates thousands of small dicts and lists and makes no reference cycles: the cycle
# collector's passes over the heap only cost time (up to 6x a build's CPU on the p99 of `ppj bench medcom`).
@cycle_collection_paused()
def build_handover(
    *,
    state: JournalState,
    sender: Organisation,
    receiver: Organisation,
    clock: MessageClock | None = None,
    previous: SentMessage | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> BuiltMessage:
    """The handover message for a transported patient; see the module docstring for the rules."""
    clock = clock or MessageClock()
    sender.check("sender")
    receiver.check("receiver")
    disposition = _require_transported(state)
    identity = require_identity(state)
    check_same_patient(previous, identity)
    now = clock.now()
    header_id, composition_id = clock.new_id(), clock.new_id()
    b = BundleBuilder(FULL_URL_BASE, clock)

    sender_org, receiver_org = organization_resource(sender), organization_resource(receiver)
    header: dict[str, Any] = {"resourceType": "MessageHeader", "id": header_id}
    b.add(header)
    correction = previous is not None
    activity = "modified-message" if correction else "new-message"
    for earlier in previous.provenances if previous else ():
        b.add(copy.deepcopy(earlier))
    sender_ref = b.add(sender_org)
    receiver_ref = b.add(receiver_org)
    b.add(
        provenance(
            profile=PROVENANCE_PROFILE,
            header_id=header_id,
            agent=sender_ref,
            activity=activity,
            at=now,
            text=f"{activity} sent by {sender.name} at {fhir_time(now)}"
            + (f", correcting message {previous.header_id}" if previous else ""),
            preceding_header_id=previous.header_id if previous else None,
        )
    )
    patient = b.add(patient_resource(identity))
    contact, handed = mark(state, "patient_contact"), mark(state, "handover_hospital")
    period = {"start": fhir_time(contact)} if contact else {}
    if handed:
        period["end"] = fhir_time(handed)
    encounter_resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "meta": {"profile": [ENCOUNTER_PROFILE]},
        "text": narrative(f"Prehospital encounter, {disposition.summary()}"),
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "FLD"},
        "subject": patient,
        "serviceProvider": sender_ref,
    }
    if period:
        encounter_resource["period"] = period
    encounter = b.add(encounter_resource)

    roles: list[dict[str, str]] = []
    role_of: dict[str, dict[str, str]] = {}
    for author in _authors(state):
        practitioner, role = practitioner_resources(author, sender_ref)
        role["practitioner"] = b.add(practitioner)
        role_of[author.person_id] = b.add(role)
        roles.append(role_of[author.person_id])
    if not roles:
        raise NotCalledForError("no clinician wrote in the journal: a handover needs an author")

    entries: dict[str, list[dict[str, str]]] = {name: [] for name, *_ in SECTIONS}
    for revision, _ in state.current_entries("vital_signs"):
        if isinstance(revision.value, VitalSigns):
            for observation in vital_observations(revision.value, revision.time, patient, encounter):
                observation["performer"] = [role_of.get(revision.entry.author.person_id, roles[0])]
                entries["vitalSigns"].append(b.add(observation))
    for scores in derived_scores(state):
        for observation in score_observations(scores, patient, encounter):
            entries["assessments"].append(b.add(observation))
    for revision, _ in state.current_entries("medication"):
        medication = revision.value
        if not isinstance(medication, Medication):
            continue
        administration: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "text": narrative(f"{fhir_time(revision.time)} {medication.summary()}"),
            "status": "completed",
            "medicationCodeableConcept": {
                "coding": [{"system": ATC, "code": medication.atc}],
                "text": medication.name,
            },
            "subject": patient,
            "context": encounter,
            "effectiveDateTime": fhir_time(revision.time),
            "performer": [{"actor": role_of.get(revision.entry.author.person_id, roles[0])}],
            "note": [{"text": f"Legal basis: {medication.legal_basis.text()}"}],
            "dosage": {
                "route": {"text": medication.route},
                "dose": {
                    "value": medication.dose.value,
                    "unit": medication.dose.unit,
                    "system": "http://unitsofmeasure.org",
                    "code": medication.dose.unit,
                },
            },
        }
        entries["medications"].append(b.add(administration))
    for revision, _ in state.current_entries("procedure"):
        procedure = revision.value
        if not isinstance(procedure, Procedure):
            continue
        code: dict[str, Any] = {"text": procedure.name}
        if procedure.snomed_code:
            code["coding"] = [{"system": SNOMED, "code": procedure.snomed_code}]
        resource: dict[str, Any] = {
            "resourceType": "Procedure",
            "text": narrative(f"{fhir_time(revision.time)} {procedure.summary()}"),
            "status": "completed",
            "code": code,
            "subject": patient,
            "encounter": encounter,
            "performedDateTime": fhir_time(revision.time),
            "performer": [{"actor": role_of.get(revision.entry.author.person_id, roles[0])}],
        }
        if procedure.successful is not None:
            resource["outcome"] = {"text": "successful" if procedure.successful else "not successful"}
        entries["procedures"].append(b.add(resource))

    texts = _section_texts(state, disposition)
    sections = []
    for name, system, section_code, title in SECTIONS:
        lines = texts[name]
        section: dict[str, Any] = {
            "title": title,
            "code": {"coding": [{"system": system, "code": section_code}]},
            "text": narrative(*(lines or ["Nothing recorded."])),
        }
        if entries[name]:
            section["entry"] = entries[name]
        sections.append(section)
    composition = {
        "resourceType": "Composition",
        "id": composition_id,
        "meta": {"profile": [SUMMARY_PROFILE]},
        "text": narrative(*isbar(state).splitlines()),
        "status": "amended" if correction else "final",
        "type": {"coding": [{"system": LOINC, "code": "67796-3", "display": "EMS patient care report"}]},
        "subject": patient,
        "encounter": encounter,
        "date": fhir_time(now),
        "author": roles,
        "title": "Præhospital journal — overdragelse",
        "section": sections,
    }
    focus = b.add(composition)
    header.update(
        {
            "meta": {"profile": [HEADER_PROFILE]},
            "text": narrative(
                f"Prehospital handover message {header_id} ({EVENT_CODE}"
                + (f", correcting {previous.header_id}" if previous else "")
                + f") from {sender.name} (SOR {sender.sor}, endpoint {sender.sor_endpoint}) "
                f"to {receiver.name} (SOR {receiver.sor}, endpoint {receiver.sor_endpoint})"
            ),
            "eventCoding": {"system": EVENT_SYSTEM, "code": EVENT_CODE},
            "destination": [destination(receiver_ref, receiver)],
            "sender": sender_ref,
            "source": {"endpoint": sender.sor_endpoint},
            "focus": [focus],
        }
    )
    return BuiltMessage(b.bundle(MESSAGE_PROFILE, clock.new_id(), now), max_bytes)


def _section_texts(state: JournalState, disposition: Disposition) -> dict[str, list[str]]:
    mission = state.value("mission_assignment")
    complaint = state.value("chief_complaint")
    history = state.value("history")
    mechanism = state.value("mechanism_injuries")
    destination_value = state.value("destination")
    urgency = state.value("transport_urgency")
    texts: dict[str, list[str]] = {
        "times": _times(state),
        "dispatch": [mission.summary()] if isinstance(mission, MissionAssignment) else [],
        "chiefComplaint": [],
        "history": [history.summary()] if isinstance(history, History) else [],
        "vitalSigns": _text_lines(state, "vital_signs") + _text_lines(state, "consciousness"),
        "assessments": [
            f"{fhir_time(r.time)} {r.value.summary()}"
            for r, _ in state.current_entries("assessment")
            if isinstance(r.value, Assessment)
        ]
        + _text_lines(state, "stroke_scale")
        + _text_lines(state, "cardiac_arrest_event")
        + _text_lines(state, "attachment"),
        "medications": _text_lines(state, "medication"),
        "procedures": _text_lines(state, "procedure"),
        "handover": [disposition.summary()],
    }
    if isinstance(complaint, ChiefComplaint):
        texts["chiefComplaint"].append(complaint.summary())
    elif (text := _fact_text(state, "chief_complaint")) is not None:
        texts["chiefComplaint"].append(text)
    if isinstance(mechanism, MechanismInjuries):
        texts["chiefComplaint"].append(mechanism.summary())
    if isinstance(destination_value, Destination):
        texts["handover"].append(f"Destination: {destination_value.summary()}")
    if isinstance(urgency, TransportUrgency):
        texts["handover"].append(urgency.summary())
    texts["handover"] += [
        f"{fhir_time(r.time)} {r.value.summary()}"
        for r, _ in state.current_entries("handover")
        if isinstance(r.value, Handover)
    ]
    texts["handover"] += _text_lines(state, "consultation")
    if state.conflicts:
        texts["handover"].append(
            "Conflicting values in the record: " + ", ".join("/".join(f.key) for f in state.conflicts)
        )
    return texts
