"""Push: store a batch from one store incarnation, exactly once and in order (docs/sync/protocol.md §4).

One call is one database transaction (the caller commits): lock the incarnation, decide every item,
allocate positions under the journals' log locks, insert entries and quarantine rows, move
``highest_applied_seq``, update the projections and write the audit events. Nothing is stored unless
everything is.

Lock order (so concurrent pushes never deadlock): the incarnation row first, then the journal log rows of
the batch in ascending journal id. Pushes of different incarnations to different journals never wait for
each other; pushes to one journal serialise on its log row from position allocation to commit, which is
what makes the journal's head a watermark (server.sync.models).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Uuid,
    any_,
    bindparam,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.dml import ReturningInsert

from journal.entry import Entry, entry_from_dict
from journal.errors import EntryValidationError, InvalidHlcError, UnknownKindError
from journal.hlc import Hlc
from server.access.facts import journal_facts, person_shifts
from server.access.policy import Action, Actor, Windows, decide
from server.audit.service import AuditContext, ChainWriter, record
from server.board.live import announce_changed_journals
from server.care.models import Journal
from server.db import column_rows
from server.identity.models import CREW_ROLES, AccessToken, Device, Person
from server.outbox.enqueue import enqueue_messages_for
from server.sync.clock import ServerClock
from server.sync.errors import SyncRefused
from server.sync.models import EntryRow, JournalLog, QuarantinedEntry, StoreIncarnation
from server.sync.projections import project_journals
from sync.protocol import (
    ErrorCode,
    PushItem,
    PushRequest,
    PushResult,
    PushResultCode,
    QuarantineReason,
    RestampReason,
)


@dataclass(frozen=True)
class Uploader:
    """Who sends the batch: an enrolled device (``device``), or a server-side writer (``device`` None)
    whose entries the server made itself and whose author it has checked already."""

    writer_id: str
    device: Device | None
    audit: AuditContext | None  # None only for the server's own seeding, which no person requested
    # The person whose token, bound to ``device``, authenticated this request: that token is itself proof
    # that the person logged in through this device, so their entries need no look-up for it.
    logged_in: uuid.UUID | None = None


@dataclass
class PushOutcome:
    incarnation_id: uuid.UUID
    highest_applied_seq: int
    results: list[PushResult]
    server_hlc: Hlc
    stored: int = 0
    quarantined: int = 0
    journals: set[uuid.UUID] = field(default_factory=set)


@dataclass(frozen=True)
class _Accepted:
    item: PushItem
    entry: Entry
    hlc: str


@dataclass(frozen=True)
class _Held:
    item: PushItem
    reason: QuarantineReason
    detail: str | None


class _Authors:
    """Per-batch cache of author checks (a batch is usually one journal and one or two authors)."""

    def __init__(
        self,
        *,
        session: Session,
        device: Device | None,
        logged_in: uuid.UUID | None,
        windows: Windows,
        now: dt.datetime,
    ) -> None:
        self._session = session
        self._device = device
        self._logged_in = logged_in
        self._windows = windows
        self._now = now
        self._people: dict[str, Person | None] = {}
        self._decisions: dict[tuple[uuid.UUID, str], bool] = {}
        self._writers: dict[str, QuarantineReason | None] = {}

    def verify(self, entry: Entry, *, uploader: Uploader) -> tuple[QuarantineReason, str] | None:
        """Why the entry cannot be accepted from this uploader now, or None."""
        if uploader.device is None:
            # A server-side writer: the server made (or imported) the entry and checked its author itself.
            return None
        writer_problem = self._writer(entry.device_id, uploader=uploader)
        if writer_problem is not None:
            return writer_problem, f"writer {entry.device_id} cannot be verified"
        person = self._person(entry.author.person_id)
        if person is None or person.role.value != entry.author.role.value:
            return QuarantineReason.AUTHOR_UNVERIFIED, "author is not a person who logged in on this device"
        if not self._may_write(entry.journal_id, person):
            return QuarantineReason.NO_ACCESS, "the author may not write to this journal now"
        return None

    def _writer(self, writer_id: str, *, uploader: Uploader) -> QuarantineReason | None:
        if writer_id == uploader.writer_id:
            return None
        if writer_id not in self._writers:
            # Who uploads is not who wrote: another enrolled device's entry, relayed. It must be known and
            # not revoked.
            try:
                device = self._session.get(Device, uuid.UUID(writer_id))
            except ValueError:
                device = None
            if device is None:
                self._writers[writer_id] = QuarantineReason.AUTHOR_UNVERIFIED
            elif device.revoked_at is not None:
                self._writers[writer_id] = QuarantineReason.DEVICE_REVOKED
            else:
                self._writers[writer_id] = None
        return self._writers[writer_id]

    def _person(self, person_id: str) -> Person | None:
        if person_id not in self._people:
            person: Person | None = None
            try:
                person = self._session.get(Person, uuid.UUID(person_id))
            except ValueError:
                person = None
            if person is not None and self._device is not None and person.id != self._logged_in:
                # "Allowed for that device": the person logged in through this tablet at least once (an
                # offline log-in needs the verifier cached by an online one), whatever the token's age now.
                logged_in_here = column_rows(
                    self._session, _LOGGED_IN_HERE, {"person_id": person.id, "device_id": self._device.id}
                ).first()
                if logged_in_here is None:
                    person = None
            self._people[person_id] = person
        return self._people[person_id]

    def _may_write(self, journal_id: uuid.UUID, person: Person) -> bool:
        key = (journal_id, str(person.id))
        if key not in self._decisions:
            journal = self._session.get(Journal, journal_id)
            if journal is None:
                # A new journal: opened on the tablet by this author; its entries make its relations.
                self._decisions[key] = person.role in CREW_ROLES
            else:
                actor = Actor(person_id=person.id, role=person.role, organisation_id=person.organisation_id)
                facts = journal_facts(session=self._session, journal=journal, actor=actor)
                decision = decide(
                    actor=actor,
                    action=Action.write,
                    journal=facts,
                    shifts=person_shifts(session=self._session, person_id=person.id, units=facts.units),
                    windows=self._windows,
                    now=self._now,
                )
                self._decisions[key] = decision.allowed
        return self._decisions[key]


# A dialect's insert (ON CONFLICT is spelled by each dialect's own).
_Upsert = Callable[[Any], postgresql.Insert | sqlite.Insert]


@dataclass(frozen=True)
class IncarnationState:
    """How far an incarnation's pushes were applied, as its locked row says."""

    highest_applied_seq: int
    last_hlc: str | None


