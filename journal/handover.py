"""Handover text generated from the state: ISBAR (Danish guidelines, S20i) and ATMIST (S28a/S28b).

Derived scores (NEWS2, GCS, PASS) are not computed here: pass their line as ``derived_scores_text``, made by
``journal.derived.scores_text(state.derived)``.
Both texts read only current values; anything in conflict is said to be in conflict, never silently picked.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from journal.entry import Author
from journal.intervals import mark
from journal.kinds.disposition import Destination, Disposition, TransportUrgency
from journal.kinds.patient import ChiefComplaint, MechanismInjuries, PatientIdentity
from journal.local_time import DANISH_TIME
from journal.state import JournalState

TREATMENT_KINDS = ("medication", "procedure", "cardiac_arrest_event", "consultation")
"""ISBAR B: treatment with time and effect, and who was consulted (S20i)."""


def _fact_text(state: JournalState, kind: str, absent: str) -> str:
    fact = state.fact(kind)
    if fact is None or fact.retracted:
        return absent
    if fact.conflict:
        return "IN CONFLICT: " + " | ".join(
            r.value.summary() if r.value else "retracted" for r in fact.current
        )
    value = fact.value
    return value.summary() if value is not None else absent


def _latest(state: JournalState, kind: str) -> tuple[datetime, str] | None:
    entries = state.current_entries(kind)
    if not entries:
        return None
    revision, _ = entries[-1]
    return revision.time, revision.value.summary() if revision.value else ""


def _reference_day(state: JournalState) -> datetime | None:
    contact = mark(state, "patient_contact")
    if contact is not None:
        return contact
    return min((e.clinical_time.at for e in state.entries.values()), default=None)


def _age_sex(state: JournalState) -> str:
    identity = state.value("patient_identity")
    if not isinstance(identity, PatientIdentity):
        return "age and sex unknown"
    day = _reference_day(state)
    age = identity.age_on(day.date()) if day is not None else None
    sex = identity.sex or "sex not recorded"
    return f"{age if age is not None else '?'} years, {sex}"


def _signs(state: JournalState, tz: tzinfo) -> str:
    parts = []
    vitals = _latest(state, "vital_signs")
    if vitals:
        parts.append(f"{vitals[1]} ({vitals[0].astimezone(tz):%H:%M})")
    consciousness = _latest(state, "consciousness")
    if consciousness:
        parts.append(f"{consciousness[1]} ({consciousness[0].astimezone(tz):%H:%M})")
    return "; ".join(parts) or "no vital signs recorded"


def _treatment(state: JournalState, tz: tzinfo) -> str:
    done = sorted(
        (r.time, r.value.summary())
        for kind in TREATMENT_KINDS
        for r, _ in state.current_entries(kind)
        if r.value is not None
    )
    return "; ".join(f"{t.astimezone(tz):%H:%M} {text}" for t, text in done) or "none"


def _recommendation(state: JournalState) -> str:
    disposition = state.value("disposition")
    if isinstance(disposition, Disposition) and disposition.outcome != "transported":
        advice = f"; advice given: {disposition.advice_given}" if disposition.advice_given else ""
        return disposition.summary() + advice
    return (
        f"Destination {_fact_text(state, 'destination', 'not set')}; "
        f"{_fact_text(state, 'transport_urgency', 'urgency not set')}"
    )


def isbar(
    state: JournalState,
    *,
    reporter: Author | None = None,
    derived_scores_text: str | None = None,
    tz: tzinfo = DANISH_TIME,
) -> str:
    """ISBAR handover text (I: who and which patient, S: situation, B: background, A: assessment, R).

    Clock times are shown in ``tz`` (pass the receiver's local zone, e.g. Europe/Copenhagen)."""
    identity = state.value("patient_identity")
    who = f"{reporter.name}, {reporter.role}" if reporter else "reporter not given"
    if isinstance(identity, PatientIdentity):
        patient = identity.summary() + (" — IDENTITY UNCERTAIN" if identity.identity_uncertain else "")
    else:
        patient = _fact_text(state, "patient_identity", "patient not identified")
    assessment = _latest(state, "assessment")
    lines = [
        f"I: {who}. Patient: {patient} ({_age_sex(state)}).",
        f"S: {_fact_text(state, 'chief_complaint', 'reason for call not recorded')}. "
        f"Now: {_signs(state, tz)}.",
        f"B: {_fact_text(state, 'history', 'history not recorded')}. Treatment: {_treatment(state, tz)}.",
        f"A: {assessment[1] if assessment else 'no ABCDE recorded'}."
        + (f" Scores: {derived_scores_text}." if derived_scores_text else ""),
        f"R: {_recommendation(state)}.",
    ]
    if state.conflicts:
        lines.append(
            "Note: conflicting values in the record: " + ", ".join("/".join(f.key) for f in state.conflicts)
        )
    return "\n".join(lines)


def atmist(state: JournalState, *, derived_scores_text: str | None = None, tz: tzinfo = DANISH_TIME) -> str:
    """ATMIST(ER): Age/sex, Time, Mechanism (or problem), Injuries (or findings), Signs, Treatment, ETA."""
    mechanism = state.value("mechanism_injuries")
    complaint = state.value("chief_complaint")
    if isinstance(mechanism, MechanismInjuries):
        when = mechanism.time_of_incident
        m_text = mechanism.mechanism
        injuries = "; ".join(f"{i.region}: {i.description}" for i in mechanism.injuries) or "none found"
    else:
        when = complaint.onset if isinstance(complaint, ChiefComplaint) else None
        m_text = _fact_text(state, "chief_complaint", "problem not recorded")
        last_assessment = _latest(state, "assessment")
        injuries = last_assessment[1] if last_assessment else "no findings recorded"
    when = when or mark(state, "call_received") or _reference_day(state)
    destination = state.value("destination")
    eta = (
        f"{destination.eta.astimezone(tz):%H:%M} to {destination.hospital}"
        if isinstance(destination, Destination) and destination.eta
        else "not given"
    )
    urgency = state.value("transport_urgency")
    signs = _signs(state, tz) + (f"; {derived_scores_text}" if derived_scores_text else "")
    return "\n".join(
        [
            f"A: {_age_sex(state)}",
            f"T: {when.astimezone(tz):%H:%M}" if when else "T: time not known",
            f"M: {m_text}",
            f"I: {injuries}",
            f"S: {signs}",
            f"T: {_treatment(state, tz)}",
            f"E: ETA {eta}" + (f", kørsel {urgency.level}" if isinstance(urgency, TransportUrgency) else ""),
        ]
    )


__all__ = ["atmist", "isbar"]
