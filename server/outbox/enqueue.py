"""Which messages a batch of new entries calls for, queued in the same transaction as the entries.

``enqueue_messages_for`` is called at the end of ``server.sync.ingest.push`` (every entry the server
accepts, from tablets and from server-side writers, passes there), before the caller commits: a message
exists exactly when the entries that call for it do (ARCHITECTURE §5, outbox).

Rules (which type a journal calls for is ``medcom.journal_messages.called_for``):

* a ``disposition`` or ``handover`` entry is a trigger: each type the journal calls for and has no
  message yet is built and queued. The handover message also needs a handover entry (the patient was
  handed over, not only transported);
* after a message of a type was queued, a ``correction``, ``retraction``, ``patient_identity`` or
  ``same_patient_link`` entry changes what was sent: a new message of that type is queued, built as the
  correction of the last one (medcom's ``previous``: new MessageHeader.id, Provenance ``modified-message``
  pointing at the previous message). Other later entries are addenda and send nothing;
* a message that cannot go out as it should is still recorded, with its delivery in ``manual_handling``
  and an error code: ``wrong_patient`` (the identity changed to another person after sending), the
  receiver unknown or without an HTTP endpoint, no sender SOR/GLN, or a message medcom cannot build.

Receivers come from the organisation registry: the handover goes to the emergency department the patient
was handed over to (else announced to) or the nearest parent with an HTTP FHIR endpoint; the epikrise to
the patient's GP (``gp_assignments``: demo seed today, the CPR register's GP when the NSP client exists —
the journal does not record the GP); the home-care notice to the municipality whose DK Core code the
journal records for the patient (``patient_identity.municipality_code``, from the health card's address or
the CPR register), registered with that ``municipality_code``. The sender is the journal's unit or its
nearest parent with SOR id and GLN; its contact phone (CareCommunication requires one) is the nearest
phone on the way up from there.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from journal.entry import Entry, entry_from_dict
from journal.fold import fold
from journal.kinds.patient import PatientIdentity
from journal.state import JournalState
from medcom.care_communication import SentCareCommunication, build_care_communication
from medcom.errors import MessageBuildError, MessageTooLargeError, UnknownReceiverError, WrongPatientError
from medcom.handover_message import BuiltMessage, SentMessage, build_handover, check_same_patient
from medcom.journal_messages import MessageType, called_for
from medcom.message_parts import Organisation as MessageOrganisation
from server.care.models import Journal, JournalAnnouncement, JournalHandover, MissionUnit
from server.orgs.models import EndpointKind, GpAssignment, Organisation, OrgKind
from server.outbox.models import Delivery, OutboxMessage
from server.outbox.states import DeliveryEvent, DeliveryState, ErrorCode, transition
from server.sync.models import EntryRow

TRIGGER_KINDS = frozenset({"disposition", "handover"})
CHANGE_KINDS = frozenset({"correction", "retraction", "patient_identity", "same_patient_link"})


@dataclass(frozen=True)
class _Receiver:
    organisation: Organisation | None
    endpoint: str | None
    problem: ErrorCode | None


def enqueue_messages_for(
    *, session: Session, new_entries: Sequence[Entry], now: dt.datetime
) -> list[OutboxMessage]:
    """Queue the messages ``new_entries`` (just stored, not yet committed) call for; see the module doc."""
    by_journal: dict[uuid.UUID, list[Entry]] = defaultdict(list)
    for entry in new_entries:
        if entry.kind in TRIGGER_KINDS or entry.kind in CHANGE_KINDS:
            by_journal[entry.journal_id].append(entry)
    queued: list[OutboxMessage] = []
    for journal_id in sorted(by_journal):
        queued.extend(
            _enqueue_journal(session=session, journal_id=journal_id, new=by_journal[journal_id], now=now)
        )
    if queued:
        session.flush()
    return queued


def _enqueue_journal(
    *, session: Session, journal_id: uuid.UUID, new: list[Entry], now: dt.datetime
) -> list[OutboxMessage]:
    kinds = {e.kind for e in new}
    last = latest_messages(session=session, journal_id=journal_id)
    if not kinds & TRIGGER_KINDS and not (last and kinds & CHANGE_KINDS):
        return []
    entries = journal_entries(session=session, journal_id=journal_id)
    state = fold(entries)
    handed_over = any(e.kind == "handover" for e in entries)
    out: list[OutboxMessage] = []
    for message_type in called_for(state):
        if message_type == "handover" and not handed_over:
            continue
        previous = last.get(message_type)
        if previous is not None and not kinds & CHANGE_KINDS:
            continue  # already queued; later entries that change nothing sent are addenda
        # The entry that calls for it: a trigger for a first message, the change for a correction.
        wanted = TRIGGER_KINDS if previous is None else CHANGE_KINDS
        trigger = next((e for e in new if e.kind in wanted), new[0])
        out.append(
            _queue(
                session=session,
                journal_id=journal_id,
                state=state,
                message_type=message_type,
                previous=previous,
                trigger=trigger,
                now=now,
            )
        )
    return out


def latest_messages(*, session: Session, journal_id: uuid.UUID) -> dict[str, OutboxMessage]:
    """The last message queued per type for the journal."""
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.journal_id == journal_id).order_by(OutboxMessage.created_at)
    )
    return {row.message_type: row for row in rows}


def journal_entries(*, session: Session, journal_id: uuid.UUID) -> list[Entry]:
    rows = session.execute(select(EntryRow.content, EntryRow.hlc).where(EntryRow.journal_id == journal_id))
    return [entry_from_dict({**json.loads(content), "hlc": hlc}) for content, hlc in rows]


def _queue(
    *,
    session: Session,
    journal_id: uuid.UUID,
    state: JournalState,
    message_type: MessageType,
    previous: OutboxMessage | None,
    trigger: Entry,
    now: dt.datetime,
) -> OutboxMessage:
    receiver = _receiver(session=session, journal_id=journal_id, message_type=message_type, state=state)
    sender = _sender(session=session, journal_id=journal_id)
    built: BuiltMessage | None = None
    problem, detail = receiver.problem, None
    if _changed_person(state, previous):
        # Checked before the receiver: another person may have another GP or municipality, but what was
        # sent about the first person is what a person must now take up with its receiver.
        problem = ErrorCode.wrong_patient
        detail = f"the patient identity changed after message {previous.id if previous else '?'} was sent"
    if problem is None and sender is None:
        problem, detail = (
            ErrorCode.sender_unknown,
            "no unit of the journal (or its parents) has a SOR id and GLN",
        )
    if problem is None and sender is not None and receiver.organisation is not None:
        try:
            built = _build(
                state=state,
                message_type=message_type,
                sender=sender,
                receiver=_as_message_org(receiver.organisation, receiver.endpoint),
                previous=previous,
            )
            built.to_json()  # refuses a message larger than the transport allows
        except WrongPatientError:
            # The error's text quotes both identifiers; administrators see only this (no patient data).
            detail = f"the patient identity changed after message {previous.id if previous else '?'} was sent"
            problem, built = ErrorCode.wrong_patient, None
        except MessageTooLargeError as exc:
            problem, detail, built = ErrorCode.message_too_large, str(exc), None
        except UnknownReceiverError as exc:
            problem, detail, built = ErrorCode.receiver_unknown, str(exc), None
        except MessageBuildError as exc:
            problem, detail, built = ErrorCode.message_not_buildable, str(exc), None
    message = OutboxMessage(
        id=uuid.UUID(built.header_id) if built else uuid.uuid4(),
        journal_id=journal_id,
        message_type=message_type,
        receiver_id=receiver.organisation.id if receiver.organisation else None,
        endpoint=receiver.endpoint,
        payload=built.to_json() if built else None,
        corrects_id=previous.id if previous else None,
        trigger_entry_id=trigger.entry_id,
        created_at=now,
    )
    session.add(message)
    delivery = Delivery(
        message=message, state=DeliveryState.queued, attempts=0, next_attempt_at=now, updated_at=now
    )
    if problem is not None:
        delivery.state = transition(delivery.state, DeliveryEvent.hold)
        delivery.next_attempt_at = None
        delivery.error_code = problem
        delivery.error_detail = (detail or _problem_text(problem, message_type))[:1000]
    session.add(delivery)
    return message


def _changed_person(state: JournalState, previous: OutboxMessage | None) -> bool:
    """Whether the journal now names another person than the last message of this type did."""
    if previous is None or previous.payload is None:
        return False
    identity = state.value("patient_identity")
    if not isinstance(identity, PatientIdentity):
        return False
    try:
        check_same_patient(SentMessage.of(json.loads(previous.payload)), identity)
    except WrongPatientError:
        return True
    return False


def _problem_text(problem: ErrorCode, message_type: str) -> str:
    return {
        ErrorCode.receiver_unknown: f"the organisation registry names no receiver for the {message_type}"
        + (
            " (home care is addressed by the patient's municipality code, recorded with the identity)"
            if message_type == "homecare"
            else ""
        ),
        ErrorCode.receiver_has_no_http_endpoint: f"the {message_type} receiver has no HTTP FHIR endpoint",
    }.get(problem, problem.value)


def _build(
    *,
    state: JournalState,
    message_type: MessageType,
    sender: MessageOrganisation,
    receiver: MessageOrganisation,
    previous: OutboxMessage | None,
) -> BuiltMessage:
    sent = json.loads(previous.payload) if previous is not None and previous.payload is not None else None
    if message_type == "handover":
        return build_handover(
            state=state, sender=sender, receiver=receiver, previous=SentMessage.of(sent) if sent else None
        )
    return build_care_communication(
        state=state,
        kind=message_type,
        sender=sender,
        receiver=receiver,
        previous=SentCareCommunication.of(sent) if sent else None,
    )


def _as_message_org(organisation: Organisation, endpoint: str | None) -> MessageOrganisation:
    return MessageOrganisation(
        sor=organisation.sor_id or "", gln=organisation.gln or "", name=organisation.name, endpoint=endpoint
    )


def _lineage(session: Session, organisation_id: uuid.UUID | None) -> list[Organisation]:
    """The organisation and its parents, nearest first."""
    out: list[Organisation] = []
    while organisation_id is not None and len(out) < 10:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            break
        out.append(organisation)
        organisation_id = organisation.parent_id
    return out


def _sender(*, session: Session, journal_id: uuid.UUID) -> MessageOrganisation | None:
    """The journal's unit, or its nearest parent (the region), that has a SOR id and a GLN."""
    journal = session.get(Journal, journal_id)
    if journal is None:
        return None
    unit_ids = session.scalars(
        select(MissionUnit.unit_id)
        .where(MissionUnit.mission_id == journal.mission_id)
        .order_by(MissionUnit.assigned_at)
    ).all()
    for unit_id in unit_ids:
        lineage = _lineage(session, unit_id)
        for index, organisation in enumerate(lineage):
            if organisation.sor_id and organisation.gln:
                phone = next((o.phone for o in lineage[index:] if o.phone), None)
                return MessageOrganisation(
                    sor=organisation.sor_id, gln=organisation.gln, name=organisation.name, phone=phone
                )
    return None


