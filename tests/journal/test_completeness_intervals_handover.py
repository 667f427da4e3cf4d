"""The signing checklist per disposition, time intervals from the timeline, and ISBAR/ATMIST text."""

from __future__ import annotations

from datetime import timedelta

from journal.completeness import completeness
from journal.demo.builder import DEMO_DAY, ScenarioBuilder, person
from journal.demo.values import gcs, mark, vitals
from journal.entry import Role
from journal.fold import fold
from journal.handover import atmist, isbar
from journal.intervals import intervals, out_of_order
from journal.kinds.common import PersonRef
from journal.kinds.disposition import Destination, Disposition, Handover, RefusalCapacity, TransportUrgency
from journal.kinds.patient import ChiefComplaint, CprIdentifier, History, PatientIdentity
from journal.kinds.treatment import ConcreteDelegation
from journal.writer import JournalWriter

ANNE = person("p-anne", "Anne Holm", Role.PARAMEDICINER)
EVA = person("p-eva", "Eva Skov", Role.PHYSICIAN)
ORDER = ConcreteDelegation(physician=PersonRef(name="Akutlæge"), ordered_at=DEMO_DAY, channel="phone")


def journal(name: str = "j") -> tuple[ScenarioBuilder, JournalWriter]:
    b = ScenarioBuilder(name, start=DEMO_DAY)
    return b, b.writer(journal_id=b.journal_id(), author=ANNE, device_id="tab-1", unit="A-1")


def basics(b: ScenarioBuilder, w: JournalWriter, complaint: str = "hypoglycaemia") -> None:
    b.write(w, mark("alarm"), minute=0)
    b.write(w, mark("on_scene"), minute=8)
    b.write(w, mark("patient_contact"), minute=9)
    b.write(w, PatientIdentity(identifier=CprIdentifier(value="2509479989"), sex="male"), minute=9)
    b.write(w, ChiefComplaint(text="Lavt blodsukker", category=complaint), minute=9)  # type: ignore[arg-type]


def codes(b: ScenarioBuilder) -> list[str]:
    return [m.rule.code for m in completeness(fold(b.entries))]


def test_without_a_disposition_the_checklist_asks_for_one() -> None:
    b, w = journal()
    basics(b, w)
    assert codes(b) == ["disposition"]


def test_treated_and_released_needs_two_full_vital_sets_gcs_15_glucose_and_the_physicians_order() -> None:
    b, w = journal()
    basics(b, w)
    b.write(w, vitals(hr=90, sys=130, dia=80, rr=16, spo2=97, on_oxygen=False), minute=10)
    b.write(w, gcs(4, 4, 6), minute=10)
    b.write(w, Disposition(outcome="treated_and_released"), minute=30)
    assert set(codes(b)) == {
        "release-two-vital-sets",
        "release-gcs-15",
        "release-glucose",
        "release-physician-order",
    }
    b.write(w, vitals(hr=80, sys=128, dia=78, rr=14, spo2=98, on_oxygen=False, glucose=6.8), minute=25)
    b.write(w, gcs(4, 5, 6), minute=25)
    assert codes(b) == ["release-physician-order"]
    assert "concrete order" in completeness(fold(b.entries))[0].message


def test_one_vital_set_short_is_still_missing_at_the_boundary() -> None:
    b, w = journal()
    basics(b, w, complaint="other")
    b.write(w, vitals(hr=80, sys=128, dia=78, rr=14, spo2=98, on_oxygen=False), minute=10)
    b.write(w, vitals(hr=80, sys=128, dia=78, rr=14, on_oxygen=False), minute=20)  # no SpO2: not a full set
    b.write(w, gcs(4, 5, 6), minute=20)
    b.write(w, Disposition(outcome="treated_and_released", physician_order=ORDER), minute=30)
    assert codes(b) == ["release-two-vital-sets"]


def test_a_physician_releasing_on_scene_needs_no_order_from_another_physician() -> None:
    b, w = journal()
    eva = b.writer(journal_id=w.journal_id, author=EVA, device_id="tab-9", unit="A-1")
    basics(b, w, complaint="other")
    for minute in (10, 20):
        b.write(w, vitals(hr=80, sys=128, dia=78, rr=14, spo2=98, on_oxygen=False), minute=minute)
    b.write(w, gcs(4, 5, 6), minute=20)
    b.write(eva, Disposition(outcome="treated_and_released"), minute=30)
    assert codes(b) == []


