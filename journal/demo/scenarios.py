"""The demo scenarios, as data: seven prehospital episodes on published test persons.

Patients are MedCom test persons from the MedCom IG examples (``shared/reference/medcom``: 2509479989 Bruno
Elmer, 0201919990 Else Test Lauridsen, 2311143995 Cæcar Test Østergård, X-eCPR 0703921VJ4 Birgit Berggren)
and NSP test persons from Sundhedsdatastyrelsen's published FMK/DDV test responses (``shared/reference/nsp``:
1111111118, 1004219992, 0201909309). No CPR number here is invented. Staff are fictional.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from journal.demo.builder import DEMO_DAY, ScenarioBuilder, person
from journal.demo.places import KOLDING, OUH, SVENDBORG
from journal.demo.values import DEMO_TABLE_VERSIONS, gcs, mark, vitals
from journal.entry import Author, Entry, Role
from journal.kinds.common import PersonRef, Quantity
from journal.kinds.disposition import Destination, Disposition, Handover, PreAlert, TransportUrgency
from journal.kinds.mission import CrewSignOn, MissionAssignment, ScoreTableVersions
from journal.kinds.observations import Assessment, Attachment, Spo2ScaleDecision, StrokeScale
from journal.kinds.patient import (
    Allergy,
    ChiefComplaint,
    CprIdentifier,
    History,
    Injury,
    LocalIdentifier,
    MechanismInjuries,
    PatientIdentity,
    ReplacementCprIdentifier,
    SamePatientLink,
)
from journal.kinds.record import Note
from journal.kinds.treatment import (
    CardiacArrestEvent,
    ConcreteDelegation,
    Consultation,
    Medication,
    Procedure,
    StandingProtocol,
)


@dataclass(frozen=True)
class Scenario:
    """A named episode: its entries (possibly of several journals) and what it shows."""

    name: str
    title: str
    description: str
    entries: tuple[Entry, ...]


# Staff (fictional).
ANNE = person("demo-anne", "Anne Holm", Role.PARAMEDICINER)
BO = person("demo-bo", "Bo Nielsen", Role.AMBULANCEASSISTENT)
CARL = person("demo-carl", "Carl Friis", Role.AMBULANCEBEHANDLER)
DORTE = person("demo-dorte", "Dorte Lund", Role.PARAMEDICINER)
EVA = person("demo-eva", "Eva Skov", Role.PHYSICIAN)
FINN = person("demo-finn", "Finn Dahl", Role.AMBULANCEBEHANDLER)
AMK = person("demo-amk", "AMK Syddanmark", Role.DISPATCHER)

PROTOCOL = StandingProtocol(protocol_id="RN-BEH-2026", protocol_version="3.1")
# Left as first recorded: tests/journal/golden pins an entry naming this physician byte for byte.
CARDIOLOGIST = PersonRef(name="Kardiologisk bagvagt", role="physician", organisation="Aalborg UH")


def _crew(unit: str, *people: PersonRef) -> CrewSignOn:
    return CrewSignOn(unit=unit, members=tuple(people))


def _ref(a: Author) -> PersonRef:
    return PersonRef(name=a.name, role=a.role.value, person_id=a.person_id)


def stemi(day: datetime = DEMO_DAY) -> Scenario:
    b = ScenarioBuilder("stemi", start=day + timedelta(hours=1, minutes=12))
    jid = b.journal_id()
    amk = b.writer(journal_id=jid, author=AMK, device_id="amk-nord", unit=None)
    anne = b.writer(journal_id=jid, author=ANNE, device_id="tab-a121", unit="A-121")
    eva = b.writer(journal_id=jid, author=EVA, device_id="tab-lb1", unit="LB-1")
    b.write(
        amk,
        MissionAssignment(
            mission_id="M-2026-1124-0031",
            dispatch_urgency="A",
            dispatch_text="Brystsmerter, 79-årig mand",
            units=("A-121", "LB-1"),
        ),
        minute=0,
    )
    b.write(amk, mark("call_received"), minute=-2)
    b.sync(anne, eva)
    b.write(anne, _crew("A-121", _ref(ANNE), _ref(BO)), minute=0.5)
    b.write(anne, mark("alarm"), minute=0)
    b.write(anne, mark("departure"), minute=1)
    b.write(anne, mark("on_scene"), minute=9)
    b.write(anne, mark("patient_contact"), minute=10)
    b.write(anne, ScoreTableVersions(versions=DEMO_TABLE_VERSIONS), minute=10)
    b.write(
        anne,
        PatientIdentity(
            identifier=CprIdentifier(value="250947-9989"),
            family_name="Elmer",
            given_names="Bruno",
            sex="male",
            how_identified="sundhedskort",
        ),
        minute=11,
    )
    b.write(
        anne,
        ChiefComplaint(
            text="Trykkende brystsmerter siden 06:40, udstråling til venstre arm",
            category="chest_pain",
            onset=b.at(-32),
        ),
        minute=11,
    )
    b.write(
        anne,
        History(
            allergies=(Allergy(substance="penicillin", reaction="udslæt"),),
            own_medication=("metformin", "atorvastatin"),
            conditions=("type 2-diabetes",),
        ),
        minute=12,
    )
    b.device(
        anne,
        "vital_signs",
        {
            "heart_rate": {"value": 96, "unit": "/min"},
            "bp_systolic": {"value": 152, "unit": "mm[Hg]"},
            "bp_diastolic": {"value": 94, "unit": "mm[Hg]"},
            "spo2": {"value": 95, "unit": "%"},
            "on_oxygen": False,
            "respiratory_rate": {"value": 20, "unit": "/min"},
        },
        minute=12,
        serial="LP15-44871",
    )
    b.write(anne, gcs(4, 5, 6, "A"), minute=12)
    ecg = b.write(
        anne,
        Attachment(
            attachment_kind="ecg_12_lead",
            media_type="application/pdf",
            reference="sha256:5f1c0d3a9e7b2c4d6e8f00112233445566778899aabbccddeeff001122334455",
            interpretation="ST-elevation II, III, aVF",
            interpretation_by="crew",
            transmitted_at=b.at(14),
        ),
        minute=13,
    )
    b.write(
        anne,
        Medication(
            atc="B01AC06",
            name="Acetylsalicylsyre",
            dose=Quantity(value=300, unit="mg"),
            route="po",
            legal_basis=PROTOCOL,
        ),
        minute=15,
    )
    b.write(
        anne,
        Consultation(
            with_whom=CARDIOLOGIST,
            channel="phone",
            reason=f"STEMI på EKG (ref {ecg.entry_id})",
            advice="Direkte til PCI, OUH; heparin 10.000 IE iv",
        ),
        minute=16,
    )
    b.write(
        anne,
        Medication(
            atc="B01AB01",
            name="Heparin",
            dose=Quantity(value=10000, unit="[iU]"),
            route="iv",
            legal_basis=ConcreteDelegation(physician=CARDIOLOGIST, ordered_at=b.at(16), channel="phone"),
        ),
        minute=18,
    )
    # Both units set the destination before syncing: a conflict, which the physician resolves.
    d1 = b.write(
        anne,
        Destination(hospital=OUH.name, sor_code=OUH.sor, department="Kardiologisk afsnit", eta=b.at(48)),
        minute=19,
    )
    b.write(eva, mark("alarm"), minute=3)
    b.write(eva, mark("on_scene"), minute=17)
    d2 = b.write(
        eva,
        Destination(
            hospital=OUH.name,
            sor_code=OUH.sor,
            department="PCI-laboratoriet",
            eta=b.at(46),
            pre_alert=PreAlert(alert_type="stemi", sent_at=b.at(19), receiver="PCI, OUH"),
        ),
        minute=19.5,
    )
    b.sync(anne, eva)
    b.update(
        eva,
        [d1, d2],
        Destination(
            hospital=OUH.name,
            sor_code=OUH.sor,
            department="PCI-laboratoriet",
            eta=b.at(46),
            pre_alert=PreAlert(alert_type="stemi", sent_at=b.at(19), receiver="PCI, OUH"),
        ),
        minute=21,
    )
    b.write(
        eva,
        Assessment(
            airway="frie",
            breathing="RF 20, SpO2 95 % på luft",
            circulation="BT 152/94, P 96 regelmæssig",
            disability="GCS 15",
            exposure="Intet",
            impression="Inferior STEMI",
        ),
        minute=20,
    )
    b.write(anne, TransportUrgency(level="A"), minute=22)
    b.write(anne, mark("leaving_scene"), minute=23)
    b.write(anne, vitals(hr=88, sys=140, dia=88, rr=18, spo2=96, on_oxygen=False, pain=3), minute=35)
    b.write(anne, mark("at_hospital"), minute=46)
    b.write(
        anne,
        Handover(to="hospital", receiver=PersonRef(name="PCI-sygeplejerske", organisation=OUH.short)),
        minute=48,
    )
    b.write(anne, mark("handover_hospital"), minute=48)
    b.write(anne, Disposition(outcome="transported"), minute=49)
    b.sync(anne, eva)
    b.sign(eva, minute=50)
    b.sign(anne, minute=52)
    return Scenario(
        "stemi",
        "STEMI with pre-alert",
        "79-year-old man with inferior STEMI; 12-lead ECG attached, aspirin on standing protocol, heparin "
        "on a cardiologist's concrete delegation by phone. Ambulance and physician car set the "
        "destination concurrently (a conflict), the physician resolves it; pre-alert to PCI; closed.",
        tuple(b.entries),
    )


def stroke(day: datetime = DEMO_DAY) -> Scenario:
    b = ScenarioBuilder("stroke", start=day + timedelta(hours=2, minutes=5))
    jid = b.journal_id()
    w = b.writer(journal_id=jid, author=CARL, device_id="tab-a207", unit="A-207")
    b.write(w, _crew("A-207", _ref(CARL), _ref(FINN)), minute=0.5)
    b.write(w, mark("alarm"), minute=0)
    b.write(w, mark("on_scene"), minute=8)
    b.write(w, mark("patient_contact"), minute=9)
    b.write(w, ScoreTableVersions(versions=DEMO_TABLE_VERSIONS), minute=9)
    b.write(
        w,
        PatientIdentity(
            identifier=CprIdentifier(value="0201919990"),
            family_name="Lauridsen",
            given_names="Else Test",
            sex="female",
        ),
        minute=9,
    )
    b.write(
        w,
        ChiefComplaint(
            text="Pludselig venstresidig lammelse og talebesvær",
            category="stroke_symptoms",
            last_known_well=b.at(-35),
        ),
        minute=10,
    )
    b.write(w, StrokeScale(loc_questions_abnormal=False, gaze_palsy=True, arm_weakness=True), minute=11)
    b.write(
        w, vitals(hr=84, sys=178, dia=96, rr=16, spo2=98, on_oxygen=False, temp=36.8, glucose=6.1), minute=12
    )
    b.write(w, gcs(4, 4, 6, "C"), minute=12)
    b.write(
        w,
        Consultation(
            with_whom=PersonRef(name="Neurologisk bagvagt", role="physician", organisation=OUH.short),
            channel="phone",
            reason="PASS 2, mulig storkarsokklusion",
            advice="Direkte til trombektomi",
        ),
        minute=14,
    )
    b.write(
        w,
        Destination(
            hospital=OUH.name,
            sor_code=OUH.sor,
            department="Neurologisk afsnit / trombektomi",
            eta=b.at(45),
            pre_alert=PreAlert(alert_type="stroke", sent_at=b.at(15), receiver="Trombolysevagt"),
        ),
        minute=15,
    )
    b.write(w, TransportUrgency(level="A"), minute=16)
    b.write(w, mark("leaving_scene"), minute=17)
    return Scenario(
        "stroke",
        "Stroke, PASS ≥ 2",
        "35-year-old woman with sudden left-sided weakness; PASS items gaze and arm positive (PASS 2, "
        "suggests large-vessel occlusion); neurologist consulted, stroke pre-alert; en route.",
        tuple(b.entries),
    )


def trauma(day: datetime = DEMO_DAY) -> Scenario:
    b = ScenarioBuilder("trauma", start=day + timedelta(hours=3, minutes=40))
    jid = b.journal_id()
    dorte = b.writer(journal_id=jid, author=DORTE, device_id="tab-p11", unit="P-11")
    carl = b.writer(journal_id=jid, author=CARL, device_id="tab-a207", unit="A-207", skew_ms=-95_000)
    b.write(dorte, mark("alarm"), minute=0)
    b.write(dorte, mark("on_scene"), minute=6)
    b.write(dorte, mark("patient_contact"), minute=6.5)
    b.write(dorte, ScoreTableVersions(versions=DEMO_TABLE_VERSIONS), minute=6.5)
    b.write(
        dorte,
        PatientIdentity(identifier=CprIdentifier(value="020190-9309"), sex="male", how_identified="kørekort"),
        minute=8,
    )
    b.write(dorte, ChiefComplaint(text="Cyklist påkørt af bil", category="trauma"), minute=7)
    b.write(
        dorte,
        MechanismInjuries(
            mechanism="Cyklist mod personbil, ca. 40 km/t, med hjelm",
            time_of_incident=b.at(-9),
            injuries=(
                Injury(region="chest", description="ømhed højre costae", side="right"),
                Injury(region="lower_limb", description="fejlstilling højre underben", side="right"),
            ),
            high_risk_criteria=("high-energy mechanism",),
        ),
        minute=9,
    )
    b.write(
        dorte,
        Assessment(
            catastrophic_haemorrhage="Ingen",
            airway="Frie",
            breathing="RF 24, nedsat højre",
            circulation="P 112, BT 108/70",
            disability="GCS 15",
            exposure="Fraktur højre crus",
        ),
        minute=9,
    )
    b.write(dorte, vitals(hr=112, sys=108, dia=70, rr=24, spo2=94, on_oxygen=False, pain=8), minute=10)
    b.write(
        dorte,
        Medication(
            atc="N02AB03",
            name="Fentanyl",
            dose=Quantity(value=50, unit="ug"),
            route="intranasal",
            legal_basis=PROTOCOL,
            response="NRS 8 → 5",
        ),
        minute=12,
    )
    b.write(carl, mark("alarm"), minute=2)
    b.write(carl, mark("on_scene"), minute=13)
    b.write(carl, Procedure(name="Vakuumskinne højre underben", successful=True), minute=16)
    # Offline, both crews set the transport urgency: A-207 says B, P-11 says A. Left unresolved on purpose:
    # the demo shows a conflict on the board (and in the signing checklist).
    b.write(carl, TransportUrgency(level="B", reason="stabil"), minute=18)
    b.write(dorte, TransportUrgency(level="A", reason="højenergitraume, takykardi"), minute=18.5)
    b.write(
        dorte,
        Destination(
            hospital=OUH.name,
            sor_code=OUH.sor,
            department="Traumecenter",
            eta=b.at(45),
            pre_alert=PreAlert(alert_type="trauma", sent_at=b.at(19), receiver="Traumeleder"),
        ),
        minute=19,
    )
    b.sync(dorte, carl)
    b.write(
        carl, vitals(hr=104, sys=112, dia=72, rr=22, spo2=96, on_oxygen=True, o2_flow=5, pain=5), minute=22
    )
    b.write(carl, mark("leaving_scene"), minute=24)
    return Scenario(
        "trauma",
        "Trauma (MIST), concurrent units",
        "Cyclist hit by a car. Paramedic car P-11 and ambulance A-207 (whose tablet clock is 95 s slow) "
        "write in the same journal; offline they set the transport urgency to A and B concurrently, "
        "so the board shows an unresolved conflict with both entries.",
        tuple(b.entries),
    )


def cardiac_arrest(day: datetime = DEMO_DAY) -> Scenario:
    b = ScenarioBuilder("cardiac-arrest", start=day + timedelta(hours=5, minutes=2))
    j_amb = b.journal_id()
    j_doc = b.journal_id()
    finn = b.writer(journal_id=j_amb, author=FINN, device_id="tab-a305", unit="A-305")
    eva = b.writer(journal_id=j_doc, author=EVA, device_id="tab-lb1", unit="LB-1")
    b.write(finn, mark("alarm"), minute=0)
    b.write(finn, mark("on_scene"), minute=7)
    b.write(finn, mark("patient_contact"), minute=7.5)
    b.write(finn, ScoreTableVersions(versions=DEMO_TABLE_VERSIONS), minute=7.5)
    b.write(
        finn,
        PatientIdentity(
            identifier=CprIdentifier(value="1004219992"), sex="unknown", how_identified="forælder"
        ),
        minute=20,
    )
    b.write(
        finn,
        ChiefComplaint(text="Druknet i badebassin, bevidstløs uden vejrtrækning", category="cardiac_arrest"),
        minute=8,
    )
    b.write(
        finn,
        CardiacArrestEvent(event="collapse", witnessed_by="bystander", note="fundet i vand ca. 2 min"),
        minute=-4,
    )
    b.write(
        finn,
        CardiacArrestEvent(event="bystander_cpr", note="forælder, 5 indblæsninger + kompressioner"),
        minute=-3,
    )
    b.write(finn, CardiacArrestEvent(event="cpr_started"), minute=8)
    b.write(finn, CardiacArrestEvent(event="rhythm_check", rhythm="vf"), minute=9)
    b.write(finn, CardiacArrestEvent(event="shock", rhythm="vf", energy_joules=70), minute=9.2)
    b.device(
        finn, "vital_signs", {"heart_rate": {"value": 0, "unit": "/min"}}, minute=9.5, serial="LP15-51102"
    )
    # The physician car opened its own journal offline; a same-patient link joins them below.
    b.write(eva, mark("alarm"), minute=1)
    b.write(eva, mark("on_scene"), minute=11)
    b.write(eva, Procedure(name="Intraossøs adgang, venstre tibia", successful=True, attempts=1), minute=12)
    b.write(eva, CardiacArrestEvent(event="adrenaline", dose=Quantity(value=0.18, unit="mg")), minute=13)
    b.write(finn, CardiacArrestEvent(event="rhythm_check", rhythm="vf"), minute=11.2)
    b.write(finn, CardiacArrestEvent(event="shock", rhythm="vf", energy_joules=70), minute=11.3)
    b.write(eva, CardiacArrestEvent(event="rhythm_check", rhythm="organised"), minute=15)
    b.write(eva, CardiacArrestEvent(event="rosc", note="palpabel puls, EtCO2 stiger"), minute=15.2)
    b.write(eva, vitals(hr=132, sys=84, dia=50, spo2=93, on_oxygen=True, o2_flow=10, etco2=4.8), minute=17)
    b.write(eva, SamePatientLink(other_journal_id=j_amb, reason="samme barn, A-305's journal"), minute=18)
    b.sync(finn, eva)
    b.write(
        eva,
        Destination(
            hospital=OUH.name,
            sor_code=OUH.sor,
            department="Børneintensiv",
            eta=b.at(55),
            pre_alert=PreAlert(alert_type="cardiac_arrest", sent_at=b.at(19), receiver="Børneintensiv OUH"),
        ),
        minute=19,
    )
    b.write(finn, TransportUrgency(level="A"), minute=21)
    b.write(finn, mark("leaving_scene"), minute=22)
    return Scenario(
        "cardiac-arrest",
        "Cardiac arrest with ROSC (two journals linked)",
        "Drowned 5-year-old, bystander CPR, VF, two shocks at 4 J/kg and adrenaline intraosseous, "
        "ROSC after 7 minutes. Ambulance and physician car each opened a journal offline; a "
        "same-patient link joins them into one record.",
        tuple(b.entries),
    )


def hypoglycaemia_released(day: datetime = DEMO_DAY) -> Scenario:
    b = ScenarioBuilder("hypoglycaemia", start=day + timedelta(hours=6, minutes=30))
    jid = b.journal_id()
    w = b.writer(journal_id=jid, author=ANNE, device_id="tab-a121", unit="A-121")
    b.write(w, _crew("A-121", _ref(ANNE), _ref(BO)), minute=0.5)
    b.write(w, mark("alarm"), minute=0)
    b.write(w, mark("on_scene"), minute=11)
    b.write(w, mark("patient_contact"), minute=11.5)
    b.write(w, ScoreTableVersions(versions=DEMO_TABLE_VERSIONS), minute=11.5)
    b.write(
        w,
        PatientIdentity(
            identifier=CprIdentifier(value="2311143995"),
            family_name="Østergård",
            given_names="Cæcar Test",
            sex="male",
            municipality_code="0461",  # Odense (DK Core municipality codes)
        ),
        minute=12,
    )
    b.write(
        w,
        ChiefComplaint(text="Fundet forvirret af hjemmeplejen; insulinbehandlet", category="hypoglycaemia"),
        minute=12,
    )
    history = b.write(
        w,
        History(
            no_known_allergies=True,
            own_medication=("insulin glargin", "insulin aspart"),
            conditions=("type 1-diabetes",),
            lives_alone=True,
            information_source="hjemmeplejen",
        ),
        minute=13,
    )
    b.device(
        w,
        "vital_signs",
        {"glucose": {"value": 1.1, "unit": "mmol/L", "status": "below_range"}},
        minute=13,
        serial="GM-2231",
    )
    b.write(w, vitals(hr=92, sys=138, dia=82, rr=16, spo2=97, on_oxygen=False), minute=13.5)
    b.write(w, gcs(4, 4, 6, "C"), minute=13.5)
    b.write(
        w,
        Medication(
            atc="V06DC01",
            name="Glukose 10 %",
            dose=Quantity(value=250, unit="mL"),
            route="iv",
            legal_basis=PROTOCOL,
            response="vågen og orienteret efter 6 min",
        ),
        minute=15,
    )
    b.write(w, vitals(hr=80, sys=134, dia=80, rr=14, spo2=98, on_oxygen=False, glucose=7.4), minute=27)
    b.write(w, gcs(4, 5, 6, "A"), minute=27)
    b.update(
        w,
        [history],
        History(
            no_known_allergies=True,
            own_medication=("insulin glargin", "insulin aspart"),
            conditions=("type 1-diabetes",),
            lives_alone=True,
            information_source="hjemmeplejen og patienten",
        ),
        minute=28,
    )
    order = ConcreteDelegation(
        physician=PersonRef(name="Akutlæge, AMK Syddanmark", role="physician"),
        ordered_at=b.at(29),
        channel="phone",
    )
    b.write(
        w,
        Consultation(
            with_whom=order.physician,
            channel="phone",
            reason="Færdigbehandling på stedet",
            advice="Må afsluttes på stedet; spise nu; hjemmeplejen tilser om 2 timer",
        ),
        minute=29,
    )
    b.write(
        w,
        Disposition(
            outcome="treated_and_released",
            physician_order=order,
            consent_share_with_home_care=True,
            advice_given="Spis nu og igen om 2 timer; ring 112 ved nye symptomer",
        ),
        minute=31,
    )
    b.write(w, mark("leaving_scene"), minute=33)
    b.write(w, mark("available"), minute=34)
    b.sign(w, minute=35)
    return Scenario(
        "hypoglycaemia-released",
        "Hypoglycaemia, treated and released on scene",
        "Insulin-treated man living alone, found confused; glucometer 'LO' (below 1.1 mmol/L, from the "
        "device), iv glucose on protocol; two full vital sets, GCS 15 and BS 7.4 before release on a "
        "physician's concrete order; consents to a notice to home care; signed and closed.",
        tuple(b.entries),
    )


def copd_scale2(day: datetime = DEMO_DAY) -> Scenario:
    b = ScenarioBuilder("copd", start=day + timedelta(hours=8, minutes=15))
    jid = b.journal_id()
    w = b.writer(journal_id=jid, author=DORTE, device_id="tab-a121", unit="A-121")
    b.write(w, mark("alarm"), minute=0)
    b.write(w, mark("on_scene"), minute=10)
    b.write(w, mark("patient_contact"), minute=10.5)
    b.write(w, ScoreTableVersions(versions=DEMO_TABLE_VERSIONS), minute=10.5)
    b.write(w, PatientIdentity(identifier=CprIdentifier(value="111111-1118"), sex="male"), minute=11)
    b.write(
        w, ChiefComplaint(text="Tiltagende åndenød, KOL-patient", category="breathing_difficulty"), minute=11
    )
    b.write(
        w,
        History(
            no_known_allergies=True,
            own_medication=("tiotropium", "salbutamol"),
            conditions=("KOL med kendt CO2-retention",),
        ),
        minute=12,
    )
    b.write(
        w,
        Spo2ScaleDecision(
            scale=2,
            target_low=88,
            target_high=92,
            reason="Hyperkapnisk KOL (kendt CO2-retention, tidligere NIV)",
        ),
        minute=12,
    )
    wrong = b.device(
        w,
        "vital_signs",
        {
            "spo2": {"value": 100, "unit": "%"},
            "on_oxygen": True,
            "heart_rate": {"value": 104, "unit": "/min"},
        },
        minute=13,
        serial="LP15-44871",
    )
    b.correct(
        w,
        wrong,
        vitals(spo2=86, on_oxygen=False, hr=104),
        reason="Probe faldt af; manuelt aflæst 86 % på luft",
        minute=14,
    )
    b.write(w, vitals(hr=102, sys=146, dia=84, rr=26, spo2=86, on_oxygen=False, temp=37.9), minute=15)
    b.write(
        w,
        Medication(
            atc="R03AC02",
            name="Salbutamol",
            dose=Quantity(value=5, unit="mg"),
            route="inhalation",
            legal_basis=PROTOCOL,
        ),
        minute=16,
    )
    b.write(
        w,
        Medication(
            atc="R03BB01",
            name="Ipratropium",
            dose=Quantity(value=0.5, unit="mg"),
            route="inhalation",
            legal_basis=PROTOCOL,
        ),
        minute=16,
    )
    b.write(w, vitals(hr=98, sys=140, dia=80, rr=22, spo2=90, on_oxygen=True, o2_flow=1), minute=28)
    b.write(
        w,
        Destination(hospital=SVENDBORG.name, sor_code=SVENDBORG.sor, department="FAM", eta=b.at(50)),
        minute=29,
    )
    b.write(w, TransportUrgency(level="B"), minute=29)
    b.write(w, mark("leaving_scene"), minute=30)
    return Scenario(
        "copd-scale-2",
        "COPD on SpO2 scale 2",
        "Hypercapnic COPD exacerbation; the paramedic records the decision to use NEWS2 SpO2 scale 2 "
        "(target 88–92 %). A monitor SpO2 of 100 % (probe off) is corrected by hand; the original "
        "device value stays visible, struck, with the reason.",
        tuple(b.entries),
    )


def unknown_patient(day: datetime = DEMO_DAY) -> Scenario:
    b = ScenarioBuilder("unknown-patient", start=day + timedelta(hours=10, minutes=40))
    jid = b.journal_id()
    w = b.writer(journal_id=jid, author=FINN, device_id="tab-a305", unit="A-305")
    b.write(w, mark("alarm"), minute=0)
    b.write(w, mark("on_scene"), minute=9)
    b.write(w, mark("patient_contact"), minute=9.5)
    b.write(w, ScoreTableVersions(versions=DEMO_TABLE_VERSIONS), minute=9.5)
    unknown = b.write(
        w,
        PatientIdentity(
            identifier=LocalIdentifier.for_journal(jid),
            sex="female",
            estimated_age_years=55,
            identity_uncertain=True,
        ),
        minute=10,
    )
    b.write(
        w,
        ChiefComplaint(text="Fundet på gaden, nedsat bevidsthed, alkoholfoetor", category="intoxication"),
        minute=10,
    )
    b.write(
        w, vitals(hr=98, sys=118, dia=72, rr=12, spo2=95, on_oxygen=False, temp=35.4, glucose=5.2), minute=11
    )
    b.write(w, gcs(2, 3, 5, "P"), minute=11)
    note = b.write(w, Note(text="Pårørende kontaktet"), minute=14)
    b.add(w.retract(note, reason="Skrevet på forkert patient", at=b.at(15)))
    b.write(
        w, Destination(hospital=KOLDING.name, sor_code=KOLDING.sor, department="FAM", eta=b.at(35)), minute=16
    )
    b.write(w, TransportUrgency(level="B"), minute=16)
    b.write(w, mark("leaving_scene"), minute=17)
    b.write(w, mark("at_hospital"), minute=34)
    b.write(
        w,
        Handover(to="hospital", receiver=PersonRef(name="Akutsygeplejerske", organisation=KOLDING.short)),
        minute=36,
    )
    b.write(w, Disposition(outcome="transported"), minute=37)
    # Identified later: the hospital obtained a replacement CPR from the national eCPR service (X-eCPR).
    b.correct(
        w,
        unknown,
        PatientIdentity(
            identifier=ReplacementCprIdentifier(system="urn:oid:1.2.208.176.1.6.1.1", value="0703921VJ4"),
            family_name="Berggren",
            given_names="Birgit",
            sex="female",
            how_identified="erstatnings-CPR fra OUH",
        ),
        reason="Identificeret på hospitalet; erstatnings-CPR fra eCPR-tjenesten",
        minute=10,
    )
    return Scenario(
        "unknown-patient",
        "Unknown patient identified later",
        "Unconscious woman without papers gets a PPJ-local unknown-patient id; a note written on the "
        "wrong patient is retracted; after arrival she is identified by a correction entry carrying "
        "the replacement CPR (X-eCPR) the national eCPR service issued.",
        tuple(b.entries),
    )


_BUILDERS: tuple[Callable[[datetime], Scenario], ...] = (
    stemi,
    stroke,
    trauma,
    cardiac_arrest,
    hypoglycaemia_released,
    copd_scale2,
    unknown_patient,
)


def scenarios(day: datetime = DEMO_DAY) -> list[Scenario]:
    """Every demo scenario, freshly built on ``day`` (deterministic: the same day gives the same ids and
    stamps on every call; ids are UUIDv7s of the scenario's clock, so another day gives other ids)."""
    return [build(day) for build in _BUILDERS]


def live_scenarios(now: datetime, *, gap: timedelta = timedelta(minutes=6)) -> list[Scenario]:
    """The scenarios moved to ``now`` so a board looks live: each one's last entry lies a little before
    ``now`` (the latest scenario 2 minutes before, each earlier one ``gap`` further back), so the patients
    not yet handed over are on their way with ETAs in the coming half hour. Nothing lies in the future.
    Deterministic for a given ``now`` (whole minutes, so clock times read naturally)."""
    now = now.replace(second=0, microsecond=0)
    built = []
    for n, build in enumerate(reversed(_BUILDERS)):
        last = max(e.clinical_time.at for e in build(DEMO_DAY).entries) - DEMO_DAY
        built.append(build(now - timedelta(minutes=2) - n * gap - last))
    return built[::-1]
