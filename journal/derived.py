"""Derived values: the clinical scores of a folded journal, computed from its entries, never stored.

``derive(state) -> DerivedValues`` (also ``state.derived``, computed on first use and kept with the state, so
a fold whose caller never asks for scores costs nothing extra). Every score is computed with the table
version recorded on the journal (``score_table_versions``); see ``docs/journal.md`` §Derived values for the
rules, summarised here:

* **NEWS2 and TOKS per vital set**, in clinical order. The set gives RR, SpO2, air/oxygen, systolic BP,
  pulse and temperature — air/oxygen only from the set itself (it says how *that* SpO2 was taken).
  Consciousness comes from the latest recorded ACVPU at or before the set's clinical time and at most
  ``CONSCIOUSNESS_WINDOW`` earlier (TOKS: the latest numeric GCS total in the same window); a GCS does not
  stand in for a missing ACVPU. A reading the instrument gave only as HI/LO is not scored.
* **SpO2 scale 2** only when an authored scale decision (recorded by hand by a clinician) is in force at the
  set's clinical time: the latest effective decision at or before it. A later decision never re-scores an
  earlier set; a decision withdrawn by a retraction or replaced by a correction never applied; decisions in
  conflict score on scale 1 with a note.
* **Age** from the patient identity on the set's clinical date in Danish time (CPR birth date) or the
  estimated age of an unknown patient (NEWS2 under 16 and TOKS under 18 do not apply); **pregnancy** is
  recorded by no kind yet, so it is unknown (NEWS2 then carries its "pregnancy not recorded" caveat).
* **GCS** from the consciousness entries with GCS items (the latest is the current GCS); **PASS** from the
  stroke-scale items.
* An input a scorer refuses (``ScoreInputError``) makes that parameter *not scorable* — listed with the
  reason — and the rest is scored; a table version this build does not ship leaves that score underived,
  with a note. Neither ever stops the fold.
* A journal with no recorded table versions (or none for a score) is scored with ``CURRENT_TABLE_VERSIONS``
  and says so in ``notes``: which table was in force when it was opened is not known.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, NamedTuple, TypeVar

from journal.entry import Entry
from journal.gc_pause import cycle_collection_paused
from journal.i18n import DEFAULT_LANGUAGE, translator
from journal.kinds.mission import ScoreTableVersions
from journal.kinds.observations import (
    Consciousness,
    ExactReadings,
    GcsItems,
    Spo2ScaleDecision,
    StrokeScale,
    VitalSigns,
)
from journal.kinds.patient import PatientIdentity
from journal.local_time import DANISH_TIME
from journal.scores import (
    CURRENT_TABLE_VERSIONS,
    TABLES,
    Acvpu,
    GcsEyeQualifier,
    GcsMotorQualifier,
    GcsResult,
    GcsVerbalQualifier,
    InspiredOxygen,
    News2Result,
    PassResult,
    ScoreInputError,
    ScoreName,
    ScoreStatus,
    Spo2Scale,
    ToksResult,
    UnknownTableVersionError,
    news2_text,
    score_gcs,
    score_news2,
    score_pass,
    score_toks,
)
from journal.scores.results import memoised
from journal.state import Fact, JournalState, Revision

CONSCIOUSNESS_WINDOW = timedelta(minutes=15)
"""How long a recorded ACVPU (or GCS, for TOKS) counts for the vital sets after it. Prehospital observations
are taken together but typed one by one; an assessment older than this no longer describes the patient."""


R = TypeVar("R")


class NotScorable(NamedTuple):
    """A recorded value a score could not use: the score's input name and why (it counts as missing)."""

    field: str
    reason: str


class VitalSetScores(NamedTuple):
    """NEWS2 and TOKS of one vital set, with what was combined to derive them.

    ``news2``/``toks`` are None only when their table version is not shipped by this build (see
    ``DerivedValues.notes``). ``in_conflict``: the set is one of several concurrent corrections of one item.
    """

    revision: Revision
    in_conflict: bool
    news2: News2Result | None
    toks: ToksResult | None
    spo2_scale: Spo2Scale
    scale_decision: Entry | None
    """The authored decision in force (None: no decision, or decisions in conflict — scale 1)."""
    consciousness: Entry | None
    """The consciousness entry whose ACVPU was used."""
    gcs_for_toks: Entry | None
    age_years: int | None
    not_scorable: tuple[NotScorable, ...]

    @property
    def time(self) -> datetime:
        return self.revision.entry.clinical_time.at