def _receiver(
    *, session: Session, journal_id: uuid.UUID, message_type: MessageType, state: JournalState
) -> _Receiver:
    start: uuid.UUID | None = None
    if message_type == "handover":
        start = session.scalar(
            select(JournalHandover.emergency_department_id)
            .where(JournalHandover.journal_id == journal_id)
            .order_by(JournalHandover.handed_over_at.desc())
            .limit(1)
        ) or session.scalar(
            select(JournalAnnouncement.emergency_department_id)
            .where(JournalAnnouncement.journal_id == journal_id)
            .order_by(JournalAnnouncement.announced_at.desc())
            .limit(1)
        )
    elif message_type == "epikrise":
        journal = session.get(Journal, journal_id)
        if journal is not None and journal.patient_cpr:
            start = session.scalar(
                select(GpAssignment.organisation_id).where(GpAssignment.patient_cpr == journal.patient_cpr)
            )
    else:
        identity = state.value("patient_identity")
        code = identity.municipality_code if isinstance(identity, PatientIdentity) else None
        if code is None:
            return _Receiver(None, None, ErrorCode.receiver_unknown)
        start = session.scalar(
            select(Organisation.id).where(
                Organisation.municipality_code == code, Organisation.kind == OrgKind.municipality
            )
        )
    lineage = _lineage(session, start)
    if not lineage:
        return _Receiver(None, None, ErrorCode.receiver_unknown)
    for organisation in lineage:
        for endpoint in organisation.endpoints:
            if endpoint.kind is EndpointKind.fhir_http:
                return _Receiver(organisation, endpoint.address, None)
    return _Receiver(lineage[0], None, ErrorCode.receiver_has_no_http_endpoint)
