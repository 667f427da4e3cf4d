"""Handover text generated from the state: ISBAR (Danish guidelines, S20i) and ATMIST (S28a/S28b).

Derived scores (NEWS2, GCS, PASS) are not computed here: pass their line as ``derived_scores_text``, made by
``journal.derived.scores_text(state.derived)``.
Both texts read only current values; anything in conflict is said to be in conflict, never silently picked.
Text comes from the journal catalogue (``journal.i18n``) in ``lang``, Danish by default.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from journal.entry import Author
from journal.i18n import DEFAULT_LANGUAGE, Translate, label, translator
from journal.intervals import mark
from journal.kinds.disposition import Destination, Disposition, TransportUrgency
from journal.kinds.patient import ChiefComplaint, MechanismInjuries, PatientIdentity
from journal.local_time import DANISH_TIME
from journal.state import JournalState

TREATMENT_KINDS = ("medication", "procedure", "cardiac_arrest_event", "consultation")
"""ISBAR B: treatment with time and effect, and who was consulted (S20i)."""


def _fact_text(state: JournalState, kind: str, absent: str, lang: str) -> str:
    fact = state.fact(kind)
    if fact is None or fact.retracted:
        return absent
    t = translator(lang)
    if fact.conflict:
        values = " | ".join(
            r.value.summary(lang) if r.value else t("handover.retracted") for r in fact.current
        )
        return t("handover.in_conflict", values=values)
    value = fact.value
    return value.summary(lang) if value is not None else absent


def _latest(state: JournalState, kind: str, lang: str) -> tuple[datetime, str] | None:
    entries = state.current_entries(kind)
    if not entries:
        return None
    revision, _ = entries[-1]
    return revision.time, revision.value.summary(lang) if revision.value else ""


def _reference_day(state: JournalState) -> datetime | None:
    contact = mark(state, "patient_contact")
    if contact is not None:
        return contact
    return min((e.clinical_time.at for e in state.entries.values()), default=None)


def _age_sex(state: JournalState, t: Translate, lang: str) -> str:
    identity = state.value("patient_identity")
    if not isinstance(identity, PatientIdentity):
        return t("handover.age_sex_unknown")
    day = _reference_day(state)
    age = identity.age_on(day.date()) if day is not None else None
    sex = label(lang, "sex", identity.sex) if identity.sex else t("handover.sex_not_recorded")
    return t("handover.age_sex", age=age if age is not None else "?", sex=sex)


def _signs(state: JournalState, tz: tzinfo, lang: str) -> str:
    parts = []
    vitals = _latest(state, "vital_signs", lang)
    if vitals:
        parts.append(f"{vitals[1]} ({vitals[0].astimezone(tz):%H:%M})")
    consciousness = _latest(state, "consciousness", lang)
    if consciousness:
        parts.append(f"{consciousness[1]} ({consciousness[0].astimezone(tz):%H:%M})")
    return "; ".join(parts) or translator(lang)("handover.no_vitals")


def _treatment(state: JournalState, tz: tzinfo, lang: str) -> str:
    done = sorted(
        (r.time, r.value.summary(lang))
        for kind in TREATMENT_KINDS
        for r, _ in state.current_entries(kind)
        if r.value is not None
    )
    return "; ".join(f"{t.astimezone(tz):%H:%M} {text}" for t, text in done) or translator(lang)(
        "handover.no_treatment"
    )


def _recommendation(state: JournalState, t: Translate, lang: str) -> str:
    disposition = state.value("disposition")
    if isinstance(disposition, Disposition) and disposition.outcome != "transported":
        advice = (
            t("handover.advice_given", advice=disposition.advice_given) if disposition.advice_given else ""
        )
        return disposition.summary(lang) + advice
    return t(
        "handover.destination",
        destination=_fact_text(state, "destination", t("handover.destination_not_set"), lang),
        urgency=_fact_text(state, "transport_urgency", t("handover.urgency_not_set"), lang),
    )


def isbar(
    state: JournalState,
    *,
    reporter: Author | None = None,
    derived_scores_text: str | None = None,
    tz: tzinfo = DANISH_TIME,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """ISBAR handover text (I: who and which patient, S: situation, B: background, A: assessment, R).

    Clock times are shown in ``tz`` (pass the receiver's local zone, e.g. Europe/Copenhagen); pass
    ``derived_scores_text`` made in the same ``lang``."""
    t = translator(lang)
    identity = state.value("patient_identity")
    who = f"{reporter.name}, {reporter.role}" if reporter else t("isbar.reporter_not_given")
    if isinstance(identity, PatientIdentity):
        patient = identity.summary(lang) + (
            t("isbar.identity_uncertain") if identity.identity_uncertain else ""
        )
    else:
        patient = _fact_text(state, "patient_identity", t("isbar.patient_not_identified"), lang)
    assessment = _latest(state, "assessment", lang)
    lines = [
        t("isbar.i", who=who, patient=patient, age_sex=_age_sex(state, t, lang)),
        t(
            "isbar.s",
            complaint=_fact_text(state, "chief_complaint", t("isbar.no_complaint"), lang),
            signs=_signs(state, tz, lang),
        ),
        t(
            "isbar.b",
            history=_fact_text(state, "history", t("isbar.no_history"), lang),
            treatment=_treatment(state, tz, lang),
        ),
        t("isbar.a", assessment=assessment[1] if assessment else t("isbar.no_abcde"))
        + (t("isbar.scores", scores=derived_scores_text) if derived_scores_text else ""),
        t("isbar.r", recommendation=_recommendation(state, t, lang)),
    ]
    if state.conflicts:
        lines.append(t("isbar.conflicts", keys=", ".join("/".join(f.key) for f in state.conflicts)))
    return "\n".join(lines)


def atmist(
    state: JournalState,
    *,
    derived_scores_text: str | None = None,
    tz: tzinfo = DANISH_TIME,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """ATMIST(ER): Age/sex, Time, Mechanism (or problem), Injuries (or findings), Signs, Treatment, ETA."""
    t = translator(lang)
    mechanism = state.value("mechanism_injuries")
    complaint = state.value("chief_complaint")
    if isinstance(mechanism, MechanismInjuries):
        when = mechanism.time_of_incident
        m_text = mechanism.mechanism
        injuries = mechanism.injuries_text(lang) if mechanism.injuries else t("atmist.no_injuries_found")
    else:
        when = complaint.onset if isinstance(complaint, ChiefComplaint) else None
        m_text = _fact_text(state, "chief_complaint", t("atmist.problem_not_recorded"), lang)
        last_assessment = _latest(state, "assessment", lang)
        injuries = last_assessment[1] if last_assessment else t("atmist.no_findings")
    when = when or mark(state, "call_received") or _reference_day(state)
    destination = state.value("destination")
    eta = (
        t("atmist.eta", time=f"{destination.eta.astimezone(tz):%H:%M}", hospital=destination.hospital)
        if isinstance(destination, Destination) and destination.eta
        else t("atmist.eta_not_given")
    )
    urgency = state.value("transport_urgency")
    signs = _signs(state, tz, lang) + (f"; {derived_scores_text}" if derived_scores_text else "")
    return "\n".join(
        [
            f"A: {_age_sex(state, t, lang)}",
            f"T: {when.astimezone(tz):%H:%M}" if when else f"T: {t('atmist.time_unknown')}",
            f"M: {m_text}",
            f"I: {injuries}",
            f"S: {signs}",
            f"T: {_treatment(state, tz, lang)}",
            f"E: ETA {eta}"
            + (t("atmist.urgency", level=urgency.level) if isinstance(urgency, TransportUrgency) else ""),
        ]
    )


__all__ = ["atmist", "isbar"]
