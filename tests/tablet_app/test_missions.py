"""The unit's mission list: dispatch missions pulled into the store are missions (never journal rows), each
with its patients; journals opened without a mission are listed apart; links show on both journals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import UUID

from journal.entry import Author, AuthorisationLevel, Entry, Role, new_entry
from journal.hlc import Hlc
from journal.ids import new_uuid7
from journal.kinds.disposition import DISPOSITION_LABELS, Disposition
from journal.kinds.mission import MissionAssignment, is_mission_log
from journal.kinds.patient import SamePatientLink
from journal.kinds.record import Retraction
from sync.journal_adapter import EntryEnvelope
from tablet_app.viewmodels.journal_list import OUTCOME_LABELS, JournalListViewModel
from tablet_app.viewmodels.patient_journal import JournalViewModel
from tests.tablet_app.documenting import Tablet, tablet

DISPATCHER = Author(
    person_id="dispatcher-1",
    name="AMK Syd",
    role=Role.DISPATCHER,
    authorisation_level=AuthorisationLevel.NONE,
)
ASSIGNMENT = MissionAssignment(
    mission_id="M-2026-1125-0042",
    dispatch_urgency="A",
    dispatch_criterion="10.1",
    dispatch_text="Mand 70 år, brystsmerter",
    address="Vestergade 12, 5000 Odense C",
    units=("1-21",),
)


def dispatch_entry(t: Tablet, log_id: UUID, payload: object, *, supersedes: tuple[UUID, ...] = ()) -> Entry:
    """An entry as the server's dispatch writer makes it (``source="dispatch"``)."""
    wall = int(t.clock.now().timestamp() * 1000)
    return new_entry(
        journal_id=log_id,
        payload=payload,  # type: ignore[arg-type]
        author=DISPATCHER,
        device_id="server-dispatch",
        clinical_time=t.clock.now(),
        hlc=Hlc(wall, 0, "server-dispatch"),
        source="dispatch",
        supersedes=supersedes,
    )


def pull(t: Tablet, *entries: Entry) -> None:
    """Store entries the way a sync pull does (they are the server's, not queued for upload)."""
    store = t.keyring.store
    assert store is not None
    store.store_pulled(
        journal_id=entries[0].journal_id,
        entries=[EntryEnvelope.from_entry(e) for e in entries],
        next_cursor="1",
        watermark="1",
    )
    t.record.synced(t.clock.now())


def test_a_pulled_dispatch_mission_is_a_mission_and_never_a_journal_row(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    log_id = new_uuid7()
    pull(t, dispatch_entry(t, log_id, ASSIGNMENT))
    journals = JournalListViewModel(record=t.record)
    assert journals.rows() == []  # the bug: the mission log showed as an unidentified patient
    [mission] = journals.missions()
    assert (mission.reference, mission.mission_log_id, mission.cancelled) == (
        ASSIGNMENT.mission_id,
        log_id,
        False,
    )
    assert mission.patients == ()
    assert mission.title().render() == "Mission M-2026-1125-0042 · kørsel A · Vestergade 12, 5000 Odense C"
    assert "brystsmerter" in mission.detail().render() and "0 patient" in mission.detail().render()


def test_several_patients_opened_from_one_mission_are_listed_under_it(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    pull(t, dispatch_entry(t, new_uuid7(), ASSIGNMENT))
    journals = JournalListViewModel(record=t.record)
    [mission] = journals.missions()
    first = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock, mission=mission.assignment)
    t.clock.advance(60)
    second = JournalViewModel.open_new(
        record=t.record, crew=t.crew, clock=t.clock, mission=mission.assignment
    )
    alone = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)

    [mission] = journals.missions()
    assert {row.journal_id for row in mission.patients} == {first.journal_id, second.journal_id}
    assert [row.journal_id for row in journals.unassigned()] == [alone.journal_id]
    # The patient journal carries its own copy of the assignment, written on the tablet, not by dispatch.
    own = first.state.fact("mission_assignment")
    assert own is not None and own.value == ASSIGNMENT and own.first_entry.source == "manual"
    assert not is_mission_log(first.state.entries.values())


def test_a_cancelled_mission_stays_listed_as_cancelled_with_its_patients(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    log_id = new_uuid7()
    created = dispatch_entry(t, log_id, ASSIGNMENT)
    pull(t, created)
    journals = JournalListViewModel(record=t.record)
    patient = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock, mission=ASSIGNMENT)
    t.clock.advance(30)
    pull(t, dispatch_entry(t, log_id, Retraction(reason="Afmeldt af AMK"), supersedes=(created.entry_id,)))

    [mission] = journals.missions()
    assert mission.cancelled and mission.assignment == ASSIGNMENT
    assert [row.journal_id for row in mission.patients] == [patient.journal_id]
    assert mission.title().render().startswith("AFMELDT: mission M-2026-1125-0042")


def test_a_journal_whose_mission_log_is_not_on_the_tablet_still_shows_under_its_mission(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    patient = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock, mission=ASSIGNMENT)
    [mission] = JournalListViewModel(record=t.record).missions()
    assert (mission.reference, mission.mission_log_id) == (ASSIGNMENT.mission_id, None)
    assert [row.journal_id for row in mission.patients] == [patient.journal_id]


def test_a_row_shows_the_disposition_and_same_patient_links_of_either_side(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    a = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock, mission=ASSIGNMENT)
    b = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock, mission=ASSIGNMENT)
    a.record(
        SamePatientLink(other_journal_id=b.journal_id, reason="to enheder"),
        saved=OUTCOME_LABELS["transported"],
    )
    b.record(Disposition(outcome="transported"), saved=OUTCOME_LABELS["transported"])
    rows = {row.journal_id: row for row in JournalListViewModel(record=t.record).rows()}
    assert rows[a.journal_id].same_patient_as == (b.journal_id,)
    assert rows[b.journal_id].same_patient_as == (a.journal_id,)
    assert rows[b.journal_id].outcome == OUTCOME_LABELS["transported"] and rows[a.journal_id].outcome is None


def test_every_disposition_outcome_of_the_journal_has_a_label_in_both_languages() -> None:
    assert set(OUTCOME_LABELS) == set(DISPOSITION_LABELS)


def test_the_sync_line_counts_entries_waiting_and_shows_the_last_sync(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    journals = JournalListViewModel(record=t.record)
    JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    assert (
        journals.sync_text().render()
        == "3 registreringer venter på at blive sendt · ikke synkroniseret endnu"
    )
    t.clock.advance(timedelta(minutes=5).total_seconds())
    t.record.synced(t.clock.now())
    expected = t.clock.now().astimezone().strftime("%H:%M")
    assert journals.sync_text().render().endswith(f"sidst synkroniseret {expected}")
