"""The adapter between journal entries and sync envelopes: same hash as the journal, lossless both ways."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from journal.entry import Author, AuthorisationLevel, Entry, Role, new_entry
from journal.errors import UnknownKindError
from journal.hlc import Hlc
from journal.ids import new_uuid7
from journal.kinds.record import Note
from sync.errors import ProtocolError
from sync.journal_adapter import EntryEnvelope, content_hash
from sync.protocol import WireEntry
from sync.store import LocalStore
from tests.sync.factories import TEST_CPR

MEDIC = Author(
    person_id="p-anne",
    name="Anne Holm",
    role=Role.PARAMEDICINER,
    authorisation_level=AuthorisationLevel.SPECIAL_COMPETENCE,
)


def a_note(text: str = f"Patient {TEST_CPR}, faldet fra stige; smerter i nakken") -> Entry:
    return new_entry(
        journal_id=new_uuid7(),
        payload=Note(text=text),
        author=MEDIC,
        device_id="tab-1",
        clinical_time=datetime(2026, 11, 25, 18, 0, tzinfo=UTC),
        hlc=Hlc(1_795_672_800_000, 0, "tab-1"),
    )


def test_the_envelope_hash_is_the_journals_content_hash() -> None:
    entry = a_note()
    envelope = EntryEnvelope.from_entry(entry)
    assert envelope.content_hash == entry.content_hash() == content_hash(envelope.content)
    assert b"hlc" not in envelope.content  # the stamp is outside the content


def test_an_entry_survives_envelope_wire_and_back() -> None:
    entry = a_note()
    wire = WireEntry.model_validate_json(
        WireEntry.from_envelope(EntryEnvelope.from_entry(entry)).model_dump_json()
    )
    assert wire.to_envelope().to_entry() == entry


def test_a_restamped_entry_keeps_its_content_and_hash() -> None:
    # Re-stamping keeps the writer: journal requires an entry's stamp to name its device.
    entry = a_note()
    new_stamp = Hlc(1_795_672_900_000, 3, "tab-1")
    envelope = EntryEnvelope.from_entry(entry).restamped(new_stamp.encode())
    back = envelope.to_entry()
    assert back.hlc == new_stamp
    assert back.content_hash() == entry.content_hash()


def test_an_entry_of_a_kind_version_this_build_does_not_know_raises_what_the_server_quarantines() -> None:
    envelope = EntryEnvelope.from_entry(a_note())
    content = json.loads(envelope.content)
    content["kind_version"] = 99
    future = EntryEnvelope.of(
        entry_id=envelope.entry_id,
        journal_id=envelope.journal_id,
        hlc=envelope.hlc,
        content=json.dumps(content).encode(),
    )
    with pytest.raises(UnknownKindError):
        future.to_entry()


def test_a_malformed_stamp_is_a_protocol_error_naming_the_field() -> None:
    with pytest.raises(ProtocolError, match="hlc"):
        EntryEnvelope.from_entry(a_note()).restamped("yesterday")


def test_a_captured_journal_entry_is_sealed_on_disk(store: LocalStore) -> None:
    entry = a_note()
    store.capture(envelope=EntryEnvelope.from_entry(entry))
    disk = b"".join(p.read_bytes() for p in store.path.parent.glob(store.path.name + "*"))
    assert TEST_CPR.encode() not in disk and b"stige" not in disk
    held = store.entry(entry.entry_id)
    assert held is not None and held.to_entry() == entry
