"""The unit's missions and journals on this tablet, with sync state: what the crew sees after signing on.

The local store holds two sorts of logs, told apart by ``journal.kinds.mission.is_mission_log``:

* mission logs — written by dispatch (``server.dispatch``) and pulled by sync because the unit is on the
  mission: only ``mission_assignment`` entries and their retractions (a cancelled mission). They are
  missions, never patients, so they never appear as a journal row.
* patient journals — opened on a tablet at patient contact (``JournalViewModel.open_new``), each with its
  own ``mission_assignment`` (same reference as the dispatch mission) when opened from a mission. A
  mission may have several patients; so "new patient" is always available, on a mission or without one.

``missions()`` groups the patient journals under their mission (by reference), the most recently
changed mission first; a journal whose mission log is not on this tablet still shows under its own
assignment's mission.
``unassigned()`` lists journals opened without a mission. The sync state (entries not yet on the
server, time of the last successful sync) is one line for the whole tablet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from journal.kinds.disposition import Disposition
from journal.kinds.mission import MissionAssignment, Timestamp, is_mission_log
from journal.kinds.patient import CprIdentifier, PatientIdentity, SamePatientLink
from journal.state import JournalState
from tablet_app.i18n import Message, message
from tablet_app.observable import Observable
from tablet_app.record import LocalRecord

OUTCOME_LABELS: dict[str, Message] = {
    "transported": message("disposition.transported"),
    "treated_and_released": message("disposition.treated_and_released"),
    "refused_against_advice": message("disposition.refused_against_advice"),
    "dead_on_scene": message("disposition.dead_on_scene"),
    "declared_dead": message("disposition.declared_dead"),
    "handed_to_other_unit": message("disposition.handed_to_other_unit"),
    "cancelled_no_patient": message("disposition.cancelled_no_patient"),
}
"""The journal's disposition outcomes (``journal.kinds.disposition.DispositionOutcome``) as the crew reads
them; a test checks both name the same outcomes."""


@dataclass(frozen=True)
class JournalRow:
    journal_id: UUID
    patient: Message
    contact_at: datetime | None
    outcome: Message | None  # the disposition, once recorded
    mission_reference: str | None
    same_patient_as: tuple[UUID, ...]  # journals linked as the same patient (either side wrote the link)


@dataclass(frozen=True)
class MissionRow:
    reference: str
    mission_log_id: UUID | None  # None: the dispatch log is not on this tablet (only a journal's copy)
    assignment: MissionAssignment  # the current one; a cancelled mission shows its last assignment
    cancelled: bool
    patients: tuple[JournalRow, ...]

    def title(self) -> Message:
        shown = {
            "reference": self.reference,
            "urgency": self.assignment.dispatch_urgency or "–",
            "address": self.assignment.address or "–",
        }
        return (
            message("missions.row_cancelled", **shown) if self.cancelled else message("missions.row", **shown)
        )

    def detail(self) -> Message:
        return message(
            "missions.detail",
            criterion=self.assignment.dispatch_criterion or "–",
            text=self.assignment.dispatch_text or "",
            patients=len(self.patients),
        )


class JournalListViewModel(Observable):
    def __init__(self, *, record: LocalRecord) -> None:
        super().__init__()
        self._record = record

    # ------------------------------------------------------------------------------------ reading

    def _logs(self) -> tuple[list[tuple[UUID, JournalState]], list[tuple[UUID, JournalState]]]:
        """(mission logs, patient journals) on this tablet, most recently changed first."""
        missions: list[tuple[UUID, JournalState]] = []
        journals: list[tuple[UUID, JournalState]] = []
        for journal_id in self._record.journal_ids():
            state = self._record.state(journal_id)
            (missions if is_mission_log(state.entries.values()) else journals).append((journal_id, state))
        return missions, journals

    def rows(self) -> list[JournalRow]:
        """Every patient journal (mission logs are missions, never rows here)."""
        return self._rows(self._logs()[1])

    def _rows(self, journals: list[tuple[UUID, JournalState]]) -> list[JournalRow]:
        # A link is written in one journal and means both: each row shows the links of either side.
        linked: dict[UUID, set[UUID]] = {}
        for journal_id, state in journals:
            for link in state.current("same_patient_link"):
                if isinstance(link, SamePatientLink):
                    linked.setdefault(journal_id, set()).add(link.other_journal_id)
                    linked.setdefault(link.other_journal_id, set()).add(journal_id)
        return [
            self._row(journal_id, state, tuple(sorted(linked.get(journal_id, ()))))
            for journal_id, state in journals
        ]

    def missions(self) -> list[MissionRow]:
        logs, journals = self._logs()
        rows = self._rows(journals)
        patients: dict[str, list[JournalRow]] = {}
        for row in rows:
            if row.mission_reference is not None:
                patients.setdefault(row.mission_reference, []).append(row)
        out: list[MissionRow] = []
        for log_id, state in logs:
            fact = state.fact("mission_assignment")
            if fact is None:
                continue
            # A cancelled mission still shows what it was: its last assignment, struck by the retraction.
            revisions = [s.revision for s in fact.struck] if fact.retracted else list(fact.current)
            values = [r.value for r in revisions if isinstance(r.value, MissionAssignment)]
            if not values:
                continue
            assignment = values[-1]
            reference = assignment.mission_id
            out.append(
                MissionRow(reference, log_id, assignment, fact.retracted, tuple(patients.pop(reference, ())))
            )
        # Journals whose mission log this tablet does not hold: their own assignment names the mission.
        for _journal_id, state in journals:
            own = state.value("mission_assignment")
            if isinstance(own, MissionAssignment) and own.mission_id in patients:
                reference = own.mission_id
                out.append(MissionRow(reference, None, own, False, tuple(patients.pop(reference))))
        return out

    def unassigned(self) -> list[JournalRow]:
        """Patient journals opened without a mission."""
        return [row for row in self.rows() if row.mission_reference is None]

    def mission(self, reference: str) -> MissionRow | None:
        return next((m for m in self.missions() if m.reference == reference), None)

    @staticmethod
    def _row(journal_id: UUID, state: JournalState, links: tuple[UUID, ...]) -> JournalRow:
        ident = state.value("patient_identity")
        if isinstance(ident, PatientIdentity) and isinstance(ident.identifier, CprIdentifier):
            patient = message("journal.identity.cpr", cpr=ident.identifier.text())
        elif isinstance(ident, PatientIdentity):
            patient = message("journal.identity.unknown")
        else:
            patient = message("journal.identity.none")
        contact = state.fact(*Timestamp(event="patient_contact").fact_key(unit=None))
        disposition = state.value("disposition")
        assignment = state.value("mission_assignment")
        return JournalRow(
            journal_id,
            patient,
            None if contact is None else contact.time,
            OUTCOME_LABELS[disposition.outcome] if isinstance(disposition, Disposition) else None,
            assignment.mission_id if isinstance(assignment, MissionAssignment) else None,
            links,
        )

    def sync_text(self) -> Message:
        sync = self._record.sync_state()
        if sync.last_sync is None:
            return message("sync.state_never", pending=sync.pending)
        return message("sync.state", pending=sync.pending, last=sync.last_sync.astimezone().strftime("%H:%M"))

    def refresh(self) -> None:
        """Something changed elsewhere (a save, a sync): tell the screen."""
        self._changed()