class GcsScore(NamedTuple):
    """The GCS of one consciousness entry (``result`` None: table version not shipped)."""

    revision: Revision
    result: GcsResult | None
    not_scorable: tuple[NotScorable, ...]
    caveats: tuple[str, ...]

    @property
    def time(self) -> datetime:
        return self.revision.entry.clinical_time.at


class PassScore(NamedTuple):
    """The PASS of one stroke-scale entry (``result`` None: table version not shipped)."""

    revision: Revision
    result: PassResult | None

    @property
    def time(self) -> datetime:
        return self.revision.entry.clinical_time.at


@dataclass(frozen=True, slots=True)
class DerivedValues:
    """Every derived score of a journal state. Derived, never stored: recomputed from the entries."""

    table_versions: Mapping[str, str]
    """The table version each score was derived with (score name → version)."""
    table_versions_recorded: bool
    """False when the journal records no versions (or not for every score): those use the current ones."""
    vital_sets: tuple[VitalSetScores, ...]
    """NEWS2 and TOKS per vital set, in clinical order (the trend)."""
    gcs_trend: tuple[GcsScore, ...]
    """GCS per consciousness entry that has GCS items, in clinical order."""
    pass_scores: tuple[PassScore, ...]
    """PASS per stroke-scale entry, in clinical order."""
    notes: tuple[str, ...]
    """Why something was derived with assumptions or not at all (versions, conflicts)."""

    @property
    def latest_news2(self) -> VitalSetScores | None:
        """The latest vital set with a NEWS2 result that says something: complete, not applicable, or
        partial with at least one parameter scored (a set holding only a glucose is skipped)."""
        return next((v for v in reversed(self.vital_sets) if _informative(v.news2)), None)

    @property
    def gcs(self) -> GcsScore | None:
        """The current GCS: that of the latest consciousness entry with GCS items."""
        return self.gcs_trend[-1] if self.gcs_trend else None

    @property
    def latest_pass(self) -> PassScore | None:
        return self.pass_scores[-1] if self.pass_scores else None


def _informative(result: News2Result | None) -> bool:
    return result is not None and (result.status is not ScoreStatus.PARTIAL or bool(result.scored))


def derive(state: JournalState) -> DerivedValues:
    """The derived scores of ``state`` (pure; ``state.derived`` keeps the result with the state)."""
    with cycle_collection_paused():
        return _derive(state)


def _derive(state: JournalState) -> DerivedValues:
    notes: list[str] = []
    versions, recorded = _table_versions(state, notes)
    gcs_trend = tuple(_gcs_scores(state, versions[ScoreName.GCS]))
    vital_sets = tuple(_vital_set_scores(state, versions, gcs_trend, notes))
    pass_scores = tuple(
        PassScore(revision, _pass(payload, versions[ScoreName.PASS]))
        for revision, payload in _current(state, "stroke_scale", StrokeScale)
    )
    for score, version in versions.items():
        if (score, version) not in TABLES:
            notes.append(
                f"{score} table version {version!r} is not shipped by this build: {score} not derived"
            )
    return DerivedValues(
        table_versions=versions,
        table_versions_recorded=recorded,
        vital_sets=vital_sets,
        gcs_trend=gcs_trend,
        pass_scores=pass_scores,
        notes=tuple(notes),
    )


def table_versions_in_force() -> ScoreTableVersions:
    """The entry payload a new journal records when it is opened: the table versions in force now."""
    return ScoreTableVersions(versions={str(score): v for score, v in CURRENT_TABLE_VERSIONS.items()})


def scores_text(
    derived: DerivedValues, *, tz: tzinfo = DANISH_TIME, lang: str = DEFAULT_LANGUAGE
) -> str | None:
    """The handover line (ISBAR A, ATMIST S): latest NEWS2 with risk and scale, current GCS, latest PASS,
    each with its clinical time, introduced as calculated so it is never read as a recorded value."""
    t = translator(lang)
    parts: list[str] = []
    news2 = derived.latest_news2
    if news2 is not None and news2.news2 is not None:
        text = news2_text(news2.news2, lang)
        if news2.news2.status is not ScoreStatus.NOT_APPLICABLE and news2.spo2_scale is Spo2Scale.SCALE_1:
            text += t("scores.scale_1")
        parts.append(t("scores.at", text=text, time=f"{news2.time.astimezone(tz):%H:%M}"))
    gcs = derived.gcs
    if gcs is not None and gcs.result is not None:
        parts.append(t("scores.at", text=gcs.result.display, time=f"{gcs.time.astimezone(tz):%H:%M}"))
    stroke = derived.latest_pass
    if stroke is not None and stroke.result is not None:
        parts.append(t("scores.at", text=stroke.result.display, time=f"{stroke.time.astimezone(tz):%H:%M}"))
    if not parts:
        return None
    return t("scores.calculated", parts="; ".join(parts))


