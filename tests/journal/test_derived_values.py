"""Derived values through the fold: NEWS2/TOKS per vital set, GCS, PASS, with the journal's table versions.

The scores themselves are tested in ``tests/journal/scores``; these tests pin what the journal feeds them:
which SpO2 scale is in force when, the age at the set's clinical time, what is combined with a vital set, and
that nothing the scorers refuse stops the fold.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal.completeness import completeness
from journal.demo import scenarios
from journal.demo.builder import DEMO_DAY, ScenarioBuilder, person
from journal.demo.values import vitals
from journal.derived import (
    CONSCIOUSNESS_WINDOW,
    DerivedValues,
    derive,
    scores_text,
    table_versions_in_force,
)
from journal.entry import Entry, Role
from journal.errors import EntryValidationError
from journal.fold import fold
from journal.handover import atmist, isbar
from journal.kinds.disposition import Disposition
from journal.kinds.mission import ScoreTableVersions
from journal.kinds.observations import Consciousness, GcsItems, Spo2ScaleDecision, StrokeScale
from journal.kinds.patient import CprIdentifier, LocalIdentifier, PatientIdentity
from journal.payload import registered_kinds
from journal.scores import CURRENT_TABLE_VERSIONS, News2Parameter, ScoreName, ScoreStatus, Spo2Scale
from journal.writer import JournalWriter

ANNE = person("p-anne", "Anne Holm", Role.PARAMEDICINER)
BO = person("p-bo", "Bo Nielsen", Role.AMBULANCEASSISTENT)
AMK = person("p-amk", "AMK Nord", Role.DISPATCHER)
ADULT_CPR = "2509479989"  # MedCom test person Bruno Elmer, born 25 September 1947
CHILD_CPR = "1004219992"  # NSP test person, born 10 April 2021: 16 on 10 April 2037
HYPOXIC_ON_AIR = {"hr": 80, "sys": 130, "dia": 80, "rr": 16, "spo2": 90, "on_oxygen": False, "temp": 37.0}
"""A complete set whose only abnormal value is SpO2 90 % on air: 3 points on scale 1, 0 on scale 2."""


def journal(
    name: str = "j", *, start: datetime = DEMO_DAY, cpr: str = ADULT_CPR
) -> tuple[ScenarioBuilder, JournalWriter]:
    b = ScenarioBuilder(name, start=start)
    w = b.writer(journal_id=b.journal_id(), author=ANNE, device_id="tab-1", unit="A-1")
    b.write(w, table_versions_in_force(), minute=0)
    b.write(w, PatientIdentity(identifier=CprIdentifier(value=cpr), sex="male"), minute=0)
    return b, w


def alert_with_vitals(b: ScenarioBuilder, w: JournalWriter, minute: float) -> Entry:
    b.write(w, Consciousness(acvpu="A"), minute=minute)
    return b.write(w, vitals(**HYPOXIC_ON_AIR), minute=minute)  # type: ignore[arg-type]


def derived(b: ScenarioBuilder) -> DerivedValues:
    return fold(b.entries).derived


def scales(b: ScenarioBuilder) -> list[tuple[Spo2Scale, int | None]]:
    """(scale, NEWS2 total) of each vital set in clinical order."""
    out = []
    for v in derived(b).vital_sets:
        assert v.news2 is not None
        out.append((v.spo2_scale, v.news2.total))
    return out


DECISION = Spo2ScaleDecision(scale=2, target_low=88, target_high=92, reason="Hyperkapnisk KOL")


# --- SpO2 scale --------------------------------------------------------------------------------------


def test_without_an_authored_decision_spo2_is_scored_on_scale_1() -> None:
    b, w = journal()
    alert_with_vitals(b, w, 10)
    [v] = derived(b).vital_sets
    assert v.news2 is not None and v.news2.status is ScoreStatus.COMPLETE
    assert (v.spo2_scale, v.news2.points_for(News2Parameter.SPO2), v.news2.total) == (Spo2Scale.SCALE_1, 3, 3)
    assert v.scale_decision is None


def test_scale_2_applies_from_the_decisions_clinical_time_and_not_a_second_before() -> None:
    b, w = journal()
    b.write(w, DECISION, minute=12)
    alert_with_vitals(b, w, 12 - 1 / 60)  # one second before the decision
    decided_at = alert_with_vitals(b, w, 12)  # at the decision's clinical time
    assert scales(b) == [(Spo2Scale.SCALE_1, 3), (Spo2Scale.SCALE_2, 0)]
    last = derived(b).vital_sets[-1]
    assert last.revision.entry == decided_at and last.scale_decision is not None
    assert last.scale_decision.payload == DECISION


def test_a_decision_later_in_clinical_time_never_rescores_earlier_sets() -> None:
    b, w = journal()
    alert_with_vitals(b, w, 10)
    before = derived(b).vital_sets[0].news2
    b.write(w, DECISION, minute=20)
    alert_with_vitals(b, w, 25)
    assert scales(b) == [(Spo2Scale.SCALE_1, 3), (Spo2Scale.SCALE_2, 0)]
    assert derived(b).vital_sets[0].news2 == before


def test_a_back_to_scale_1_decision_ends_scale_2_from_its_own_time_only() -> None:
    b, w = journal()
    first = b.write(w, DECISION, minute=12)
    alert_with_vitals(b, w, 20)
    b.update(w, [first], Spo2ScaleDecision(scale=1, reason="Ikke KOL alligevel"), minute=30)
    alert_with_vitals(b, w, 35)
    assert scales(b) == [(Spo2Scale.SCALE_2, 0), (Spo2Scale.SCALE_1, 3)]


def test_a_retracted_or_corrected_decision_never_applied() -> None:
    b, w = journal()
    wrong = b.write(w, DECISION, minute=12)
    alert_with_vitals(b, w, 20)
    b.add(w.retract(wrong, reason="Forkert patient", at=b.at(40)))
    assert scales(b) == [(Spo2Scale.SCALE_1, 3)]

    c, cw = journal("corrected")
    mistaken = c.write(cw, DECISION, minute=12)
    alert_with_vitals(c, cw, 20)
    c.correct(cw, mistaken, Spo2ScaleDecision(scale=1, reason="Fejltastet"), reason="Fejltastet", minute=40)
    assert scales(c) == [(Spo2Scale.SCALE_1, 3)]


def test_retracting_a_newer_decision_does_not_bring_the_older_one_back() -> None:
    # The fold shows the fact as withdrawn; scale 2 is never inferred: a clinician records it again.
    b, w = journal()
    first = b.write(w, DECISION, minute=12)
    second = b.update(w, [first], Spo2ScaleDecision(scale=1, reason="Ikke KOL"), minute=30)
    b.add(w.retract(second, reason="Skrevet ved en fejl", at=b.at(40)))
    for minute in (20, 35, 45):
        alert_with_vitals(b, w, minute)
    assert fold(b.entries).value("spo2_scale_decision") is None
    assert scales(b) == [(Spo2Scale.SCALE_2, 0), (Spo2Scale.SCALE_1, 3), (Spo2Scale.SCALE_1, 3)]


def test_a_correction_to_scale_2_by_someone_who_is_not_a_clinician_is_refused() -> None:
    b, w = journal()
    decision = b.write(w, Spo2ScaleDecision(scale=1, reason="Ingen KOL"), minute=12)
    amk = b.writer(journal_id=w.journal_id, author=AMK, device_id="amk-nord", unit=None)
    with pytest.raises(EntryValidationError, match="clinician must record it"):
        b.correct(amk, decision, DECISION, reason="Opdateret", minute=13)
    alert_with_vitals(b, w, 20)
    assert scales(b) == [(Spo2Scale.SCALE_1, 3)]


def test_decisions_in_conflict_score_on_scale_1_and_say_so() -> None:
    b, w = journal()
    bo = b.writer(journal_id=w.journal_id, author=BO, device_id="tab-2", unit="A-1")
    b.write(w, DECISION, minute=12)
    b.write(bo, Spo2ScaleDecision(scale=1, reason="Ikke KOL"), minute=12)
    alert_with_vitals(b, w, 20)
    assert scales(b) == [(Spo2Scale.SCALE_1, 3)]
    assert any("in conflict" in n for n in derived(b).notes)


# --- age, pregnancy, applicability --------------------------------------------------------------------


def test_news2_does_not_apply_until_the_16th_birthday_in_danish_time() -> None:
    # 00:00 on 10 April 2037 in Copenhagen (summer time, UTC+2) is 22:00 UTC on 9 April.
    birthday = datetime(2037, 4, 9, 22, 0, tzinfo=UTC)
    b = ScenarioBuilder("sixteen", start=birthday - timedelta(hours=1))
    w = b.writer(journal_id=b.journal_id(), author=ANNE, device_id="tab-1", unit="A-1")
    b.add(w.write(table_versions_in_force(), at=birthday - timedelta(hours=1)))
    b.add(
        w.write(PatientIdentity(identifier=CprIdentifier(value=CHILD_CPR)), at=birthday - timedelta(hours=1))
    )
    for at in (birthday - timedelta(seconds=1), birthday):
        b.add(w.write(Consciousness(acvpu="A"), at=at))
        b.add(w.write(vitals(**HYPOXIC_ON_AIR), at=at))  # type: ignore[arg-type]
    before, on = derived(b).vital_sets
    assert (before.age_years, on.age_years) == (15, 16)
    assert before.news2 is not None and before.news2.status is ScoreStatus.NOT_APPLICABLE
    assert before.news2.not_applicable_reason == "patient under 16 years (age 15)"
    assert on.news2 is not None and on.news2.status is ScoreStatus.COMPLETE


def test_an_unknown_patients_estimated_age_decides_applicability() -> None:
    b = ScenarioBuilder("unknown", start=DEMO_DAY)
    jid = b.journal_id()
    w = b.writer(journal_id=jid, author=ANNE, device_id="tab-1", unit="A-1")
    b.write(w, table_versions_in_force(), minute=0)
    b.write(w, PatientIdentity(identifier=LocalIdentifier.for_journal(jid), estimated_age_years=12), minute=0)
    alert_with_vitals(b, w, 10)
    [v] = derived(b).vital_sets
    assert v.news2 is not None and v.news2.status is ScoreStatus.NOT_APPLICABLE


def test_without_an_identity_or_a_pregnancy_record_news2_is_scored_with_both_caveats() -> None:
    b = ScenarioBuilder("anonymous", start=DEMO_DAY)
    w = b.writer(journal_id=b.journal_id(), author=ANNE, device_id="tab-1", unit="A-1")
    b.write(w, table_versions_in_force(), minute=0)
    alert_with_vitals(b, w, 10)
    [v] = derived(b).vital_sets
    assert v.news2 is not None and v.news2.total == 3 and v.age_years is None
    assert v.news2.caveats == (
        "age not recorded: NEWS2 applies only from 16 years",
        "pregnancy not recorded: NEWS2 does not apply in pregnancy",
    )


# --- what a vital set is combined with -----------------------------------------------------------------


def test_consciousness_counts_for_the_window_before_a_set_and_never_after_it() -> None:
    b, w = journal()
    b.write(w, Consciousness(acvpu="V"), minute=10)
    window = CONSCIOUSNESS_WINDOW.total_seconds() / 60
    b.write(w, vitals(**HYPOXIC_ON_AIR), minute=10 + window)  # type: ignore[arg-type]
    b.write(w, vitals(**HYPOXIC_ON_AIR), minute=10 + window + 1 / 60)  # type: ignore[arg-type]
    b.write(w, vitals(**HYPOXIC_ON_AIR), minute=9)  # type: ignore[arg-type]
    early, inside, outside = derived(b).vital_sets
    assert inside.consciousness is not None and inside.news2 is not None
    assert inside.news2.points_for(News2Parameter.CONSCIOUSNESS) == 3
    for v in (early, outside):
        assert v.consciousness is None and v.news2 is not None
        assert News2Parameter.CONSCIOUSNESS in v.news2.missing


def test_a_gcs_does_not_stand_in_for_a_missing_acvpu_but_feeds_toks() -> None:
    b, w = journal()
    b.write(w, Consciousness(gcs=GcsItems(eye=4, verbal=4, motor=6)), minute=10)
    b.write(w, vitals(**HYPOXIC_ON_AIR), minute=11)  # type: ignore[arg-type]
    [v] = derived(b).vital_sets
    assert v.news2 is not None and v.news2.missing == (News2Parameter.CONSCIOUSNESS,)
    assert v.toks is not None and v.toks.status is ScoreStatus.COMPLETE
    assert v.toks.table.verified is False and v.toks.display.endswith("UNVERIFIED table")


def test_a_value_the_scorer_refuses_is_not_scorable_and_never_stops_the_fold() -> None:
    b, w = journal()
    b.write(w, Consciousness(acvpu="A"), minute=10)
    b.device(
        w,
        "vital_signs",
        {
            "spo2": {"value": 140, "unit": "%"},
            "heart_rate": {"value": 300, "unit": "/min", "status": "above_range"},
            "respiratory_rate": {"value": 16, "unit": "/min"},
            "on_oxygen": False,
        },
        minute=10,
        serial="LP15-1",
    )
    b.device(w, "consciousness", {"gcs": {"eye": 7, "verbal": 5, "motor": 6}}, minute=11, serial="LP15-1")
    values = derived(b)
    [v] = values.vital_sets
    assert {n.field for n in v.not_scorable} == {"spo2", "pulse"}
    assert v.news2 is not None and {News2Parameter.SPO2, News2Parameter.PULSE} <= set(v.news2.missing)
    gcs = values.gcs
    assert gcs is not None and gcs.result is not None and gcs.result.status is ScoreStatus.PARTIAL
    assert [n.field for n in gcs.not_scorable] == ["eye"]


# --- GCS and PASS ----------------------------------------------------------------------------------------


def test_the_current_gcs_is_the_latest_assessment_in_clinical_time_not_in_arrival() -> None:
    b, w = journal()
    b.write(w, Consciousness(gcs=GcsItems(eye=4, verbal=5, motor=6)), minute=20)
    b.write(
        w, Consciousness(gcs=GcsItems(eye=2, verbal=2, motor=4)), minute=10
    )  # typed later, happened earlier
    gcs = derived(b).gcs
    assert gcs is not None and gcs.result is not None
    assert (gcs.result.total, gcs.result.display) == (15, "GCS 15 (E4 V5 M6)")
    assert [g.result.total for g in derived(b).gcs_trend if g.result] == [8, 15]


def test_an_intubated_patient_has_no_numeric_gcs_and_is_not_gcs_15_for_release() -> None:
    b, w = journal()
    intubated = GcsItems(eye=4, verbal=None, verbal_qualifier="T", motor=6)
    b.write(w, Consciousness(gcs=intubated), minute=10)
    gcs = derived(b).gcs
    assert gcs is not None and gcs.result is not None
    assert gcs.result.status is ScoreStatus.NO_NUMERIC_TOTAL and gcs.result.total is None
    assert gcs.result.display.startswith("GCS E4 VT M6 — no numeric total")
    b.write(w, Disposition(outcome="treated_and_released"), minute=30)
    assert "release-gcs-15" in [m.rule.code for m in completeness(fold(b.entries))]


def test_pass_is_derived_from_the_stroke_scale_items() -> None:
    b, w = journal()
    b.write(w, StrokeScale(loc_questions_abnormal=False, gaze_palsy=True, arm_weakness=True), minute=10)
    stroke = derived(b).latest_pass
    assert stroke is not None and stroke.result is not None
    assert (stroke.result.total, stroke.result.lvo_suspected) == (2, True)


# --- table versions -----------------------------------------------------------------------------------


def test_a_new_journal_records_the_table_versions_in_force() -> None:
    assert table_versions_in_force().versions == {str(k): v for k, v in CURRENT_TABLE_VERSIONS.items()}
    for scenario in scenarios():
        for state in [fold(scenario.entries)]:
            assert state.score_table_versions == table_versions_in_force().versions, scenario.name
            assert state.derived.table_versions_recorded and state.derived.notes == ()


def test_scores_use_the_version_recorded_on_the_journal() -> None:
    b, w = journal()
    alert_with_vitals(b, w, 10)
    [v] = derived(b).vital_sets
    assert v.news2 is not None and v.news2.table.version == CURRENT_TABLE_VERSIONS[ScoreName.NEWS2]
    # A journal recorded with a NEWS2 table this build does not ship is never re-scored with the current one.
    c = ScenarioBuilder("old", start=DEMO_DAY)
    cw = c.writer(journal_id=c.journal_id(), author=ANNE, device_id="tab-1", unit="A-1")
    recorded = {**table_versions_in_force().versions, "news2": "rcp-2099"}
    c.write(cw, ScoreTableVersions(versions=recorded), minute=0)
    alert_with_vitals(c, cw, 10)
    values = derived(c)
    [old] = values.vital_sets
    assert old.news2 is None and old.toks is not None
    assert values.table_versions["news2"] == "rcp-2099"
    assert values.notes == ("news2 table version 'rcp-2099' is not shipped by this build: news2 not derived",)


def test_a_journal_without_recorded_versions_uses_the_current_ones_and_says_so() -> None:
    b = ScenarioBuilder("unrecorded", start=DEMO_DAY)
    w = b.writer(journal_id=b.journal_id(), author=ANNE, device_id="tab-1", unit="A-1")
    alert_with_vitals(b, w, 10)
    values = derived(b)
    assert not values.table_versions_recorded
    assert values.table_versions == {str(k): v for k, v in CURRENT_TABLE_VERSIONS.items()}
    assert values.notes[0].startswith("no score table versions recorded on the journal")


# --- derived, never stored ---------------------------------------------------------------------------


def test_no_entry_kind_stores_a_score_and_handover_text_says_scores_are_calculated() -> None:
    score_names = {str(s) for s in ScoreName}
    assert not [kind for kind, _ in registered_kinds() if kind in score_names]
    b, w = journal()
    b.write(w, DECISION, minute=12)
    b.write(w, Consciousness(acvpu="A", gcs=GcsItems(eye=4, verbal=5, motor=6)), minute=20)
    b.write(w, vitals(**HYPOXIC_ON_AIR), minute=20)  # type: ignore[arg-type]
    state = fold(b.entries)
    text = scores_text(state.derived, lang="en")
    # 07:20 UTC, read in Danish time (CET)
    assert text == (
        "calculated from the recorded values: NEWS2 0 — low risk (SpO2 scale 2) at 08:20; "
        "GCS 15 (E4 V5 M6) at 08:20"
    )
    assert f"Scores: {text}." in isbar(state, derived_scores_text=text, lang="en")
    assert text in atmist(state, derived_scores_text=text, lang="en")
    assert len(state.by_key) == len(b.entries)  # deriving added nothing to the record


def test_derive_is_what_the_state_keeps() -> None:
    b, w = journal()
    alert_with_vitals(b, w, 10)
    state = fold(b.entries)
    assert state.derived is state.derived
    assert state.derived == derive(state)


# --- order independence -----------------------------------------------------------------------------------


def _observable(values: DerivedValues) -> object:
    return (
        tuple(
            (v.revision.entry.entry_id, v.news2, v.toks, v.spo2_scale, v.not_scorable)
            for v in values.vital_sets
        ),
        tuple((g.revision.entry.entry_id, g.result) for g in values.gcs_trend),
        tuple((p.revision.entry.entry_id, p.result) for p in values.pass_scores),
        dict(values.table_versions),
        values.notes,
    )


def _mixed_journal() -> list[Entry]:
    b, w = journal("mixed")
    bo = b.writer(journal_id=w.journal_id, author=BO, device_id="tab-2", unit="A-1")
    rng = random.Random(3)
    decision = None
    for minute in range(5, 60, 3):
        writer = rng.choice([w, bo])
        b.write(writer, Consciousness(acvpu=rng.choice(["A", "C", "V"])), minute=minute)
        b.write(writer, vitals(hr=rng.randint(40, 140), rr=rng.randint(8, 30), spo2=rng.randint(84, 99),
                               sys=rng.randint(85, 180), on_oxygen=rng.random() < 0.5, temp=37.0),
                minute=minute + 1)  # fmt: skip
        if minute == 20:
            decision = b.write(w, DECISION, minute=minute)
        if minute == 41 and decision is not None:
            b.update(w, [decision], Spo2ScaleDecision(scale=1, reason="Tilbage til skala 1"), minute=minute)
    b.write(w, StrokeScale(loc_questions_abnormal=True, gaze_palsy=False, arm_weakness=True), minute=30)
    return b.entries


MIXED = _mixed_journal()
EXPECTED = _observable(fold(MIXED).derived)


@settings(max_examples=25, deadline=None)
@given(st.permutations(MIXED))
def test_derived_values_do_not_depend_on_the_order_entries_arrive_in(arrival: list[Entry]) -> None:
    assert _observable(fold(arrival).derived) == EXPECTED


def test_the_mixed_journal_exercises_both_scales() -> None:
    used = {v.spo2_scale for v in fold(MIXED).derived.vital_sets}
    assert used == {Spo2Scale.SCALE_1, Spo2Scale.SCALE_2}


def test_every_derived_value_hazard_names_tests_that_exist() -> None:
    root = Path(__file__).resolve().parents[2]
    log = (root / "docs" / "safety" / "hazard-log.md").read_text(encoding="utf-8")
    rows = [line for line in log.splitlines() if line.startswith("| H-DRV-")]
    assert len(rows) >= 8
    for row in rows:
        references = re.findall(r"`(?:(tests/[\w/]+\.py))?::(\w+)", row)
        assert references, f"no test named in: {row[:40]}"
        current = ""
        for path, name in references:
            current = path or current
            assert f"def {name}(" in (root / current).read_text(encoding="utf-8"), f"{row[:10]} names {name}"
