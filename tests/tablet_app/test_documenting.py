"""Documenting a patient on the tablet: every save is an entry in the encrypted store, shown from the fold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from journal.entry import Entry
from journal.kinds.mission import Timestamp
from journal.kinds.observations import VitalSigns
from journal.kinds.patient import CprIdentifier, LocalIdentifier
from journal.kinds.record import Correction
from journal.kinds.treatment import ConcreteDelegation, Medication, StandingProtocol
from sync.journal_adapter import EntryEnvelope, canonical_content
from tablet_app.viewmodels.medication import MedicationViewModel
from tablet_app.viewmodels.numeric_entry import NumericResult
from tablet_app.viewmodels.patient_journal import CONFIRMED_IMPLAUSIBLE, JournalViewModel
from tests.tablet_app.documenting import ANNE, TEST_CPR, tablet


def value(field_id: str, v: str, *, confirmed: bool = False) -> NumericResult:
    return NumericResult(field_id, Decimal(v), not_measurable=False, confirmed_implausible=confirmed)


def test_an_entry_round_trips_through_the_store_with_the_journals_content_hash(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    entries = t.record.entries(vm.journal_id)
    assert {e.kind for e in entries} == {"crew_sign_on", "score_table_versions", "timestamp"}
    for entry in entries:
        envelope = EntryEnvelope.from_entry(entry)
        assert envelope.content_hash == entry.content_hash()
        assert envelope.to_entry() == entry
        assert b'"hlc"' not in canonical_content(entry)  # the stamp is outside the content
    assert t.keyring.store is not None and t.keyring.store.pending_count() == 3
    assert len(t.saves) == 3  # each save woke the sync worker


def test_opening_a_journal_records_patient_contact_now_the_crew_and_the_score_tables(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    assert vm.mark_time("patient_contact") == t.clock.now()
    assert vm.state.score_table_versions["news2"] == "rcp-2017"
    assert vm.identity_text().msg_id == "journal.identity.none"
    assert t.record.journal_ids() == [vm.journal_id]


def test_a_bad_cpr_is_refused_with_the_reason_and_nothing_is_stored(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    before = len(t.record.entries(vm.journal_id))
    assert not vm.identify_by_cpr("3102471234")  # 31 February names no real date
    assert vm.cpr_error is not None and "no real date" in vm.cpr_error.render()
    assert len(t.record.entries(vm.journal_id)) == before


def test_an_unknown_patient_identified_later_is_a_correction_and_the_local_id_stays_readable(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    vm.unknown_patient()
    assert vm.identity_text().msg_id == "journal.identity.unknown"
    t.clock.advance(600)
    assert vm.identify_by_cpr("250947-9989")
    identity = vm.identity()
    assert identity is not None and isinstance(identity.identifier, CprIdentifier)
    assert identity.identifier.value == TEST_CPR
    fact = vm.state.fact("patient_identity")
    assert fact is not None and not fact.conflict
    (struck,) = fact.struck
    assert isinstance(struck.revision.value.identifier, LocalIdentifier)  # type: ignore[union-attr]
    (correction,) = struck.struck_by
    assert (
        isinstance(correction.payload, Correction)
        and correction.payload.reason == "patient identified by CPR"
    )


def test_a_timeline_tap_records_corrected_now_and_a_second_tap_updates_the_same_mark(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    t.clock.set_server_offset(offset=timedelta(seconds=90), measured_at=t.clock.device_now())
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    vm.tap("on_scene")
    assert vm.mark_time("on_scene") == t.clock.now()
    t.clock.advance(60)
    vm.tap("on_scene")
    fact = vm.state.fact("timestamp", "on_scene", "1-21")
    assert fact is not None and not fact.conflict and len(fact.struck) == 1
    assert fact.first_entry.clinical_time.device_clock_offset_ms == -90_000
    earlier = t.clock.now() - timedelta(minutes=20)
    vm.set_time("alarm", earlier)
    assert vm.mark_time("alarm") == earlier
    assert [line.estimated for line in vm.timeline() if line.time == earlier] == [True]


def test_three_vital_sets_make_a_trend_and_a_live_news2_with_the_recorded_table(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    assert vm.news2().text.msg_id == "score.news2.none"
    for hr, rr in (("88", "16"), ("112", "24"), ("260", "18")):
        vm.add_vital(value("heart_rate", hr, confirmed=hr == "260"))
        vm.add_vital(value("respiratory_rate", rr))
        vm.add_vital(value("spo2", "97"))
        vm.add_vital(value("bp_systolic", "128"))
        vm.add_vital(value("temperature", "37.5"))
        assert vm.save_vital_set()
        t.clock.advance(300)
    assert not vm.save_vital_set()  # nothing collected: nothing saved
    assert vm.trend("heart_rate") == [88.0, 112.0, 260.0]
    last = vm.vital_sets()[-1][1]
    assert isinstance(last, VitalSigns) and last.heart_rate is not None
    assert last.heart_rate.note == CONFIRMED_IMPLAUSIBLE and last.heart_rate.unit == "/min"
    assert vm.news2().text.msg_id == "score.partial"  # no ACVPU and no air/oxygen yet: never a false total
    vm.record_acvpu("A")
    vm.add_vital(value("spo2", "97"))
    vm.add_vital(value("heart_rate", "80"))
    vm.add_vital(value("respiratory_rate", "16"))
    vm.add_vital(value("bp_systolic", "128"))
    vm.add_vital(value("temperature", "37.0"))
    vm.set_on_oxygen(False)
    assert vm.save_vital_set()
    news2 = vm.news2()
    assert news2.display.startswith("NEWS2 0") and news2.colour == "green" and news2.applicable


def test_not_measurable_is_stored_as_such(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    vm.add_vital(NumericResult("bp_systolic", None, not_measurable=True, confirmed_implausible=False))
    vm.save_vital_set()
    (_at, vs) = vm.vital_sets()[0]
    assert vs.bp_systolic is not None and vs.bp_systolic.status == "not_measurable"
    assert vs.bp_systolic.unit == "mm[Hg]"


def test_each_crew_member_records_under_their_own_name_and_switching_takes_their_pin(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    vm.tap("on_scene")
    assert not t.crew.switch_to("bo", "2580")  # Anne's PIN is not Bo's
    assert t.crew.switch_error is not None and t.crew.active == "anne"
    assert t.crew.switch_to("bo", "1357")
    vm.tap("leaving_scene")
    by_event: dict[str, Entry] = {
        e.payload.event: e for e in t.record.entries(vm.journal_id) if isinstance(e.payload, Timestamp)
    }
    assert by_event["on_scene"].author.name == "Anne Ambulancebehandler"
    assert by_event["leaving_scene"].author.name == "Bo Paramediciner"
    assert by_event["leaving_scene"].author.role == "paramediciner"


def test_signing_lists_what_is_missing_and_records_the_authors_signature(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    vm.identify_by_cpr(TEST_CPR)
    assert any("disposition" in line for line in vm.missing_for_signing())
    vm.sign()
    assert "p-anne" in vm.state.signing.signed_up_to
    assert "I:" in vm.handover_text() or "ISBAR" in vm.handover_text().upper()


def test_a_medication_needs_drug_dose_route_and_legal_basis_and_is_stored_with_them(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    med = MedicationViewModel(save=vm.save_medication, now=t.clock.now, author=t.crew.active_author)
    assert not med.submit()
    assert set(med.errors) == {"drug", "dose", "route", "basis"}
    med.choose("N02BE01")
    med.set("dose", "1000")
    med.set("route", "iv")
    med.set("basis", "standing_protocol")
    assert not med.submit() and set(med.errors) == {"protocol_id"}  # which protocol, in which version
    med.set("protocol_id", "RN-PARA-07")
    med.set("protocol_version", "3")
    assert med.submit()
    med.choose("N02AA01")
    med.set("dose", "0,5")
    med.set("route", "im")
    med.set("basis", "physician_own_authorisation")
    assert not med.submit() and med.errors["basis"].msg_id == "med.error.not_physician"
    med.set("basis", "concrete_delegation")
    med.set("physician", "Akutlæge Hansen")
    assert med.submit()
    given = [e.payload for e in t.record.entries(vm.journal_id) if isinstance(e.payload, Medication)]
    assert [(m.atc, m.dose.value, m.dose.unit, m.route) for m in given] == [
        ("N02BE01", 1000.0, "mg", "iv"),
        ("N02AA01", 0.5, "mg", "im"),
    ]
    bases = {m.atc: m.legal_basis for m in given}
    assert isinstance(bases["N02BE01"], StandingProtocol) and bases["N02BE01"].protocol_id == "RN-PARA-07"
    assert isinstance(bases["N02AA01"], ConcreteDelegation)
    assert bases["N02AA01"].physician.name == "Akutlæge Hansen"


def test_a_dose_that_is_not_a_positive_number_is_refused_on_its_field(tmp_path: Path) -> None:
    saved: list[Medication] = []
    for typed in ("", "0", "-1", "abc", "NaN"):
        med = MedicationViewModel(
            save=saved.append, now=lambda: datetime(2026, 11, 25, tzinfo=UTC), author=ANNE.author
        )
        med.choose("B01AC06")
        med.set("route", "po")
        med.set("basis", "patient_own_medication")
        med.set("dose", typed)
        assert not med.submit() and set(med.errors) == {"dose"}, typed
    assert saved == []


def test_arrest_taps_are_entries_in_clinical_order_and_a_shock_needs_its_energy(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    vm.arrest_event("rhythm_check", rhythm="vf")
    t.clock.advance(10)
    vm.arrest_event("shock", energy_joules=200)
    t.clock.advance(110)
    vm.arrest_event("adrenaline")
    t.clock.advance(60)
    vm.arrest_event("rosc")
    before = len(t.record.entries(vm.journal_id))
    with pytest.raises(ValidationError, match="a shock needs its energy"):
        vm.arrest_event("shock")  # how much energy? refused, nothing stored
    assert len(t.record.entries(vm.journal_id)) == before
    assert [(e.event, e.rhythm, e.energy_joules) for _at, e in vm.arrest_events()] == [
        ("rhythm_check", "vf", None),
        ("shock", None, 200.0),
        ("adrenaline", None, None),
        ("rosc", None, None),
    ]
