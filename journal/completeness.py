"""What is missing before a journal can be signed — checked at signing, never at capture.

``completeness(state)`` returns a checklist for the journal's disposition in plain language. Each rule names
its source (tags from prehospital.md's source list), the region whose guideline it comes from, and whether
we verified it against a primary source; unverified rules are marked so (hazard log H-JRN-9).
"""

from __future__ import annotations

from dataclasses import dataclass

from journal.entry import Role
from journal.intervals import TIMESTAMP_EVENTS_REQUIRED, mark, out_of_order
from journal.kinds.disposition import Disposition, Handover, RefusalCapacity
from journal.kinds.mission import TIMESTAMP_LABELS
from journal.kinds.observations import VitalSigns
from journal.kinds.patient import ChiefComplaint, CprIdentifier, History, PatientIdentity
from journal.kinds.treatment import CardiacArrestEvent
from journal.state import JournalState


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    source: str
    region: str
    verified: bool


@dataclass(frozen=True, slots=True)
class MissingItem:
    """One line of the signing checklist."""

    rule: Rule
    message: str


R_CONFLICT = Rule("conflict", "ARCHITECTURE §3 (conflicts stay visible until resolved)", "PPJ", True)
R_PENDING = Rule("pending-amendment", "ARCHITECTURE §4 (nothing lost in sync)", "PPJ", True)
R_IDENTITY = Rule("identity", "S20i PRI Overdragelse (ISBAR: name and CPR)", "Region Nordjylland", True)
R_COMPLAINT = Rule("chief-complaint", "S20i PRI Overdragelse (ISBAR S)", "Region Nordjylland", True)
R_DISPOSITION = Rule("disposition", "S20f PRI Epikrise; S20d PRI registrering", "Region Nordjylland", True)
R_TIMES = Rule("times", "S20d PRI registrering (Alarmdata, Patientkontakt)", "Region Nordjylland", True)
R_TIME_ORDER = Rule("time-order", "S1 NEMSIS nemSch_e017 (times in order)", "NEMSIS (US)", True)
R_ONE_VITALS = Rule("vitals-any", "PPJ: a patient seen has at least one set of vitals", "PPJ", False)
R_DESTINATION = Rule("destination", "S1 NEMSIS eDisposition.21; S20c PPJ", "national", False)
R_URGENCY = Rule(
    "transport-urgency", "S20d PRI registrering (Kørselsform A/B/C/D)", "Region Nordjylland", True
)
R_HANDOVER = Rule("handover", "S20i PRI Overdragelse; S20d Overdragelseslog", "Region Nordjylland", True)
R_RELEASE_VITALS = Rule(
    "release-two-vital-sets",
    "S20j PRI Færdigbehandling på stedet (2 sæt BT, P, SAT, RF)",
    "Region Nordjylland",
    True,
)
R_RELEASE_GCS = Rule(
    "release-gcs-15", "S20j PRI Færdigbehandling på stedet (GCS 15)", "Region Nordjylland", True
)
R_RELEASE_GLUCOSE = Rule(
    "release-glucose",
    "S20j PRI Færdigbehandling på stedet ('BS if relevant'; which complaints make it relevant is PPJ's list)",
    "Region Nordjylland",
    False,
)
R_RELEASE_ORDER = Rule(
    "release-physician-order", "S34c PRI Afslutning, Paramediciner (BEK 1264 of 09/11/2018)", "national", True
)
R_EPIKRISE_CPR = Rule(
    "epikrise-cpr", "S20f PRI Epikrise (no epikrise without CPR)", "Region Nordjylland", True
)
R_HOME_CARE = Rule("home-care-consent", "ARCHITECTURE §6 (home-care notice only with consent)", "PPJ", False)
R_REFUSAL = Rule(
    "refusal-capacity", "S34c PRI Afslutning; S20f (afsluttet mod givet råd)", "Region Nordjylland", True
)
R_ARREST = Rule(
    "cardiac-arrest-core", "S20e PRI Hjertestop; S25a Utstein 2014 (list to verify)", "national", False
)
R_STROKE = Rule("stroke", "S26a PASS; S1 NEMSIS eSituation.18 last known well", "national", False)
R_TRAUMA = Rule("trauma-mist", "S28a/S28b ATMIST", "UK (used in DK handover)", False)

GLUCOSE_RELEVANT = frozenset(
    {"hypoglycaemia", "diabetes_other", "altered_consciousness", "seizure", "stroke_symptoms", "intoxication"}
)