def _incarnation_upsert(upsert: _Upsert) -> ReturningInsert[uuid.UUID | None, str, int, str | None]:
    statement = upsert(StoreIncarnation).values(
        incarnation_id=bindparam("incarnation_id"),
        device_id=bindparam("device_id"),
        writer_id=bindparam("writer_id"),
        highest_applied_seq=0,
        created_at=bindparam("created_at"),
    )
    return statement.on_conflict_do_update(
        index_elements=[StoreIncarnation.incarnation_id], set_={"writer_id": StoreIncarnation.writer_id}
    ).returning(
        StoreIncarnation.device_id,
        StoreIncarnation.writer_id,
        StoreIncarnation.highest_applied_seq,
        StoreIncarnation.last_hlc,
    )


def _positions_upsert(upsert: _Upsert) -> ReturningInsert[uuid.UUID, int]:
    statement = upsert(JournalLog).values(journal_id=bindparam("journal_id"), head=bindparam("count"))
    return statement.on_conflict_do_update(
        index_elements=[JournalLog.journal_id], set_={"head": JournalLog.head + statement.excluded.head}
    ).returning(JournalLog.journal_id, JournalLog.head)


# The push's statements, built once (the upserts once per dialect): building and cache-keying a statement
# on every push cost as much CPU as running it (ppj bench sync).
_INCARNATION_UPSERT = {
    "postgresql": _incarnation_upsert(postgresql.insert),
    "sqlite": _incarnation_upsert(sqlite.insert),
}
_POSITIONS_UPSERT = {
    "postgresql": _positions_upsert(postgresql.insert),
    "sqlite": _positions_upsert(sqlite.insert),
}
_ADVANCE_INCARNATION = (
    update(StoreIncarnation)
    .where(StoreIncarnation.incarnation_id == bindparam("incarnation"))
    .values(highest_applied_seq=bindparam("highest"), last_hlc=bindparam("last"))
)
_INSERT_ENTRIES = insert(EntryRow)
_INSERT_QUARANTINED = insert(QuarantinedEntry)
_JOURNALS = select(Journal).where(Journal.id.in_(bindparam("ids", expanding=True)))
_LARGEST_STAMP = select(func.max(EntryRow.hlc))
_LOGGED_IN_HERE = (
    select(AccessToken.id)
    .where(AccessToken.person_id == bindparam("person_id"), AccessToken.device_id == bindparam("device_id"))
    .limit(1)
)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def lock_incarnation(
    *, session: Session, incarnation_id: uuid.UUID, writer_id: str, device: Device | None
) -> IncarnationState:
    """The incarnation's state, its row created on first use and locked for this transaction, in one
    statement.

    An upsert whose conflict branch rewrites a column with its own value: on PostgreSQL that takes the
    row lock (as ``FOR UPDATE`` would), which serialises pushes of one incarnation; on SQLite any write
    takes the database's write lock, so the row returned cannot be stale.
    """
    owner = device.id if device else None
    row = column_rows(
        session,
        _INCARNATION_UPSERT[_dialect(session)],
        {
            "incarnation_id": incarnation_id,
            "device_id": owner,
            "writer_id": writer_id,
            "created_at": dt.datetime.now(dt.UTC),
        },
    ).one()
    if row.device_id != owner or row.writer_id != writer_id:
        raise SyncRefused(403, ErrorCode.INCARNATION_NOT_OWNED, "this incarnation belongs to another writer")
    return IncarnationState(highest_applied_seq=row.highest_applied_seq, last_hlc=row.last_hlc)


