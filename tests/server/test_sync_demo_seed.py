"""``ppj serve --demo`` loads the demo scenarios' entries: their journals are projections of entries."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from journal.demo import scenarios
from server.care.models import Journal, Mission
from server.db import utcnow
from server.demo import seed_demo
from server.orgs.models import Organisation
from server.outbox.models import Delivery, OutboxMessage
from server.outbox.states import ErrorCode
from server.sync.models import EntryRow


def test_the_demo_seed_loads_every_scenario_entry_once_and_projects_its_journals(
    sessions: sessionmaker[Session],
) -> None:
    expected = {entry.entry_id: entry for scenario in scenarios() for entry in scenario.entries}
    for _ in range(2):
        with sessions() as session:
            seed_demo(session=session, now=utcnow())
            session.commit()
    with sessions() as session:
        stored = {
            row.entry_id: row.content_hash
            for row in session.execute(select(EntryRow.entry_id, EntryRow.content_hash))
        }
        assert stored == {entry_id: entry.content_hash() for entry_id, entry in expected.items()}
        journal_ids = {entry.journal_id for entry in expected.values()}
        assert session.scalar(
            select(func.count()).select_from(Journal).where(Journal.id.in_(journal_ids))
        ) == len(journal_ids)
        assert session.scalar(select(Mission.id).where(Mission.reference == "M-2026-1124-0031")) is not None


def test_the_demo_journal_ended_on_scene_queues_its_epikrise_and_home_care_notice_to_registry_receivers(
    sessions: sessionmaker[Session],
) -> None:
    """The demo registry has what the two CareCommunications need (sender phone, the patient's GP, Odense's
    home care by municipality code); its receivers have VANS endpoints only, so both wait for an HTTP
    endpoint rather than for a phone number or a receiver."""
    with sessions() as session:
        seed_demo(session=session, now=utcnow())
        session.commit()
    journal_id = next(s for s in scenarios() if s.name == "hypoglycaemia-released").entries[0].journal_id
    with sessions() as session:
        rows = session.execute(
            select(OutboxMessage.message_type, Organisation.name, Delivery.error_code)
            .join(Delivery, Delivery.message_id == OutboxMessage.id)
            .join(Organisation, Organisation.id == OutboxMessage.receiver_id)
            .where(OutboxMessage.journal_id == journal_id)
            .order_by(OutboxMessage.message_type)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("epikrise", "Demo Lægepraksis Odense C", ErrorCode.receiver_has_no_http_endpoint),
        ("homecare", "Odense Kommune", ErrorCode.receiver_has_no_http_endpoint),
    ]
