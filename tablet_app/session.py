"""What exists while a crew is logged in: the open store, the record, drafts, crew, journal list, sync.

Built once, at the first successful log-in (which opened the encrypted store); later log-ins only sign
more crew members on. No Kivy here: the app passes ``post`` (run a callback on the UI thread) so sync
reports from the worker thread reach the view-models on the UI thread.

Sync: with a server (``http`` given), a ``sync.worker.SyncWorker`` runs on its own thread with its own
store connection; every save wakes it (``LocalRecord.on_saved``) and it never blocks the screen.
Without a server the entries wait in the upload queue, visible as "waiting to be sent".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx2

from journal.kinds.mission import MissionAssignment
from sync.client import SyncClient, SyncReport
from sync.store import LocalStore, StoreDrafts
from sync.worker import SyncWorker
from tablet_app.facades.clock import ClockFacade
from tablet_app.record import LocalRecord
from tablet_app.viewmodels.crew import CrewViewModel
from tablet_app.viewmodels.journal_list import JournalListViewModel
from tablet_app.viewmodels.patient_journal import JournalViewModel


@dataclass(frozen=True)
class LaterScreens:
    """The Kivy screens after log-in (typed loosely: this module never imports Kivy)."""

    vitals: Any
    lock: Any
    journals: Any
    journal: Any
    handover: Any
    medication: Any
    gcs: Any
    review: Any
    time_edit: Any
    transport: Any
    disposition: Any
    history: Any
    abcde: Any
    procedures: Any
    stroke: Any


@dataclass
class SessionWiring:
    store: LocalStore
    record: LocalRecord
    drafts: StoreDrafts
    crew: CrewViewModel
    journals: JournalListViewModel
    clock: ClockFacade
    worker: SyncWorker | None

    @classmethod
    def start(
        cls,
        *,
        store: LocalStore,
        clock: ClockFacade,
        unit: str,
        http: httpx2.Client | None,
        post: Callable[[Callable[[], None]], None],
    ) -> SessionWiring:
        worker: SyncWorker | None = None
        record = LocalRecord(store=store, clock=clock, unit=unit)
        journals = JournalListViewModel(record=record)

        def reported(report: SyncReport) -> None:  # on the worker thread
            def on_ui() -> None:
                record.synced(clock.now())
                journals.refresh()

            del report
            post(on_ui)

        if http is not None:
            worker = SyncWorker(
                client=SyncClient(store=store.another_connection(), http=http), on_report=reported
            )
            worker.start()
        wiring = cls(
            store=store,
            record=record,
            drafts=StoreDrafts(store),
            crew=CrewViewModel(unit=unit),
            journals=journals,
            clock=clock,
            worker=worker,
        )
        record.on_saved = wiring.saved
        return wiring

    def saved(self) -> None:
        """An entry was captured: wake sync (returns at once) and refresh the journal list."""
        if self.worker is not None:
            self.worker.trigger()
        self.journals.refresh()

    def new_journal(self, mission: MissionAssignment | None = None) -> JournalViewModel:
        """A new patient at patient contact; on ``mission`` when opened from a dispatch mission."""
        return JournalViewModel.open_new(
            record=self.record, crew=self.crew, clock=self.clock, mission=mission
        )

    def journal(self, journal_id: UUID) -> JournalViewModel:
        return JournalViewModel(record=self.record, journal_id=journal_id, crew=self.crew, clock=self.clock)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
