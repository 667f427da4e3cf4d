"""Upgrading saved store files made by older versions of the app (tests/sync/fixtures/)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from uuid import uuid4

import pytest

from sync.errors import StoreVersionError
from sync.journal_adapter import Stamp
from sync.protocol import PushResult, PushResultCode
from sync.store import LocalStore
from sync.store_schema import LATEST_VERSION, MIGRATIONS, migrate, schema_version
from tests.sync.factories import note
from tests.sync.fixtures import make_store_v1 as v1


@pytest.fixture
def upgraded(tmp_path: Path) -> LocalStore:
    copy = tmp_path / "old.ppjstore"
    shutil.copyfile(v1.FIXTURE_PATH, copy)
    return LocalStore.unlock(
        path=copy, user_id=v1.FIXTURE_USER, secret=v1.FIXTURE_PIN, device_secret=v1.FIXTURE_DEVICE_SECRET
    )


def test_the_saved_fixture_is_at_schema_version_1() -> None:
    with sqlite3.connect(v1.FIXTURE_PATH) as conn:
        assert schema_version(conn) == 1


def test_a_v1_store_upgrades_to_the_latest_version_keeping_identity_queue_and_drafts(
    upgraded: LocalStore,
) -> None:
    with sqlite3.connect(upgraded.path) as conn:
        assert schema_version(conn) == LATEST_VERSION
    assert upgraded.device_id == v1.FIXTURE_DEVICE_ID
    batch = upgraded.next_batch(max_entries=10, max_bytes=10**6)
    assert [q.device_seq for q in batch] == [1, 2, 3]
    assert [q.envelope.entry_id for q in batch] == v1.FIXTURE_ENTRY_IDS
    for queued, text in zip(batch, v1.FIXTURE_TEXTS, strict=True):
        queued.envelope.verify()
        assert text.encode() in queued.envelope.content
    assert upgraded.draft(str(v1.FIXTURE_DRAFT)) == v1.FIXTURE_DRAFT_TEXT


def test_the_upgrade_rewrites_v1_prefixed_content_hashes_to_the_journal_form(upgraded: LocalStore) -> None:
    with sqlite3.connect(v1.FIXTURE_PATH) as old:
        assert all(h.startswith("sha256:") for (h,) in old.execute("SELECT content_hash FROM entries"))
    for entry_id in v1.FIXTURE_ENTRY_IDS:
        envelope = upgraded.entry(entry_id)
        assert envelope is not None and len(envelope.content_hash) == 64
        envelope.verify()  # the hash matches the content again


def test_an_upgraded_store_carries_on_where_it_left_off(upgraded: LocalStore) -> None:
    # device_seq continues after the old entries; the clock after the old stamps.
    stamp = upgraded.new_stamp(wall_ms=0)
    assert Stamp.parse(stamp).physical_ms >= 1_795_000_000_002
    assert (
        upgraded.capture(envelope=note(journal_id=v1.FIXTURE_JOURNAL, text="after upgrade", hlc=stamp)) == 4
    )
    first = upgraded.next_batch(max_entries=1, max_bytes=10**6)[0]
    upgraded.apply_push_results(
        results=[
            PushResult(
                device_seq=1,
                entry_id=first.envelope.entry_id,
                code=PushResultCode.ACCEPTED,
                hlc=first.envelope.hlc,
            )
        ]
    )
    assert upgraded.pending_count() == 3
    # Version-2 features work on the upgraded file.
    upgraded.store_pulled(journal_id=v1.FIXTURE_JOURNAL, entries=[], next_cursor="c9", watermark="c9")
    assert upgraded.cursor(v1.FIXTURE_JOURNAL) == "c9"
    upgraded.record_offset(offset_ms=12.5, rtt_ms=80)
    assert upgraded.offset_ms() == 12.5


def test_a_version_2_store_upgrades_and_reads_its_per_row_entries_beside_new_block_sealed_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.ppjstore"
    shutil.copyfile(v1.FIXTURE_PATH, path)
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=2) == 2
    conn.close()
    store = LocalStore.unlock(
        path=path, user_id=v1.FIXTURE_USER, secret=v1.FIXTURE_PIN, device_secret=v1.FIXTURE_DEVICE_SECRET
    )
    old = [store.entry(entry_id) for entry_id in v1.FIXTURE_ENTRY_IDS]
    page = [note(journal_id=v1.FIXTURE_JOURNAL, text=f"pulled after upgrade {n}") for n in range(3)]
    store.store_pulled(journal_id=v1.FIXTURE_JOURNAL, entries=page, next_cursor="c1", watermark="c1")
    with sqlite3.connect(path) as check:
        assert schema_version(check) == LATEST_VERSION
        per_row, in_blocks = check.execute(
            "SELECT count(sealed_content), count(block_id) FROM entries"
        ).fetchone()
    assert (per_row, in_blocks) == (3, 3)
    read = {e.entry_id: e for e in store.journal_entries(v1.FIXTURE_JOURNAL)}
    assert read == {e.entry_id: e for e in [*old, *page] if e is not None}
    for envelope, text in zip(old, v1.FIXTURE_TEXTS, strict=True):
        assert envelope is not None and text.encode() in envelope.content
    store.close()


def test_every_migration_step_is_numbered_without_gaps() -> None:
    assert sorted(MIGRATIONS) == list(range(1, LATEST_VERSION + 1))


def test_a_store_from_a_newer_app_is_refused_not_damaged(tmp_path: Path) -> None:
    path = tmp_path / "future.ppjstore"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(StoreVersionError):
        migrate(conn)
    assert schema_version(conn) == LATEST_VERSION + 1
    conn.close()


def test_a_failing_step_leaves_the_store_at_the_version_before(tmp_path: Path) -> None:
    path = tmp_path / "half.ppjstore"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=1)
    # An existing object with the name step 2 creates makes step 2 fail halfway through.
    conn.execute("CREATE TABLE clock_offsets (x)")
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn)
    assert schema_version(conn) == 1
    assert (
        conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'journal_cursors'").fetchone()[0] == 0
    )
    conn.close()


def test_the_fixture_script_still_writes_a_version_1_store(tmp_path: Path) -> None:
    path = tmp_path / f"{uuid4()}.ppjstore"
    v1.make(path)
    with sqlite3.connect(path) as conn:
        assert schema_version(conn) == 1


def test_the_rebuilt_entries_table_keeps_the_queue_and_blocks_bound_by_foreign_keys(
    upgraded: LocalStore,
) -> None:
    upgraded.close()
    with sqlite3.connect(upgraded.path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO upload_queue (device_seq, entry_id, state, updated_at)"
                " VALUES (99, 'no-such-entry', 'pending', 'now')"
            )
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO entries (entry_id, journal_id, hlc, content_hash, block_id, block_index,"
                " stored_at) VALUES ('e', 'j', 'h', 'c', 'no-such-block', 0, 'now')"
            )
