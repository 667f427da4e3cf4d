"""Encryption at rest: nothing clinical in clear on disk, wrong credentials fail clearly, tampering shows."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import UUID

import pytest

from sync.crypto import DataKey, KdfParams, row_aad, unwrap_data_key, wrap_data_key
from sync.errors import TamperedDataError, WrongCredentialsError
from sync.journal_adapter import EntryEnvelope
from sync.store import LocalStore
from tests.sync.factories import DEVICE_SECRET, TEST_CPR, TEST_KDF, TEST_PIN, TEST_USER, note

JOURNAL = UUID("0196b4a0-0000-7000-8000-0000000000bb")
SECRET_NOTE = "Allergic to penicillin, lives alone at Testvej 1"


def all_bytes_on_disk(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def copy_sealed_row(store: LocalStore, *, source: UUID, target: UUID) -> None:
    """Overwrite ``target``'s sealed content with ``source``'s, as an attacker with the file could."""
    with sqlite3.connect(store.path) as conn:
        conn.execute(
            "UPDATE entries SET sealed_content = (SELECT sealed_content FROM entries WHERE entry_id = ?)"
            " WHERE entry_id = ?",
            (str(source), str(target)),
        )


def pull(store: LocalStore, entries: list[EntryEnvelope]) -> None:
    """Store ``entries`` as one pulled page: sealed together in a block."""
    store.store_pulled(journal_id=JOURNAL, entries=entries, next_cursor="c", watermark="c")


def block_rows(store: LocalStore) -> dict[UUID, tuple[str, int]]:
    """Each block-sealed entry's (block_id, block_index)."""
    with sqlite3.connect(store.path) as conn:
        rows = conn.execute("SELECT entry_id, block_id, block_index FROM entries WHERE block_id IS NOT NULL")
        return {UUID(r[0]): (r[1], r[2]) for r in rows}


def test_the_store_files_hold_no_plaintext_of_cpr_note_or_draft(store: LocalStore) -> None:
    store.capture(envelope=note(journal_id=JOURNAL, text=f"CPR {TEST_CPR}. {SECRET_NOTE}"))
    pull(store, [note(journal_id=JOURNAL, text=f"pulled {TEST_CPR}, Marvin {n}") for n in range(3)])
    store.save_draft(draft_id="history-form", journal_id=JOURNAL, text=f"typing {TEST_CPR} ...")
    assert len(block_rows(store)) == 3  # the pulled page is stored as a block
    disk = all_bytes_on_disk(store.path)  # the database and its WAL
    assert len(disk) > 0
    for needle in (TEST_CPR, SECRET_NOTE, "penicillin", "typing", "Marvin"):
        assert needle.encode() not in disk
        assert needle.encode("utf-16-le") not in disk


def test_the_wrong_pin_fails_clearly(store: LocalStore) -> None:
    store.close()
    with pytest.raises(WrongCredentialsError, match="wrong PIN/password or device secret"):
        LocalStore.unlock(path=store.path, user_id=TEST_USER, secret="0000", device_secret=DEVICE_SECRET)


def test_the_right_pin_on_another_device_fails(store: LocalStore) -> None:
    store.close()
    with pytest.raises(WrongCredentialsError):
        LocalStore.unlock(path=store.path, user_id=TEST_USER, secret=TEST_PIN, device_secret=b"x" * 32)


def test_an_unknown_user_fails_like_a_wrong_pin(store: LocalStore) -> None:
    store.close()
    with pytest.raises(WrongCredentialsError, match="wrong PIN/password or device secret"):
        LocalStore.unlock(path=store.path, user_id="stranger", secret=TEST_PIN, device_secret=DEVICE_SECRET)


