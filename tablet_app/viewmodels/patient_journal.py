"""One patient's journal on the tablet: identity, timeline taps, vital sets, live NEWS2, signing.

Every action writes one journal entry through ``LocalRecord`` (the encrypted local store first, one
local transaction; sync runs in the background) as the crew member who is the active author now
(``CrewViewModel``). What the screen shows is always the fold of the stored entries, never a copy the
screen keeps, so what is shown is what is stored.

* Open: ``JournalViewModel.open_new`` writes "patient contact" (now), the crew on the unit and the score
  table versions in force (scores are derived with the journal's recorded versions for ever after).
* Identity: a CPR (``journal.cpr`` validation; a bad one is refused with the reason) or an unknown
  patient (``LocalIdentifier``). Identifying a patient who has an identity already is a *correction*
  of that entry: the original stays readable, struck through, with who/when/why.
* Timeline: one tap records "now" from the offset-corrected clock; a mark already set is updated
  (``based_on`` the value the author saw) — tapping again never silently adds a second value.
  ``set_time`` records an edited time, flagged as estimated.
* Vital sets: readings collected from the pad are saved as one ``VitalSigns`` entry (UCUM units; "not
  measurable" as such; a value confirmed as implausible carries the note ``CONFIRMED_IMPLAUSIBLE``).
* NEWS2 and TOKS: derived live by ``journal.derived`` (``state.derived``) with the journal's recorded
  table versions; the screen shows the latest informative result of each with its colour band and the
  parameters that scored (``viewmodels.scores``). GCS items (``viewmodels.gcs``) are saved raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from journal.completeness import completeness
from journal.cpr import parse_cpr
from journal.derived import scores_text, table_versions_in_force
from journal.entry import Entry
from journal.errors import InvalidCprError
from journal.handover import isbar
from journal.i18n import text as journal_text
from journal.ids import new_uuid7
from journal.kinds.common import PersonRef, Reading
from journal.kinds.mission import CrewSignOn, MissionAssignment, Timestamp, TimestampEvent
from journal.kinds.observations import VITAL_UNITS, Consciousness, GcsItems, VitalSigns
from journal.kinds.patient import CprIdentifier, LocalIdentifier, PatientIdentity
from journal.kinds.treatment import ArrestEvent, CardiacArrestEvent, Medication, Rhythm
from journal.payload import Payload
from journal.state import Fact, JournalState, Revision
from journal.writer import JournalWriter
from tablet_app.facades.clock import ClockFacade
from tablet_app.i18n import Message, language, message
from tablet_app.observable import Observable
from tablet_app.record import LocalRecord
from tablet_app.viewmodels.crew import CrewViewModel
from tablet_app.viewmodels.numeric_entry import NumericResult
from tablet_app.viewmodels.scores import ScoreView, gcs_text, news2_view, toks_view

CONFIRMED_IMPLAUSIBLE = "confirmed implausible by the author at entry"
"""``Reading.note`` of a value the author confirmed after the pad asked (hazard H-TAB-2)."""

TIMELINE_BUTTONS: dict[TimestampEvent, Message] = {
    "alarm": message("mark.alarm"),
    "departure": message("mark.departure"),
    "on_scene": message("mark.on_scene"),
    "patient_contact": message("mark.patient_contact"),
    "leaving_scene": message("mark.leaving_scene"),
    "at_hospital": message("mark.at_hospital"),
    "handover_hospital": message("mark.handover_hospital"),
}
"""The one-tap timeline buttons, in the order of an episode, with their labels."""


TIMELINE_SHOWN = 60
"""Timeline lines the journal screen shows (the newest); the review screen pages through all."""


@dataclass(frozen=True)
class TimelineLine:
    time: datetime
    text: str
    estimated: bool
    author: str


class JournalViewModel(Observable):
    def __init__(
        self, *, record: LocalRecord, journal_id: UUID, crew: CrewViewModel, clock: ClockFacade
    ) -> None:
        super().__init__()
        self._record = record
        self.journal_id = journal_id
        self._crew = crew
        self._clock = clock
        self.cpr_error: Message | None = None
        self.last_saved: Message | None = None
        self.pending_vitals: dict[str, NumericResult] = {}
        self.pending_on_oxygen: bool | None = None
        crew.subscribe(self._changed)

    # ------------------------------------------------------------------------------------ opening

    @classmethod
    def open_new(
        cls,
        *,
        record: LocalRecord,
        crew: CrewViewModel,
        clock: ClockFacade,
        mission: MissionAssignment | None = None,
    ) -> JournalViewModel:
        """A new journal at patient contact: the mark, the crew on the unit, the score tables in force;
        opened from a dispatch mission, the journal's own copy of that mission's assignment."""
        vm = cls(record=record, journal_id=new_uuid7(), crew=crew, clock=clock)
        now = clock.now()
        if mission is not None:
            vm._save(mission, at=now)
        members = tuple(
            PersonRef(name=p.display_name, role=p.role.value, person_id=p.author().person_id)
            for p in crew.members
        )
        vm._save(CrewSignOn(unit=record.unit or "?", members=members), at=now)
        vm._save(table_versions_in_force(), at=now)
        vm._save(Timestamp(event="patient_contact"), at=now)
        return vm

    # ------------------------------------------------------------------------------------- reading

    @property
    def state(self) -> JournalState:
        return self._record.state(self.journal_id)

    def identity(self) -> PatientIdentity | None:
        value = self.state.value("patient_identity")
        return value if isinstance(value, PatientIdentity) else None

    def identity_text(self) -> Message:
        ident = self.identity()
        if ident is None:
            return message("journal.identity.none")
        if isinstance(ident.identifier, CprIdentifier):
            return message("journal.identity.cpr", cpr=ident.identifier.text())
        return message("journal.identity.unknown")

    def mark_fact(self, event: TimestampEvent) -> Fact | None:
        """The fact of a timeline mark (its fact key is per unit or per patient)."""
        return self.state.fact(*Timestamp(event=event).fact_key(unit=self._record.unit))

    def mark_time(self, event: TimestampEvent) -> datetime | None:
        fact = self.mark_fact(event)
        return None if fact is None or fact.retracted else fact.time

    def timeline(self) -> list[TimelineLine]:
        lines = []
        for item in self.state.timeline:
            entry = item.revision.entry
            lines.append(
                TimelineLine(item.time, _summary(item.revision.value), item.estimated, entry.author.name)
            )
        return lines

    def recent_timeline(self, limit: int = TIMELINE_SHOWN) -> tuple[list[TimelineLine], int]:
        """The newest ``limit`` timeline lines, newest first, and how many older ones are not among them.

        A label holding a long journal's whole timeline is one texture taller than a tablet GPU draws
        (500 lines ≈ 36,000 px, ~0.1 s of CPU to lay out); the older lines are on the review screen."""
        lines = self.timeline()
        shown = lines[-limit:] if limit > 0 else []
        return list(reversed(shown)), len(lines) - len(shown)

    def vital_sets(self) -> list[tuple[datetime, VitalSigns]]:
        """Current vital sets in clinical order (the trend)."""
        sets: list[tuple[datetime, VitalSigns]] = []
        for revision, _fact in self.state.current_entries("vital_signs"):
            if isinstance(revision.value, VitalSigns):
                sets.append((revision.time, revision.value))
        return sorted(sets, key=lambda pair: pair[0])

    def trend(self, field_id: str) -> list[float | None]:
        """One vital's values over the sets (None where the set has none or it was not measurable)."""
        out: list[float | None] = []
        for _at, vs in self.vital_sets():
            reading = getattr(vs, field_id)
            out.append(reading.measured if isinstance(reading, Reading) else None)
        return out

    def news2(self) -> ScoreView:
        """The latest informative NEWS2 (``journal.derived``: the journal's recorded table version, ACVPU
        within its window, SpO2 scale only from an authored decision), with the parameters that scored."""
        return news2_view(self.state.derived)

    def toks(self) -> ScoreView:
        """The latest informative TOKS (GCS total within its window; adult TOKS only)."""
        return toks_view(self.state.derived)

    def gcs(self) -> Message:
        """The current GCS as ``journal.scores`` computes it from the latest recorded items."""
        return gcs_text(self.state.derived)

    def missing_for_signing(self) -> list[str]:
        """The completeness checklist shown at signing (never at capture)."""
        return [item.message for item in completeness(self.state)]

    def handover_text(self) -> str:
        return isbar(
            self.state,
            reporter=self._crew.active_author(),
            derived_scores_text=scores_text(
                self.state.derived, tz=self._clock.now().tzinfo or UTC, lang=language.current
            ),
            tz=self._clock.now().tzinfo or UTC,
            lang=language.current,
        )

    # ------------------------------------------------------------------------------------ writing

    def identify_by_cpr(self, text: str) -> bool:
        """Record the patient's CPR; False (and ``cpr_error``) when it is not a valid CPR."""
        try:
            identifier = CprIdentifier(value=parse_cpr(text).digits)
        except InvalidCprError as exc:
            self.cpr_error = message("journal.cpr_invalid", reason=str(exc))
            self._changed()
            return False
        self.cpr_error = None
        self._set_identity(PatientIdentity(identifier=identifier), reason="patient identified by CPR")
        return True

    def unknown_patient(self) -> None:
        self._set_identity(
            PatientIdentity(identifier=LocalIdentifier.for_journal(self.journal_id), identity_uncertain=True),
            reason="identity unknown",
        )

    def set_municipality(self, code: str) -> None:
        """Record the identified patient's municipality of residence (a DK Core code the caller checked
        against ``journal.municipalities``) as a correction of the identity; the other fields stay."""
        identity = self.identity()
        if identity is None:
            raise ValueError("municipality_code: identify the patient (CPR or unknown) first")
        self._set_identity(
            PatientIdentity.model_validate({**identity.model_dump(), "municipality_code": code}),
            reason="municipality of residence recorded",
        )

    def _set_identity(self, identity: PatientIdentity, *, reason: str) -> None:
        fact = self.state.fact("patient_identity")
        writer = self._writer()
        if fact is not None and len(fact.current) == 1:
            # A later identification corrects the earlier identity: the original stays, struck through.
            entry = writer.correct(fact.current[0].entry, identity, reason=reason)
        else:
            entry = writer.update(fact, identity, at=self._clock.now())
        self._store(entry, message("journal.saved.identity"))

    def tap(self, event: TimestampEvent) -> None:
        """Record ``event`` at now (corrected clock); updates the mark if it was set already."""
        self.set_time(event, self._clock.now(), estimated=False)

    def set_time(self, event: TimestampEvent, at: datetime, *, estimated: bool = True) -> None:
        if at.tzinfo is None:
            raise ValueError("at: a timeline time must be timezone-aware")
        fact = self.mark_fact(event)
        entry = self._writer().write(
            Timestamp(event=event),
            at=at,
            estimated=estimated,
            based_on=fact.current_ids if fact is not None else (),
            clock_offset_ms=self._record.clock_offset_ms(),
        )
        self._store(entry, message("journal.saved.mark"))

    def add_vital(self, result: NumericResult) -> None:
        """A value accepted on the pad joins the set being taken (replacing that field's earlier one)."""
        if result.field_id not in VITAL_UNITS:
            raise ValueError(f"field_id: {result.field_id!r} is not a vital sign")
        self.pending_vitals[result.field_id] = result
        self._changed()

    def set_on_oxygen(self, on_oxygen: bool | None) -> None:
        """Whether the set being taken is on supplemental oxygen (False: on air; None: not said)."""
        self.pending_on_oxygen = on_oxygen
        self._changed()

    def save_vital_set(self) -> bool:
        """Save the collected values as one vital-signs entry at now; False when nothing was collected."""
        if not self.pending_vitals:
            return False
        readings: dict[str, object] = {
            field_id: _reading(field_id, result) for field_id, result in self.pending_vitals.items()
        }
        if self.pending_on_oxygen is not None:
            readings["on_oxygen"] = self.pending_on_oxygen
        # The pad refused meaningless values already; a set the journal still refuses raises here and
        # nothing is stored (the collected values stay for correction).
        self._save(VitalSigns.model_validate(readings), at=self._clock.now())
        self.pending_vitals = {}
        self.pending_on_oxygen = None
        self.last_saved = message("journal.saved.vitals")
        self._changed()
        return True

    def save_medication(self, medication: Medication) -> None:
        """A medication given now (``MedicationViewModel`` builds it)."""
        self._save(medication, at=self._clock.now())
        self.last_saved = message("med.saved", summary=medication.summary(language.current))
        self._changed()

    def arrest_event(
        self, event: ArrestEvent, *, rhythm: Rhythm | None = None, energy_joules: float | None = None
    ) -> None:
        """One tap in cardiac-arrest mode (shock with its energy, adrenaline, rhythm check with the rhythm,
        ROSC, …) recorded at now; the journal refuses a shock without energy or a check without rhythm."""
        self._save(
            CardiacArrestEvent(event=event, rhythm=rhythm, energy_joules=energy_joules), at=self._clock.now()
        )

    def arrest_events(self) -> list[tuple[datetime, CardiacArrestEvent]]:
        events = [
            (revision.time, revision.value)
            for revision, _fact in self.state.current_entries("cardiac_arrest_event")
            if isinstance(revision.value, CardiacArrestEvent)
        ]
        return sorted(events, key=lambda pair: pair[0])

    def record_acvpu(self, level: str) -> None:
        self._save(Consciousness.model_validate({"acvpu": level}), at=self._clock.now())

    def record_gcs(self, items: GcsItems) -> None:
        """GCS items (``GcsEntryViewModel`` picks them) recorded at now; the total is derived, not stored."""
        self._save(Consciousness(gcs=items), at=self._clock.now())
        self.last_saved = message("journal.saved.gcs")
        self._changed()

    # -------------------------------------------------------------------------- corrections, conflicts

    def correct(
        self,
        original: Entry,
        replacement: Payload,
        *,
        reason: str,
        at: datetime | None = None,
        estimated: bool | None = None,
    ) -> None:
        """A correction of ``original`` (which stays readable, struck, with who/when/why); ``at`` and
        ``estimated`` only when the clinical time itself is what is corrected."""
        entry = self._writer().correct(original, replacement, reason=reason, at=at, estimated=estimated)
        self._store(entry, message("journal.saved.correction"))

    def retract(self, original: Entry, *, reason: str) -> None:
        """Withdraw ``original`` (it stays readable, struck); the retraction keeps its clinical time."""
        entry = self._writer().retract(original, reason=reason, at=original.clinical_time.at)
        self._store(entry, message("journal.saved.retraction"))

    def resolve(self, fact: Fact, chosen: Revision, *, reason: str) -> None:
        """End a conflict with the value of ``chosen``: one new entry; every competing value stays, struck."""
        entry = self._writer().resolve(fact, chosen, reason=reason, at=self._clock.now())
        self._store(entry, message("journal.saved.resolution"))

    def record(self, payload: Payload, *, saved: Message, at: datetime | None = None) -> None:
        """Save ``payload`` at ``at`` (default now) as the active author. A new value of a single-valued
        fact (destination, transport urgency, disposition, …) is based on every current value the author
        saw, so changing it updates the fact instead of putting two values in conflict."""
        based_on: tuple[UUID, ...] = ()
        if payload.CARDINALITY == "single":
            fact = self.state.fact(*payload.fact_key(unit=self._record.unit))
            based_on = fact.current_ids if fact is not None else ()
        entry = self._writer().write(
            payload,
            at=at or self._clock.now(),
            based_on=based_on,
            clock_offset_ms=self._record.clock_offset_ms(),
        )
        self._store(entry, saved)

    def sign(self) -> None:
        """The active author signs their own entries up to now."""
        self._store(self._writer().sign(at=self._clock.now()), message("journal.saved.signature"))

    # ------------------------------------------------------------------------------------ helpers

    def _writer(self) -> JournalWriter:
        """The active author's writer, its clock past every stamp in the store (one entry per call)."""
        self._record.prepare()
        return self._record.writer(journal_id=self.journal_id, author=self._crew.active_author())

    def _save(self, payload: Payload, *, at: datetime) -> None:
        entry = self._writer().write(payload, at=at, clock_offset_ms=self._record.clock_offset_ms())
        self._store(entry, None)

    def _store(self, entry: Entry, saved: Message | None) -> None:
        self._record.save(entry)
        if saved is not None:
            self.last_saved = saved
        self._changed()


def _reading(field_id: str, result: NumericResult) -> Reading:
    unit = VITAL_UNITS[field_id]
    if result.not_measurable:
        return Reading(unit=unit, status="not_measurable")
    assert result.value is not None  # the pad hands over a value unless "not measurable"
    return Reading(
        value=float(result.value),
        unit=unit,
        note=CONFIRMED_IMPLAUSIBLE if result.confirmed_implausible else None,
    )


def _summary(value: object) -> str:
    """A payload's one-line summary in the tablet's current language (journal catalogue)."""
    if isinstance(value, Payload):
        return value.summary(language.current)
    return journal_text(language.current, "handover.retracted")
