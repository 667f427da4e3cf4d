"""Writing, verifying, anchoring and exporting the audit trail.

Partitions: a process hands each open transaction a *slot* from its own pool; a slot is one hash chain,
named ``<UTC day>/<host>-<pid>-<boot>/<slot>``. A slot is held only by one transaction at a time and is
given back when that transaction ends, with its head advanced only if the transaction committed. So
chains never fork, a rolled-back request leaves no gap, and no two writers (threads or processes) ever
wait for each other: there is no global lock, only a microsecond mutex around the in-process pool.

Invariant: the audit event of a write is added to the same transaction as the write.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, event, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from server.audit.chain import Anchor, ChainedEvent, Problem, event_hash, genesis_hash, verify_partition
from server.audit.models import AuditAnchor, AuditEvent, BoardViewMark
from server.db import new_id
from server.ids import uuid7


@dataclass(frozen=True)
class AuditContext:
    """Who acts, from where, through which channel, and why. Built once per request."""

    actor_id: uuid.UUID | None
    actor_name: str
    actor_role: str
    actor_authorisation_id: str | None
    actor_organisation_id: uuid.UUID | None
    device_id: uuid.UUID | None
    client_ip: str | None
    channel: str  # e.g. "api GET /api/journals/{journal_id}", "board", "cli"
    purpose: str = "treatment"  # Sundhedsloven §42a: current treatment is the only lawful purpose here


@dataclass
class _Slot:
    number: int
    day: str = ""
    seq: int = 0
    head: str = ""
    anchored_at: dt.datetime | None = None


@dataclass
class _Pending:
    writer: ChainWriter
    slot: _Slot
    partition: str
    seq: int
    head: str
    anchored_at: dt.datetime | None
    committed: bool = False


class ChainWriter:
    """A pool of partition slots. Each instance names its partitions with its own random boot id, so two
    writers (two apps in one process, two processes, a restart on the same day) never share a chain."""

    def __init__(
        self, *, anchor_every: int = 100, anchor_interval: dt.timedelta = dt.timedelta(minutes=1)
    ) -> None:
        self._lock = threading.Lock()
        self._free: list[_Slot] = []
        self._count = 0
        self._process = f"{socket.gethostname()[:24]}-{os.getpid()}-{uuid7().hex[-8:]}"
        self.anchor_every = anchor_every
        self.anchor_interval = anchor_interval

    def _acquire(self) -> _Slot:
        with self._lock:
            if self._free:
                return self._free.pop()
            self._count += 1
            return _Slot(number=self._count)

    def _release(self, slot: _Slot) -> None:
        with self._lock:
            self._free.append(slot)

    def _pending(self, session: Session, now: dt.datetime) -> _Pending:
        pending: _Pending | None = session.info.get("ppj_audit_pending")
        if pending is not None:
            return pending
        slot = self._acquire()
        day = now.astimezone(dt.UTC).date().isoformat()
        if slot.day != day:
            slot.day, slot.seq, slot.anchored_at = day, 0, None
            slot.head = genesis_hash(self._partition_name(slot))
        pending = _Pending(
            writer=self,
            slot=slot,
            partition=self._partition_name(slot),
            seq=slot.seq,
            head=slot.head,
            anchored_at=slot.anchored_at,
        )
        session.info["ppj_audit_pending"] = pending
        return pending

    def _partition_name(self, slot: _Slot) -> str:
        return f"{slot.day}/{self._process}/{slot.number}"

    def settle(self, pending: _Pending) -> None:
        """The transaction holding ``pending`` ended: advance the slot's head if it committed, and give
        the slot back."""
        if pending.committed:
            slot = pending.slot
            slot.seq, slot.head, slot.anchored_at = pending.seq, pending.head, pending.anchored_at
        self._release(pending.slot)

    def append(self, *, session: Session, fields: dict[str, Any], now: dt.datetime) -> None:
        pending = self._pending(session, now)
        seq = pending.seq + 1
        hashed = dict(fields, partition=pending.partition, seq=seq)
        digest = event_hash(hashed, pending.head)
        # Inserted now, in the caller's transaction, as a plain table insert rather than an object for
        # the unit of work: most requests write one event, and the ORM's flush cost more than the insert
        # itself (ppj bench sync, fleet). Pending objects are flushed first, so the order of the
        # transaction's writes is kept.
        session.flush()
        session.connection().execute(
            _INSERT_EVENT, dict(_row_values(hashed), prev_hash=pending.head, hash=digest)
        )
        # Anchor a partition's first event (so deleting a whole partition is detected), then every
        # ``anchor_every`` events or ``anchor_interval``, whichever comes first.
        if (
            pending.anchored_at is None
            or seq % self.anchor_every == 0
            or now - pending.anchored_at >= self.anchor_interval
        ):
            session.add(AuditAnchor(partition=pending.partition, seq=seq, hash=digest, anchored_at=now))
            pending.anchored_at = now
        pending.seq, pending.head = seq, digest


_INSERT_EVENT = insert(cast(Table, AuditEvent.__table__))


# Listeners on every session, registered once: a transaction that audited carries its pending chain
# state in ``session.info`` (registering per session, on each request, cost more than the check).
@event.listens_for(Session, "after_commit")
def _mark_committed(session: Session) -> None:
    pending: _Pending | None = session.info.get("ppj_audit_pending")
    if pending is not None:
        pending.committed = True


@event.listens_for(Session, "after_transaction_end")
def _settle_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    pending: _Pending | None = session.info.pop("ppj_audit_pending", None)
    if pending is not None:
        pending.writer.settle(pending)


def _json_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value


def event_fields(
    *,
    ctx: AuditContext,
    action: str,
    outcome: str,
    patient_cpr: str | None,
    journal_id: uuid.UUID | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The hashed fields of a new event, in JSON form (strings for uuids and times)."""
    return {
        "id": str(new_id()),
        "occurred_at": _json_value(now),
        "actor_id": _json_value(ctx.actor_id),
        "actor_name": ctx.actor_name,
        "actor_role": ctx.actor_role,
        "actor_authorisation_id": ctx.actor_authorisation_id,
        "actor_organisation_id": _json_value(ctx.actor_organisation_id),
        "device_id": _json_value(ctx.device_id),
        "client_ip": ctx.client_ip,
        "patient_cpr": patient_cpr,
        "journal_id": _json_value(journal_id),
        "action": action,
        "outcome": outcome,
        "purpose": ctx.purpose,
        "channel": ctx.channel,
    }


