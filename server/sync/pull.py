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

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from server.db import column_rows
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


def _cursor_position(journal_id: uuid.UUID, cursor: str | None) -> int:
    """The position a cursor names; whether it is within the head is checked against the head read."""
    if cursor is None:
        return 0
    prefix, _, number = cursor.partition(".")
    if prefix != journal_id.hex[:12] or not number.isdigit():
        raise UnknownCursor(f"cursor {cursor!r} was not issued for journal {journal_id}")
    return int(number)


# Built once: every sync cycle that finds a journal behind pulls it.
_PAGE = (
    select(
        JournalLog.head,
        EntryRow.entry_id,
        EntryRow.journal_id,
        EntryRow.hlc,
        EntryRow.content_hash,
        EntryRow.content,
        EntryRow.position,
    )
    .select_from(JournalLog)
    .outerjoin(
        EntryRow,
        and_(
            EntryRow.journal_id == JournalLog.journal_id,
            EntryRow.position > bindparam("start"),
            EntryRow.position <= JournalLog.head,
        ),
    )
    .where(JournalLog.journal_id == bindparam("journal_id"))
    .order_by(EntryRow.position)
    .limit(bindparam("limit"))
)


def pull(*, session: Session, journal_id: uuid.UUID, after: str | None, limit: int) -> PullPage:
    """At most ``limit`` entries after ``after``; the caller has checked and audited access.

    The head and the entries come from one statement (one snapshot, one round trip): the log row left-
    joined to the entries after the cursor and at or below the head. A journal without a log row has
    head 0 and no entries.
    """
    start = _cursor_position(journal_id, after)
    rows = column_rows(session, _PAGE, {"journal_id": journal_id, "start": start, "limit": limit}).all()
    head = rows[0].head if rows else 0
    if start > head:
        raise UnknownCursor(f"cursor {after!r} was not issued for journal {journal_id}")
    stored = [row for row in rows if row.entry_id is not None]
    end = stored[-1].position if stored else start
    entries = [
        WireEntry.model_construct(
            entry_id=row.entry_id,
            journal_id=row.journal_id,
            hlc=row.hlc,
            content_hash=row.content_hash,
            content=row.content,
        )
        for row in stored
    ]
    return PullPage(
        entries=entries,
        next_cursor=cursor_for(journal_id, end),
        watermark=cursor_for(journal_id, head),
        has_more=end < head,
    )


# Built once: the access list asks it on most sync cycles of every tablet.
_HEADS = select(JournalLog.journal_id, JournalLog.head).where(
    JournalLog.journal_id.in_(bindparam("journal_ids", expanding=True))
)


def watermarks_of(*, session: Session, journal_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each journal's watermark as ``pull`` would answer it now (head 0 for a journal without entries), in
    one indexed query; the caller has checked and audited access to every one of them."""
    if not journal_ids:
        return {}
    heads: dict[uuid.UUID, int] = {
        row.journal_id: row.head for row in column_rows(session, _HEADS, {"journal_ids": journal_ids})
    }
    return {journal_id: cursor_for(journal_id, heads.get(journal_id, 0)) for journal_id in journal_ids}
