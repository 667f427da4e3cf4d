"""Positions: one push spanning several journals numbers each journal's new entries after that journal's
own head, in batch order, on both databases (docs/sync/protocol.md §6)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from journal.entry import Author, AuthorisationLevel, Entry, Role, new_entry
from journal.hlc import Hlc
from journal.ids import new_uuid7
from journal.kinds.record import Note
from server.access.policy import Windows
from server.sync.clock import ServerClock
from server.sync.pull import cursor_for, pull
from server.sync.writers import write_entries

WINDOWS = Windows(documentation=dt.timedelta(hours=12), emergency_department=dt.timedelta(hours=24))
SERVER = Author(
    person_id="server", name="PPJ server", role=Role.SERVER, authorisation_level=AuthorisationLevel.NONE
)


def _note(journal_id: uuid.UUID, text: str) -> Callable[[Hlc], Entry]:
    return lambda hlc: new_entry(
        journal_id=journal_id,
        payload=Note(text=text),
        author=SERVER,
        device_id="server:positions",
        clinical_time=dt.datetime.now(dt.UTC),
        hlc=hlc,
        source="server",
    )


def _write(session: Session, drafts: list[Callable[[Hlc], Entry]], clock: ServerClock) -> list[uuid.UUID]:
    outcome = write_entries(
        session=session,
        writer_id="server:positions",
        drafts=drafts,
        clock=clock,
        max_ahead_ms=300_000,
        windows=WINDOWS,
        audit_writer=None,
        audit=None,
        now=dt.datetime.now(dt.UTC),
    )
    session.commit()
    return [r.entry_id for r in outcome.results]


def _journal(session: Session, journal_id: uuid.UUID) -> tuple[list[uuid.UUID], str]:
    page = pull(session=session, journal_id=journal_id, after=None, limit=100)
    return [e.entry_id for e in page.entries], page.watermark


def test_a_batch_over_two_journals_continues_each_journal_from_its_own_head(
    sessions: sessionmaker[Session],
) -> None:
    # The batch names the journal with the larger id first: the log rows are still locked in id order.
    first, second = sorted([new_uuid7(), new_uuid7()], reverse=True)
    clock = ServerClock()
    with sessions() as session:
        earlier = _write(session, [_note(first, "a1"), _note(first, "a2")], clock)
        batch = _write(
            session,
            [_note(first, "a3"), _note(second, "b1"), _note(first, "a4"), _note(second, "b2")],
            clock,
        )
    with sessions() as session:
        assert _journal(session, first) == ([*earlier, batch[0], batch[2]], cursor_for(first, 4))
        assert _journal(session, second) == ([batch[1], batch[3]], cursor_for(second, 2))