# --- table versions -------------------------------------------------------------------------------------


def _table_versions(state: JournalState, notes: list[str]) -> tuple[dict[str, str], bool]:
    fact = state.fact("score_table_versions")
    recorded: dict[str, str] = {}
    if fact is not None and fact.conflict:
        notes.append("score table versions in conflict: scored with the versions in force now")
    elif fact is not None and isinstance(fact.value, ScoreTableVersions):
        recorded = dict(fact.value.versions)
    versions: dict[str, str] = {}
    missing: list[str] = []
    for score, current in CURRENT_TABLE_VERSIONS.items():
        version = recorded.get(score)
        if version is None:
            missing.append(score)
            version = current
        versions[str(score)] = version
    if missing and not (fact is not None and fact.conflict):
        which = "" if len(missing) == len(CURRENT_TABLE_VERSIONS) else f" for {', '.join(missing)}"
        notes.append(
            f"no score table versions recorded on the journal{which}: scored with the versions in force now "
            "(which were in force when the journal was opened is not known)"
        )
    return versions, not missing


def _scored(function: Callable[..., R], inputs: dict[str, Any]) -> tuple[R | None, tuple[NotScorable, ...]]:
    """Score, and when the scorer refuses an input, score again without it (it is then not scorable)."""
    refused: list[NotScorable] = []
    while True:
        try:
            return function(**inputs), tuple(refused)
        except ScoreInputError as error:
            if inputs.get(error.field) is None:
                raise  # not a recorded value: a bug in this module, never hide it
            refused.append(NotScorable(error.field, f"{error.value!r} {error.problem}"))
            inputs[error.field] = None
        except UnknownTableVersionError:
            return None, tuple(refused)


# --- helpers over the state ---------------------------------------------------------------------------

P = TypeVar("P")


def _current(state: JournalState, kind: str, cls: type[P]) -> Iterable[tuple[Revision, P]]:
    for item in state.items.get(kind, ()):
        for revision in item.current:
            value = revision.value
            if isinstance(value, cls):
                yield revision, value


def _age_on(identity: PatientIdentity | None, at: datetime) -> int | None:
    """Age in whole years on the Danish calendar date of ``at`` (None: no usable identity)."""
    if identity is None:
        return None
    return identity.age_on(at.astimezone(DANISH_TIME).date())


def _identity(state: JournalState, notes: list[str]) -> PatientIdentity | None:
    fact = state.fact("patient_identity")
    if fact is not None and fact.conflict:
        notes.append("patient identity in conflict: age unknown for NEWS2")
        return None
    value = fact.value if fact is not None else None
    return value if isinstance(value, PatientIdentity) else None


# --- SpO2 scale decisions -----------------------------------------------------------------------------


class _ScaleChange(NamedTuple):
    at: float
    scale: int
    decision: Entry | None
    conflict: bool


def _authored(entry: Entry) -> bool:
    """Written by hand by a clinician (a correction carries its own author: it must be one too). The
    envelope refuses anything else since the rule was extended to corrections; this guards the entries a
    store already holds from before that."""
    return entry.source == "manual" and entry.clinical_author


def _scale_changes(fact: Fact | None, notes: list[str]) -> list[_ScaleChange]:
    """The SpO2 scale in force from each clinical time at which the decision fact changed, in order.

    A decision can be in force when a clinician wrote it by hand and no correction or retraction struck it
    (a struck original never applied). At time t the decisions in force are those at or before t that no
    entry of the fact at or before t names (a newer value in ``based_on``, or an amendment): none is scale 1,
    several differing ones are a conflict (scale 1, with a note)."""
    if fact is None:
        return []
    struck_by_amendment = {
        s.revision.entry.key
        for s in fact.struck
        if any(e.payload.CARDINALITY == "amendment" for e in s.struck_by)
    }
    members = sorted(list(fact.current) + [s.revision for s in fact.struck], key=lambda r: r.entry.time_key)
    changes: list[_ScaleChange] = []
    named: set[str] = set()
    candidates: list[tuple[Entry, Spo2ScaleDecision]] = []
    for revision in members:
        entry, value = revision
        named.update(entry.refs)
        if isinstance(value, Spo2ScaleDecision) and entry.key not in struck_by_amendment:
            if _authored(entry):
                candidates.append((entry, value))
            else:
                notes.append(
                    f"SpO2 scale decision {entry.entry_id} not written by hand by a clinician: ignored"
                )
        in_force = [(e, v) for e, v in candidates if e.key not in named]
        at = entry.time_key[0]
        if len({v.scale for _, v in in_force}) > 1:
            changes.append(_ScaleChange(at, 1, None, True))
        elif in_force:
            decided, decision = in_force[-1]
            changes.append(_ScaleChange(at, decision.scale, decided, False))
        else:
            changes.append(_ScaleChange(at, 1, None, False))
    return changes