def allocate_positions(*, session: Session, counts: Mapping[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Move each journal's head on by its count and return the new heads: the journal's new entries take
    the positions after the old head, up to the new one. The log rows are created if new and stay locked
    until the transaction ends, taken in ascending journal id (the lock order in the module docstring).

    One upsert adding to the head: on PostgreSQL its conflict branch locks each existing row before it
    reads the head it adds to, and the rows of one multi-row INSERT (executemany with RETURNING is sent as
    one) are processed in the order of its VALUES list, which is ascending.
    """
    if not counts:
        return {}
    session.flush()  # as autoflush would: the statement runs on the session's connection, not through it
    rows = session.connection().execute(
        _POSITIONS_UPSERT[_dialect(session)],
        [{"journal_id": journal_id, "count": counts[journal_id]} for journal_id in sorted(counts)],
    )
    return {row.journal_id: row.head for row in rows}


def parse_item(item: PushItem) -> Entry | tuple[QuarantineReason, str]:
    wire = item.entry
    if hashlib.sha256(wire.content.encode("utf-8")).hexdigest() != wire.content_hash:
        return QuarantineReason.CONTENT_HASH_MISMATCH, "sha256(content) differs from content_hash"
    try:
        data = json.loads(wire.content)
    except json.JSONDecodeError as exc:
        return QuarantineReason.INVALID_ENTRY, f"content is not JSON: {exc.msg}"
    if not isinstance(data, dict):
        return QuarantineReason.INVALID_ENTRY, "content is not a JSON object"
    if "hlc" in data:
        return QuarantineReason.INVALID_ENTRY, "content must not carry the hlc (it is outside the content)"
    if data.get("entry_id") != str(wire.entry_id) or data.get("journal_id") != str(wire.journal_id):
        return QuarantineReason.JOURNAL_MISMATCH, "entry_id/journal_id in clear differ from the content"
    try:
        return entry_from_dict({**data, "hlc": wire.hlc})
    except UnknownKindError as exc:
        return QuarantineReason.UNKNOWN_KIND_VERSION, str(exc)[:500]
    except (EntryValidationError, InvalidHlcError) as exc:
        return QuarantineReason.INVALID_ENTRY, str(exc)[:500]


def push(
    *,
    session: Session,
    uploader: Uploader,
    request: PushRequest,
    clock: ServerClock,
    max_ahead_ms: int,
    windows: Windows,
    audit_writer: ChainWriter | None,
    now: dt.datetime,
) -> PushOutcome:
    """Apply one push (protocol §4, server obligations); the caller commits, then answers."""
    if uploader.device is not None and request.device_id != uploader.device.id:
        raise SyncRefused(403, ErrorCode.INCARNATION_NOT_OWNED, "device_id is not the authenticated device")
    incarnation = lock_incarnation(
        session=session,
        incarnation_id=request.incarnation_id,
        writer_id=uploader.writer_id,
        device=uploader.device,
    )
    stored, held = _already_present(session, [item.entry.entry_id for item in request.items])
    # The batch's journals, loaded once and held here for the whole push: the session's identity map
    # keeps an object only while something references it, and the access check, the projections and the
    # audit each look the journal up again.
    journals = list(
        session.scalars(_JOURNALS, {"ids": list({item.entry.journal_id for item in request.items})})
    )
    authors = _Authors(
        session=session, device=uploader.device, logged_in=uploader.logged_in, windows=windows, now=now
    )
    bound_ms = round(now.timestamp() * 1000) + max_ahead_ms
    highest = incarnation.highest_applied_seq
    last_hlc = Hlc.parse(incarnation.last_hlc) if incarnation.last_hlc else None
    results: list[PushResult] = []
    accepted: list[_Accepted] = []
    quarantined: list[_Held] = []
    for item in request.items:
        seq, entry_id = item.device_seq, item.entry.entry_id
        if seq > highest + 1:
            results.append(
                PushResult(
                    device_seq=seq,
                    entry_id=entry_id,
                    code=PushResultCode.SEQUENCE_GAP,
                    expected_seq=highest + 1,
                )
            )
            continue
        highest = max(highest, seq)
        if entry_id in stored:
            same = stored[entry_id][0] == item.entry.content_hash
            results.append(
                PushResult(
                    device_seq=seq, entry_id=entry_id, code=PushResultCode.DUPLICATE, hlc=stored[entry_id][1]
                )
                if same
                else PushResult(device_seq=seq, entry_id=entry_id, code=PushResultCode.CONFLICT_ID_REUSED)
            )
            continue
        if entry_id in held:
            same = held[entry_id][0] == item.entry.content_hash
            results.append(
                PushResult(
                    device_seq=seq,
                    entry_id=entry_id,
                    code=PushResultCode.QUARANTINED,
                    quarantine_reason=QuarantineReason(held[entry_id][1]),
                )
                if same
                else PushResult(device_seq=seq, entry_id=entry_id, code=PushResultCode.CONFLICT_ID_REUSED)
            )
            continue
        parsed = parse_item(item)
        problem = parsed if isinstance(parsed, tuple) else authors.verify(parsed, uploader=uploader)
        if problem is not None or isinstance(parsed, tuple):
            assert problem is not None
            quarantined.append(_Held(item, problem[0], problem[1]))
            held[entry_id] = (item.entry.content_hash, problem[0].value)
            results.append(
                PushResult(
                    device_seq=seq,
                    entry_id=entry_id,
                    code=PushResultCode.QUARANTINED,
                    quarantine_reason=problem[0],
                    detail=problem[1][:500],
                )
            )
            continue
        entry = parsed
        stamp = entry.hlc
        if stamp.physical_ms > bound_ms:
            floor = _largest_stamp(session)
            after = max((s for s in (floor, last_hlc) if s is not None), default=None)
            new = clock.restamp(after=after, writer=stamp.writer)
            hlc_text = new.encode()
            results.append(
                PushResult(
                    device_seq=seq,
                    entry_id=entry_id,
                    code=PushResultCode.RESTAMPED,
                    hlc=hlc_text,
                    restamp_reason=RestampReason.HLC_AHEAD_OF_BOUND,
                )
            )
            stamp = new
        else:
            clock.absorb(stamp)
            hlc_text = item.entry.hlc
            results.append(
                PushResult(device_seq=seq, entry_id=entry_id, code=PushResultCode.ACCEPTED, hlc=hlc_text)
            )
        last_hlc = stamp if last_hlc is None or stamp > last_hlc else last_hlc
        stored[entry_id] = (item.entry.content_hash, hlc_text)
        accepted.append(_Accepted(item, entry, hlc_text))

    outcome = PushOutcome(
        incarnation_id=request.incarnation_id,
        highest_applied_seq=highest,
        results=results,
        server_hlc=clock.last,
        stored=len(accepted),
        quarantined=len(quarantined),
    )
    _store(session=session, uploader=uploader, accepted=accepted, now=now)
    if quarantined:
        session.connection().execute(
            _INSERT_QUARANTINED,
            [
                {
                    "id": uuid.uuid4(),
                    "entry_id": h.item.entry.entry_id,
                    "journal_id": h.item.entry.journal_id,
                    "hlc": h.item.entry.hlc,
                    "content_hash": h.item.entry.content_hash,
                    "content": h.item.entry.content,
                    "reason": h.reason.value,
                    "detail": h.detail[:500] if h.detail else None,
                    "uploaded_by": uploader.writer_id,
                    "incarnation_id": request.incarnation_id,
                    "device_seq": h.item.device_seq,
                    "received_at": now,
                    "status": "open",
                }
                for h in quarantined
            ],
        )
    session.connection().execute(
        _ADVANCE_INCARNATION,
        {
            "incarnation": request.incarnation_id,
            "highest": highest,
            "last": last_hlc.encode() if last_hlc else None,
        },
    )
    touched = {a.entry.journal_id for a in accepted}
    project_journals(session=session, journal_ids=touched, entries=[a.entry for a in accepted])
    # The outbox: messages these entries call for, in this same transaction (server.outbox.enqueue).
    enqueue_messages_for(session=session, new_entries=[a.entry for a in accepted], now=now)
    announce_changed_journals(session=session, journal_ids=touched)  # ED board live updates (ids only)
    outcome.journals = touched | {h.item.entry.journal_id for h in quarantined}
    if audit_writer is not None and uploader.audit is not None:
        audit_journals(
            session=session,
            writer=audit_writer,
            ctx=uploader.audit,
            journal_ids=outcome.journals,
            action=Action.write,
            now=now,
        )
    del journals  # held until here on purpose (see above)
    return outcome


def _among_ids(column: InstrumentedAttribute[uuid.UUID], *, postgres: bool) -> ColumnElement[bool]:
    # On PostgreSQL the ids go as one uuid[] parameter: an IN list of a whole batch is hundreds of
    # parameters, each rendered into the statement and converted one by one on every push.
    if postgres:
        return column == any_(bindparam("ids", type_=postgresql.ARRAY(Uuid())))
    return column.in_(bindparam("ids", expanding=True))


def _present_statement(*, postgres: bool) -> CompoundSelect[uuid.UUID, str, str, bool]:
    return union_all(
        select(EntryRow.entry_id, EntryRow.content_hash, EntryRow.hlc.label("detail"), literal(False)).where(
            _among_ids(EntryRow.entry_id, postgres=postgres)
        ),
        select(
            QuarantinedEntry.entry_id, QuarantinedEntry.content_hash, QuarantinedEntry.reason, literal(True)
        ).where(_among_ids(QuarantinedEntry.entry_id, postgres=postgres)),
    )


_PRESENT = {"postgresql": _present_statement(postgres=True), "sqlite": _present_statement(postgres=False)}


def _already_present(
    session: Session, ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, tuple[str, str]], dict[uuid.UUID, tuple[str, str]]]:
    """The batch's entries already stored (content hash, hlc) and already held in quarantine (content
    hash, reason), in one round trip."""
    stored: dict[uuid.UUID, tuple[str, str]] = {}
    held: dict[uuid.UUID, tuple[str, str]] = {}
    for entry_id, content_hash, detail, in_quarantine in column_rows(
        session, _PRESENT[_dialect(session)], {"ids": ids}
    ):
        (held if in_quarantine else stored)[entry_id] = (content_hash, detail)
    return stored, held


def _largest_stamp(session: Session) -> Hlc | None:
    text = column_rows(session, _LARGEST_STAMP, {}).scalar()
    return Hlc.parse(text) if text else None


def _store(
    *,
    session: Session,
    uploader: Uploader,
    accepted: list[_Accepted],
    now: dt.datetime,
) -> None:
    """Insert the accepted entries at the next positions of their journals (under the log locks)."""
    if not accepted:
        return
    counts = Counter(a.entry.journal_id for a in accepted)
    heads = allocate_positions(session=session, counts=counts)
    # Each journal's entries take the positions after its old head, in batch order.
    positions = {journal_id: heads[journal_id] - count for journal_id, count in counts.items()}
    rows = []
    for a in accepted:
        positions[a.entry.journal_id] += 1
        rows.append(
            {
                "entry_id": a.entry.entry_id,
                "journal_id": a.entry.journal_id,
                "position": positions[a.entry.journal_id],
                "kind": a.entry.kind,
                "kind_version": a.entry.kind_version,
                "hlc": a.hlc,
                "content_hash": a.item.entry.content_hash,
                "content": a.item.entry.content,
                "author_person_id": a.entry.author.person_id,
                "writer_id": a.entry.device_id,
                "uploaded_by": uploader.writer_id,
                "unit": a.entry.unit,
                "clinical_at": a.entry.clinical_time.at,
                "received_at": now,
            }
        )
    # A Core executemany on the session's connection: the ORM's bulk path would walk every row through
    # its persistence machinery (defaults, versioning, identity) that this append-only table does not use.
    session.connection().execute(_INSERT_ENTRIES, rows)


def audit_journals(
    *,
    session: Session,
    writer: ChainWriter,
    ctx: AuditContext,
    journal_ids: set[uuid.UUID],
    action: Action,
    now: dt.datetime,
) -> None:
    """One audit event per patient of ``journal_ids`` for this request (journals without a CPR count as
    their own patient)."""
    seen: set[str] = set()
    for journal_id in sorted(journal_ids):
        journal = session.get(Journal, journal_id)
        cpr = journal.patient_cpr if journal else None
        key = cpr or f"journal:{journal_id}"
        if key in seen:
            continue
        seen.add(key)
        record(
            session=session,
            writer=writer,
            ctx=ctx,
            action=action.value,
            outcome="allowed",
            patient_cpr=cpr,
            journal_id=journal_id,
            now=now,
        )
