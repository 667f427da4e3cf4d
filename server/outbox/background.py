"""The in-process option: one outbox worker in a daemon thread of the server process
(``PPJ_OUTBOX_WORKER_IN_PROCESS=true``), for a single machine or a demo. Production runs
``ppj outbox work`` processes instead; both can run together (claims never collide).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from server.outbox.worker import OutboxWorker


@dataclass
class BackgroundWorker:
    worker: OutboxWorker
    poll_seconds: float = 2.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"outbox-{self.worker.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.worker.delivery.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.worker.run_until_idle(limit=100)
            self._stop.wait(self.poll_seconds)
