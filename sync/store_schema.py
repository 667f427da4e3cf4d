"""The tablet store's schema: forward-only numbered migrations, the version in ``PRAGMA user_version``.

Each ``_migrate_N`` takes a store at version N-1 to N and runs in one transaction together with the version
bump, so a crash mid-upgrade leaves the old version intact. Migrations are never edited once released:
a change is a new step. tests/sync/test_sync_store_migrations.py upgrades saved store files made by old
versions (tests/sync/fixtures/), so every step is exercised on real old data.

What is in clear and what is sealed (docs/sync/encryption.md): ids, journal ids, HLC stamps, content
hashes, sequence numbers, block ids and indexes, cursors and states are clear (they index); entry content
(per row, or per block in ``entry_blocks``) and draft text are sealed with the data key (``sealed*`` columns).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sync.errors import StoreVersionError


def _run(conn: sqlite3.Connection, script: str) -> None:
    """Run each statement of ``script`` inside the caller's transaction. (``executescript`` would commit
    first, breaking the one-transaction-per-step rule.) Statements end with a semicolon at line end."""
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def _migrate_1(conn: sqlite3.Connection) -> None:
    """Capture without sync-down: entries, the upload queue, drafts, key wraps, store metadata."""
    _run(
        conn,
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT;
        CREATE TABLE key_wraps (
            user_id TEXT PRIMARY KEY,
            kdf TEXT NOT NULL,
            salt BLOB NOT NULL,
            wrapped BLOB NOT NULL,
            created_at TEXT NOT NULL
        ) STRICT;
        -- Every entry the store holds, captured here (device_seq set) or pulled (device_seq NULL).
        CREATE TABLE entries (
            entry_id TEXT PRIMARY KEY,
            journal_id TEXT NOT NULL,
            hlc TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            sealed_content BLOB NOT NULL,
            device_seq INTEGER UNIQUE,
            stored_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX entries_by_journal ON entries (journal_id, hlc);
        -- Captured entries the server has not yet confirmed. A row leaves only when the server reports
        -- the entry accepted, duplicate or restamped; quarantined and refused rows stay, visible.
        CREATE TABLE upload_queue (
            device_seq INTEGER PRIMARY KEY,
            entry_id TEXT NOT NULL UNIQUE REFERENCES entries (entry_id),
            state TEXT NOT NULL CHECK (state IN ('pending', 'quarantined', 'refused')),
            reason_code TEXT,
            detail TEXT,
            updated_at TEXT NOT NULL
        ) STRICT;
        CREATE TABLE drafts (
            draft_id TEXT PRIMARY KEY,
            journal_id TEXT,
            sealed_body BLOB NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT;
        """,
    )


def _migrate_2(conn: sqlite3.Connection) -> None:
    """Sync-down and clocks: per-journal pull cursors, the access list, the clock-offset log. And one
    data change: version 1 wrote content hashes as ``sha256:<hex>``; from version 2 they are the bare
    64-hex form ``journal`` computes, so stored and pulled hashes compare equal."""
    conn.execute(
        "UPDATE entries SET content_hash = substr(content_hash, 8) WHERE content_hash LIKE 'sha256:%'"
    )
    _run(
        conn,
        """
        -- The server-assigned cursor after the last pulled entries of each journal, written in the same
        -- transaction as those entries (never ahead of what is stored).
        CREATE TABLE journal_cursors (
            journal_id TEXT PRIMARY KEY,
            cursor TEXT NOT NULL,
            watermark TEXT NOT NULL,
            pulled_at TEXT NOT NULL
        ) STRICT;
        -- The journals this device may see, as last reported by the server.
        CREATE TABLE journal_access (
            journal_id TEXT PRIMARY KEY,
            granted_at TEXT NOT NULL,
            until TEXT
        ) STRICT;
        -- One row per sync exchange: the device clock's estimated offset from the server's.
        CREATE TABLE clock_offsets (
            id INTEGER PRIMARY KEY,
            measured_at TEXT NOT NULL,
            offset_ms REAL NOT NULL,
            rtt_ms REAL NOT NULL
        ) STRICT;
        CREATE INDEX upload_queue_by_state ON upload_queue (state, device_seq);
        """,
    )


def _migrate_3(conn: sqlite3.Connection) -> None:
    """Block-sealed entries: entries stored together (a pulled page) share one sealed block, so reading a
    journal costs one AES-GCM call per block instead of per entry (docs/sync/encryption.md, "Cost").
    ``entries`` is rebuilt (SQLite cannot drop NOT NULL in place) to make ``sealed_content`` nullable and
    add the row's place in a block; existing rows are copied as they are, still sealed per row, and
    nothing is re-sealed."""
    _run(
        conn,
        """
        -- One sealed block per batch of entries stored in one transaction: the plaintext is the
        -- length-prefixed sequence of (entry id, content) (sync.entry_blocks), the associated data binds
        -- it to this table and block_id. Blocks never change once written.
        CREATE TABLE entry_blocks (
            block_id TEXT PRIMARY KEY,
            sealed BLOB NOT NULL
        ) STRICT;
        -- A row is sealed on its own (sealed_content) or lives at block_index of block_id, never both.
        CREATE TABLE entries_v3 (
            entry_id TEXT PRIMARY KEY,
            journal_id TEXT NOT NULL,
            hlc TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            sealed_content BLOB,
            block_id TEXT REFERENCES entry_blocks (block_id),
            block_index INTEGER,
            device_seq INTEGER UNIQUE,
            stored_at TEXT NOT NULL,
            CHECK ((sealed_content IS NULL) = (block_id IS NOT NULL)),
            CHECK ((block_id IS NULL) = (block_index IS NULL))
        ) STRICT;
        INSERT INTO entries_v3
            (entry_id, journal_id, hlc, content_hash, sealed_content, device_seq, stored_at)
            SELECT entry_id, journal_id, hlc, content_hash, sealed_content, device_seq, stored_at
            FROM entries;
        DROP TABLE entries;
        ALTER TABLE entries_v3 RENAME TO entries;
        CREATE INDEX entries_by_journal ON entries (journal_id, hlc);
        """,
    )


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_1, 2: _migrate_2, 3: _migrate_3}
LATEST_VERSION = max(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, *, target: int = LATEST_VERSION) -> int:
    """Bring the store to ``target`` one step at a time; return the version reached.

    ``conn`` must be in autocommit mode (``isolation_level=None``): each step opens its own transaction.
    Foreign keys are off during the steps (SQLite's documented procedure for rebuilding a table that others
    reference) and checked with ``foreign_key_check`` before each step commits.
    """
    current = schema_version(conn)
    if current > LATEST_VERSION:
        raise StoreVersionError(
            f"store schema version {current} is newer than this app knows ({LATEST_VERSION}); update the app"
        )
    if target > LATEST_VERSION or target < current:
        raise ValueError(f"cannot migrate from {current} to {target} (forward-only, latest {LATEST_VERSION})")
    if target == current:
        return target
    foreign_keys = int(conn.execute("PRAGMA foreign_keys").fetchone()[0])
    conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction, so set before each BEGIN
    try:
        for version in range(current + 1, target + 1):
            conn.execute("BEGIN IMMEDIATE")
            try:
                MIGRATIONS[version](conn)
                broken = conn.execute("PRAGMA foreign_key_check").fetchone()
                if broken is not None:
                    raise sqlite3.IntegrityError(
                        f"schema step {version} broke a foreign key: {tuple(broken)}"
                    )
                conn.execute(f"PRAGMA user_version = {version}")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
    finally:
        conn.execute(f"PRAGMA foreign_keys = {foreign_keys}")
    return target
