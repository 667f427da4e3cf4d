"""The tablet's local store: SQLite (stdlib ``sqlite3``) in WAL mode, clinical content sealed per row or,
for entries stored together, per block (``sync.entry_blocks``).

One store file per tablet installation. What it keeps:

* ``meta`` — the store's **incarnation id** (new for every fresh store file: a reinstalled tablet is a new
  incarnation, never a replay of the old one), the device id, the last issued ``device_seq`` and the HLC
  clock's last stamp;
* ``entries`` — every entry held, captured here or pulled, its content sealed on its own (a capture) or in
  an ``entry_blocks`` block shared with the entries stored in the same transaction (a pulled page);
  ``upload_queue`` — captured entries not yet confirmed by the server, in ``device_seq`` order;
* ``drafts`` — unsaved typing, so a crash loses nothing typed;
* ``key_wraps`` — the data key wrapped per user (``sync.crypto``).

Concurrency: every ``LocalStore`` owns one connection; capture (UI thread) and sync (worker thread) each
use their own (``another_connection``). Every write is one short ``BEGIN IMMEDIATE`` transaction, never
held across network I/O, so capture waits at most for one such transaction. ``synchronous=FULL``: a
capture that returned survives power loss, not only a process kill.

Invariants: ``device_seq`` strictly increases over the life of an incarnation, one per captured entry,
and is never reused; a queue row is deleted only when the server has reported its entry accepted,
duplicate or restamped.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from uuid import UUID, uuid4

from sync.crypto import DataKey, KdfParams, KeyWrap, RowCodec, row_aad, unwrap_data_key, wrap_data_key
from sync.entry_blocks import Block, entry_in_block, pack_block, unpack_block
from sync.errors import (
    EntryIdReusedError,
    ProtocolError,
    StoreExistsError,
    StoreNotFoundError,
    TamperedDataError,
    WrongCredentialsError,
)
from sync.journal_adapter import EntryEnvelope, Stamp, clock_after
from sync.protocol import HlcBound, JournalAccess, PushResult, PushResultCode
from sync.store_schema import LATEST_VERSION, migrate

_BUSY_TIMEOUT_MS = 10_000
_OFFSET_LOG_SIZE = 100
_OFFSET_SAMPLES = 8
# A block holds entries up to this much content (at least one entry): large enough that the per-call cost
# of AES-GCM vanishes, small enough that reading one entry of a block (``entry``) stays cheap.
_BLOCK_BYTES = 64 * 1024
_SQL_PARAMS = 500  # ids per ``IN (...)`` query, well under SQLite's parameter limit
_CONFIRMED = frozenset({PushResultCode.ACCEPTED, PushResultCode.DUPLICATE, PushResultCode.RESTAMPED})


class QueueState(StrEnum):
    PENDING = "pending"  # to be sent
    QUARANTINED = "quarantined"  # the server keeps it in quarantine for an administrator
    REFUSED = "refused"  # the server holds a different entry under this id (conflict_id_reused)


# Where a row's content is: (entry_id, sealed_content, block_id, block_index), as the SELECTs name them.
_SealedRef = tuple[str, bytes | None, str | None, int | None]
_SEALING = "sealed_content, block_id, block_index"


@dataclass(frozen=True, slots=True)
class QueuedEntry:
    device_seq: int
    envelope: EntryEnvelope


@dataclass(frozen=True, slots=True)
class QueueProblem:
    """A captured entry the server did not take into the journal: visible to the crew and support."""

    device_seq: int
    entry_id: UUID
    journal_id: UUID
    state: QueueState
    reason_code: str
    detail: str | None


@dataclass(frozen=True, slots=True)
class PushApplied:
    confirmed: int  # queue rows removed (accepted, duplicate, restamped)
    kept_with_reason: int  # quarantined or refused, kept visible
    requeued: int  # put back after a sequence gap


@dataclass(frozen=True, slots=True)
class PullApplied:
    added: int
    adopted_stamps: int  # entries held already whose stamp the server changed
    id_conflicts: int  # entries held under the same id with other content (left as they were)


@dataclass(frozen=True, slots=True)
class DraftInfo:
    draft_id: str
    journal_id: UUID | None
    updated_at: datetime


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=_BUSY_TIMEOUT_MS / 1000
    )
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    return conn


class LocalStore:
    """An open, unlocked store. Make one with ``create`` or ``unlock``; close it with ``close``."""

    def __init__(
        self, *, path: Path, conn: sqlite3.Connection, codec: RowCodec, raw_key: bytes | None
    ) -> None:
        self._path = path
        self._conn = conn
        self._codec = codec
        self._raw_key = raw_key  # kept only to wrap the key for another user (add_user)
        self._lock = threading.RLock()
        self.incarnation_id = UUID(self._meta("incarnation_id"))
        self.device_id = UUID(self._meta("device_id"))

    # ------------------------------------------------------------------------------------ lifecycle

    @classmethod
    def create(
        cls,
        *,
        path: Path,
        device_id: UUID,
        user_id: str,
        secret: str,
        device_secret: bytes,
        kdf: KdfParams | None = None,
        target_version: int = LATEST_VERSION,
    ) -> LocalStore:
        """A fresh store (new incarnation) with a new data key, wrapped for ``user_id``."""
        key, raw = DataKey.generate()
        wrap = wrap_data_key(
            raw_key=raw,
            user_id=user_id,
            secret=secret,
            device_secret=device_secret,
            params=kdf or KdfParams(),
        )
        store = cls.create_with_codec(
            path=path, device_id=device_id, codec=key, target_version=target_version
        )
        store._raw_key = raw
        store._put_wrap(wrap)
        return store

    @classmethod
    def create_with_codec(
        cls, *, path: Path, device_id: UUID, codec: RowCodec, target_version: int = LATEST_VERSION
    ) -> LocalStore:
        """A fresh store whose rows go through ``codec``. ``create`` is this with an AES-GCM data key; the
        benchmark uses it to measure the same store without encryption."""
        if path.exists():
            raise StoreExistsError(f"{path} exists; a new store would orphan its unsent entries")
        conn = _connect(path)
        migrate(conn, target=target_version)
        with _transaction(conn):
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("incarnation_id", str(uuid4())),
                    ("device_id", str(device_id)),
                    ("last_device_seq", "0"),
                    ("created_at", _now()),
                ],
            )
        return cls(path=path, conn=conn, codec=codec, raw_key=None)

    @classmethod
    def unlock(cls, *, path: Path, user_id: str, secret: str, device_secret: bytes) -> LocalStore:
        """Open an existing store for ``user_id`` (upgrading its schema first); ``WrongCredentialsError``
        when the PIN/password or device secret is wrong or the user has no key here."""
        if not path.exists():
            raise StoreNotFoundError(f"no store at {path}")
        conn = _connect(path)
        try:
            migrate(conn)
            row = conn.execute(
                "SELECT kdf, salt, wrapped FROM key_wraps WHERE user_id = ?", (user_id,)
            ).fetchone()
            if row is None:
                raise WrongCredentialsError("wrong PIN/password or device secret for this store")
            wrap = KeyWrap(user_id=user_id, params=KdfParams.from_json(row[0]), salt=row[1], wrapped=row[2])
            key, raw = unwrap_data_key(wrap=wrap, secret=secret, device_secret=device_secret)
        except BaseException:
            conn.close()
            raise
        return cls(path=path, conn=conn, codec=key, raw_key=raw)

    @classmethod
    def open_with_codec(cls, *, path: Path, codec: RowCodec) -> LocalStore:
        """Open an existing store whose rows go through ``codec`` (see ``create_with_codec``)."""
        if not path.exists():
            raise StoreNotFoundError(f"no store at {path}")
        conn = _connect(path)
        migrate(conn)
        return cls(path=path, conn=conn, codec=codec, raw_key=None)

    def another_connection(self) -> LocalStore:
        """The same store over a new connection, for another thread (the sync worker)."""
        return LocalStore(path=self._path, conn=_connect(self._path), codec=self._codec, raw_key=None)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @property
    def path(self) -> Path:
        return self._path

    # -------------------------------------------------------------------------------------- users

    def add_user(
        self, *, user_id: str, secret: str, device_secret: bytes, kdf: KdfParams | None = None
    ) -> None:
        """Wrap this (unlocked) store's data key for another crew member; replaces an existing wrap."""
        if self._raw_key is None:
            raise WrongCredentialsError("only a store unlocked by a user's log-in can add users")
        self._put_wrap(
            wrap_data_key(
                raw_key=self._raw_key,
                user_id=user_id,
                secret=secret,
                device_secret=device_secret,
                params=kdf or KdfParams(),
            )
        )

    def remove_user(self, *, user_id: str) -> bool:
        """Delete ``user_id``'s wrap; True if there was one."""
        with self._write() as conn:
            return conn.execute("DELETE FROM key_wraps WHERE user_id = ?", (user_id,)).rowcount > 0

    def users(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT user_id FROM key_wraps ORDER BY user_id")]

    def _put_wrap(self, wrap: KeyWrap) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO key_wraps (user_id, kdf, salt, wrapped, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (wrap.user_id, wrap.params.to_json(), wrap.salt, wrap.wrapped, _now()),
            )

    # ------------------------------------------------------------------------------------ capture

    @property
    def writer_id(self) -> str:
        """The HLC writer id of this store: the device id (``journal.writer.JournalWriter`` requires the
        clock's writer to be the device id). A reinstalled tablet keeps it; its clock restarts above every
        stamp it pulls, and ties between incarnations are broken by entry id in the fold."""
        return str(self.device_id)

    def capture(self, *, envelope: EntryEnvelope) -> int:
        """Store a new entry and queue it for upload, in one transaction; return its ``device_seq``.

        Capturing the same entry again (a double tap, a retried save) returns the first ``device_seq``;
        another entry under a known id raises ``EntryIdReusedError``. The store's clock absorbs the stamp,
        so stamps issued later order after it.
        """
        envelope.verify()
        with self._write() as conn:
            row = conn.execute(
                "SELECT content_hash, device_seq FROM entries WHERE entry_id = ?", (str(envelope.entry_id),)
            ).fetchone()
            if row is not None:
                if row[0] != envelope.content_hash or row[1] is None:
                    raise EntryIdReusedError(envelope.entry_id)
                return int(row[1])
            seq = int(self._meta("last_device_seq", conn)) + 1
            self._insert_entry(conn, envelope, device_seq=seq)  # a block of one would be no cheaper
            conn.execute(
                "INSERT INTO upload_queue (device_seq, entry_id, state, updated_at)"
                " VALUES (?, ?, 'pending', ?)",
                (seq, str(envelope.entry_id), _now()),
            )
            self._set_meta(conn, "last_device_seq", str(seq))
            self._absorb_stamp(conn, Stamp.parse(envelope.hlc))
            return seq

    def _insert_entry(
        self, conn: sqlite3.Connection, envelope: EntryEnvelope, *, device_seq: int | None
    ) -> None:
        entry_id = str(envelope.entry_id)
        conn.execute(
            "INSERT INTO entries (entry_id, journal_id, hlc, content_hash, sealed_content, device_seq,"
            " stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                entry_id,
                str(envelope.journal_id),
                envelope.hlc,
                envelope.content_hash,
                self._codec.seal(aad=row_aad("entries", entry_id), plaintext=envelope.content),
                device_seq,
                _now(),
            ),
        )

    def _insert_pulled(self, conn: sqlite3.Connection, envelopes: Sequence[EntryEnvelope]) -> None:
        """Insert entries stored together, sealed in blocks of up to ``_BLOCK_BYTES`` of content; an entry
        left alone in its block is sealed on its own instead."""
        start = 0
        while start < len(envelopes):
            stop, size = start + 1, len(envelopes[start].content)
            while stop < len(envelopes) and size + len(envelopes[stop].content) <= _BLOCK_BYTES:
                size += len(envelopes[stop].content)
                stop += 1
            if stop - start == 1:
                self._insert_entry(conn, envelopes[start], device_seq=None)
            else:
                self._insert_block(conn, envelopes[start:stop])
            start = stop

    def _insert_block(self, conn: sqlite3.Connection, envelopes: Sequence[EntryEnvelope]) -> None:
        block_id = str(uuid4())
        plaintext = pack_block([(e.entry_id, e.content) for e in envelopes])
        conn.execute(
            "INSERT INTO entry_blocks (block_id, sealed) VALUES (?, ?)",
            (block_id, self._codec.seal(aad=row_aad("entry_blocks", block_id), plaintext=plaintext)),
        )
        stored_at = _now()
        conn.executemany(
            "INSERT INTO entries (entry_id, journal_id, hlc, content_hash, block_id, block_index, stored_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (str(e.entry_id), str(e.journal_id), e.hlc, e.content_hash, block_id, index, stored_at)
                for index, e in enumerate(envelopes)
            ],
        )

    def _absorb_stamp(self, conn: sqlite3.Connection, stamp: Stamp) -> None:
        last = self._meta_or_none("hlc_last", conn)
        if last is None or stamp.encode() > last:
            self._set_meta(conn, "hlc_last", stamp.encode())

    def last_stamp(self) -> Stamp | None:
        """The highest HLC stamp this store's clock issued or absorbed."""
        with self._lock:
            value = self._meta_or_none("hlc_last")
        return None if value is None else Stamp.parse(value)

    # ------------------------------------------------------------------------------------- reading

    def entry(self, entry_id: UUID) -> EntryEnvelope | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT journal_id, hlc, content_hash, entry_id, {_SEALING} FROM entries WHERE entry_id = ?",
                (str(entry_id),),
            ).fetchone()
        if row is None:
            return None
        (content,) = self._open_contents([row[3:]])
        return EntryEnvelope(entry_id, UUID(row[0]), row[1], content, row[2])

    def journal_entries(self, journal_id: UUID) -> list[EntryEnvelope]:
        """The journal's entries in HLC order."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT hlc, content_hash, entry_id, {_SEALING} FROM entries"
                " WHERE journal_id = ? ORDER BY hlc, entry_id",
                (str(journal_id),),
            ).fetchall()
        contents = self._open_contents([r[2:] for r in rows])
        return [
            EntryEnvelope(UUID(r[2]), journal_id, r[0], content, r[1])
            for r, content in zip(rows, contents, strict=True)
        ]

    def journal_ids(self) -> list[UUID]:
        """Every journal this store holds entries of, most recently stamped first (the tablet's list)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT journal_id FROM entries GROUP BY journal_id ORDER BY max(hlc) DESC"
            ).fetchall()
        return [UUID(r[0]) for r in rows]

    def entry_ids(self) -> set[UUID]:
        with self._lock:
            return {UUID(r[0]) for r in self._conn.execute("SELECT entry_id FROM entries")}

    def _open_contents(self, refs: Sequence[_SealedRef]) -> list[bytes]:
        """The content of each row, in order: rows sealed on their own in one ``open_rows`` batch, block
        rows by opening each block they name once. A row that names a block or index that is not its own
        raises ``TamperedDataError``."""
        opened = iter(
            self._codec.open_rows(table="entries", rows=[(r[0], r[1]) for r in refs if r[1] is not None])
        )
        blocks = self._open_blocks({r[2] for r in refs if r[1] is None and r[2] is not None})
        contents: list[bytes] = []
        for entry_id, sealed, block_id, index in refs:
            if sealed is not None:
                contents.append(next(opened))
            elif block_id is not None and index is not None:
                contents.append(entry_in_block(blocks[block_id], index=index, entry_id=entry_id))
            else:  # the schema's CHECK forbids this; only an edited file gets here
                raise TamperedDataError(f"entry {entry_id} has neither sealed content nor a block")
        return contents

    def _open_blocks(self, block_ids: set[str]) -> dict[str, Block]:
        ids = sorted(block_ids)
        rows: list[tuple[str, bytes]] = []
        with self._lock:  # blocks never change once written, so reading them after their rows is safe
            for start in range(0, len(ids), _SQL_PARAMS):
                chunk = ids[start : start + _SQL_PARAMS]
                rows += self._conn.execute(
                    "SELECT block_id, sealed FROM entry_blocks"
                    f" WHERE block_id IN ({', '.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
        if len(rows) != len(ids):
            raise TamperedDataError("an entry names a block the store does not hold")
        return {
            block_id: unpack_block(self._codec.open(aad=row_aad("entry_blocks", block_id), sealed=sealed))
            for block_id, sealed in rows
        }

    # --------------------------------------------------------------------------------------- queue

    def pending_count(self) -> int:
        with self._lock:
            return int(
                self._conn.execute("SELECT count(*) FROM upload_queue WHERE state = 'pending'").fetchone()[0]
            )

    def next_batch(self, *, max_entries: int, max_bytes: int) -> list[QueuedEntry]:
        """The oldest pending entries in ``device_seq`` order, at most ``max_entries`` and — after the
        first, which always goes — at most ``max_bytes`` of content."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT q.device_seq, e.journal_id, e.hlc, e.content_hash,"
                " e.entry_id, e.sealed_content, e.block_id, e.block_index"
                " FROM upload_queue q JOIN entries e ON e.entry_id = q.entry_id"
                " WHERE q.state = 'pending' ORDER BY q.device_seq LIMIT ?",
                (max_entries,),
            ).fetchall()
        batch: list[QueuedEntry] = []
        size = 0
        for row, content in zip(rows, self._open_contents([r[4:] for r in rows]), strict=True):
            size += len(content)
            if batch and size > max_bytes:
                break
            envelope = EntryEnvelope(UUID(row[4]), UUID(row[1]), row[2], content, row[3])
            batch.append(QueuedEntry(device_seq=int(row[0]), envelope=envelope))
        return batch

    def queue_problems(self) -> list[QueueProblem]:
        """Captured entries the server quarantined or refused, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT q.device_seq, q.entry_id, e.journal_id, q.state, q.reason_code, q.detail"
                " FROM upload_queue q JOIN entries e ON e.entry_id = q.entry_id"
                " WHERE q.state != 'pending' ORDER BY q.device_seq"
            ).fetchall()
        return [QueueProblem(int(r[0]), UUID(r[1]), UUID(r[2]), QueueState(r[3]), r[4], r[5]) for r in rows]

    def apply_push_results(self, *, results: Sequence[PushResult]) -> PushApplied:
        """Record the server's answer to a pushed batch, in one transaction.

        Accepted, duplicate and restamped entries leave the queue and take the stamp the server holds;
        quarantined and refused ones stay in the queue with the reason, out of the pending set; a
        ``sequence_gap`` puts every captured entry from the expected ``device_seq`` on back into the queue
        (the server lost them, e.g. restored from a backup). Results for entries no longer queued (a
        replayed answer) change nothing. A result naming another entry than the one queued under its
        ``device_seq`` raises ``ProtocolError`` and changes nothing.
        """
        done = kept = requeued = 0
        with self._write() as conn:
            for result in results:
                row = conn.execute(
                    "SELECT entry_id FROM entries WHERE device_seq = ?", (result.device_seq,)
                ).fetchone()
                if row is None or UUID(row[0]) != result.entry_id:
                    raise ProtocolError(
                        f"result for device_seq {result.device_seq} names entry {result.entry_id}, "
                        "which this store did not send under that number",
                        field="results.entry_id",
                    )
                entry_id = str(result.entry_id)
                if result.code in _CONFIRMED:
                    assert result.hlc is not None  # the wire model requires it for these codes
                    conn.execute("UPDATE entries SET hlc = ? WHERE entry_id = ?", (result.hlc, entry_id))
                    self._absorb_stamp(conn, Stamp.parse(result.hlc))
                    done += conn.execute("DELETE FROM upload_queue WHERE entry_id = ?", (entry_id,)).rowcount
                elif result.code is PushResultCode.SEQUENCE_GAP:
                    assert result.expected_seq is not None
                    requeued += self._requeue_from(conn, result.expected_seq)
                else:
                    state, reason = (
                        (QueueState.QUARANTINED, str(result.quarantine_reason))
                        if result.code is PushResultCode.QUARANTINED
                        else (QueueState.REFUSED, result.code.value)
                    )
                    kept += conn.execute(
                        "UPDATE upload_queue SET state = ?, reason_code = ?, detail = ?, updated_at = ?"
                        " WHERE entry_id = ? AND state = 'pending'",
                        (state.value, reason, result.detail, _now(), entry_id),
                    ).rowcount
        return PushApplied(confirmed=done, kept_with_reason=kept, requeued=requeued)

    @staticmethod
    def _requeue_from(conn: sqlite3.Connection, device_seq: int) -> int:
        reset = conn.execute(
            "UPDATE upload_queue SET state = 'pending', reason_code = NULL, detail = NULL, updated_at = ?"
            " WHERE device_seq >= ? AND state != 'pending'",
            (_now(), device_seq),
        ).rowcount
        added = conn.execute(
            "INSERT INTO upload_queue (device_seq, entry_id, state, updated_at)"
            " SELECT device_seq, entry_id, 'pending', ? FROM entries"
            " WHERE device_seq >= ? AND device_seq NOT IN (SELECT device_seq FROM upload_queue)",
            (_now(), device_seq),
        ).rowcount
        return reset + added

    def enforce_hlc_bound(self, *, bound: HlcBound, server_now_ms: int, physical_ms: int) -> int:
        """Apply the server's HLC bound: absorb the server's clock, and if this store's stamps run more
        than ``bound.max_ahead_ms`` ahead of ``server_now_ms``, re-stamp every still-unsent entry from the
        first such one on (in ``device_seq`` order, so their order is kept) and pull the clock back.
        Only pending entries are re-stamped: nobody else has seen them. Returns how many were re-stamped.
        """
        limit_ms = server_now_ms + bound.max_ahead_ms
        server_stamp = Stamp.parse(bound.server_hlc)
        with self._write() as conn:
            pending = conn.execute(
                "SELECT e.entry_id, e.hlc FROM upload_queue q JOIN entries e ON e.entry_id = q.entry_id"
                " WHERE q.state = 'pending' ORDER BY q.device_seq"
            ).fetchall()
            first = next((i for i, r in enumerate(pending) if Stamp.parse(r[1]).physical_ms > limit_ms), None)
            last = self._meta_or_none("hlc_last", conn)
            if first is None and (last is None or Stamp.parse(last).physical_ms <= limit_ms):
                self._absorb_stamp(conn, server_stamp)
                return 0
            suffix = [r[0] for r in pending[first:]] if first is not None else []
            # The clock restarts after every stamp that stays: the server's, every entry the server has
            # confirmed or that was pulled (the server bounded those), and the pending ones before ``first``.
            kept = [r[1] for r in pending[: len(pending) - len(suffix)]]
            confirmed_max = conn.execute(
                "SELECT max(hlc) FROM entries WHERE entry_id NOT IN (SELECT entry_id FROM upload_queue)"
            ).fetchone()[0]
            if confirmed_max is not None:
                kept.append(confirmed_max)
            floor = max([server_stamp, *(Stamp.parse(h) for h in kept)])
            clock = clock_after(
                writer=self.writer_id, last=floor, physical_ms=lambda: min(physical_ms, limit_ms)
            )
            for entry_id in suffix:
                conn.execute(
                    "UPDATE entries SET hlc = ? WHERE entry_id = ?", (clock.tick().encode(), entry_id)
                )
            self._set_meta(conn, "hlc_last", clock.last.encode())
            return len(suffix)

    def new_stamp(self, *, wall_ms: int | None = None) -> str:
        """A fresh HLC stamp for an entry about to be captured: after every stamp this store has issued or
        absorbed, its physical part the device clock corrected by the current offset estimate."""
        physical = (wall_ms if wall_ms is not None else time.time_ns() // 1_000_000) + round(self.offset_ms())
        with self._write() as conn:
            last = self._meta_or_none("hlc_last", conn)
            clock = clock_after(
                writer=self.writer_id,
                last=None if last is None else Stamp.parse(last),
                physical_ms=lambda: physical,
            )
            stamp = clock.tick()
            self._set_meta(conn, "hlc_last", stamp.encode())
        return stamp.encode()

    # ---------------------------------------------------------------------------------------- pull

    def store_pulled(
        self, *, journal_id: UUID, entries: Sequence[EntryEnvelope], next_cursor: str, watermark: str
    ) -> PullApplied:
        """Store pulled entries and the journal's new cursor in ONE transaction: if anything fails, neither
        the entries nor the cursor are stored, and the next pull asks for the same entries again.

        An entry already held with the same content takes the server's stamp (the server may have
        re-stamped it); one held with other content is left as it is and counted (the server refused ours).
        The new entries of the page are sealed together in blocks (``_insert_pulled``).
        """
        added = adopted = conflicts = 0
        fresh: dict[str, EntryEnvelope] = {}  # new entries, inserted together (in blocks) after the loop
        with self._write() as conn:
            for envelope in entries:
                envelope.verify()
                if envelope.journal_id != journal_id:
                    raise ProtocolError(
                        f"entry {envelope.entry_id} is not in journal {journal_id}", field="entries"
                    )
                entry_id = str(envelope.entry_id)
                earlier = fresh.get(entry_id)  # the same entry twice in one page
                row = (
                    (earlier.content_hash, earlier.hlc)
                    if earlier is not None
                    else conn.execute(
                        "SELECT content_hash, hlc FROM entries WHERE entry_id = ?", (entry_id,)
                    ).fetchone()
                )
                if row is None:
                    fresh[entry_id] = envelope
                    added += 1
                elif row[0] != envelope.content_hash:
                    conflicts += 1
                    continue
                elif row[1] != envelope.hlc:
                    if earlier is not None:
                        fresh[entry_id] = envelope
                    else:
                        conn.execute(
                            "UPDATE entries SET hlc = ? WHERE entry_id = ?", (envelope.hlc, entry_id)
                        )
                    adopted += 1
                self._absorb_stamp(conn, Stamp.parse(envelope.hlc))
            self._insert_pulled(conn, list(fresh.values()))
            conn.execute(
                "INSERT INTO journal_cursors (journal_id, cursor, watermark, pulled_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (journal_id) DO UPDATE SET cursor = excluded.cursor,"
                " watermark = excluded.watermark, pulled_at = excluded.pulled_at",
                (str(journal_id), next_cursor, watermark, _now()),
            )
        return PullApplied(added=added, adopted_stamps=adopted, id_conflicts=conflicts)

    def cursor(self, journal_id: UUID) -> str | None:
        """The cursor after the last pulled entries of the journal stored here; None: never pulled."""
        with self._lock:
            row = self._conn.execute(
                "SELECT cursor FROM journal_cursors WHERE journal_id = ?", (str(journal_id),)
            ).fetchone()
        return None if row is None else str(row[0])

    def forget_cursor(self, journal_id: UUID) -> None:
        """Drop the journal's cursor, so the next pull starts from the beginning."""
        with self._write() as conn:
            conn.execute("DELETE FROM journal_cursors WHERE journal_id = ?", (str(journal_id),))

    def replace_access(self, *, journals: Sequence[JournalAccess]) -> None:
        """Record the server's current list of journals this device may see."""
        with self._write() as conn:
            conn.execute("DELETE FROM journal_access")
            conn.executemany(
                "INSERT INTO journal_access (journal_id, granted_at, until) VALUES (?, ?, ?)",
                [
                    (
                        str(j.journal_id),
                        j.granted_at.isoformat(),
                        None if j.until is None else j.until.isoformat(),
                    )
                    for j in journals
                ],
            )

    def accessible_journals(self) -> list[UUID]:
        with self._lock:
            return [
                UUID(r[0]) for r in self._conn.execute("SELECT journal_id FROM journal_access ORDER BY 1")
            ]

    # -------------------------------------------------------------------------------------- clocks

    def record_offset(self, *, offset_ms: float, rtt_ms: float) -> None:
        """Log one offset estimate; the log keeps the latest ``_OFFSET_LOG_SIZE`` rows."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO clock_offsets (measured_at, offset_ms, rtt_ms) VALUES (?, ?, ?)",
                (_now(), offset_ms, rtt_ms),
            )
            conn.execute(
                "DELETE FROM clock_offsets WHERE id <= (SELECT max(id) FROM clock_offsets) - ?",
                (_OFFSET_LOG_SIZE,),
            )

    def offset_ms(self) -> float:
        """The current estimate of (server clock - device clock) in ms: of the latest few samples, the one
        with the shortest round trip (the least queueing delay, so the least error, as NTP does); 0 when
        the device has never synced."""
        with self._lock:
            row = self._conn.execute(
                "SELECT offset_ms FROM (SELECT offset_ms, rtt_ms FROM clock_offsets ORDER BY id DESC LIMIT ?)"
                " ORDER BY rtt_ms LIMIT 1",
                (_OFFSET_SAMPLES,),
            ).fetchone()
        return 0.0 if row is None else float(row[0])

    # -------------------------------------------------------------------------------------- drafts

    def save_draft(self, *, draft_id: str, journal_id: UUID | None, text: str) -> None:
        """Keep (or replace) the unsaved text of a form, sealed; durable when this returns."""
        sealed = self._codec.seal(aad=row_aad("drafts", draft_id), plaintext=text.encode("utf-8"))
        with self._write() as conn:
            conn.execute(
                "INSERT INTO drafts (draft_id, journal_id, sealed_body, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (draft_id) DO UPDATE SET journal_id = excluded.journal_id,"
                " sealed_body = excluded.sealed_body, updated_at = excluded.updated_at",
                (draft_id, None if journal_id is None else str(journal_id), sealed, _now()),
            )

    def draft(self, draft_id: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT sealed_body FROM drafts WHERE draft_id = ?", (draft_id,)
            ).fetchone()
        if row is None:
            return None
        return self._codec.open(aad=row_aad("drafts", draft_id), sealed=row[0]).decode("utf-8")

    def drafts(self) -> list[DraftInfo]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT draft_id, journal_id, updated_at FROM drafts ORDER BY updated_at"
            )
            return [
                DraftInfo(r[0], None if r[1] is None else UUID(r[1]), datetime.fromisoformat(r[2]))
                for r in rows
            ]

    def discard_draft(self, *, draft_id: str) -> None:
        """Forget the draft (no error if there is none)."""
        with self._write() as conn:
            conn.execute("DELETE FROM drafts WHERE draft_id = ?", (draft_id,))

    # ------------------------------------------------------------------------------------- helpers

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, _transaction(self._conn) as conn:
            yield conn

    def _meta(self, key: str, conn: sqlite3.Connection | None = None) -> str:
        value = self._meta_or_none(key, conn)
        if value is None:
            raise KeyError(f"store metadata {key!r} is missing")
        return value

    def _meta_or_none(self, key: str, conn: sqlite3.Connection | None = None) -> str | None:
        row = (conn or self._conn).execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction: committed when the block ends, rolled back when it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class StoreDrafts:
    """The store's sealed drafts through the tablet's ``DraftStore`` protocol
    (``tablet_app.viewmodels.drafts``: ``put``/``get``/``delete`` with string ids), so the tablet can
    replace its unencrypted draft file with this (hazard H-TAB-5)."""

    def __init__(self, store: LocalStore) -> None:
        self._store = store

    def put(self, draft_id: str, body: str, *, journal_id: str | None = None) -> None:
        self._store.save_draft(
            draft_id=draft_id, journal_id=None if journal_id is None else UUID(journal_id), text=body
        )

    def get(self, draft_id: str) -> str | None:
        return self._store.draft(draft_id)

    def delete(self, draft_id: str) -> None:
        self._store.discard_draft(draft_id=draft_id)
