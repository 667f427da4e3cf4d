"""Saves on the tablet reach the server through the background sync worker, never on the saving thread.

The server is the sync package's in-memory fake speaking the real protocol (``tests/sync/fake_server.py``),
behind an injected ``httpx2.MockTransport``; the real server's sync routes are not on main yet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx2

from tablet_app.session import SessionWiring
from tablet_app.viewmodels.patient_journal import JournalViewModel
from tests.sync.fake_server import FakeSyncServer
from tests.tablet_app.documenting import ANNE, TEST_CPR, session, tablet


def test_a_journal_documented_offline_first_reaches_the_server_in_the_background(tmp_path: Path) -> None:
    t = tablet(tmp_path)
    store = t.keyring.store
    assert store is not None
    server = FakeSyncServer(device_id=store.device_id)
    served_on: set[int] = set()

    def handle(request: httpx2.Request) -> httpx2.Response:
        served_on.add(threading.get_ident())
        return server.handle(request)

    posted: list[Callable[[], None]] = []
    wiring = SessionWiring.start(
        store=store,
        clock=t.clock,
        unit="1-21",
        http=httpx2.Client(base_url="https://ppj.test", transport=httpx2.MockTransport(handle)),
        post=posted.append,
    )
    try:
        wiring.crew.sign_on(session(ANNE, "2580", t.clock))
        vm = JournalViewModel.open_new(record=wiring.record, crew=wiring.crew, clock=t.clock)
        vm.identify_by_cpr(TEST_CPR)
        vm.tap("on_scene")
        captured = {e.entry_id for e in wiring.record.entries(vm.journal_id)}
        deadline = time.monotonic() + 20
        while not captured <= set(server.entries) or not posted:
            assert time.monotonic() < deadline, "the worker did not push within 20 s"
            time.sleep(0.05)
    finally:
        wiring.stop()
    assert threading.get_ident() not in served_on  # sync ran on the worker's thread, not the saver's
    for callback in posted:  # what the app runs on the UI thread
        callback()
    assert wiring.record.sync_state().pending == 0
    assert wiring.record.sync_state().last_sync == t.clock.now()
    assert wiring.journals.sync_text().msg_id == "sync.state"
