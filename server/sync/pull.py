"""Pull: a journal's entries after a cursor, in commit order, never past the watermark (protocol §6).

Cursor: ``"<journal id hex, first 12>.<position>"``, the position of the last entry the client holds.
The watermark is the journal's log head as this reader sees it. Because positions are allocated only
under the journal's log lock and the head moves in the same transaction as its entries
(server.sync.models), every position at or below a visible head is itself visible: reading the head
first and then the entries up to it can never skip an entry that a concurrent writer commits later.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.sync.errors import UnknownCursor
from server.sync.models import EntryRow, JournalLog
from sync.protocol import WireEntry


@dataclass(frozen=True)
class PullPage:
    entries: list[WireEntry]
    next_cursor: str
    watermark: str
    has_more: bool


def cursor_for(journal_id: uuid.UUID, position: int) -> str:
    return f"{journal_id.hex[:12]}.{position}"


def _position(journal_id: uuid.UUID, cursor: str | None, head: int) -> int:
    if cursor is None:
        return 0
    prefix, _, number = cursor.partition(".")
    if prefix != journal_id.hex[:12] or not number.isdigit() or int(number) > head:
        raise UnknownCursor(f"cursor {cursor!r} was not issued for journal {journal_id}")
    return int(number)


def pull(*, session: Session, journal_id: uuid.UUID, after: str | None, limit: int) -> PullPage:
    """At most ``limit`` entries after ``after``; the caller has checked and audited access."""
    head = session.scalar(select(JournalLog.head).where(JournalLog.journal_id == journal_id)) or 0
    start = _position(journal_id, after, head)
    rows = session.execute(
        select(
            EntryRow.entry_id,
            EntryRow.journal_id,
            EntryRow.hlc,
            EntryRow.content_hash,
            EntryRow.content,
            EntryRow.position,
        )
        .where(EntryRow.journal_id == journal_id, EntryRow.position > start, EntryRow.position <= head)
        .order_by(EntryRow.position)
        .limit(limit)
    ).all()
    end = rows[-1].position if rows else start
    entries = [
        WireEntry.model_construct(
            entry_id=row.entry_id,
            journal_id=row.journal_id,
            hlc=row.hlc,
            content_hash=row.content_hash,
            content=row.content,
        )
        for row in rows
    ]
    return PullPage(
        entries=entries,
        next_cursor=cursor_for(journal_id, end),
        watermark=cursor_for(journal_id, head),
        has_more=end < head,
    )