def test_lives_alone_asks_for_the_home_care_consent() -> None:
    b, w = journal()
    basics(b, w, complaint="other")
    for minute in (10, 20):
        b.write(w, vitals(hr=80, sys=128, dia=78, rr=14, spo2=98, on_oxygen=False), minute=minute)
    b.write(w, gcs(4, 5, 6), minute=20)
    b.write(w, History(lives_alone=True), minute=21)
    b.write(w, Disposition(outcome="treated_and_released", physician_order=ORDER), minute=30)
    assert codes(b) == ["home-care-consent"]


def test_transport_needs_destination_urgency_and_handover() -> None:
    b, w = journal()
    basics(b, w, complaint="other")
    b.write(w, vitals(hr=80), minute=10)
    b.write(w, Disposition(outcome="transported"), minute=40)
    assert codes(b) == ["destination", "transport-urgency", "handover"]
    b.write(w, Destination(hospital="Aalborg UH"), minute=12)
    b.write(w, TransportUrgency(level="B"), minute=12)
    b.write(w, Handover(to="hospital", receiver=PersonRef(name="Sygeplejerske")), minute=40)
    assert codes(b) == []


def test_refusal_needs_capacity_assessed_and_risks_explained() -> None:
    b, w = journal()
    basics(b, w, complaint="other")
    b.write(w, vitals(hr=80), minute=10)
    b.write(w, Disposition(outcome="refused_against_advice"), minute=20)
    assert codes(b) == ["refusal-capacity", "refusal-capacity"]
    b.write(w, RefusalCapacity(refuses=("transport",), capacity_assessed=True, has_capacity=True,
                               informed_of_risks=True), minute=15)  # fmt: skip
    assert codes(b) == []


def test_an_unresolved_conflict_is_on_the_checklist() -> None:
    b, w = journal()
    other = b.writer(journal_id=w.journal_id, author=EVA, device_id="tab-2", unit="LB-1")
    basics(b, w, complaint="other")
    b.write(w, TransportUrgency(level="B"), minute=12)
    b.write(other, TransportUrgency(level="A"), minute=12)
    assert "conflict" in codes(b)


def test_intervals_follow_the_nasemso_definitions_per_unit() -> None:
    b, w = journal()
    for event, minute in [
        ("alarm", 0),
        ("departure", 1),
        ("on_scene", 9),
        ("patient_contact", 10),
        ("leaving_scene", 30),
        ("at_hospital", 52),
        ("handover_hospital", 61),
        ("available", 75),
    ]:
        b.write(w, mark(event), minute=minute)  # type: ignore[arg-type]
    [(unit, i)] = intervals(fold(b.entries)).items()
    assert unit == "A-1"
    assert (i.chute, i.response, i.scene, i.patient_scene) == tuple(
        timedelta(minutes=m) for m in (1, 9, 21, 20)
    )
    assert (i.transport, i.handover_wall, i.task) == tuple(timedelta(minutes=m) for m in (22, 9, 75))


def test_times_out_of_order_are_flagged() -> None:
    b, w = journal()
    b.write(w, mark("on_scene"), minute=9)
    b.write(w, mark("leaving_scene"), minute=5)
    assert out_of_order(fold(b.entries)) == [("A-1", "on_scene", "leaving_scene")]


def test_isbar_and_atmist_carry_the_current_values_and_say_when_something_is_in_conflict() -> None:
    b, w = journal()
    other = b.writer(journal_id=w.journal_id, author=EVA, device_id="tab-2", unit="LB-1")
    basics(b, w, complaint="chest_pain")
    b.write(w, vitals(hr=96, sys=152, dia=94, rr=20, spo2=95, on_oxygen=False), minute=12)
    b.write(w, TransportUrgency(level="B"), minute=12)
    b.write(other, TransportUrgency(level="A"), minute=12)
    b.write(w, Destination(hospital="Aalborg UH", eta=DEMO_DAY + timedelta(minutes=45)), minute=13)
    state = fold(b.entries)
    text = isbar(state, reporter=ANNE, derived_scores_text="NEWS2 3", lang="en")
    assert "I: Anne Holm, paramediciner. Patient: name unknown, 250947-9989 (79 years, male)" in text
    assert "P 96 /min" in text and "Scores: NEWS2 3" in text
    assert "IN CONFLICT: Kørsel A | Kørsel B" in text  # both values, in HLC order, never one picked
    short = atmist(state, lang="en")
    assert short.splitlines()[0] == "A: 79 years, male"
    assert "E: ETA 08:45 to Aalborg UH" in short  # 07:45 UTC, read in Danish time (CET)


