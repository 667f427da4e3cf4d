"""Conflicts resolved with a new entry, corrections and retractions with a reason, times edited afterwards.

The other tablet's entries arrive the way they do in the field: pulled into the store (``store_pulled``)
after a sync cycle, never written into the fold by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from journal.entry import Author, AuthorisationLevel, Entry, Role
from journal.hlc import HybridClock
from journal.kinds.mission import Timestamp
from journal.kinds.observations import VitalSigns, reading
from journal.kinds.record import Correction, Retraction
from journal.writer import JournalWriter
from sync.journal_adapter import EntryEnvelope
from tablet_app.i18n import set_language
from tablet_app.viewmodels.numeric_entry import NumericResult
from tablet_app.viewmodels.patient_journal import JournalViewModel
from tablet_app.viewmodels.review import PAGE, REASON_MAX, ReviewViewModel, TimeEditViewModel, typed_time
from tests.tablet_app.documenting import Tablet, tablet

OTHER = Author(
    person_id="p-carl",
    name="Carl Paramediciner",
    role=Role.PARAMEDICINER,
    authorisation_level=AuthorisationLevel.SPECIAL_COMPETENCE,
)


@pytest.fixture(autouse=True)
def english() -> object:
    set_language("en")
    yield
    set_language("da")


def opened(tmp_path: Path) -> tuple[Tablet, JournalViewModel, ReviewViewModel]:
    t = tablet(tmp_path)
    vm = JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)
    return t, vm, ReviewViewModel(vm)


def other_tablet(t: Tablet, vm: JournalViewModel) -> JournalWriter:
    """A second tablet of the same unit that has seen nothing of this one's entries."""
    return JournalWriter(
        journal_id=vm.journal_id,
        author=OTHER,
        device_id="tablet-two",
        unit="1-21",
        clock=HybridClock("tablet-two", physical_ms=lambda: int(t.clock.now().timestamp() * 1000)),
    )


def pulled(t: Tablet, vm: JournalViewModel, *entries: Entry) -> None:
    assert t.keyring.store is not None
    t.keyring.store.store_pulled(
        journal_id=vm.journal_id,
        entries=[EntryEnvelope.from_entry(e) for e in entries],
        next_cursor="c1",
        watermark="c1",
    )
    t.record.synced(t.clock.now())


def stored(t: Tablet, vm: JournalViewModel) -> int:
    return len(t.record.entries(vm.journal_id))


def save_set(vm: JournalViewModel, hr: str) -> None:
    vm.add_vital(NumericResult("heart_rate", Decimal(hr), not_measurable=False, confirmed_implausible=False))
    assert vm.save_vital_set()


# --- conflicts --------------------------------------------------------------------------------------


def test_two_tablets_setting_on_scene_offline_are_listed_side_by_side_and_resolved_by_a_new_entry(
    tmp_path: Path,
) -> None:
    t, vm, review = opened(tmp_path)
    vm.tap("on_scene")
    mine = t.clock.now()
    pulled(t, vm, other_tablet(t, vm).write(Timestamp(event="on_scene"), at=mine - timedelta(minutes=3)))
    (conflict,) = review.conflicts()
    assert conflict.kind == "timestamp"
    assert {(v.author, v.device, v.at) for v in conflict.values} == {
        ("Anne Ambulancebehandler", t.record.writer(journal_id=vm.journal_id, author=OTHER).device_id, mine),
        ("Carl Paramediciner", "tablet-two", mine - timedelta(minutes=3)),
    }
    assert vm.mark_time("on_scene") == mine - timedelta(minutes=3)  # in conflict: the earliest, never hidden
    before = stored(t, vm)
    carls = next(v for v in conflict.values if v.author == "Carl Paramediciner")
    assert review.resolve(conflict.key, carls.entry_id)
    assert stored(t, vm) == before + 1  # one new entry; nothing deleted
    assert review.conflicts() == []
    assert vm.mark_time("on_scene") == mine - timedelta(minutes=3)
    struck = [line for line in review.history() if line.original.kind == "timestamp"]
    assert {line.original.author for line in struck} == {"Anne Ambulancebehandler", "Carl Paramediciner"}
    assert vm.last_saved is not None and vm.last_saved.msg_id == "journal.saved.resolution"


