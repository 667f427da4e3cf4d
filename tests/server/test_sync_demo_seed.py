"""``ppj serve --demo`` loads the demo scenarios' entries, moved to the time of seeding: their journals
are projections of entries, announced to the seeded Region Syddanmark hospitals, so FAM OUH's board shows
live-looking patients (and never a row without content)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from journal.demo import live_scenarios
from server.access import service as access
from server.access.policy import Actor, Windows
from server.board.view import board_rows
from server.care.models import Journal, Mission
from server.db import utcnow
from server.demo import seed_demo
from server.identity.models import Person
from server.orgs.models import Organisation
from server.outbox.models import Delivery, OutboxMessage
from server.outbox.states import ErrorCode
from server.sync.models import EntryRow

WINDOWS = Windows(documentation=dt.timedelta(hours=12), emergency_department=dt.timedelta(hours=24))


def test_the_demo_seed_loads_every_scenario_entry_once_and_projects_its_journals(
    sessions: sessionmaker[Session],
) -> None:
    now = utcnow()
    expected = {entry.entry_id: entry for scenario in live_scenarios(now) for entry in scenario.entries}
    for later in (dt.timedelta(0), dt.timedelta(hours=3)):  # a restart later adds nothing
        with sessions() as session:
            seed_demo(session=session, now=now + later)
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
        assert max(entry.clinical_time.at for entry in expected.values()) < now


def test_fam_ouh_sees_the_incoming_demo_patients_with_content_and_no_hollow_row(
    sessions: sessionmaker[Session],
) -> None:
    now = utcnow()
    with sessions() as session:
        seed_demo(session=session, now=now)
        session.commit()
    with sessions() as session:
        nurse = session.scalars(select(Person).where(Person.username == "fam-ouh")).one()
        actor = Actor(person_id=nurse.id, role=nurse.role, organisation_id=nurse.organisation_id)
        journals = access.visible_journals(
            session=session, actor=actor, windows=WINDOWS, auditing=None, now=now
        )
        rows = board_rows(session=session, journals=journals)
    assert len(rows) >= 3
    assert all(row.latest_vitals and row.units and row.isbar for row in rows)  # no hollow row
    assert sum(1 for row in rows if row.chief_complaint) >= 3
    assert any(row.eta is not None and now < row.eta < now + dt.timedelta(hours=1) for row in rows)
    assert all(
        row.announced_at is not None and now - row.announced_at < dt.timedelta(hours=2) for row in rows
    )


def test_the_demo_journal_ended_on_scene_queues_its_epikrise_and_home_care_notice_to_registry_receivers(
    sessions: sessionmaker[Session],
) -> None:
    """The demo registry has what the two CareCommunications need (sender phone, the patient's GP, Odense's
    home care by municipality code); its receivers have VANS endpoints only, so both wait for an HTTP
    endpoint rather than for a phone number or a receiver."""
    now = utcnow()
    with sessions() as session:
        seed_demo(session=session, now=now)
        session.commit()
    released = next(s for s in live_scenarios(now) if s.name == "hypoglycaemia-released")
    journal_id = released.entries[0].journal_id
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