def completeness(state: JournalState) -> list[MissingItem]:
    """The checklist of what is missing for this journal's disposition (empty: ready to sign)."""
    out: list[MissingItem] = []

    def missing(rule: Rule, message: str) -> None:
        out.append(MissingItem(rule, message))

    for f in state.conflicts:
        names = ", ".join(f"{r.entry.author.name} ({r.entry.unit or r.entry.device_id})" for r in f.current)
        missing(R_CONFLICT, f"Conflicting values for {' / '.join(f.key)} from {names}: choose the right one")
    for e in state.pending_amendments:
        missing(
            R_PENDING, f"A {e.kind} by {e.author.name} refers to an entry this device has not received yet"
        )

    disposition = state.value("disposition")
    if not isinstance(disposition, Disposition):
        missing(R_DISPOSITION, "No disposition: how did the episode end (transported, released, …)?")
        return out
    if disposition.outcome == "cancelled_no_patient":
        return out

    identity = state.value("patient_identity")
    if not isinstance(identity, PatientIdentity):
        missing(R_IDENTITY, "Patient identity missing (CPR, replacement CPR, or record as unknown patient)")
    complaint = state.value("chief_complaint")
    if not isinstance(complaint, ChiefComplaint):
        missing(R_COMPLAINT, "Chief complaint missing (why we came)")
    if mark(state, "patient_contact") is None:
        missing(R_TIMES, f"Time missing: {TIMESTAMP_LABELS['patient_contact']}")
    units = sorted({e.unit for e in state.entries.values() if e.unit})
    for unit in units:
        for event in TIMESTAMP_EVENTS_REQUIRED:
            if mark(state, event, unit) is None:
                missing(R_TIMES, f"Time missing for {unit}: {TIMESTAMP_LABELS[event]}")
    for unit, first, second in out_of_order(state):
        missing(
            R_TIME_ORDER, f"{unit}: {TIMESTAMP_LABELS[second]} is before {TIMESTAMP_LABELS[first]} — check"
        )

    vitals = [v for v in state.current("vital_signs") if isinstance(v, VitalSigns)]
    if not vitals and disposition.outcome not in ("dead_on_scene",):
        missing(R_ONE_VITALS, "No vital signs recorded")

    outcome = disposition.outcome
    if outcome == "transported":
        if state.value("destination") is None:
            missing(R_DESTINATION, "Destination hospital missing")
        if state.value("transport_urgency") is None:
            missing(R_URGENCY, "Transport urgency (kørsel A/B/C/D) missing")
        if not any(isinstance(h, Handover) and h.to == "hospital" for h in state.current("handover")):
            missing(R_HANDOVER, "Handover at hospital not recorded")
    elif outcome == "treated_and_released":
        complete_sets = [v for v in vitals if v.complete_core_set()]
        if len(complete_sets) < 2:
            missing(
                R_RELEASE_VITALS,
                f"Treated and released needs two complete sets of vitals (BP, pulse, SpO2, RR); "
                f"{len(complete_sets)} recorded",
            )
        # The derived GCS of the latest assessment with GCS items: a numeric total of 15 (never one with a
        # qualifier such as VT, which has no total, and never a GCS whose table this build lacks).
        gcs = state.derived.gcs
        if gcs is None or gcs.result is None or gcs.result.total != 15:
            missing(R_RELEASE_GCS, "Treated and released needs GCS 15 (E4 V5 M6) at the last assessment")
        glucose_relevant = isinstance(complaint, ChiefComplaint) and complaint.category in GLUCOSE_RELEVANT
        if glucose_relevant and not any(v.glucose is not None for v in vitals):
            missing(
                R_RELEASE_GLUCOSE,
                "Blood glucose (BS) not measured, and it is relevant for this complaint",
            )
        disposition_fact = state.fact("disposition")
        by_physician = disposition_fact is not None and any(
            r.entry.author.role == Role.PHYSICIAN for r in disposition_fact.current
        )
        if disposition.physician_order is None and not by_physician:
            missing(
                R_RELEASE_ORDER,
                "Treated and released needs the physician's concrete order (who, when, how)",
            )
        if isinstance(identity, PatientIdentity) and not isinstance(identity.identifier, CprIdentifier):
            missing(R_EPIKRISE_CPR, "No CPR: the epikrise to the GP cannot be sent — identify the patient")
        history = state.value("history")
        if (
            isinstance(history, History)
            and history.lives_alone
            and disposition.consent_share_with_home_care is None
        ):
            missing(R_HOME_CARE, "Patient lives alone: ask and record consent to notify home care")
    elif outcome == "refused_against_advice":
        refusals = [r for r in state.current("refusal_capacity") if isinstance(r, RefusalCapacity)]
        if not any(r.capacity_assessed for r in refusals):
            missing(R_REFUSAL, "Refusal needs a recorded capacity assessment")
        if not any(r.informed_of_risks for r in refusals):
            missing(R_REFUSAL, "Refusal: record that the patient was told the risks")

    arrest = [a for a in state.current("cardiac_arrest_event") if isinstance(a, CardiacArrestEvent)]
    if arrest:
        events = {a.event for a in arrest}
        if "collapse" not in events:
            missing(R_ARREST, "Cardiac arrest: collapse time and who witnessed it are missing")
        if "rhythm_check" not in events:
            missing(R_ARREST, "Cardiac arrest: first monitored rhythm is missing")
        if not events & {"rosc", "resuscitation_stopped"} and outcome != "transported":
            missing(R_ARREST, "Cardiac arrest: outcome (ROSC or resuscitation stopped) is missing")
    if isinstance(complaint, ChiefComplaint):
        if complaint.category == "stroke_symptoms":
            if not state.current("stroke_scale"):
                missing(R_STROKE, "Stroke symptoms: PASS items not recorded")
            if complaint.last_known_well is None:
                missing(R_STROKE, "Stroke symptoms: time last known well not recorded")
        if complaint.category == "trauma" and state.value("mechanism_injuries") is None:
            missing(R_TRAUMA, "Trauma: mechanism and injuries (MIST) not recorded")
    return out
