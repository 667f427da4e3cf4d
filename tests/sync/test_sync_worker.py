"""The background worker: sync runs beside capture and never blocks it."""

from __future__ import annotations

import queue
import threading
from uuid import UUID

import httpx2

from sync.backoff import Backoff
from sync.client import SyncReport
from sync.errors import SyncRefusedError
from sync.protocol import PUSH_PATH, ErrorBody, ErrorCode
from sync.store import LocalStore
from sync.worker import SyncWorker
from tests.sync.client_harness import make_client
from tests.sync.factories import note
from tests.sync.fake_server import FakeSyncServer

JOURNAL = UUID("0196b4a0-0000-7000-8000-0000000000f1")
WAIT_S = 20  # generous: only reached when something is broken


def test_capture_goes_on_while_a_push_is_in_flight(store: LocalStore) -> None:
    server = FakeSyncServer(device_id=store.device_id)
    server.grant(JOURNAL)
    in_flight, release = threading.Event(), threading.Event()

    def slow_network(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == PUSH_PATH and not release.is_set():
            in_flight.set()
            assert release.wait(WAIT_S), "the test never released the push"
        return server.handle(request)

    first = note(journal_id=JOURNAL, text="before sync", hlc=store.new_stamp())
    store.capture(envelope=first)
    reports: queue.Queue[SyncReport] = queue.Queue()
    worker_store = store.another_connection()
    worker = SyncWorker(
        client=make_client(worker_store, slow_network),
        backoff=Backoff(base_s=0.01, cap_s=0.05),
        interval_s=3600,
        on_report=reports.put,
    )
    worker.start()
    worker.trigger()
    assert in_flight.wait(WAIT_S)
    # The worker is waiting on the network: capture must still go through, now.
    second = note(journal_id=JOURNAL, text="during sync", hlc=store.new_stamp())
    assert store.capture(envelope=second) == 2
    assert not release.is_set()
    release.set()
    report = reports.get(timeout=WAIT_S)
    worker.stop()
    worker_store.close()
    assert report.confirmed == 2
    assert server.logs[JOURNAL] == [first.entry_id, second.entry_id]
    assert store.pending_count() == 0


def test_a_refusal_is_reported_and_the_worker_keeps_running(store: LocalStore) -> None:
    body = ErrorBody(code=ErrorCode.UNAUTHENTICATED, message="token expired", field=None).model_dump_json()
    cycles = threading.Semaphore(0)

    def refusing(_request: httpx2.Request) -> httpx2.Response:
        cycles.release()
        return httpx2.Response(401, content=body.encode())

    worker_store = store.another_connection()
    worker = SyncWorker(client=make_client(worker_store, refusing), interval_s=3600)
    worker.start()
    worker.trigger()
    assert cycles.acquire(timeout=WAIT_S)
    worker.trigger()
    assert cycles.acquire(timeout=WAIT_S)  # a second cycle ran: the worker did not die
    worker.stop()
    worker_store.close()
    assert isinstance(worker.last_error, SyncRefusedError) and worker.last_error.code == "unauthenticated"
