"""``ppj serve --demo`` loads the demo scenarios' entries: their journals are projections of entries."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from journal.demo import scenarios
from server.care.models import Journal, Mission
from server.db import utcnow
from server.demo import seed_demo
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
