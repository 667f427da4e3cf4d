"""The documenting figures of ``ppj bench tablet`` (no window needed; run in-process).

* tap-save-to-stored for a vital set: from ``JournalViewModel.save_vital_set()`` (the "save set" tap,
  five values collected on the pad) until it returns with the entry durable in the encrypted store
  (sealed, one ``BEGIN IMMEDIATE`` transaction with its upload-queue row, WAL, ``synchronous=FULL``).
  Target p99 ≤ 50 ms.
* render of a journal with 500 entries: what the journal screen computes on opening — read and unseal
  every sealed entry, parse and validate it, fold, and build every text the screen shows (identity,
  timeline lines, trend, NEWS2 with the journal's table version). Kivy's own layout and drawing are not
  included (they do not grow with the journal: the screen shows fixed widgets and one text block).
  Target ≤ 200 ms. Also its refresh after one more save (what every tap on that journal costs): entries
  already parsed are reused, the fold runs again.
"""

from __future__ import annotations

import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported at run time inside the functions: ``ppj`` imports every bench module at
    # start-up, and these pull in pydantic models, Argon2 and the store, which other commands never need.
    from sync.store import LocalStore
    from tablet_app.viewmodels.crew import CrewViewModel
    from tablet_app.viewmodels.patient_journal import JournalViewModel

SAVE_TARGET_MS = 50.0
RENDER_TARGET_MS = 200.0
_SET = {
    "heart_rate": "88",
    "respiratory_rate": "16",
    "spo2": "97",
    "bp_systolic": "128",
    "temperature": "37.2",
}


def _journal(directory: Path) -> tuple[JournalViewModel, LocalStore, CrewViewModel]:
    from journal.entry import Role
    from journal.ids import new_uuid7
    from sync.crypto import KdfParams
    from tablet_app.auth import Person, SessionPin, StoreKeyring
    from tablet_app.facades.clock import DesktopClock
    from tablet_app.record import LocalRecord
    from tablet_app.viewmodels.crew import CrewViewModel
    from tablet_app.viewmodels.login import Session
    from tablet_app.viewmodels.patient_journal import JournalViewModel

    directory.mkdir(parents=True)
    ring = StoreKeyring(
        path=directory / "store.sqlite",
        device_secret=b"b" * 32,
        device_id=new_uuid7(),
        kdf=KdfParams(time_cost=1, memory_kib=1024),  # unlock cost is not what is measured
    )
    person = Person("bench", "Bench Ambulancebehandler", Role.AMBULANCEBEHANDLER, "bench")
    assert ring.open_online(username="bench", password="bench-password")
    assert ring.store is not None
    clock = DesktopClock()
    record = LocalRecord(store=ring.store, clock=clock, unit="BENCH-1")
    crew = CrewViewModel(unit="BENCH-1")
    crew.sign_on(Session(person=person, offline_login=False, started_at=clock.now(), pin=SessionPin("2580")))
    return JournalViewModel.open_new(record=record, crew=crew, clock=clock), ring.store, crew


def _collect(vm: JournalViewModel) -> None:
    from tablet_app.viewmodels.numeric_entry import NumericResult

    for field_id, value in _SET.items():
        vm.add_vital(
            NumericResult(field_id, Decimal(value), not_measurable=False, confirmed_implausible=False)
        )


def save_latencies_ms(*, saves: int, directory: Path) -> list[float]:
    vm, _store, _crew = _journal(directory)
    samples = []
    for _ in range(saves):
        _collect(vm)
        started = time.perf_counter()
        vm.save_vital_set()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _screen_texts(vm: JournalViewModel) -> None:
    """Every text the journal screen shows (``JournalScreen.refresh``), rendered."""
    vm.identity_text().render()
    "\n".join(line.text for line in vm.timeline())
    for field_id in ("heart_rate", "respiratory_rate", "spo2", "bp_systolic"):
        vm.trend(field_id)
    for score in (vm.news2(), vm.toks()):
        " · ".join([score.display, *(m.render() for m in score.triggers)])
    vm.gcs().render()
    len(vm.state.conflicts)


def render_ms(*, entries: int, runs: int, directory: Path) -> tuple[list[float], list[float], list[float]]:
    """(first opening, its CPU time, refresh after one more save) of a journal of ``entries`` entries, in
    ms. The CPU time is this process's (nothing else runs in it meanwhile): on a shared machine it says
    what the opening costs apart from waiting for a core."""
    from tablet_app.facades.clock import DesktopClock
    from tablet_app.record import LocalRecord
    from tablet_app.viewmodels.patient_journal import JournalViewModel

    vm, store, crew = _journal(directory)
    while len(store.journal_entries(vm.journal_id)) < entries:
        _collect(vm)
        vm.save_vital_set()
        vm.tap("on_scene")
    first, first_cpu, refresh = [], [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        # A fresh record, as when the journal is opened: nothing folded or parsed yet.
        record = LocalRecord(store=store, clock=DesktopClock(), unit="BENCH-1")
        opened = JournalViewModel(record=record, journal_id=vm.journal_id, crew=crew, clock=DesktopClock())
        _screen_texts(opened)
        first.append((time.perf_counter() - started) * 1000)
        first_cpu.append((time.process_time() - started_cpu) * 1000)
        _collect(opened)
        opened.save_vital_set()  # the screen refreshes after every save: re-fold, parse only the new entry
        started = time.perf_counter()
        _screen_texts(opened)
        refresh.append((time.perf_counter() - started) * 1000)
    return first, first_cpu, refresh


def run(
    *, saves: int, entries: int, runs: int, directory: str | None
) -> tuple[list[float], list[float], list[float], list[float]]:
    """(save latencies, first openings, their CPU times, refreshes after a save) in ms; ``directory``
    holds the scratch stores (the disk matters)."""
    with tempfile.TemporaryDirectory(prefix="ppj-bench-tablet-journal-", dir=directory) as tmp:
        save = save_latencies_ms(saves=saves, directory=Path(tmp) / "save")
    with tempfile.TemporaryDirectory(prefix="ppj-bench-tablet-journal-", dir=directory) as tmp:
        first, first_cpu, refresh = render_ms(entries=entries, runs=runs, directory=Path(tmp) / "render")
    return save, first, first_cpu, refresh
