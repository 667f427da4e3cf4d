"""The entry envelope: JSON round trip, the kind registry, content hashing, field-level refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from uuid import uuid4

import pytest

from journal.entry import Entry, entry_from_dict, entry_from_json
from journal.errors import EntryValidationError, UnknownKindError
from journal.hlc import Hlc
from journal.kinds.record import Note
from journal.payload import registered_kinds

MakeEntry = Callable[..., Entry]


def test_an_entry_survives_a_json_round_trip_with_the_same_content_hash(make_entry: MakeEntry) -> None:
    entry = make_entry({"heart_rate": {"value": 72, "unit": "/min"}}, kind="vital_signs")
    again = entry_from_json(entry.to_json())
    assert again == entry
    assert again.content_hash() == entry.content_hash()
    assert type(again.payload).__name__ == "VitalSigns"


def test_the_content_hash_ignores_the_hlc_but_not_the_content(make_entry: MakeEntry) -> None:
    entry = make_entry(Note(text="Patienten er kold"))
    restamped = entry.restamped(Hlc(9_999_999_999_999, 0, "tab-1"))
    assert restamped.content_hash() == entry.content_hash()
    assert restamped.order_key != entry.order_key
    data = json.loads(entry.to_json())
    data["payload"]["text"] = "Patienten er varm"
    assert entry_from_dict(data).content_hash() != entry.content_hash()


def test_an_unknown_kind_or_version_raises_unknown_kind_error(make_entry: MakeEntry) -> None:
    data = json.loads(make_entry(Note(text="x")).to_json())
    with pytest.raises(UnknownKindError) as newer:
        entry_from_dict({**data, "kind_version": 2})
    assert (newer.value.kind, newer.value.kind_version) == ("note", 2)
    with pytest.raises(UnknownKindError):
        entry_from_dict({**data, "kind": "telepathy"})


def test_every_registered_kind_names_its_cardinality() -> None:
    kinds = registered_kinds()
    assert len(kinds) >= 29
    assert {cls.CARDINALITY for cls in kinds.values()} == {"single", "multi", "amendment"}


def test_a_naive_clinical_time_is_refused_with_its_field_name(make_entry: MakeEntry) -> None:
    data = json.loads(make_entry(Note(text="x")).to_json())
    data["clinical_time"]["at"] = "2026-11-24T08:00:00"
    with pytest.raises(EntryValidationError) as err:
        entry_from_dict(data)
    assert [e.field for e in err.value.errors] == ["clinical_time.at"]


def test_bad_envelope_fields_are_each_named(make_entry: MakeEntry) -> None:
    data = json.loads(make_entry(Note(text="x")).to_json())
    data.update(source="telefon", hlc="yesterday", author={**data["author"], "role": "pilot"})
    with pytest.raises(EntryValidationError) as err:
        entry_from_dict(data)
    assert {e.field for e in err.value.errors} == {"source", "hlc", "author.role"}


def test_a_correction_must_name_what_it_corrects_and_others_must_not(make_entry: MakeEntry) -> None:
    with pytest.raises(EntryValidationError, match="supersedes"):
        make_entry({"reason": "wrong patient"}, kind="retraction")
    with pytest.raises(EntryValidationError, match="corrections and retractions"):
        make_entry(Note(text="x"), supersedes=(uuid4(),))


def test_a_payload_object_must_match_the_kind_the_envelope_names(make_entry: MakeEntry) -> None:
    data = json.loads(make_entry(Note(text="x")).to_json())
    with pytest.raises(EntryValidationError) as err:
        entry_from_dict({**data, "kind": "vital_signs", "payload": Note(text="x")})
    assert err.value.errors[0].field == "payload"


def test_invalid_json_is_refused_plainly() -> None:
    with pytest.raises(EntryValidationError, match="not valid JSON"):
        entry_from_json("{")
    with pytest.raises(EntryValidationError, match="JSON object"):
        entry_from_json("[]")


def test_the_hlc_must_come_from_the_entrys_own_writer(make_entry: MakeEntry) -> None:
    data = json.loads(make_entry(Note(text="x")).to_json())
    data["hlc"] = Hlc(1, 0, "someone-else").encode()
    with pytest.raises(EntryValidationError, match="not the entry's device_id"):
        entry_from_dict(data)


def test_entry_and_journal_ids_must_be_uuid7(make_entry: MakeEntry) -> None:
    data = json.loads(make_entry(Note(text="x")).to_json())
    with pytest.raises(EntryValidationError) as err:
        entry_from_dict({**data, "entry_id": str(uuid4()), "journal_id": str(uuid4())})
    assert [e.field for e in err.value.errors] == ["entry_id", "journal_id"]


def test_the_spo2_scale_decision_is_authored_by_a_clinician_by_hand(make_entry: MakeEntry) -> None:
    from journal.entry import Author, AuthorisationLevel, Role

    decision = {"scale": 2, "target_low": 88, "target_high": 92, "reason": "KOL med CO2-retention"}
    make_entry(decision, kind="spo2_scale_decision")
    dispatcher = Author(
        person_id="d", name="AMK", role=Role.DISPATCHER, authorisation_level=AuthorisationLevel.NONE
    )
    with pytest.raises(EntryValidationError, match="clinician must record it"):
        make_entry(decision, kind="spo2_scale_decision", author=dispatcher)
    with pytest.raises(EntryValidationError, match="clinician must record it"):
        make_entry(decision, kind="spo2_scale_decision", source="device:LP15-1")
