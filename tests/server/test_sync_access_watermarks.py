"""``GET /sync/v1/access?watermarks=true`` (protocol §6): each listed journal with the watermark a pull would
answer, so a tablet whose cursor is there skips the pull; on SQLite and PostgreSQL.

Without the query the answer is the version-1 answer of before, without a ``watermark`` key (a client from
before the field forbids unknown keys)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from journal.kinds.record import Note
from server.app import create_app
from server.audit.models import AuditEvent
from server.config import Settings
from server.identity.models import Role
from sync.protocol import PullRequest
from tests.server.sync_tablets import Tablet, make_tablet
from tests.server.world import World


@pytest.fixture
def crew(
    engine: Engine, database_url: str, sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> Iterator[tuple[Tablet, Tablet]]:
    app = create_app(Settings(database_url=database_url), engine=engine)
    writer, reader = (
        make_tablet(
            app=app,
            sessions=sessions,
            person_id=world.callers[role].person_id,
            path=tmp_path / f"{n}.ppjstore",
        )
        for n, role in enumerate((Role.paramediciner, Role.ambulancebehandler))
    )
    yield writer, reader
    writer.store.close()
    reader.store.close()


def _listed(tablet: Tablet, journal_id: object, query: str = "?watermarks=true") -> dict[str, str]:
    """The access list's item for ``journal_id`` (the world has journals of its own)."""
    response = tablet.http.get("/sync/v1/access" + query, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    (item,) = (j for j in response.json()["journals"] if j["journal_id"] == str(journal_id))
    return item  # type: ignore[no-any-return]


def _pull_watermark(tablet: Tablet, journal_id: object) -> str:
    body = PullRequest(device_id=tablet.device_id, journal_id=journal_id).model_dump_json().encode()  # type: ignore[arg-type]
    response = tablet.http.post(
        "/sync/v1/pull",
        content=gzip.compress(body),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["watermark"])


def _audited(sessions: sessionmaker[Session], action: str) -> int:
    with sessions() as session:
        return int(
            session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))
            or 0
        )


def test_each_listed_journal_carries_the_watermark_a_pull_answers(crew: tuple[Tablet, Tablet]) -> None:
    writer, reader = crew
    journal_id = writer.open_journal()
    writer.capture(writer.entry(journal_id, Note(text="RR 18, SpO2 96 %.")))
    writer.client.sync_once()
    listed = _listed(reader, journal_id)
    assert listed["watermark"] == _pull_watermark(reader, journal_id)
    assert listed["watermark"].endswith(".2")


def test_without_the_query_the_answer_has_no_watermark_key(crew: tuple[Tablet, Tablet]) -> None:
    writer, _ = crew
    journal_id = writer.open_journal()
    writer.client.sync_once()
    listed = _listed(writer, journal_id, query="")
    assert set(listed) == {"journal_id", "granted_at", "until"}


def test_a_sync_with_nothing_new_lists_and_audits_the_journal_but_reads_nothing(
    crew: tuple[Tablet, Tablet], sessions: sessionmaker[Session]
) -> None:
    writer, reader = crew
    journal_id = writer.open_journal()
    writer.client.sync_once()
    assert reader.client.sync_once().pulled == 1
    lists, reads = _audited(sessions, "list"), _audited(sessions, "read")
    assert reader.client.sync_once().pulled == 0
    listed = len(reader.store.accessible_journals())  # one list event per listed patient, ours among them
    assert journal_id in reader.store.accessible_journals()
    assert (_audited(sessions, "list"), _audited(sessions, "read")) == (lists + listed, reads)
    writer.capture(writer.entry(journal_id, Note(text="Overtaget af 2. besætning.")))
    writer.client.sync_once()  # pushes, then pulls its own journal back (its cursor was behind): a read
    reads = _audited(sessions, "read")
    assert reader.client.sync_once().pulled == 1
    assert _audited(sessions, "read") == reads + 1
    held = {e.entry_id for e in reader.store.journal_entries(journal_id)}
    assert held == {e.entry_id for e in writer.store.journal_entries(journal_id)}
