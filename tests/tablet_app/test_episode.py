"""Destination with ETA and pre-alert, transport urgency, disposition, notes and the same-patient link: each
save is one journal entry of the journal's own kind; bad input is refused on its field, nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from journal.kinds.disposition import Destination, Disposition, TransportUrgency
from journal.kinds.patient import SamePatientLink
from journal.local_time import DANISH_TIME
from sync.store import StoreDrafts
from tablet_app import i18n
from tablet_app.viewmodels.episode import (
    ALERT_LABELS,
    ALERT_TYPES,
    URGENCY_LABELS,
    URGENCY_LEVELS,
    DestinationViewModel,
    DispositionViewModel,
    NotesViewModel,
    Receiver,
    SamePatientViewModel,
    TransportUrgencyViewModel,
    load_receivers,
    parse_eta,
)
from tablet_app.viewmodels.journal_list import JournalListViewModel
from tablet_app.viewmodels.patient_journal import JournalViewModel
from tests.tablet_app.documenting import BO, Tablet, tablet
from tests.tablet_app.test_missions import ASSIGNMENT

# 13:00 Danish time (the ManualClock's start, 12:00 UTC in November).
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ODENSE_ED = Receiver("Odense Universitetshospital", "Fælles Akutmodtagelse", "999000000000011")  # demo SOR id


def journal(t: Tablet) -> JournalViewModel:
    return JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)


def entries_of(vm: JournalViewModel, kind: str) -> int:
    return sum(1 for e in vm.state.entries.values() if e.kind == kind)


# ------------------------------------------------------------------------------------------------ ETA


@pytest.mark.parametrize(
    ("typed", "expected_local"),
    [
        ("13:25", datetime(2026, 11, 25, 13, 25)),
        ("1325", datetime(2026, 11, 25, 13, 25)),
        ("13.25", datetime(2026, 11, 25, 13, 25)),
        ("12:50", datetime(2026, 11, 25, 12, 50)),  # exactly the grace before now: still today (late)
        ("12:49", datetime(2026, 11, 26, 12, 49)),  # earlier than that: tomorrow
        ("0:10", datetime(2026, 11, 26, 0, 10)),
    ],
)
def test_an_eta_is_the_next_such_clock_time_in_danish_time(typed: str, expected_local: datetime) -> None:
    assert parse_eta(typed, now=NOW) == expected_local.replace(tzinfo=DANISH_TIME)


@pytest.mark.parametrize("typed", ["24:00", "13:60", "snart", "13", "13:5", "-1:30"])
def test_a_text_that_is_not_a_clock_time_is_no_eta(typed: str) -> None:
    assert parse_eta(typed, now=NOW) is None


# -------------------------------------------------------------------------------------- destination


def test_a_destination_from_the_quick_list_with_eta_and_pre_alert_is_one_entry(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    dest = DestinationViewModel(journal=vm, clock=t.clock, receivers=(ODENSE_ED,))
    dest.choose_receiver(0)
    dest.set("eta", "13:25")
    dest.choose_alert("stemi")
    dest.set("alert_message", "STEMI anterior, 12-afl. sendt")
    assert dest.submit()
    stored = vm.state.value("destination")
    assert isinstance(stored, Destination)
    assert (stored.hospital, stored.department, stored.sor_code) == (
        ODENSE_ED.hospital,
        ODENSE_ED.department,
        ODENSE_ED.sor_code,
    )
    assert stored.eta == datetime(2026, 11, 25, 13, 25, tzinfo=DANISH_TIME)
    assert stored.pre_alert is not None and stored.pre_alert.sent_at == t.clock.now()
    assert stored.pre_alert.receiver == "Odense Universitetshospital, Fælles Akutmodtagelse"
    assert dest.notice is None and vm.last_saved is not None and vm.last_saved.msg_id == "dest.saved"


def test_changing_the_eta_updates_the_destination_and_keeps_the_pre_alerts_time(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    dest = DestinationViewModel(journal=vm, clock=t.clock, receivers=(ODENSE_ED,))
    dest.choose_receiver(0)
    dest.choose_alert("stroke")
    assert dest.submit()
    sent = t.clock.now()
    t.clock.advance(300)
    again = DestinationViewModel(journal=vm, clock=t.clock, receivers=(ODENSE_ED,))
    assert again.hospital == ODENSE_ED.hospital and again.alert_type == "stroke"  # shown from the record
    again.set("eta", "13:40")
    assert again.submit()
    fact = vm.state.fact("destination")
    assert fact is not None and not fact.conflict and len(fact.current) == 1 and len(fact.struck) == 1
    stored = vm.state.value("destination")
    assert (
        isinstance(stored, Destination) and stored.pre_alert is not None and stored.pre_alert.sent_at == sent
    )


@pytest.mark.parametrize(
    ("field", "typed", "msg_id"),
    [
        ("hospital", "   ", "dest.error.hospital"),
        ("sor_code", "12AB", "dest.error.sor"),
        ("eta", "snart", "dest.error.eta"),
    ],
)
def test_a_meaningless_destination_field_is_refused_on_it_and_nothing_is_stored(
    tmp_path: Path, field: str, typed: str, msg_id: str
) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    dest = DestinationViewModel(journal=vm, clock=t.clock, receivers=(ODENSE_ED,))
    dest.choose_receiver(0)
    dest.set(field, typed)
    assert not dest.submit()
    assert set(dest.errors) == {field} and dest.errors[field].msg_id == msg_id
    assert getattr(dest, field) == typed  # what was typed stays for correction
    assert entries_of(vm, "destination") == 0


def test_an_eta_more_than_three_hours_ahead_is_saved_only_once_confirmed(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    dest = DestinationViewModel(journal=vm, clock=t.clock, receivers=(ODENSE_ED,))
    dest.choose_receiver(0)
    dest.set("eta", "16:00")  # exactly three hours: plausible
    assert dest.submit() and dest.confirm is None
    dest.set("eta", "16:01")
    assert not dest.submit()
    assert dest.confirm is not None and dest.confirm.msg_id == "dest.confirm.eta_far"
    assert entries_of(vm, "destination") == 1
    assert dest.submit(confirmed=True)
    stored = vm.state.value("destination")
    assert isinstance(stored, Destination) and stored.eta == datetime(2026, 11, 25, 16, 1, tzinfo=DANISH_TIME)


def test_a_destination_without_sor_code_is_stored_with_a_notice_that_the_board_cannot_see_it(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    dest = DestinationViewModel(journal=vm, clock=t.clock)
    dest.set("hospital", "Privathospital Hamlet")
    assert dest.submit()
    assert dest.notice is not None and dest.notice.msg_id == "dest.notice.no_sor"
    assert isinstance(vm.state.value("destination"), Destination)


def test_every_pre_alert_type_and_urgency_level_of_the_journal_has_a_label() -> None:
    assert set(ALERT_LABELS) == set(ALERT_TYPES) and set(URGENCY_LABELS) == set(URGENCY_LEVELS)
    i18n.set_language("en")
    assert ALERT_LABELS["stroke"].render() == "Stroke"


# ---------------------------------------------------------------------------------- urgency, disposition


def test_a_transport_urgency_tap_records_it_and_a_new_level_updates_it(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    urgency = TransportUrgencyViewModel(journal=vm)
    urgency.choose("B")
    urgency.choose("B")  # the same level again adds nothing
    assert entries_of(vm, "transport_urgency") == 1
    urgency.set_reason("Forværring, NEWS2 9")
    urgency.choose("A")
    assert urgency.current() == TransportUrgency(level="A", reason="Forværring, NEWS2 9")
    fact = vm.state.fact("transport_urgency")
    assert fact is not None and not fact.conflict
    with pytest.raises(ValueError, match="level"):
        urgency.choose("E")


def test_a_disposition_needs_an_outcome_and_declared_dead_needs_the_physician(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    disposition = DispositionViewModel(journal=vm)
    assert not disposition.submit() and disposition.errors["outcome"].msg_id == "disposition.error.outcome"
    disposition.choose("declared_dead")
    assert (
        not disposition.submit() and disposition.errors["physician"].msg_id == "disposition.error.physician"
    )
    assert entries_of(vm, "disposition") == 0
    disposition.set("physician", "Dr. Lene Læge")
    assert disposition.submit()
    stored = vm.state.value("disposition")
    assert isinstance(stored, Disposition) and stored.declared_dead_by is not None
    assert stored.declared_dead_by.name == "Dr. Lene Læge"


def test_changing_the_disposition_updates_it_and_the_screen_starts_from_the_recorded_one(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    first = DispositionViewModel(journal=vm)
    first.choose("treated_and_released")
    first.set("advice", "Ring 1813 ved forværring")
    assert first.submit()
    second = DispositionViewModel(journal=vm)
    assert (second.outcome, second.advice) == ("treated_and_released", "Ring 1813 ved forværring")
    second.choose("transported")
    assert second.submit()
    fact = vm.state.fact("disposition")
    assert fact is not None and not fact.conflict and isinstance(fact.value, Disposition)
    assert fact.value.outcome == "transported"


# ------------------------------------------------------------------------------------------ notes, link


def test_a_note_is_saved_as_typed_by_the_active_author_and_an_empty_one_is_refused(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    assert t.keyring.store is not None
    notes = NotesViewModel(journal=vm, drafts=StoreDrafts(t.keyring.store))
    notes.set_text("   ")
    assert not notes.submit() and notes.error is not None and notes.error.msg_id == "notes.error.empty"
    assert notes.text == "   "
    notes.set_text("x" * (NotesViewModel.MAX_CHARS + 1))
    assert not notes.submit() and notes.error is not None and notes.error.msg_id == "notes.error.too_long"
    t.crew.switch_to(BO.username, "1357")
    notes.set_text("Pårørende (datter) informeret, tlf. i journalen.")
    assert notes.submit() and notes.text == ""
    [line] = notes.notes()
    assert (line.author, line.text) == (BO.display_name, "Pårørende (datter) informeret, tlf. i journalen.")


def test_same_patient_links_two_journals_of_the_mission_once_with_a_reason(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    ours = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock, mission=ASSIGNMENT)
    unrelated = journal(t)
    theirs = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock, mission=ASSIGNMENT)
    journals = JournalListViewModel(record=t.record)
    link = SamePatientViewModel(journal=ours, journals=journals)
    assert [r.journal_id for r in link.candidates()] == [theirs.journal_id, unrelated.journal_id]
    assert not link.link(theirs.journal_id) and link.error is not None
    assert link.error.msg_id == "same_patient.error.reason"
    link.set_reason("Samme patient behandlet af 1-21 og lægebil")
    assert link.link(theirs.journal_id)
    assert ours.state.current("same_patient_link") == [
        SamePatientLink(
            other_journal_id=theirs.journal_id, reason="Samme patient behandlet af 1-21 og lægebil"
        )
    ]
    other_side = SamePatientViewModel(journal=theirs, journals=journals)
    other_side.set_reason("igen")
    assert not other_side.link(ours.journal_id)  # linked from either side already
    assert other_side.error is not None and other_side.error.msg_id == "same_patient.error.already"
    with pytest.raises(ValueError, match="other_journal_id"):
        link.link(ours.journal_id)


def test_an_eta_typed_just_before_midnight_for_after_midnight_is_tomorrow(tmp_path: Path) -> None:
    late = datetime(2026, 11, 25, 22, 50, tzinfo=UTC)  # 23:50 Danish time
    assert parse_eta("00:15", now=late) - late == timedelta(minutes=25)


def test_the_receiver_quick_list_is_read_from_the_app_data_and_a_bad_entry_is_named(tmp_path: Path) -> None:
    path = tmp_path / "receivers.json"
    assert load_receivers(path) == ()
    path.write_text(
        '[{"hospital": "Odense Universitetshospital", "department": "Fælles Akutmodtagelse",'
        ' "sor_code": "999000000000011"}, {"hospital": "Svendborg Sygehus"}]',
        encoding="utf-8",
    )
    assert load_receivers(path) == (ODENSE_ED, Receiver("Svendborg Sygehus", None, None))
    path.write_text('[{"hospital": "Svendborg Sygehus", "sor_code": "SOR-1"}]', encoding="utf-8")
    with pytest.raises(ValueError, match=r"receivers.json\[0\].sor_code"):
        load_receivers(path)


def test_a_note_being_typed_survives_a_crash_as_a_draft_and_is_gone_once_saved(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    assert t.keyring.store is not None
    drafts = StoreDrafts(t.keyring.store)
    NotesViewModel(journal=vm, drafts=drafts).set_text("Patienten faldt fra 2 m")
    reopened = NotesViewModel(journal=vm, drafts=drafts)  # the app restarted: a new view-model
    assert reopened.text == "Patienten faldt fra 2 m"
    assert reopened.submit()
    assert NotesViewModel(journal=vm, drafts=drafts).text == ""
