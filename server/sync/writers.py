"""Server-side writers: the server itself and each person acting through the server (web board, API).

They write entries like devices do (ARCHITECTURE §4): each writer id has its own incarnation (a stable
id derived from the writer id), its own ``device_seq`` and its own HLC, continuing from the incarnation's
last stamp and ordered after everything in the journal it writes to. The entries then go through the same
``push`` as a tablet's, so positions, projections and audit are the same code path.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from journal.entry import Entry
from journal.hlc import Hlc, HybridClock
from server.access.policy import Windows
from server.audit.service import AuditContext, ChainWriter
from server.sync.clock import SERVER_WRITER, ServerClock
from server.sync.ingest import PushOutcome, Uploader, lock_incarnation, push
from server.sync.models import EntryRow
from sync.protocol import PushItem, PushRequest, WireEntry

_NAMESPACE = uuid.UUID("0196b4a0-0000-7000-8000-0000000057e1")


def person_writer(person_id: uuid.UUID) -> str:
    """The writer id of a person acting through the server (not through their tablet)."""
    return f"user:{person_id}"


def incarnation_of(writer_id: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, writer_id)


def wire(entry: Entry) -> WireEntry:
    content = json.dumps(entry.content_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return WireEntry(
        entry_id=entry.entry_id,
        journal_id=entry.journal_id,
        hlc=entry.hlc.encode(),
        content_hash=entry.content_hash(),
        content=content,
    )


def write_entries(
    *,
    session: Session,
    writer_id: str,
    drafts: Sequence[Callable[[Hlc], Entry]],
    clock: ServerClock,
    max_ahead_ms: int,
    windows: Windows,
    audit_writer: ChainWriter | None,
    audit: AuditContext | None,
    now: dt.datetime,
) -> PushOutcome:
    """Stamp and store one entry per draft (each called with its stamp), in order; the caller commits."""
    incarnation_id = incarnation_of(writer_id)
    # Building the request locks the incarnation first, so concurrent writes of one writer serialise.
    outcome = push(
        session=session,
        uploader=Uploader(writer_id=writer_id, device=None, audit=audit),
        request=_request(session, incarnation_id, writer_id, drafts, clock),
        clock=clock,
        max_ahead_ms=max_ahead_ms,
        windows=windows,
        audit_writer=audit_writer,
        now=now,
    )
    return outcome


def _request(
    session: Session,
    incarnation_id: uuid.UUID,
    writer_id: str,
    drafts: Sequence[Callable[[Hlc], Entry]],
    clock: ServerClock,
) -> PushRequest:
    incarnation = lock_incarnation(
        session=session, incarnation_id=incarnation_id, writer_id=writer_id, device=None
    )
    own = HybridClock(writer_id, physical_ms=lambda: round(dt.datetime.now(dt.UTC).timestamp() * 1000))
    seen = [clock.last]
    if incarnation.last_hlc:
        seen.append(Hlc.parse(incarnation.last_hlc))
    newest = session.scalar(select(func.max(EntryRow.hlc)))
    if newest:
        seen.append(Hlc.parse(newest))
    own.receive(max(seen))
    seq = incarnation.highest_applied_seq
    items = []
    for draft in drafts:
        seq += 1
        items.append(PushItem(device_seq=seq, entry=wire(draft(own.tick()))))
    return PushRequest(device_id=incarnation_id, incarnation_id=incarnation_id, items=items)


__all__ = ["SERVER_WRITER", "incarnation_of", "person_writer", "wire", "write_entries"]
