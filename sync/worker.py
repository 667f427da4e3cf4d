"""Runs sync in a background thread, so capture never waits for the network.

The worker owns its own store connection (``LocalStore.another_connection``) and its own HTTP client.
It syncs when triggered (after a capture, when the network returns) and at least every ``interval_s``;
transient failures back off with full jitter (``sync_with_retries``). A refused request stops the cycle
and is reported through ``last_error``; the worker keeps running, because capture must go on and a later
cycle (after a new log-in, say) may succeed.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from sync.backoff import Backoff
from sync.client import SyncClient, SyncReport, sync_with_retries
from sync.errors import SyncError

log = logging.getLogger(__name__)


class SyncWorker:
    def __init__(
        self,
        *,
        client: SyncClient,
        backoff: Backoff | None = None,
        interval_s: float = 60.0,
        rand: Callable[[], float] = random.random,
        on_report: Callable[[SyncReport], None] | None = None,
    ) -> None:
        self._client = client
        self._backoff = backoff or Backoff()
        self._interval_s = interval_s
        self._rand = rand
        self._on_report = on_report
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ppj-sync", daemon=True)
        self.last_error: SyncError | None = None

    def start(self) -> None:
        self._thread.start()

    def trigger(self) -> None:
        """Ask for a cycle now (returns at once)."""
        self._wake.set()

    def stop(self, *, timeout_s: float = 10.0) -> None:
        """Stop after the current exchange; a batch in flight is resent by the next run if its answer is
        lost, which the server answers idempotently."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout_s)

    def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` or until stopped; True when stopped."""
        return self._stop.wait(seconds)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                report = sync_with_retries(
                    client=self._client, backoff=self._backoff, rand=self._rand, sleep=self._sleep
                )
            except SyncError as exc:
                log.warning("sync refused: %s", exc)
                self.last_error = exc
            else:
                if report is not None:
                    self.last_error = None
                    if self._on_report is not None:
                        self._on_report(report)
            self._wake.wait(self._interval_s)
