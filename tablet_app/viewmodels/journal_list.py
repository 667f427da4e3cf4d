"""The unit's journals on this tablet, with sync state: what the crew sees after signing on.

Lists every journal held in the local store (opened here or pulled), most recent first, each with
its patient identity and time of patient contact; and the sync state (entries not yet on the server,
time of the last successful sync). Opening a new journal happens at patient contact
(``JournalViewModel.open_new``); a mission may have several patients, so "new patient" is always
available.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from journal.kinds.mission import Timestamp
from journal.kinds.patient import CprIdentifier, PatientIdentity
from tablet_app.i18n import Message, message
from tablet_app.observable import Observable
from tablet_app.record import LocalRecord


@dataclass(frozen=True)
class JournalRow:
    journal_id: UUID
    patient: Message
    contact_at: datetime | None


class JournalListViewModel(Observable):
    def __init__(self, *, record: LocalRecord) -> None:
        super().__init__()
        self._record = record

    def rows(self) -> list[JournalRow]:
        rows = []
        for journal_id in self._record.journal_ids():
            state = self._record.state(journal_id)
            ident = state.value("patient_identity")
            if isinstance(ident, PatientIdentity) and isinstance(ident.identifier, CprIdentifier):
                patient = message("journal.identity.cpr", cpr=ident.identifier.text())
            elif isinstance(ident, PatientIdentity):
                patient = message("journal.identity.unknown")
            else:
                patient = message("journal.identity.none")
            contact = state.fact(*Timestamp(event="patient_contact").fact_key(unit=None))
            rows.append(JournalRow(journal_id, patient, None if contact is None else contact.time))
        return rows

    def sync_text(self) -> Message:
        sync = self._record.sync_state()
        if sync.last_sync is None:
            return message("sync.state_never", pending=sync.pending)
        return message("sync.state", pending=sync.pending, last=sync.last_sync.astimezone().strftime("%H:%M"))

    def refresh(self) -> None:
        """Something changed elsewhere (a save, a sync): tell the screen."""
        self._changed()
