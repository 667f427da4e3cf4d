"""GCS entry and the live NEWS2/TOKS with the parameters that triggered them, on the tablet's view-models."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from journal.kinds.observations import Consciousness
from journal.kinds.patient import LocalIdentifier, PatientIdentity
from journal.scores import ScoreName
from journal.scores.registry import typed_table
from journal.scores.table_schema import GcsTable
from tablet_app.i18n import catalogue, set_language
from tablet_app.viewmodels.gcs import CHOICES, GcsEntryViewModel
from tablet_app.viewmodels.numeric_entry import NumericResult
from tablet_app.viewmodels.patient_journal import JournalViewModel
from tests.tablet_app.documenting import Tablet, tablet


@pytest.fixture(autouse=True)
def english() -> object:
    set_language("en")
    yield
    set_language("da")


def opened(tmp_path: Path) -> tuple[Tablet, JournalViewModel]:
    t = tablet(tmp_path)
    return t, JournalViewModel.open_new(record=t.record, crew=t.crew, clock=t.clock)


def vitals(vm: JournalViewModel, **values: str) -> None:
    for field_id, v in values.items():
        vm.add_vital(NumericResult(field_id, Decimal(v), not_measurable=False, confirmed_implausible=False))
    vm.set_on_oxygen(False)
    assert vm.save_vital_set()


NORMAL = {
    "respiratory_rate": "16",
    "spo2": "98",
    "bp_systolic": "128",
    "heart_rate": "72",
    "temperature": "37",
}


# --- GCS ----------------------------------------------------------------------------------------------


def test_the_gcs_descriptors_are_the_published_ones_of_the_journals_table() -> None:
    table = typed_table(ScoreName.GCS, "teasdale-1974", GcsTable)
    english = catalogue("en")
    for component, descriptors in (("eye", table.eye), ("verbal", table.verbal), ("motor", table.motor)):
        numbers = [c.value for c in CHOICES[component] if isinstance(c.value, int)]
        assert numbers == sorted(descriptors, reverse=True)
        for number, words in descriptors.items():
            assert english[f"gcs.{component}.{number}"] == f"{number} — {words}"
    for choices in CHOICES.values():
        for choice in choices:
            assert choice.label.msg_id in catalogue("da")


def test_a_full_gcs_shows_the_total_the_journal_computes_and_stores_only_the_items(tmp_path: Path) -> None:
    t, vm = opened(tmp_path)
    gcs = GcsEntryViewModel(vm)
    assert gcs.preview().render() == "GCS — not assessed"
    gcs.pick("eye", 3)
    gcs.pick("verbal", 4)
    assert gcs.preview().render() == "GCS incomplete — E3 V4 M?"
    gcs.pick("motor", 6)
    assert gcs.preview().render() == "GCS 13 (E3 V4 M6)"
    assert gcs.save()
    assert gcs.picks == {}  # a successful save starts the next GCS afresh
    (entry,) = [e for e in t.record.entries(vm.journal_id) if e.kind == "consciousness"]
    assert isinstance(entry.payload, Consciousness) and entry.payload.gcs is not None
    assert (entry.payload.gcs.eye, entry.payload.gcs.verbal, entry.payload.gcs.motor) == (3, 4, 6)
    assert "13" not in entry.to_json().split('"gcs"')[1].split("}")[0]  # no total stored
    assert vm.gcs().render() == "GCS 13 (E3 V4 M6)"
    assert vm.last_saved is not None and vm.last_saved.msg_id == "journal.saved.gcs"


@pytest.mark.parametrize(
    ("component", "value", "shown", "stored"),
    [
        ("verbal", "T", "E4 VT M6", {"verbal": None, "verbal_qualifier": "T"}),
        ("verbal", "A", "E4 VNT M6", {"verbal": None, "verbal_qualifier": "A"}),
        ("eye", "C", "EC V5 M6", {"eye": None, "eye_qualifier": "C"}),
        ("motor", "NT", "E4 V5 MNT", {"motor": None, "paralysed": True}),
    ],
)
def test_a_component_that_cannot_be_tested_is_recorded_as_the_journal_models_it_and_gives_no_total(
    tmp_path: Path, component: str, value: str, shown: str, stored: dict[str, object]
) -> None:
    t, vm = opened(tmp_path)
    gcs = GcsEntryViewModel(vm)
    for c, v in (("eye", 4), ("verbal", 5), ("motor", 6)):
        gcs.pick(c, v)  # type: ignore[arg-type]
    gcs.pick(component, value)  # type: ignore[arg-type]
    expected = f"GCS {shown} — no numeric total (a component not testable)"
    assert gcs.preview().render() == expected
    assert gcs.save()
    (entry,) = [e for e in t.record.entries(vm.journal_id) if e.kind == "consciousness"]
    assert isinstance(entry.payload, Consciousness) and entry.payload.gcs is not None
    for name, v in stored.items():
        assert getattr(entry.payload.gcs, name) == v
    assert vm.gcs().render() == expected
    current = vm.state.derived.gcs
    assert current is not None and current.result is not None and current.result.total is None


def test_a_gcs_with_a_component_not_chosen_is_refused_naming_it_and_keeps_the_picks(tmp_path: Path) -> None:
    t, vm = opened(tmp_path)
    gcs = GcsEntryViewModel(vm)
    before = len(t.record.entries(vm.journal_id))
    assert not gcs.save()
    assert gcs.error is not None
    assert gcs.error.render() == "Also choose: Eyes (E), Verbal (V), Motor (M) (a number or 'not testable')."
    gcs.pick("eye", 4)
    gcs.pick("motor", 6)
    assert not gcs.save()
    assert gcs.error is not None and gcs.error.render().startswith("Also choose: Verbal (V) (")
    assert gcs.picks == {"eye": 4, "motor": 6}
    assert len(t.record.entries(vm.journal_id)) == before
    gcs.pick("verbal", 1)  # the boundary: three components chosen is enough
    assert gcs.save() and gcs.error is None
    assert len(t.record.entries(vm.journal_id)) == before + 1


@pytest.mark.parametrize(("component", "highest"), [("eye", 4), ("verbal", 5), ("motor", 6)])
def test_a_gcs_number_outside_its_component_is_not_a_choice(
    tmp_path: Path, component: str, highest: int
) -> None:
    _t, vm = opened(tmp_path)
    gcs = GcsEntryViewModel(vm)
    gcs.pick(component, highest)  # type: ignore[arg-type]
    gcs.pick(component, 1)  # type: ignore[arg-type]
    for bad in (highest + 1, 0):
        with pytest.raises(ValueError, match=component):
            gcs.pick(component, bad)  # type: ignore[arg-type]
    assert gcs.picks == {component: 1}


def test_sedated_is_recorded_with_the_gcs(tmp_path: Path) -> None:
    t, vm = opened(tmp_path)
    gcs = GcsEntryViewModel(vm)
    for c, v in (("eye", 2), ("verbal", 2), ("motor", 4)):
        gcs.pick(c, v)  # type: ignore[arg-type]
    gcs.toggle_sedated()
    assert gcs.save() and not gcs.sedated
    (entry,) = [e for e in t.record.entries(vm.journal_id) if e.kind == "consciousness"]
    assert isinstance(entry.payload, Consciousness) and entry.payload.gcs is not None
    assert entry.payload.gcs.sedated


# --- NEWS2 and TOKS ---------------------------------------------------------------------------------


def test_toks_is_shown_live_beside_news2_with_its_colour_and_the_unverified_table_said(
    tmp_path: Path,
) -> None:
    _t, vm = opened(tmp_path)
    assert vm.toks().display == "TOKS — no vital signs yet"
    vitals(vm, **NORMAL)
    toks = vm.toks()
    assert toks.display == "TOKS incomplete — missing GCS (0 points from 5/6)"
    assert toks.colour == "neutral" and toks.applicable
    gcs = GcsEntryViewModel(vm)
    for c, v in (("eye", 4), ("verbal", 5), ("motor", 6)):
        gcs.pick(c, v)  # type: ignore[arg-type]
    gcs.save()
    vitals(vm, **{**NORMAL, "respiratory_rate": "26", "heart_rate": "115"})
    toks = vm.toks()
    # RR ≥25 scores 3 and pulse 110–129 scores 2 (TOKS 2.1 as in the reference notes): 5, green tier
    assert toks.display == "TOKS 5 — green (table not verified)"
    assert toks.colour == "green"
    assert [m.render() for m in toks.triggers] == ["RR 26: 3 points", "pulse 115: 2 points"]


def test_news2_explains_which_parameters_scored_and_the_single_parameter_rule(tmp_path: Path) -> None:
    _t, vm = opened(tmp_path)
    vm.record_acvpu("A")
    vitals(vm, **{**NORMAL, "respiratory_rate": "25"})  # RR 25 is the lower edge of the 3-point band
    news2 = vm.news2()
    assert news2.display == "NEWS2 3 — low–medium risk (a single parameter scores 3)"
    assert news2.colour == "yellow"
    assert [m.render() for m in news2.triggers] == [
        "RR 25: 3 points",
        "A single parameter scores 3 (red score)",
    ]
    vitals(vm, **{**NORMAL, "respiratory_rate": "24"})  # 21–24 scores 2: no red-score line
    assert [m.render() for m in vm.news2().triggers] == ["RR 24: 2 points"]


def test_a_partial_news2_names_what_is_missing_and_never_a_total_in_danish_too(tmp_path: Path) -> None:
    _t, vm = opened(tmp_path)
    vitals(vm, heart_rate="135")
    news2 = vm.news2()
    assert news2.display.startswith("NEWS2 incomplete — missing RR, SpO2, systolic BP, consciousness (ACVPU)")
    assert [m.render() for m in news2.triggers][0] == "pulse 135: 3 points"
    set_language("da")
    assert vm.news2().display.startswith("NEWS2 ufuldstændig — mangler RF, SpO2, systolisk BT")
    assert [m.render() for m in vm.news2().triggers][0] == "puls 135: 3 point"


@pytest.mark.parametrize(("age", "applies"), [(17, False), (18, True)])
def test_toks_is_not_applicable_under_18_and_news2_still_applies_from_16(
    tmp_path: Path, age: int, applies: bool
) -> None:
    t, vm = opened(tmp_path)
    writer = t.record.writer(journal_id=vm.journal_id, author=t.crew.active_author())
    identity = PatientIdentity(
        identifier=LocalIdentifier.for_journal(vm.journal_id),
        identity_uncertain=True,
        estimated_age_years=age,
    )
    t.record.prepare()
    t.record.save(writer.write(identity, at=t.clock.now()))
    vm.record_acvpu("A")
    vitals(vm, **NORMAL)
    toks = vm.toks()
    assert toks.applicable is applies
    if applies:
        assert toks.display.startswith("TOKS incomplete")
    else:
        assert toks.display == f"TOKS not applicable — patient under 18 years (age {age})"
        assert toks.triggers == () and toks.colour == "neutral"
    assert vm.news2().applicable and vm.news2().display.startswith("NEWS2 0")


def test_news2_under_16_says_not_applicable_with_the_age(tmp_path: Path) -> None:
    t, vm = opened(tmp_path)
    writer = t.record.writer(journal_id=vm.journal_id, author=t.crew.active_author())
    identity = PatientIdentity(
        identifier=LocalIdentifier.for_journal(vm.journal_id), identity_uncertain=True, estimated_age_years=15
    )
    t.record.prepare()
    t.record.save(writer.write(identity, at=t.clock.now()))
    vm.record_acvpu("A")
    vitals(vm, **NORMAL)
    news2 = vm.news2()
    assert not news2.applicable and news2.triggers == ()
    assert news2.display == "NEWS2 not applicable — patient under 16 years (age 15)"