# --- per vital set --------------------------------------------------------------------------------------


def _inspired(on_oxygen: bool | None) -> InspiredOxygen | None:
    if on_oxygen is None:
        return None
    return InspiredOxygen.OXYGEN if on_oxygen else InspiredOxygen.AIR


@memoised
def _set_scores(
    news2_version: str,
    toks_version: str,
    readings: ExactReadings,
    acvpu: str | None,
    gcs_total: int | None,
    age: int | None,
    scale: int,
) -> tuple[News2Result | None, ToksResult | None, tuple[NotScorable, ...]]:
    """NEWS2 and TOKS of one vital set in its context, remembered by those inputs (a re-fold asks again
    with the same ones; plain strings and ints, which hash in C, stand for ACVPU and the SpO2 scale). HI/LO
    readings are not scorable, nor are values a scorer refuses."""
    rr, spo2, sbp, pulse, temperature, on_oxygen, range_limited = readings
    news2, news2_refused = _scored(
        score_news2,
        {
            "table_version": news2_version,
            "respiration_rate": rr,
            "spo2": spo2,
            "inspired_oxygen": _inspired(on_oxygen),
            "systolic_bp": sbp,
            "pulse": pulse,
            "consciousness": None if acvpu is None else Acvpu(acvpu),
            "temperature_c": temperature,
            "age_years": age,
            "pregnant": None,
            "spo2_scale": _SCALES[scale],
        },
    )
    toks, toks_refused = _scored(
        score_toks,
        {
            "table_version": toks_version,
            "respiration_rate": rr,
            "spo2": spo2,
            "systolic_bp": sbp,
            "pulse": pulse,
            "gcs_total": gcs_total,
            "temperature_c": temperature,
            "age_years": age,
        },
    )
    limited = tuple(
        NotScorable(_SCORE_FIELD[name], f"only a range limit was recorded ({shown})")
        for name, shown in range_limited
    )
    refused = {(n.field, n.reason): n for n in (*limited, *news2_refused, *toks_refused)}
    return news2, toks, tuple(refused.values())


_SCORE_FIELD = {
    "respiratory_rate": "respiration_rate",
    "spo2": "spo2",
    "bp_systolic": "systolic_bp",
    "heart_rate": "pulse",
    "temperature": "temperature_c",
}
"""Vital-sign field → the scores' input name."""


_WINDOW_S = CONSCIOUSNESS_WINDOW.total_seconds()
_SCALES = {1: Spo2Scale.SCALE_1, 2: Spo2Scale.SCALE_2}


def _by_time(pair: tuple[Entry, object]) -> tuple[float, str, str]:
    return pair[0].time_key


_BY_TIME = _by_time


