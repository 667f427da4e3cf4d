"""Encryption at rest: nothing clinical in clear on disk, wrong credentials fail clearly, tampering shows."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import UUID

import pytest

from sync.crypto import DataKey, KdfParams, row_aad, unwrap_data_key, wrap_data_key
from sync.errors import TamperedDataError, WrongCredentialsError
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


def test_the_store_files_hold_no_plaintext_of_cpr_note_or_draft(store: LocalStore) -> None:
    store.capture(envelope=note(journal_id=JOURNAL, text=f"CPR {TEST_CPR}. {SECRET_NOTE}"))
    store.save_draft(draft_id="history-form", journal_id=JOURNAL, text=f"typing {TEST_CPR} ...")
    disk = all_bytes_on_disk(store.path)  # the database and its WAL
    assert len(disk) > 0
    for needle in (TEST_CPR, SECRET_NOTE, "penicillin", "typing"):
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