def test_resolving_a_conflict_that_is_gone_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    t, vm, review = opened(tmp_path)
    vm.tap("on_scene")
    pulled(
        t, vm, other_tablet(t, vm).write(Timestamp(event="on_scene"), at=t.clock.now() - timedelta(minutes=1))
    )
    (conflict,) = review.conflicts()
    assert review.resolve(conflict.key, conflict.values[0].entry_id)
    before = stored(t, vm)
    assert not review.resolve(conflict.key, conflict.values[1].entry_id)  # resolved meanwhile
    assert review.error is not None and review.error.msg_id == "review.conflict_gone"
    assert stored(t, vm) == before


def test_two_concurrent_corrections_of_one_vital_set_are_resolved_by_a_correction_of_both(
    tmp_path: Path,
) -> None:
    t, vm, review = opened(tmp_path)
    save_set(vm, "88")
    original = next(e for e in t.record.entries(vm.journal_id) if e.kind == "vital_signs")
    assert review.correct(original.entry_id, VitalSigns(heart_rate=reading(98, "heart_rate")), "misread")
    theirs = other_tablet(t, vm).correct(
        original, VitalSigns(heart_rate=reading(89, "heart_rate")), reason="typo"
    )
    pulled(t, vm, original, theirs)
    (conflict,) = review.conflicts()
    assert sorted(v.text for v in conflict.values) == ["P 89 /min", "P 98 /min"]
    keep = next(v for v in conflict.values if v.text == "P 89 /min")
    assert review.resolve(conflict.key, keep.entry_id)
    assert review.conflicts() == []
    assert vm.trend("heart_rate") == [89.0]
    resolution = t.record.entries(vm.journal_id)[-1]
    assert isinstance(resolution.payload, Correction) and len(resolution.supersedes) == 2


# --- corrections and retractions ----------------------------------------------------------------------


def test_a_retracted_entry_stays_visible_struck_with_who_when_and_why(tmp_path: Path) -> None:
    t, vm, review = opened(tmp_path)
    save_set(vm, "140")
    line = next(e for e in review.amendable() if e.kind == "vital_signs")
    t.clock.advance(120)
    assert review.retract(line.entry_id, "  wrong patient  ")
    assert vm.trend("heart_rate") == []
    assert all(e.kind != "vital_signs" for e in review.amendable())
    (struck,) = [s for s in review.history() if s.original.kind == "vital_signs"]
    assert struck.original.text == "P 140 /min" and struck.original.author == "Anne Ambulancebehandler"
    (by,) = struck.struck_by
    assert by.author == "Anne Ambulancebehandler" and by.written_at == t.clock.now()
    assert struck.reasons == ("wrong patient",)  # stored trimmed
    assert isinstance(t.record.entries(vm.journal_id)[-1].payload, Retraction)


@pytest.mark.parametrize("reason", ["", "   ", "x" * (REASON_MAX + 1)])
def test_a_correction_without_a_usable_reason_is_refused_and_nothing_is_stored(
    tmp_path: Path, reason: str
) -> None:
    t, vm, review = opened(tmp_path)
    save_set(vm, "140")
    line = next(e for e in review.amendable() if e.kind == "vital_signs")
    before = stored(t, vm)
    assert not review.retract(line.entry_id, reason)
    assert not review.correct(line.entry_id, VitalSigns(heart_rate=reading(104, "heart_rate")), reason)
    assert review.error is not None
    assert review.error.msg_id == ("review.reason_too_long" if reason.strip() else "review.reason_required")
    assert stored(t, vm) == before


def test_a_reason_of_exactly_the_journals_limit_is_taken(tmp_path: Path) -> None:
    t, vm, review = opened(tmp_path)
    save_set(vm, "140")
    line = next(e for e in review.amendable() if e.kind == "vital_signs")
    assert review.retract(line.entry_id, "x" * REASON_MAX)


def test_a_corrected_value_replaces_the_original_which_stays_struck_and_can_be_corrected_again(
    tmp_path: Path,
) -> None:
    t, vm, review = opened(tmp_path)
    save_set(vm, "140")
    line = next(e for e in review.amendable() if e.kind == "vital_signs")
    assert review.correct(line.entry_id, VitalSigns(heart_rate=reading(104, "heart_rate")), "misread")
    assert vm.trend("heart_rate") == [104.0]
    again = next(e for e in review.amendable() if e.kind == "vital_signs")
    assert again.text == "P 104 /min"
    assert review.correct(again.entry_id, VitalSigns(heart_rate=reading(106, "heart_rate")), "misread again")
    assert vm.trend("heart_rate") == [106.0]
    texts = sorted(s.original.text for s in review.history() if s.original.kind == "vital_signs")
    assert texts == ["P 104 /min", "P 140 /min"]