def _vital_set_scores(
    state: JournalState,
    versions: Mapping[str, str],
    gcs_trend: tuple[GcsScore, ...],
    notes: list[str],
) -> list[VitalSetScores]:
    identity = _identity(state, notes)
    # Danish time is a whole number of hours off UTC, so the Danish date (and the age) is fixed within a
    # UTC hour: the age is looked up once per hour of clinical time.
    ages: dict[int, int | None] = {}
    # Sorted for the bisections (an item in conflict holds several current values, in HLC order).
    acvpu_entries = sorted(
        (
            (revision.entry, value.acvpu)
            for revision, value in _current(state, "consciousness", Consciousness)
            if value.acvpu is not None
        ),
        key=_BY_TIME,
    )
    acvpu_times = [e.time_key[0] for e, _ in acvpu_entries]
    gcs_totals = sorted(
        (
            (g.revision.entry, g.result.total)
            for g in gcs_trend
            if g.result is not None and g.result.total is not None
        ),
        key=_BY_TIME,
    )
    gcs_times = [e.time_key[0] for e, _ in gcs_totals]
    changes = _scale_changes(state.fact("spo2_scale_decision"), notes)
    change_times = [c.at for c in changes]
    news2_version, toks_version = versions[ScoreName.NEWS2], versions[ScoreName.TOKS]
    new = tuple.__new__  # builds the named tuples in C: this loop runs once per vital set
    window = _WINDOW_S
    out: list[VitalSetScores] = []
    conflict_noted = False
    # The hot loop of the derivation (once per vital set, on every fold): local names only, no calls but
    # the bisections and the remembered scores.
    for item in state.items.get("vital_signs", ()):
        in_conflict = item.conflict
        for revision in item.current:
            entry, vitals = revision
            if not isinstance(vitals, VitalSigns):
                continue
            at = entry.time_key[0]
            i = bisect_right(acvpu_times, at) - 1
            consciousness, acvpu = (
                acvpu_entries[i] if i >= 0 and at - acvpu_times[i] <= window else (None, None)
            )
            i = bisect_right(gcs_times, at) - 1
            gcs_entry, gcs_total = gcs_totals[i] if i >= 0 and at - gcs_times[i] <= window else (None, None)
            i = bisect_right(change_times, at) - 1
            if i >= 0:
                change = changes[i]
                scale, decision = change.scale, change.decision
                if change.conflict and not conflict_noted:
                    notes.append("SpO2 scale decisions in conflict: NEWS2 scored on scale 1 until resolved")
                    conflict_noted = True
            else:
                scale, decision = 1, None
            hour = int(at // 3600)
            if hour in ages:
                age = ages[hour]
            else:
                age = ages[hour] = _age_on(identity, entry.clinical_time.at)
            news2, toks, refused = _set_scores(
                news2_version, toks_version, vitals.exact, acvpu, gcs_total, age, scale
            )
            out.append(
                new(
                    VitalSetScores,
                    (
                        revision,
                        in_conflict,
                        news2,
                        toks,
                        _SCALES[scale],
                        decision,
                        consciousness,
                        gcs_entry,
                        age,
                        refused,
                    ),
                )
            )
    return out


# --- GCS and PASS ---------------------------------------------------------------------------------------


def gcs_inputs(items: GcsItems) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The scorer's eye/verbal/motor inputs for recorded GCS items (a qualifier where a component is not
    testable), and the caveats (sedated, paralysed, aphasia). The tablet's GCS preview uses the same."""
    caveats: list[str] = []
    eye: Any = items.eye
    if eye is None and items.eye_qualifier == "C":
        eye = GcsEyeQualifier.CLOSED_BY_SWELLING
    verbal: Any = items.verbal
    if verbal is None and items.verbal_qualifier == "T":
        verbal = GcsVerbalQualifier.INTUBATED
    elif verbal is None and items.verbal_qualifier == "A":
        verbal = GcsVerbalQualifier.NOT_TESTABLE
        caveats.append("verbal not testable: aphasia")
    motor: Any = items.motor
    if motor is None and items.paralysed:
        motor = GcsMotorQualifier.NOT_TESTABLE
    if items.sedated:
        caveats.append("sedated")
    if items.paralysed:
        caveats.append("paralysed")
    return {"eye": eye, "verbal": verbal, "motor": motor}, tuple(caveats)


def _gcs_scores(state: JournalState, version: str) -> Iterable[GcsScore]:
    for revision, value in _current(state, "consciousness", Consciousness):
        if value.gcs is None:
            continue
        inputs, caveats = gcs_inputs(value.gcs)
        result, refused = _scored(score_gcs, {"table_version": version, **inputs})
        yield GcsScore(revision, result, refused, caveats)


def _pass(items: StrokeScale, version: str) -> PassResult | None:
    result, _ = _scored(
        score_pass,
        {
            "table_version": version,
            "loc_questions_abnormal": items.loc_questions_abnormal,
            "gaze_abnormal": items.gaze_palsy,
            "arm_weakness": items.arm_weakness,
        },
    )
    return result


__all__ = [
    "CONSCIOUSNESS_WINDOW",
    "DerivedValues",
    "GcsScore",
    "NotScorable",
    "PassScore",
    "VitalSetScores",
    "derive",
    "gcs_inputs",
    "scores_text",
    "table_versions_in_force",
]
