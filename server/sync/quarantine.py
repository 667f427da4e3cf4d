"""The quarantine an administrator resolves (docs/sync/server.md §Quarantine).

What an administrator sees: reason code, detail (the validation message), which writer uploaded it,
when, the journal id — never the entry's content: administrators read no journals (ARCHITECTURE §5).
Accepting stores the entry in its journal as a push would (position under the log lock, projections,
the HLC bound), after parsing it again: after a server upgrade an ``unknown_kind_version`` entry parses;
an entry that still does not parse, or whose content does not match its hash, can only be rejected.
Accepting overrides the author, device and access checks: that is the administrator's decision, recorded
with who, when and why. Rejecting keeps the row (nothing is ever deleted) with the reason the crew sees.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from journal.hlc import Hlc
from server.errors import Conflict, InvalidInput, NotFound
from server.sync.clock import ServerClock
from server.sync.ingest import allocate_positions, parse_item
from server.sync.models import EntryRow, QuarantinedEntry, QuarantineStatus
from server.sync.projections import project_journals
from sync.protocol import PushItem, QuarantineReason, WireEntry


@dataclass(frozen=True)
class QuarantineView:
    """A quarantined entry as an administrator sees it (no clinical content)."""

    id: uuid.UUID
    entry_id: uuid.UUID
    journal_id: uuid.UUID
    reason: str
    detail: str | None
    uploaded_by: str
    received_at: dt.datetime
    status: str
    resolved_by: uuid.UUID | None
    resolved_at: dt.datetime | None
    resolution_note: str | None


def _view(row: QuarantinedEntry) -> QuarantineView:
    return QuarantineView(
        id=row.id,
        entry_id=row.entry_id,
        journal_id=row.journal_id,
        reason=row.reason,
        detail=row.detail,
        uploaded_by=row.uploaded_by,
        received_at=row.received_at,
        status=row.status.value,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        resolution_note=row.resolution_note,
    )


def list_quarantine(
    *, session: Session, status: QuarantineStatus | None = QuarantineStatus.open
) -> list[QuarantineView]:
    query = select(QuarantinedEntry).order_by(QuarantinedEntry.received_at, QuarantinedEntry.entry_id)
    if status is not None:
        query = query.where(QuarantinedEntry.status == status)
    return [_view(row) for row in session.scalars(query)]


def _open_row(session: Session, quarantine_id: uuid.UUID) -> QuarantinedEntry:
    row = session.scalars(
        select(QuarantinedEntry).where(QuarantinedEntry.id == quarantine_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound(f"no quarantined entry {quarantine_id}")
    if row.status is not QuarantineStatus.open:
        raise Conflict(f"quarantined entry {quarantine_id} was already {row.status.value}")
    return row


def _note(note: str) -> str:
    note = note.strip()
    if not note:
        raise InvalidInput("note", "say why (the crew and the audit see it)")
    return note[:500]


def reject(
    *, session: Session, quarantine_id: uuid.UUID, by: uuid.UUID | None, note: str, now: dt.datetime
) -> QuarantineView:
    """Reject for good, with the reason the crew sees; the row stays."""
    row = _open_row(session, quarantine_id)
    row.status, row.resolved_by, row.resolved_at, row.resolution_note = (
        QuarantineStatus.rejected,
        by,
        now,
        _note(note),
    )
    session.flush()
    return _view(row)


def accept(
    *,
    session: Session,
    quarantine_id: uuid.UUID,
    by: uuid.UUID | None,
    note: str,
    clock: ServerClock,
    max_ahead_ms: int,
    now: dt.datetime,
) -> QuarantineView:
    """Store the entry in its journal now (see the module docstring); InvalidInput if it cannot be."""
    row = _open_row(session, quarantine_id)
    if row.reason == QuarantineReason.CONTENT_HASH_MISMATCH.value:
        raise InvalidInput("reason", "content and hash disagree: this entry can only be rejected")
    if session.get(EntryRow, row.entry_id) is not None:
        raise Conflict(f"entry {row.entry_id} is in its journal already")
    wire = WireEntry(
        entry_id=row.entry_id,
        journal_id=row.journal_id,
        hlc=row.hlc,
        content_hash=row.content_hash,
        content=row.content,
    )
    parsed = parse_item(PushItem(device_seq=row.device_seq, entry=wire))
    if isinstance(parsed, tuple):
        raise InvalidInput("entry", f"still cannot be accepted ({parsed[0].value}: {parsed[1]})")
    stamp = parsed.hlc
    if stamp.physical_ms > round(now.timestamp() * 1000) + max_ahead_ms:
        stamp = clock.restamp(after=None, writer=stamp.writer)
    else:
        clock.absorb(stamp)
    position = allocate_positions(session=session, counts={row.journal_id: 1})[row.journal_id]
    session.execute(
        insert(EntryRow).values(
            entry_id=row.entry_id,
            journal_id=row.journal_id,
            position=position,
            kind=parsed.kind,
            kind_version=parsed.kind_version,
            hlc=Hlc.encode(stamp),
            content_hash=row.content_hash,
            content=row.content,
            author_person_id=parsed.author.person_id,
            writer_id=parsed.device_id,
            uploaded_by=row.uploaded_by,
            unit=parsed.unit,
            clinical_at=parsed.clinical_time.at,
            received_at=now,
        )
    )
    project_journals(session=session, journal_ids=[row.journal_id], entries=[parsed])
    row.status, row.resolved_by, row.resolved_at, row.resolution_note = (
        QuarantineStatus.accepted,
        by,
        now,
        _note(note),
    )
    session.flush()
    return _view(row)