def test_a_crew_member_added_by_an_unlocked_store_can_unlock_it(store: LocalStore) -> None:
    entry = note(journal_id=JOURNAL, text="seen by both")
    store.capture(envelope=entry)
    store.add_user(user_id="medic-2", secret="9753", device_secret=DEVICE_SECRET, kdf=TEST_KDF)
    store.close()
    second = LocalStore.unlock(path=store.path, user_id="medic-2", secret="9753", device_secret=DEVICE_SECRET)
    assert second.entry(entry.entry_id) == entry
    assert second.users() == ["medic-1", "medic-2"]
    second.close()


def test_a_removed_crew_member_can_no_longer_unlock(store: LocalStore) -> None:
    store.add_user(user_id="medic-2", secret="9753", device_secret=DEVICE_SECRET, kdf=TEST_KDF)
    assert store.remove_user(user_id="medic-2")
    store.close()
    with pytest.raises(WrongCredentialsError):
        LocalStore.unlock(path=store.path, user_id="medic-2", secret="9753", device_secret=DEVICE_SECRET)


def test_a_store_opened_by_the_worker_cannot_add_users(store: LocalStore) -> None:
    worker = store.another_connection()
    with pytest.raises(WrongCredentialsError):
        worker.add_user(user_id="medic-3", secret="1", device_secret=DEVICE_SECRET, kdf=TEST_KDF)
    worker.close()


def test_tampered_ciphertext_is_detected(store: LocalStore) -> None:
    entry = note(journal_id=JOURNAL, text="original")
    store.capture(envelope=entry)
    with sqlite3.connect(store.path) as conn:
        (sealed,) = conn.execute("SELECT sealed_content FROM entries").fetchone()
        flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
        conn.execute("UPDATE entries SET sealed_content = ?", (flipped,))
    with pytest.raises(TamperedDataError):
        store.entry(entry.entry_id)


def test_a_row_moved_onto_another_row_is_detected(store: LocalStore) -> None:
    a, b = note(journal_id=JOURNAL, text="patient A"), note(journal_id=JOURNAL, text="patient B")
    store.capture(envelope=a)
    store.capture(envelope=b)
    copy_sealed_row(store, source=a.entry_id, target=b.entry_id)
    with pytest.raises(TamperedDataError):
        store.entry(b.entry_id)


def test_the_wrapped_key_does_not_contain_the_key() -> None:
    key, raw = DataKey.generate()
    wrap = wrap_data_key(raw_key=raw, user_id="u", secret="pin", device_secret=DEVICE_SECRET, params=TEST_KDF)
    assert raw not in wrap.wrapped
    unwrapped, raw_again = unwrap_data_key(wrap=wrap, secret="pin", device_secret=DEVICE_SECRET)
    assert raw_again == raw
    sealed = key.seal(aad=row_aad("entries", "1"), plaintext=b"x")
    assert unwrapped.open(aad=row_aad("entries", "1"), sealed=sealed) == b"x"


def test_an_empty_pin_is_refused() -> None:
    _, raw = DataKey.generate()
    with pytest.raises(WrongCredentialsError):
        wrap_data_key(raw_key=raw, user_id="u", secret="", device_secret=DEVICE_SECRET, params=TEST_KDF)


def test_kdf_parameters_round_trip_and_unknown_algorithms_are_refused() -> None:
    params = KdfParams(time_cost=2, memory_kib=4096, parallelism=1)
    assert KdfParams.from_json(params.to_json()) == params
    with pytest.raises(ValueError, match="unknown key-derivation"):
        KdfParams.from_json('{"alg": "md5", "t": 1, "m": 1, "p": 1}')


def test_reading_a_whole_journal_opens_every_row_as_one_by_one_and_detects_a_moved_row(
    store: LocalStore,
) -> None:
    """``journal_entries`` opens its rows in one batch (``open_rows``): same contents as ``entry``, and a
    row copied onto another still fails authentication."""
    a, b = note(journal_id=JOURNAL, text="patient A"), note(journal_id=JOURNAL, text="patient B")
    store.capture(envelope=a)
    store.capture(envelope=b)
    read = store.journal_entries(JOURNAL)
    assert read == [store.entry(e.entry_id) for e in read]
    assert {e.entry_id: e.content for e in read} == {a.entry_id: a.content, b.entry_id: b.content}
    copy_sealed_row(store, source=a.entry_id, target=b.entry_id)
    with pytest.raises(TamperedDataError):
        store.journal_entries(JOURNAL)


