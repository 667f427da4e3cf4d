"""Fold rules one by one: corrections and retractions, linked journals, pending amendments, signing and
closing, identity errors."""

from __future__ import annotations

import json

import pytest

from journal.demo.builder import DEMO_DAY, ScenarioBuilder, person
from journal.demo.values import mark, vitals
from journal.entry import Role, entry_from_dict
from journal.errors import ConflictingEntryError, EntryValidationError
from journal.fold import fold, fold_linked
from journal.kinds.disposition import Disposition
from journal.kinds.patient import (
    ChiefComplaint,
    CprIdentifier,
    LocalIdentifier,
    PatientIdentity,
    SamePatientLink,
)
from journal.kinds.record import Correction, Note
from journal.writer import JournalWriter

ANNE = person("p-anne", "Anne", Role.PARAMEDICINER)
BO = person("p-bo", "Bo", Role.AMBULANCEASSISTENT)
AMK = person("p-amk", "AMK", Role.DISPATCHER)


def two_writers(name: str) -> tuple[ScenarioBuilder, JournalWriter, JournalWriter]:
    b = ScenarioBuilder(name, start=DEMO_DAY)
    jid = b.journal_id()
    return (
        b,
        b.writer(journal_id=jid, author=ANNE, device_id="tab-1", unit="A-1"),
        b.writer(journal_id=jid, author=BO, device_id="tab-2", unit="A-1"),
    )


def test_a_correction_of_a_device_value_keeps_the_original_struck_with_who_when_and_why() -> None:
    b, anne, _ = two_writers("device-correction")
    original = b.device(anne, "vital_signs", {"spo2": {"value": 100, "unit": "%"}}, minute=1, serial="LP15-1")
    correction = b.correct(anne, original, vitals(spo2=86, on_oxygen=False), reason="probe off", minute=2)
    item = fold(b.entries).items["vital_signs"][0]
    assert item.value == vitals(spo2=86, on_oxygen=False)
    assert item.current[0].entry == correction
    assert item.current[0].time == original.clinical_time.at  # the correction keeps the measurement's time
    [struck] = item.struck
    assert struck.revision.entry == original and struck.struck_by == (correction,)
    assert "probe off" in struck.explanation() and "Anne" in struck.explanation()


def test_a_correction_of_a_correction_joins_the_same_item() -> None:
    b, anne, bo = two_writers("chain")
    note = b.write(anne, Note(text="first"), minute=1)
    c1 = b.correct(anne, note, Note(text="second"), reason="typo", minute=2)
    b.sync(bo)
    c2 = bo.correct(c1, Note(text="third"), reason="typo again")
    b.add(c2)
    [item] = fold(b.entries).items["note"]
    assert item.value == Note(text="third")
    assert {s.revision.entry.entry_id for s in item.struck} == {note.entry_id, c1.entry_id}


def test_a_retraction_strikes_the_item_but_keeps_it_readable() -> None:
    b, anne, _ = two_writers("retract")
    note = b.write(anne, Note(text="Pårørende kontaktet"), minute=1)
    b.add(anne.retract(note, reason="wrong patient", at=b.at(2)))
    state = fold(b.entries)
    [item] = state.items["note"]
    assert item.retracted and item.value is None
    assert item.struck[0].revision.value == Note(text="Pårørende kontaktet")
    assert state.current("note") == []
    assert all(t.revision.entry != note for t in state.timeline)


def test_an_amendment_whose_target_has_not_arrived_is_kept_pending_not_dropped() -> None:
    b, anne, _ = two_writers("pending")
    note = b.write(anne, Note(text="x"), minute=1)
    retraction = anne.retract(note, reason="mistake", at=b.at(2))
    state = fold([retraction])
    assert state.pending_amendments == (retraction,)
    assert fold([retraction, note]).items["note"][0].retracted


def test_two_journals_joined_by_a_same_patient_link_fold_as_one_and_unlink_when_the_link_is_retracted() -> (
    None
):
    b = ScenarioBuilder("link", start=DEMO_DAY)
    j1, j2 = b.journal_id(), b.journal_id()
    a = b.writer(journal_id=j1, author=ANNE, device_id="tab-1", unit="A-1")
    c = b.writer(journal_id=j2, author=BO, device_id="tab-2", unit="LB-1")
    b.write(a, vitals(hr=80), minute=1)
    b.write(c, vitals(hr=82), minute=2)
    link = b.write(c, SamePatientLink(other_journal_id=j1, reason="same patient"), minute=3)
    [joined] = fold_linked(b.entries)
    assert joined.journal_ids == {j1, j2}
    assert len(joined.current("vital_signs")) == 2
    b.add(c.retract(link, reason="linked by mistake: two patients", at=b.at(4)))
    apart = fold_linked(b.entries)
    assert [s.journal_ids for s in apart] == [{j1}, {j2}]


def test_an_unknown_patient_identified_later_by_a_correction_shows_the_identity_and_the_old_id_struck() -> (
    None
):
    b, anne, _ = two_writers("identify")
    jid = anne.journal_id
    unknown = b.write(anne, PatientIdentity(identifier=LocalIdentifier.for_journal(jid)), minute=1)
    b.correct(
        anne, unknown, PatientIdentity(identifier=CprIdentifier(value="2509479989")), reason="ID", minute=1
    )
    fact = fold(b.entries).fact("patient_identity")
    assert fact is not None
    assert isinstance(fact.value, PatientIdentity) and isinstance(fact.value.identifier, CprIdentifier)
    assert isinstance(fact.struck[0].revision.value, PatientIdentity)
    assert isinstance(fact.struck[0].revision.value.identifier, LocalIdentifier)


