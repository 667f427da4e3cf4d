"""Journeys for the outbox tests: a real tablet (sync client against the real app) writing the demo STEMI
journal as its own crew, with destination and handover naming the world's emergency department."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from journal.demo.scenarios import scenarios
from journal.entry import Entry, new_entry
from journal.fold import fold_linked
from journal.kinds.disposition import Destination, Handover
from journal.payload import Payload
from medcom.handover_message import build_handover
from medcom.journal_messages import DEMO_ORGANISATIONS
from server.orgs.models import Organisation
from server.outbox.models import Delivery, OutboxMessage
from server.outbox.states import DeliveryState
from tests.server.sync_tablets import UNIT, Tablet
from tests.server.world import World

HOSPITAL = DEMO_ORGANISATIONS["hospital"]
HYPO_CPR = "2311143995"  # the MedCom test person of the demo journal that ends with treatment on scene
START = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SKIPPED_KINDS = {"mission_assignment", "crew_sign_on", "signature", "destination"}


def capture_scenario(
    tablet: Tablet,
    name: str,
    *,
    before: Callable[[uuid.UUID, Payload], Payload] | None = None,
    skip: frozenset[str] = frozenset(),
) -> tuple[uuid.UUID, Entry]:
    """The demo scenario ``name`` written on this tablet by its crew (``before`` may change a payload, or
    write entries of its own first; kinds in ``skip`` are left out). Returns the journal id and its
    patient_identity entry."""
    journal_id = tablet.open_journal()
    identity: Entry | None = None
    scenario = next(s for s in scenarios() if s.name == name)
    for entry in scenario.entries:
        payload = before(journal_id, entry.payload) if before else entry.payload
        if entry.kind not in SKIPPED_KINDS | skip:
            written = tablet.entry(journal_id, payload)
            tablet.capture(written)
            identity = written if entry.kind == "patient_identity" else identity
    assert identity is not None
    return journal_id, identity


def capture_stemi(tablet: Tablet, *, ed_sor: str) -> tuple[uuid.UUID, Entry]:
    """The demo STEMI journal written on this tablet by its crew: destination and handover name the ED."""
    return capture_handed_over(tablet, "stemi", ed_sor=ed_sor)


def capture_handed_over(
    tablet: Tablet, name: str, *, ed_sor: str, skip: frozenset[str] = frozenset()
) -> tuple[uuid.UUID, Entry]:
    """A transported demo journal whose destination and handover name the ED with SOR id ``ed_sor``."""

    def to_the_ed(journal_id: uuid.UUID, payload: Payload) -> Payload:
        if not isinstance(payload, Handover):
            return payload
        tablet.capture(tablet.entry(journal_id, Destination(hospital="OUH", sor_code=ed_sor)))
        return payload.model_copy(update={"receiving_unit": ed_sor})

    return capture_scenario(tablet, name, before=to_the_ed, skip=skip)


def ed_sor(sessions: sessionmaker[Session], world: World) -> str:
    with sessions() as session:
        return session.get_one(Organisation, world.ed_own).sor_id or ""


def revise(tablet: Tablet, journal_id: uuid.UUID, payload: Payload, *, based_on: Entry) -> Entry:
    """A new value of a single-valued fact, written after seeing ``based_on`` (no conflict)."""
    entry = new_entry(
        journal_id=journal_id,
        payload=payload,
        author=tablet.author,
        device_id=str(tablet.device_id),
        unit=UNIT,
        clinical_time=dt.datetime.now(dt.UTC),
        hlc=tablet.stamp(),
        based_on=(based_on.entry_id,),
    )
    tablet.capture(entry)
    return entry


def queue_handovers(sessions: sessionmaker[Session], endpoint: str, count: int = 1) -> list[uuid.UUID]:
    """Built handovers of the demo STEMI journal to the MedCom example hospital, queued directly."""
    state = fold_linked(next(s for s in scenarios() if s.name == "stemi").entries)[0]
    ids = []
    with sessions() as session:
        for _ in range(count):
            built = build_handover(state=state, sender=DEMO_ORGANISATIONS["sender"], receiver=HOSPITAL)
            message = OutboxMessage(
                id=uuid.UUID(built.header_id),
                journal_id=uuid.uuid4(),
                message_type="handover",
                endpoint=endpoint,
                payload=built.to_json(),
                created_at=START,
            )
            session.add(message)
            session.add(
                Delivery(
                    message=message,
                    state=DeliveryState.queued,
                    attempts=0,
                    next_attempt_at=START,
                    updated_at=START,
                )
            )
            ids.append(message.id)
        session.commit()
    return ids
