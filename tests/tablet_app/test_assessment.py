"""Chief complaint, history with allergies, ABCDE and procedures: each save is one journal entry of the
journal's own kind; bad input is refused on its field and nothing stored; typed text survives a crash as
a draft in the encrypted store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from journal.kinds.observations import Assessment
from journal.kinds.patient import ChiefComplaint, History
from journal.kinds.treatment import Procedure
from journal.scores import ScoreName
from journal.scores.registry import typed_table
from journal.scores.table_schema import PassTable
from sync.store import StoreDrafts
from tablet_app import i18n
from tablet_app.viewmodels.assessment import (
    ALLERGY_STATUS_LABELS,
    CATEGORIES,
    CATEGORY_LABELS,
    LETTER_LABELS,
    LETTERS,
    PASS_ITEMS,
    PROCEDURE_OUTCOME_LABELS,
    PROCEDURES_FILE,
    AbcdeViewModel,
    ComplaintHistoryViewModel,
    ProcedureFavourite,
    ProcedureViewModel,
    StrokeScaleViewModel,
    load_procedures,
)
from tablet_app.viewmodels.patient_journal import JournalViewModel
from tests.tablet_app.documenting import ANNE, BO, Tablet, tablet


def journal(t: Tablet) -> JournalViewModel:
    return JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)


def drafts(t: Tablet) -> StoreDrafts:
    assert t.keyring.store is not None
    return StoreDrafts(t.keyring.store)


def entries_of(vm: JournalViewModel, kind: str) -> int:
    return sum(1 for e in vm.state.entries.values() if e.kind == kind)


def history_vm(t: Tablet, vm: JournalViewModel) -> ComplaintHistoryViewModel:
    return ComplaintHistoryViewModel(journal=vm, drafts=drafts(t))


def status(h: ComplaintHistoryViewModel) -> str:
    """The allergy status as it is now (read afresh after each action)."""
    return h.allergy_status


# ---------------------------------------------------------------------------------- chief complaint


def test_a_chief_complaint_is_a_category_pick_with_the_crews_words_and_updates_rather_than_conflicts(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    h = history_vm(t, vm)
    h.choose_category("chest_pain")
    h.set("complaint", "Trykkende brystsmerter siden kl. 12")
    assert h.submit_complaint()
    stored = vm.state.value("chief_complaint")
    assert isinstance(stored, ChiefComplaint)
    assert (stored.category, stored.text) == ("chest_pain", "Trykkende brystsmerter siden kl. 12")
    again = history_vm(t, vm)  # the screen reopened: it starts from what is recorded
    assert again.texts["complaint"] == stored.text and again.category == "chest_pain"
    again.set("complaint", "Brystsmerter, udstråling til venstre arm")
    assert again.submit_complaint()
    fact = vm.state.fact("chief_complaint")
    assert fact is not None and not fact.conflict and len(fact.current) == 1 and len(fact.struck) == 1


@pytest.mark.parametrize(
    ("category", "text", "field", "msg_id"),
    [
        (None, "Faldet på trappen", "category", "complaint.error.category"),
        ("trauma", "   ", "complaint", "complaint.error.text"),
        ("trauma", "x" * 1001, "complaint", "assess.error.invalid"),
    ],
)
def test_a_complaint_without_category_or_words_is_refused_on_its_field_and_the_text_kept(
    tmp_path: Path, category: str | None, text: str, field: str, msg_id: str
) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    h = history_vm(t, vm)
    if category is not None:
        h.choose_category(category)
    h.set("complaint", text)
    assert not h.submit_complaint()
    assert field in h.errors and h.errors[field].msg_id == msg_id
    assert h.texts["complaint"] == text
    assert entries_of(vm, "chief_complaint") == 0


def test_an_unknown_category_is_a_programming_error() -> None:
    assert set(CATEGORY_LABELS) == set(CATEGORIES)  # every category the journal knows has a button


# ---------------------------------------------------------------------------------------- allergies


def test_no_known_allergies_and_not_asked_are_stored_differently(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    h = history_vm(t, vm)
    assert h.allergy_status == "not_asked"
    h.set("medication", "Metformin\nAtorvastatin, Hjertemagnyl")
    assert h.submit_history()
    first = vm.state.value("history")
    assert isinstance(first, History) and not first.no_known_allergies and first.allergies == ()
    assert first.summary("en").startswith("Allergies: allergies not recorded")
    assert first.own_medication == ("Metformin", "Atorvastatin", "Hjertemagnyl")
    h.set_allergy_status("none_known")
    assert h.submit_history()
    second = vm.state.value("history")
    assert isinstance(second, History) and second.no_known_allergies
    assert second.summary("en").startswith("Allergies: no known allergies")
    assert history_vm(t, vm).allergy_status == "none_known"  # shown again as recorded


def test_listed_allergies_are_stored_with_their_reaction_and_shown_again(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    h = history_vm(t, vm)
    h.pick_allergen("Penicillin")
    h.set("allergy_reaction", "udslæt")
    assert h.add_allergy() and h.allergy_status == "listed"
    assert h.texts["allergy_substance"] == "" and h.texts["allergy_reaction"] == ""
    h.set("allergy_substance", "Latex")
    assert h.add_allergy()
    assert h.submit_history()
    stored = vm.state.value("history")
    assert isinstance(stored, History) and not stored.no_known_allergies
    assert [(a.substance, a.reaction) for a in stored.allergies] == [
        ("Penicillin", "udslæt"),
        ("Latex", None),
    ]
    reopened = history_vm(t, vm)
    assert reopened.allergy_status == "listed" and [a.substance for a in reopened.allergies] == [
        "Penicillin",
        "Latex",
    ]


def test_no_known_allergies_is_refused_while_allergies_are_listed_and_nothing_is_dropped(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    h = history_vm(t, vm)
    h.set("allergy_substance", "Penicillin")
    assert h.add_allergy()
    h.set_allergy_status("none_known")
    assert h.errors["allergy_status"].msg_id == "history.error.none_known_but_listed"
    assert h.allergy_status == "listed" and len(h.allergies) == 1
    h.remove_allergy(0)
    assert h.allergies == [] and status(h) == "not_asked"
    h.set_allergy_status("none_known")
    assert status(h) == "none_known" and "allergy_status" not in h.errors


def test_an_allergy_cannot_be_added_under_no_known_allergies_without_saying_which_is_true(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    h = history_vm(t, vm)
    h.set_allergy_status("none_known")
    h.set("allergy_substance", "Morfin")
    assert not h.add_allergy()
    assert h.errors["allergy_status"].msg_id == "history.error.none_known_but_listed"
    assert h.allergy_status == "none_known" and h.allergies == [] and h.texts["allergy_substance"] == "Morfin"


def test_a_typed_allergy_not_yet_added_stops_the_history_save_so_it_is_not_lost(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    h = history_vm(t, vm)
    h.set("allergy_substance", "Penicillin")
    assert not h.submit_history()
    assert h.errors["allergy_substance"].msg_id == "history.error.substance_not_added"
    assert entries_of(vm, "history") == 0 and h.texts["allergy_substance"] == "Penicillin"
    h.set("allergy_substance", "  ")
    assert not h.add_allergy() and h.errors["allergy_substance"].msg_id == "history.error.substance"


def test_history_being_typed_survives_a_crash_and_the_draft_goes_once_all_of_it_is_saved(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    h = history_vm(t, vm)
    h.set("complaint", "Åndenød")
    h.set("conditions", "KOL")
    reopened = history_vm(t, vm)  # the app restarted
    assert reopened.texts["complaint"] == "Åndenød" and reopened.texts["conditions"] == "KOL"
    reopened.choose_category("breathing_difficulty")
    assert reopened.submit_complaint()
    assert drafts(t).get(f"history:{vm.journal_id}") is not None  # the conditions are not saved yet
    assert reopened.submit_history()
    assert drafts(t).get(f"history:{vm.journal_id}") is None
    assert history_vm(t, vm).texts["conditions"] == "KOL"  # now from the record


# -------------------------------------------------------------------------------------------- ABCDE


def test_an_abcde_with_quick_normals_and_an_abnormal_finding_is_one_assessment(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    abcde = AbcdeViewModel(journal=vm, drafts=drafts(t))
    abcde.mark("airway", "normal")
    abcde.mark("breathing", "abnormal")
    abcde.set("breathing", "Hvæsende respiration bilateralt")
    abcde.set("circulation", "Bleg, klamtsvedende")
    abcde.set("impression", "Astma-exacerbation")
    assert abcde.submit()
    assert abcde.texts["breathing"] == "" and abcde.findings["airway"] is None  # ready for a reassessment
    stored = abcde.latest()
    assert isinstance(stored, Assessment)
    assert (stored.airway, stored.breathing, stored.circulation, stored.disability) == (
        "Normal",
        "Unormal: Hvæsende respiration bilateralt",
        "Bleg, klamtsvedende",
        None,
    )
    assert stored.impression == "Astma-exacerbation"
    t.clock.advance(600)
    abcde.mark("airway", "normal")
    assert abcde.submit()
    assert entries_of(vm, "assessment") == 2
    latest = abcde.latest()
    assert latest is not None and latest.airway == "Normal" and latest.breathing is None


def test_an_abnormal_letter_without_its_finding_is_refused_naming_the_letter(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    abcde = AbcdeViewModel(journal=vm, drafts=drafts(t))
    abcde.mark("airway", "normal")
    abcde.mark("circulation", "abnormal")
    abcde.set("circulation", "   ")
    assert not abcde.submit()
    assert set(abcde.errors) == {"circulation"}
    assert abcde.errors["circulation"].render() == "C Cirkulation: beskriv det unormale fund."
    assert abcde.findings["airway"] == "normal" and abcde.texts["circulation"] == "   "  # nothing cleared
    assert entries_of(vm, "assessment") == 0


def test_an_empty_abcde_is_refused_and_a_second_tap_takes_a_finding_back(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    abcde = AbcdeViewModel(journal=vm, drafts=drafts(t))
    abcde.mark("exposure", "normal")
    abcde.mark("exposure", "normal")
    assert abcde.findings["exposure"] is None
    assert not abcde.submit() and abcde.errors["form"].msg_id == "abcde.error.empty"
    assert entries_of(vm, "assessment") == 0


def test_an_abcde_finding_over_the_journals_limit_is_refused_on_its_letter(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    abcde = AbcdeViewModel(journal=vm, drafts=drafts(t))
    abcde.set("disability", "x" * 1001)
    assert not abcde.submit() and abcde.errors["disability"].msg_id == "assess.error.invalid"
    abcde.set("disability", "x" * 1000)
    assert abcde.submit()


def test_an_abcde_being_entered_survives_a_crash_with_its_quick_findings(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    first = AbcdeViewModel(journal=vm, drafts=drafts(t))
    first.mark("airway", "normal")
    first.mark("breathing", "abnormal")
    first.set("breathing", "RF 32")
    reopened = AbcdeViewModel(journal=vm, drafts=drafts(t))
    assert reopened.findings["airway"] == "normal" and reopened.findings["breathing"] == "abnormal"
    assert reopened.texts["breathing"] == "RF 32"
    assert reopened.submit()
    assert drafts(t).get(f"abcde:{vm.journal_id}") is None


def test_the_abcde_letters_are_worded_in_english_too() -> None:
    i18n.set_language("en")
    assert [LETTER_LABELS[letter].render()[0] for letter in LETTERS] == ["<", "A", "B", "C", "D", "E"]


# --------------------------------------------------------------------------------------- procedures

FAVOURITES = (ProcedureFavourite("Perifer venøs adgang (PVK)", None), ProcedureFavourite("CPAP", None))


def procedure_vm(t: Tablet, vm: JournalViewModel) -> ProcedureViewModel:
    return ProcedureViewModel(journal=vm, drafts=drafts(t), clock=t.clock, favourites=FAVOURITES)


def test_a_favourite_procedure_is_recorded_at_now_with_the_active_author_as_performer(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    p = procedure_vm(t, vm)
    t.crew.switch_to(BO.username, "1357")
    p.choose(0)
    p.set("attempts", "2")
    p.set_outcome("successful")
    assert p.submit()
    [(at, text, performer)] = p.done()
    assert (at, text, performer) == (
        t.clock.now(),
        "Perifer venøs adgang (PVK) (lykkedes)",
        BO.display_name,
    )
    [revision] = [r for r, _f in vm.state.current_entries("procedure")]
    assert isinstance(revision.value, Procedure) and revision.value.attempts == 2
    assert p.texts["name"] == "" and p.outcome == "unknown"


def test_a_procedure_at_a_typed_earlier_time_is_recorded_then(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    p = procedure_vm(t, vm)
    p.set("name", "Nålethorakocentese")  # typed: not on the list
    p.set("time", "12:50")  # Danish time; now is 13:00
    assert p.submit()
    [(at, _text, performer)] = p.done()
    assert at == datetime(2026, 11, 25, 11, 50, tzinfo=UTC) and performer == ANNE.display_name


@pytest.mark.parametrize(
    ("field", "typed", "msg_id"),
    [
        ("time", "snart", "procedure.error.time"),
        ("time", "13:01", "procedure.error.future"),  # one minute after now
        ("attempts", "0", "procedure.error.attempts"),
        ("attempts", "to", "procedure.error.attempts"),
        ("name", "  ", "procedure.error.name"),
    ],
)
def test_a_meaningless_procedure_field_is_refused_on_it_and_nothing_is_stored(
    tmp_path: Path, field: str, typed: str, msg_id: str
) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    p = procedure_vm(t, vm)
    p.choose(1)
    p.set(field, typed)
    assert not p.submit()
    assert set(p.errors) == {field} and p.errors[field].msg_id == msg_id
    assert p.texts[field] == typed
    assert entries_of(vm, "procedure") == 0


def test_a_procedure_at_exactly_now_is_taken(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    p = procedure_vm(t, vm)
    p.choose(1)
    p.set("time", "13:00")
    assert p.submit() and p.done()[0][0] == t.clock.now()


def test_typing_over_a_favourite_makes_it_a_typed_procedure(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    p = procedure_vm(t, journal(t))
    p.choose(1)
    assert p.chosen == FAVOURITES[1]
    p.set("name", "CPAP 7,5 cmH2O")
    assert p.chosen is None


def test_a_procedure_being_entered_survives_a_crash(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    procedure_vm(t, vm).set("details", "Venstre albuebøjning, 18G")
    assert procedure_vm(t, vm).texts["details"] == "Venstre albuebøjning, 18G"


def test_the_shipped_procedure_list_loads_with_its_source_and_every_label_exists() -> None:
    favourites = load_procedures()
    assert len(favourites) >= 5 and all(f.name for f in favourites)
    data = json.loads(PROCEDURES_FILE.read_text(encoding="utf-8"))
    assert "prehospital.md" in data["source"] and data["version"]
    assert set(PROCEDURE_OUTCOME_LABELS) == {"unknown", "successful", "failed"}
    assert set(ALLERGY_STATUS_LABELS) == {"not_asked", "none_known", "listed"}


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ({"version": "1", "procedures": []}, "needs a source"),
        ({"source": "s", "version": "1", "procedures": [{"name": ""}]}, r"procedures\[0\]\.name"),
        ({"source": "s", "version": "1", "procedures": [{"name": "x", "snomed_code": "12"}]}, "snomed_code"),
    ],
)
def test_a_malformed_procedure_list_is_refused_naming_the_field(
    tmp_path: Path, content: dict[str, object], complaint: str
) -> None:
    path = tmp_path / "procedures.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ValueError, match=complaint):
        load_procedures(path)


def test_the_typed_time_is_never_more_than_half_a_day_from_now(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    t.clock.advance(11 * 3600 + 10 * 60)  # 00:10 Danish time the next day
    p = procedure_vm(t, vm)
    p.choose(0)
    p.set("time", "23:55")
    assert p.submit()
    assert t.clock.now() - p.done()[0][0] == timedelta(minutes=15)


# --------------------------------------------------------------------------------------------- PASS


def test_pass_is_saved_only_with_all_three_items_and_the_preview_is_the_journals_score(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    stroke = StrokeScaleViewModel(journal=vm)
    stroke.pick("gaze", True)
    assert stroke.preview().render() == (
        "PASS ufuldstændig — mangler Spørgsmål om måned og alder, Armsvaghed (endnu uafgjort)"
    )
    assert not stroke.submit()
    assert stroke.error is not None
    assert stroke.error.render() == "Vurdér også: Spørgsmål om måned og alder, Armsvaghed."
    assert entries_of(vm, "stroke_scale") == 0 and stroke.findings["gaze"] is True  # nothing cleared
    stroke.pick("arm_weakness", True)  # two abnormal items: the cut-off (>= 2) is reached before the third
    assert stroke.preview().render().endswith("(mistanke om storkarsokklusion)")
    stroke.pick("loc_questions", False)
    assert stroke.preview().render() == "PASS 2 (mistanke om storkarsokklusion)"
    assert stroke.submit()
    stored = vm.state.derived.latest_pass
    assert stored is not None and stored.result is not None and stored.result.total == 2
    assert stored.result.lvo_suspected is True
    assert all(finding is None for finding in stroke.findings.values())


def test_pass_one_abnormal_item_is_below_the_cut_off_and_a_second_tap_takes_an_answer_back(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    stroke = StrokeScaleViewModel(journal=journal(t))
    for item, abnormal in (("loc_questions", True), ("gaze", False), ("arm_weakness", False)):
        stroke.pick(item, abnormal)
    assert stroke.preview().render() == "PASS 1 (intet tegn på storkarsokklusion)"
    stroke.pick("gaze", False)
    assert stroke.findings["gaze"] is None
    with pytest.raises(ValueError, match="no such PASS item"):
        stroke.pick("face", True)


def test_the_english_pass_items_are_the_tables_labels(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    vm = journal(t)
    version = vm.state.derived.table_versions[ScoreName.PASS]
    table = typed_table(ScoreName.PASS, version, PassTable)
    i18n.set_language("en")
    assert [PASS_ITEMS[d.item.value].render() for d in table.items] == [d.label for d in table.items]