def test_a_pulled_page_is_stored_as_one_block_and_a_capture_on_its_own(store: LocalStore) -> None:
    captured = note(journal_id=JOURNAL, text="tapped")
    store.capture(envelope=captured)
    page = [note(journal_id=JOURNAL, text=f"pulled {n}") for n in range(4)]
    pull(store, page)
    blocks = block_rows(store)
    assert captured.entry_id not in blocks
    assert len({block_id for block_id, _ in blocks.values()}) == 1
    assert [blocks[e.entry_id][1] for e in page] == [0, 1, 2, 3]
    assert {e.entry_id: e for e in store.journal_entries(JOURNAL)} == {
        e.entry_id: e for e in [captured, *page]
    }


def test_a_changed_byte_in_a_block_is_detected(store: LocalStore) -> None:
    page = [note(journal_id=JOURNAL, text=f"pulled {n}") for n in range(2)]
    pull(store, page)
    with sqlite3.connect(store.path) as conn:
        (sealed,) = conn.execute("SELECT sealed FROM entry_blocks").fetchone()
        flipped = sealed[:40] + bytes([sealed[40] ^ 1]) + sealed[41:]
        conn.execute("UPDATE entry_blocks SET sealed = ?", (flipped,))
    with pytest.raises(TamperedDataError):
        store.entry(page[0].entry_id)
    with pytest.raises(TamperedDataError):
        store.journal_entries(JOURNAL)


def test_a_row_pointed_at_another_blocks_index_is_detected(store: LocalStore) -> None:
    first = [note(journal_id=JOURNAL, text=f"patient A {n}") for n in range(2)]
    second = [note(journal_id=JOURNAL, text=f"patient B {n}") for n in range(2)]
    pull(store, first)
    pull(store, second)
    other_block, _ = block_rows(store)[second[0].entry_id]
    with sqlite3.connect(store.path) as conn:
        conn.execute(
            "UPDATE entries SET block_id = ?, block_index = 0 WHERE entry_id = ?",
            (other_block, str(first[0].entry_id)),
        )
    with pytest.raises(TamperedDataError):
        store.entry(first[0].entry_id)
    with pytest.raises(TamperedDataError):
        store.journal_entries(JOURNAL)


def test_a_row_pointed_at_another_index_of_its_own_block_is_detected(store: LocalStore) -> None:
    page = [note(journal_id=JOURNAL, text=f"pulled {n}") for n in range(2)]
    pull(store, page)
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE entries SET block_index = 1 WHERE entry_id = ?", (str(page[0].entry_id),))
    with pytest.raises(TamperedDataError):
        store.entry(page[0].entry_id)


def test_a_block_swapped_under_another_block_id_is_detected(store: LocalStore) -> None:
    first = [note(journal_id=JOURNAL, text=f"patient A {n}") for n in range(2)]
    second = [note(journal_id=JOURNAL, text=f"patient B {n}") for n in range(2)]
    pull(store, first)
    pull(store, second)
    rows = block_rows(store)
    first_block, second_block = rows[first[0].entry_id][0], rows[second[0].entry_id][0]
    with sqlite3.connect(store.path) as conn:
        conn.execute(
            "UPDATE entry_blocks SET sealed = (SELECT sealed FROM entry_blocks WHERE block_id = ?)"
            " WHERE block_id = ?",
            (second_block, first_block),
        )
    with pytest.raises(TamperedDataError):
        store.entry(first[0].entry_id)
    assert store.entry(second[0].entry_id) == second[0]  # the untouched block still opens