def test_a_cardiac_arrest_needs_collapse_first_rhythm_and_outcome() -> None:
    from journal.kinds.treatment import CardiacArrestEvent

    b, w = journal()
    basics(b, w, complaint="cardiac_arrest")
    b.write(w, CardiacArrestEvent(event="cpr_started"), minute=9)
    b.write(w, Disposition(outcome="declared_dead", declared_dead_by=PersonRef(name="Akutlæge")), minute=40)
    assert codes(b) == ["vitals-any", "cardiac-arrest-core", "cardiac-arrest-core", "cardiac-arrest-core"]
    b.write(w, CardiacArrestEvent(event="collapse", witnessed_by="none"), minute=-5)
    b.write(w, CardiacArrestEvent(event="rhythm_check", rhythm="asystole"), minute=10)
    b.write(w, CardiacArrestEvent(event="resuscitation_stopped"), minute=39)
    b.write(w, vitals(hr=0), minute=10)
    assert codes(b) == []
    from journal.completeness import R_ARREST

    assert not R_ARREST.verified  # the exact Utstein core list is still to be checked (prehospital.md §3.7)


def test_stroke_needs_pass_items_and_last_known_well_and_trauma_needs_mist() -> None:
    from journal.kinds.observations import StrokeScale
    from journal.kinds.patient import MechanismInjuries

    b, w = journal()
    basics(b, w, complaint="stroke_symptoms")
    b.write(w, vitals(hr=80), minute=10)
    b.write(w, Disposition(outcome="refused_against_advice"), minute=20)
    b.write(w, RefusalCapacity(refuses=("transport",), capacity_assessed=True, has_capacity=True,
                               informed_of_risks=True), minute=19)  # fmt: skip
    assert codes(b) == ["stroke", "stroke"]
    b.write(w, StrokeScale(loc_questions_abnormal=False, gaze_palsy=False, arm_weakness=True), minute=12)
    assert [m.message for m in completeness(fold(b.entries))] == [
        "Stroke symptoms: time last known well not recorded"
    ]
    t, tw = journal("trauma")
    basics(t, tw, complaint="trauma")
    t.write(tw, vitals(hr=80), minute=10)
    t.write(tw, Disposition(outcome="dead_on_scene"), minute=20)
    assert codes(t) == ["trauma-mist"]
    t.write(tw, MechanismInjuries(mechanism="Fald fra 6 m"), minute=10)
    assert codes(t) == []


def test_released_without_a_cpr_warns_that_no_epikrise_can_go_to_the_gp() -> None:
    from journal.kinds.patient import LocalIdentifier

    b, w = journal()
    b.write(w, mark("alarm"), minute=0)
    b.write(w, mark("on_scene"), minute=8)
    b.write(w, mark("patient_contact"), minute=9)
    b.write(w, PatientIdentity(identifier=LocalIdentifier.for_journal(w.journal_id)), minute=9)
    b.write(w, ChiefComplaint(text="Faldet", category="other"), minute=9)
    for minute in (10, 20):
        b.write(w, vitals(hr=80, sys=128, dia=78, rr=14, spo2=98, on_oxygen=False), minute=minute)
    b.write(w, gcs(4, 5, 6), minute=20)
    b.write(w, Disposition(outcome="treated_and_released", physician_order=ORDER), minute=30)
    assert codes(b) == ["epikrise-cpr"]


def test_every_checklist_rule_names_a_source_and_a_region() -> None:
    import journal.completeness as c

    rules = [v for v in vars(c).values() if isinstance(v, c.Rule)]
    assert len(rules) >= 20
    assert all(r.source and r.region and r.code for r in rules)
    assert len({r.code for r in rules}) == len(rules)


def test_isbar_recommends_the_disposition_when_the_patient_stays_on_scene() -> None:
    b, w = journal()
    basics(b, w, complaint="other")
    b.write(
        w,
        Disposition(
            outcome="treated_and_released", physician_order=ORDER, advice_given="Ring 112 ved nye symptomer"
        ),
        minute=30,
    )
    last = isbar(fold(b.entries), lang="en").splitlines()[-1]
    assert (
        last
        == "R: Treated and released on scene (afsluttet på stedet); advice given: Ring 112 ved nye symptomer."
    )
