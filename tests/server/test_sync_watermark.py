"""The watermark: with several concurrent writers on PostgreSQL, a reader following cursors never skips an
entry, even one whose transaction began before and committed after a later one (protocol §6)."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from journal.entry import Author, AuthorisationLevel, Entry, Role, new_entry
from journal.hlc import Hlc
from journal.ids import new_uuid7
from journal.kinds.record import Note
from server.access.policy import Windows
from server.db import make_session_factory
from server.sync.clock import ServerClock
from server.sync.pull import pull
from server.sync.writers import write_entries

WINDOWS = Windows(documentation=dt.timedelta(hours=12), emergency_department=dt.timedelta(hours=24))
SERVER = Author(
    person_id="server", name="PPJ server", role=Role.SERVER, authorisation_level=AuthorisationLevel.NONE
)


def _drafts(journal_id: uuid.UUID, writer: str, n: int) -> list[Callable[[Hlc], Entry]]:
    def draft(i: int) -> Callable[[Hlc], Entry]:
        return lambda hlc: new_entry(
            journal_id=journal_id,
            payload=Note(text=f"{writer} {i}"),
            author=SERVER,
            device_id=writer,
            clinical_time=dt.datetime.now(dt.UTC),
            hlc=hlc,
            source="server",
        )

    return [draft(i) for i in range(n)]


def _write(
    session: Session, journal_id: uuid.UUID, writer: str, n: int, clock: ServerClock
) -> set[uuid.UUID]:
    outcome = write_entries(
        session=session,
        writer_id=writer,
        drafts=_drafts(journal_id, writer, n),
        clock=clock,
        max_ahead_ms=300_000,
        windows=WINDOWS,
        audit_writer=None,
        audit=None,
        now=dt.datetime.now(dt.UTC),
    )
    return {r.entry_id for r in outcome.results}


def _read_all(
    sessions: sessionmaker[Session], journal_id: uuid.UUID, cursor: str | None
) -> tuple[list[uuid.UUID], str | None]:
    got: list[uuid.UUID] = []
    with sessions() as session:
        while True:
            page = pull(session=session, journal_id=journal_id, after=cursor, limit=7)
            got += [e.entry_id for e in page.entries]
            cursor = page.next_cursor
            if not page.has_more:
                return got, cursor


def test_a_reader_sees_nothing_of_an_open_transaction_and_skips_nothing_when_it_commits_late(
    postgres_schema_url: str, engine_for: Callable[[str], Engine]
) -> None:
    engine = engine_for(postgres_schema_url)
    sessions = make_session_factory(engine)
    clock = ServerClock()
    journal_id = new_uuid7()
    early, late = sessions(), sessions()
    try:
        first = _write(early, journal_id, "writer-early", 3, clock)  # allocates positions 1-3, not committed
        second: set[uuid.UUID] = set()
        blocked = threading.Thread(
            target=lambda: second.update(_write(late, journal_id, "writer-late", 2, clock))
        )
        blocked.start()
        time.sleep(0.3)
        assert blocked.is_alive(), "the second writer must wait for the journal's log lock"
        seen, cursor = _read_all(sessions, journal_id, None)
        assert seen == []
        early.commit()
        blocked.join(timeout=10)
        seen_now, cursor = _read_all(sessions, journal_id, cursor)
        assert set(seen_now) == first  # the late writer has not committed yet
        late.commit()
        rest, _ = _read_all(sessions, journal_id, cursor)
        assert set(rest) == second
    finally:
        early.close()
        late.close()


def test_many_concurrent_writers_and_a_polling_reader_agree_on_every_entry(
    postgres_schema_url: str, engine_for: Callable[[str], Engine]
) -> None:
    engine = engine_for(postgres_schema_url)
    sessions = make_session_factory(engine)
    clock = ServerClock()
    journal_id = new_uuid7()
    written: set[uuid.UUID] = set()
    lock = threading.Lock()

    def writer(name: str) -> None:
        for _ in range(8):
            with sessions() as session:
                ids = _write(session, journal_id, name, 3, clock)
                time.sleep(0.005)  # hold the transaction open a little, as a slow request would
                session.commit()
            with lock:
                written.update(ids)

    threads = [threading.Thread(target=writer, args=(f"writer-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    seen: list[uuid.UUID] = []
    cursor: str | None = None
    while any(t.is_alive() for t in threads):
        page, cursor = _read_all(sessions, journal_id, cursor)
        seen += page
    for thread in threads:
        thread.join()
    page, cursor = _read_all(sessions, journal_id, cursor)
    seen += page
    assert len(seen) == len(set(seen)) == len(written) == 4 * 8 * 3
    assert set(seen) == written