def test_a_replacement_of_another_kind_is_refused_on_its_field(tmp_path: Path) -> None:
    t, vm, review = opened(tmp_path)
    save_set(vm, "140")
    line = next(e for e in review.amendable() if e.kind == "vital_signs")
    before = stored(t, vm)
    assert not review.correct(line.entry_id, Timestamp(event="alarm"), "wrong")
    assert review.error is not None and review.error.msg_id == "review.correction_refused"
    assert "replacement" in review.error.render()
    assert stored(t, vm) == before


def test_a_signature_is_not_offered_for_correction_or_retraction(tmp_path: Path) -> None:
    t, vm, review = opened(tmp_path)
    vm.sign()
    signature = next(e for e in t.record.entries(vm.journal_id) if e.kind == "signature")
    assert all(line.kind != "signature" for line in review.amendable())
    assert not review.retract(signature.entry_id, "regret")
    assert review.error is not None and review.error.msg_id == "review.entry_gone"


# --- editing a time afterwards ------------------------------------------------------------------------


def test_the_time_picker_steps_by_one_and_five_minutes_and_refuses_other_steps(tmp_path: Path) -> None:
    t, vm, _review = opened(tmp_path)
    picker = TimeEditViewModel(vm, t.clock, "patient_contact")
    start = picker.value
    assert picker.shown() == "13:00"  # 12:00 UTC is 13:00 in Danish (winter) time
    for minutes in (-5, -1, -1, 1, 5, 5):
        picker.step(minutes)
    assert picker.value == start + timedelta(minutes=4)
    with pytest.raises(ValueError, match="steps"):
        picker.step(10)


@pytest.mark.parametrize("text", ["24:00", "12:60", "1260x", "", "ab:cd", "7"])
def test_a_typed_time_that_is_not_a_clock_time_is_refused_and_the_time_kept(
    tmp_path: Path, text: str
) -> None:
    t, vm, _review = opened(tmp_path)
    picker = TimeEditViewModel(vm, t.clock, "alarm")
    before = picker.value
    assert not picker.type_time(text)
    assert picker.error is not None and picker.error.msg_id == "time.invalid"
    assert picker.value == before


@pytest.mark.parametrize(
    ("near", "typed", "expected"),
    [
        # Danish time (CET, UTC+1 in November): 00:10 local is 23:10 UTC the day before.
        (datetime(2026, 11, 25, 23, 10, tzinfo=UTC), "23:55", datetime(2026, 11, 25, 22, 55, tzinfo=UTC)),
        (datetime(2026, 11, 25, 22, 50, tzinfo=UTC), "00:05", datetime(2026, 11, 25, 23, 5, tzinfo=UTC)),
        (datetime(2026, 11, 25, 11, 0, tzinfo=UTC), "0005", datetime(2026, 11, 24, 23, 5, tzinfo=UTC)),
        (datetime(2026, 11, 25, 11, 0, tzinfo=UTC), "23.59", datetime(2026, 11, 25, 22, 59, tzinfo=UTC)),
    ],
)
def test_a_typed_time_lands_on_the_day_nearest_the_time_being_edited(
    near: datetime, typed: str, expected: datetime
) -> None:
    assert typed_time(typed, near=near) == expected


def test_a_recorded_time_is_corrected_with_a_reason_flagged_estimated_and_the_original_struck(
    tmp_path: Path,
) -> None:
    t, vm, review = opened(tmp_path)
    vm.tap("on_scene")
    tapped = t.clock.now()
    t.clock.advance(600)
    picker = TimeEditViewModel(vm, t.clock, "on_scene")
    assert picker.type_time("12:58")  # Danish time: 11:58 UTC, two minutes before the tap
    before = stored(t, vm)
    assert not picker.save("")  # an existing time is corrected only with a reason
    assert picker.error is not None and picker.error.msg_id == "review.reason_required"
    assert stored(t, vm) == before
    assert picker.save("tapped late")
    assert vm.mark_time("on_scene") == tapped - timedelta(minutes=2)
    fact = vm.mark_fact("on_scene")
    assert fact is not None and not fact.conflict
    current = fact.current[0].entry
    assert isinstance(current.payload, Correction) and current.clinical_time.estimated
    (line,) = [s for s in review.history() if s.original.kind == "timestamp"]
    assert line.original.at == tapped and line.reasons == ("tapped late",)
    assert [tl.estimated for tl in vm.timeline() if tl.time == tapped - timedelta(minutes=2)] == [True]