_UUID_FIELDS = {"id", "actor_id", "actor_organisation_id", "device_id", "journal_id"}


def _row_values(fields: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name in _UUID_FIELDS and value is not None:
            values[name] = uuid.UUID(value)
        elif name == "occurred_at":
            values[name] = dt.datetime.fromisoformat(value)
        else:
            values[name] = value
    return values


def stored_fields(row: AuditEvent) -> dict[str, Any]:
    """The hashed fields of a stored event, read back into JSON form for verification."""
    return {
        "id": _json_value(row.id),
        "partition": row.partition,
        "seq": row.seq,
        "occurred_at": _json_value(row.occurred_at),
        "actor_id": _json_value(row.actor_id),
        "actor_name": row.actor_name,
        "actor_role": row.actor_role,
        "actor_authorisation_id": row.actor_authorisation_id,
        "actor_organisation_id": _json_value(row.actor_organisation_id),
        "device_id": _json_value(row.device_id),
        "client_ip": row.client_ip,
        "patient_cpr": row.patient_cpr,
        "journal_id": _json_value(row.journal_id),
        "action": row.action,
        "outcome": row.outcome,
        "purpose": row.purpose,
        "channel": row.channel,
    }


def record(
    *,
    session: Session,
    writer: ChainWriter,
    ctx: AuditContext,
    action: str,
    outcome: str,
    patient_cpr: str | None,
    journal_id: uuid.UUID | None,
    now: dt.datetime,
) -> None:
    """Add one audit event to the session's transaction; it is stored when (and only if) that commits.

    Never call this inside a savepoint that may roll back on its own: the slot's head would move past an
    event the outer transaction then commits without, and ``verify`` would report a gap.
    """
    fields = event_fields(
        ctx=ctx, action=action, outcome=outcome, patient_cpr=patient_cpr, journal_id=journal_id, now=now
    )
    writer.append(session=session, fields=fields, now=now)


def board_views_seen(*, session: Session, web_session_id: uuid.UUID) -> set[str]:
    """The patient keys this board session has already seen (one query; a board refresh skips them)."""
    return set(
        session.scalars(
            select(BoardViewMark.patient_key).where(BoardViewMark.web_session_id == web_session_id)
        )
    )


def first_board_view(*, session: Session, web_session_id: uuid.UUID, patient_key: str) -> bool:
    """Mark that this board session has seen this patient; True only the first time."""
    exists = session.scalar(
        select(BoardViewMark.id).where(
            BoardViewMark.web_session_id == web_session_id, BoardViewMark.patient_key == patient_key
        )
    )
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(BoardViewMark(web_session_id=web_session_id, patient_key=patient_key))
    except IntegrityError:
        return False  # a concurrent request of the same board session marked it first
    return True


# ---------------------------------------------------------------- verification


@dataclass(frozen=True)
class VerifyReport:
    partitions: int
    events: int
    problems: list[Problem]
    anchored: int


def _partitions(session: Session) -> list[str]:
    names = set(session.scalars(select(AuditEvent.partition).distinct()))
    names |= set(session.scalars(select(AuditAnchor.partition).distinct()))
    return sorted(names)


def _events(session: Session, partition: str) -> Iterator[ChainedEvent]:
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.partition == partition).order_by(AuditEvent.seq)
    )
    for row in rows:
        yield ChainedEvent(fields=stored_fields(row), seq=row.seq, prev_hash=row.prev_hash, hash=row.hash)


def verify(*, session: Session, anchor: bool, now: dt.datetime) -> VerifyReport:
    """Recompute every chain; when ``anchor`` is set, anchor the heads of the partitions that verified."""
    problems: list[Problem] = []
    events_seen = 0
    anchored = 0
    partitions = _partitions(session)
    for partition in partitions:
        events = list(_events(session, partition))
        events_seen += len(events)
        anchors = [
            Anchor(partition=a.partition, seq=a.seq, hash=a.hash)
            for a in session.scalars(select(AuditAnchor).where(AuditAnchor.partition == partition))
        ]
        found = verify_partition(partition, events, anchors)
        problems.extend(found)
        if anchor and not found and events and all(a.seq < events[-1].seq for a in anchors):
            session.add(
                AuditAnchor(partition=partition, seq=events[-1].seq, hash=events[-1].hash, anchored_at=now)
            )
            anchored += 1
    return VerifyReport(partitions=len(partitions), events=events_seen, problems=problems, anchored=anchored)


def events_for_patient(*, session: Session, patient_cpr: str) -> list[AuditEvent]:
    """Every access to this patient's data, oldest first: the citizen's view."""
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.patient_cpr == patient_cpr).order_by(AuditEvent.occurred_at)
        )
    )