def test_unit_movements_are_facts_per_unit_and_patient_contact_is_one_fact() -> None:
    b = ScenarioBuilder("marks", start=DEMO_DAY)
    jid = b.journal_id()
    a = b.writer(journal_id=jid, author=ANNE, device_id="tab-1", unit="A-1")
    c = b.writer(journal_id=jid, author=BO, device_id="tab-2", unit="LB-1")
    b.write(a, mark("on_scene"), minute=5)
    b.write(c, mark("on_scene"), minute=9)
    b.write(a, mark("patient_contact"), minute=6)
    b.write(c, mark("patient_contact"), minute=9.5)
    state = fold(b.entries)
    assert not state.fact("timestamp", "on_scene", "A-1").conflict  # type: ignore[union-attr]
    assert not state.fact("timestamp", "on_scene", "LB-1").conflict  # type: ignore[union-attr]
    contact = state.fact("timestamp", "patient_contact")
    assert contact is not None and contact.conflict  # two times for one patient: someone must choose


def test_the_same_id_with_different_content_is_refused_as_corrupt() -> None:
    b, anne, _ = two_writers("corrupt")
    note = b.write(anne, Note(text="x"), minute=1)
    data = json.loads(note.to_json())
    data["payload"]["text"] = "y"
    with pytest.raises(ConflictingEntryError):
        fold([note, entry_from_dict(data)])


def test_a_restamped_copy_of_an_entry_is_one_entry_and_the_lower_stamp_wins() -> None:
    b, anne, _ = two_writers("restamp")
    note = b.write(anne, Note(text="x"), minute=1)
    later = note.restamped(anne.clock.tick())
    for order in ([note, later], [later, note]):
        state = fold(order)
        assert list(state.entries.values()) == [note]
        assert state.entries[note.entry_id].hlc == note.hlc


def test_a_journal_closes_with_a_disposition_and_every_authors_signature_and_later_entries_are_addenda() -> (
    None
):
    b, anne, bo = two_writers("closing")
    amk = b.writer(journal_id=anne.journal_id, author=AMK, device_id="amk", unit=None)
    b.write(amk, Note(text="dispatch note"), minute=0)  # dispatch does not sign health records
    b.write(anne, ChiefComplaint(text="Fald"), minute=1)
    b.write(bo, vitals(hr=80), minute=2)
    b.write(anne, Disposition(outcome="transported"), minute=3)
    b.sync(anne, bo)
    b.sign(anne, minute=4)
    assert not fold(b.entries).signing.closed
    assert fold(b.entries).signing.unsigned_authors == ("p-bo",)
    closing = b.sign(bo, minute=5)
    state = fold(b.entries)
    assert state.signing.closed and state.signing.closed_at == closing.hlc
    addendum = b.write(anne, Note(text="Tilføjelse: pårørende informeret"), minute=20)
    after = fold(b.entries)
    assert after.signing.closed_at == closing.hlc
    assert after.signing.addenda == {addendum.entry_id}
    assert after.signing.unsigned_authors == ("p-anne",)


def test_a_signature_never_attests_entries_written_after_it() -> None:
    b, anne, _ = two_writers("sign-order")
    b.write(anne, Disposition(outcome="transported"), minute=1)
    signature = b.sign(anne, minute=2)
    assert fold(b.entries).signing.closed
    b.write(anne, Note(text="later"), minute=3)
    assert fold(b.entries).signing.signed_up_to["p-anne"] <= signature.hlc


def test_a_journal_without_a_disposition_never_closes() -> None:
    b, anne, _ = two_writers("no-disposition")
    b.write(anne, vitals(hr=80), minute=1)
    b.sign(anne, minute=2)
    assert not fold(b.entries).signing.closed


def test_the_score_table_versions_recorded_on_the_journal_are_in_the_state() -> None:
    from journal.kinds.mission import ScoreTableVersions

    b, anne, _ = two_writers("tables")
    assert fold(b.entries).score_table_versions == {}
    b.write(anne, ScoreTableVersions(versions={"NEWS2": "rcp-2017"}), minute=0)
    assert fold(b.entries).score_table_versions == {"NEWS2": "rcp-2017"}


def test_a_correction_of_the_wrong_kind_is_kept_and_reported_as_an_anomaly() -> None:
    b, anne, _ = two_writers("wrong-kind")
    note = b.write(anne, Note(text="x"), minute=1)
    with pytest.raises(EntryValidationError, match="only be corrected by a note"):
        anne.correct(note, vitals(hr=80), reason="meant as vitals")
    wrong = Correction(reason="meant as vitals", corrected_kind="vital_signs", corrected_kind_version=1,
                       replacement=vitals(hr=80))  # fmt: skip
    b.write(anne, wrong, minute=1, supersedes=[note.entry_id])  # another client could send this
    state = fold(b.entries)
    assert state.items["note"][0].value == vitals(hr=80)
    assert any("replaces a note with a vital_signs" in a for a in state.anomalies)