def test_an_edited_time_can_be_saved_as_exact_and_a_mark_never_set_needs_no_reason(tmp_path: Path) -> None:
    t, vm, _review = opened(tmp_path)
    picker = TimeEditViewModel(vm, t.clock, "alarm")
    assert picker.recorded is None
    picker.step(-5)
    picker.toggle_estimated()
    assert picker.save("")
    assert vm.mark_time("alarm") == t.clock.now() - timedelta(minutes=5)
    fact = vm.mark_fact("alarm")
    assert fact is not None and not fact.current[0].entry.clinical_time.estimated


def test_a_time_in_the_future_is_refused_now_is_taken(tmp_path: Path) -> None:
    t, vm, _review = opened(tmp_path)
    picker = TimeEditViewModel(vm, t.clock, "departure")
    picker.step(1)
    before = stored(t, vm)
    assert not picker.save("")
    assert picker.error is not None and picker.error.msg_id == "time.future"
    assert stored(t, vm) == before
    picker.step(-1)  # exactly now: the boundary is taken
    assert picker.save("")
    assert vm.mark_time("departure") == t.clock.now()


def test_a_time_in_conflict_is_not_edited_but_sent_to_the_conflicts_list(tmp_path: Path) -> None:
    t, vm, _review = opened(tmp_path)
    vm.tap("on_scene")
    pulled(
        t, vm, other_tablet(t, vm).write(Timestamp(event="on_scene"), at=t.clock.now() - timedelta(minutes=1))
    )
    picker = TimeEditViewModel(vm, t.clock, "on_scene")
    picker.step(-5)
    before = stored(t, vm)
    assert not picker.save("late")
    assert picker.error is not None and picker.error.msg_id == "time.in_conflict"
    assert stored(t, vm) == before


def test_choosing_another_mark_starts_from_its_recorded_time_estimated_and_without_an_old_error(
    tmp_path: Path,
) -> None:
    t, vm, _review = opened(tmp_path)
    picker = TimeEditViewModel(vm, t.clock, "alarm")
    picker.toggle_estimated()
    assert not picker.type_time("nonsense")
    picker.choose("patient_contact")
    assert picker.recorded == t.clock.now() and picker.value == t.clock.now()
    assert picker.estimated and picker.error is None
    assert picker.label.msg_id == "mark.patient_contact"


def test_the_picker_shows_the_mark_as_stored_now_even_when_tapped_after_it_was_opened(tmp_path: Path) -> None:
    t, vm, _review = opened(tmp_path)
    picker = TimeEditViewModel(vm, t.clock, "on_scene")
    assert picker.recorded is None
    t.clock.advance(180)
    vm.tap("on_scene")
    assert picker.recorded == t.clock.now()
    picker.choose("on_scene")  # entering the screen again starts from the stored time
    assert picker.value == t.clock.now()


def test_the_journal_screen_shows_the_newest_timeline_lines_and_counts_the_older_ones(tmp_path: Path) -> None:
    t, vm, _review = opened(tmp_path)
    for minute in range(5):
        t.clock.advance(60)
        save_set(vm, str(80 + minute))
    everything = vm.timeline()
    recent, older = vm.recent_timeline(limit=4)
    assert [line.text for line in recent] == [line.text for line in reversed(everything[-4:])]
    assert older == len(everything) - 4
    assert vm.recent_timeline(limit=len(everything)) == (list(reversed(everything)), 0)


def test_the_review_list_pages_through_every_entry_newest_first(tmp_path: Path) -> None:
    t, vm, review = opened(tmp_path)
    for minute in range(PAGE + 3):
        t.clock.advance(60)
        save_set(vm, str(60 + minute))
    everything = review.amendable()
    first, newer, older = review.amendable_page()
    assert first == everything[:PAGE] and not newer and older
    review.older()
    second, newer, older = review.amendable_page()
    assert second == everything[PAGE:] and newer and not older
    review.older()  # past the end: stays on the last page
    assert review.amendable_page()[0] == second
    review.newer()
    review.newer()
    assert review.amendable_page()[0] == first and review.page == 0
