"""An HTTP FHIR endpoint that receives MedCom messages, for tests and integrators: plain ``http.server`` in a
thread (no web framework), listening on loopback.

What the endpoint *does* with a message is injected (a ``MessageHandler``; ``medcom.receiver.MessageReceiver``
is the real one: validate, acknowledge, deduplicate by MessageHeader.id) — ``integrations`` depends on
``journal`` only, so the MedCom logic is passed in by whoever starts the simulator. The simulator adds the
failures a real receiver shows, set per instance and changeable while it runs (``behaviour``):

* ``fail_next``: answer the next N requests with HTTP 503 without looking at them;
* ``delay_seconds``: wait before answering (a slow receiver; a client timeout sees no answer);
* ``duplicate_delivery``: hand each message to the handler twice, as a network that delivers twice would
  (the handler must answer the same and process it once);
* ``transient_next``: answer the next N messages with a ``transient-error`` acknowledgement;
* ``defer_acks``: answer 202 Accepted with an empty body and keep the acknowledgement in
  ``deferred_acks``, to be posted to the sender later (the asynchronous case; the test or integrator
  posts it, as the receiver's own outbox would).

Every request, its answer and the time are kept in ``log``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

MAX_BODY_BYTES = 100 * 1024 * 1024
"""VANS' limit for a message with its envelope (GOV 030); larger requests get 413 unread."""


class Answer(Protocol):
    @property
    def status(self) -> int: ...
    @property
    def body(self) -> bytes: ...
    @property
    def content_type(self) -> str: ...


class MessageHandler(Protocol):
    def receive(self, body: bytes, *, transient_error: bool = False, xml: bool | None = None) -> Answer: ...


@dataclass
class Behaviour:
    """The failure modes (see the module docstring); counters count down as requests arrive."""

    fail_next: int = 0
    delay_seconds: float = 0.0
    duplicate_delivery: bool = False
    transient_next: int = 0
    defer_acks: bool = False


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    path: str
    body: bytes
    status: int


@dataclass
class ReceiverSimulator:
    """One simulated receiver. ``start()`` / ``stop()``, or ``running()`` as a context manager."""

    handler: MessageHandler
    name: str = "receiver"
    host: str = "127.0.0.1"
    port: int = 0
    """0: any free port (tests); ``url`` says which."""
    behaviour: Behaviour = field(default_factory=Behaviour)
    log: list[LoggedRequest] = field(default_factory=list)
    deferred_acks: list[bytes] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/fhir/$process-message"

    def start(self) -> None:
        simulator = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                simulator._handle(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                del format, args  # requests are kept in ``log``, not printed

        server = ThreadingHTTPServer((self.host, self.port), _Handler)
        server.daemon_threads = True
        self._server = server
        # A short poll interval: stop() returns within 50 ms instead of http.server's default 0.5 s.
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name=f"sim-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @contextmanager
    def running(self) -> Iterator[ReceiverSimulator]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def post_deferred_acks(self, post: Callable[[bytes], int]) -> list[int]:
        """Post the acknowledgements kept by ``defer_acks`` (oldest first) with ``post`` (e.g. to the
        sender's ``POST /medcom/acknowledgements``); returns the HTTP statuses. One that could not be
        posted (a status other than 2xx/4xx, i.e. the sender was unavailable) is kept for the next call."""
        with self._lock:
            pending, self.deferred_acks = self.deferred_acks, []
        statuses: list[int] = []
        for index, body in enumerate(pending):
            status = post(body)
            statuses.append(status)
            if not 200 <= status < 500:
                with self._lock:
                    self.deferred_acks[:0] = pending[index:]
                break
        return statuses

    def _take(self, counter: str) -> bool:
        with self._lock:
            left = getattr(self.behaviour, counter)
            if left > 0:
                setattr(self.behaviour, counter, left - 1)
                return True
            return False

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._answer(request, b"", 413, "text/plain", b"message larger than 100 MB")
            return
        body = request.rfile.read(length)
        if self.behaviour.delay_seconds:
            time.sleep(self.behaviour.delay_seconds)
        if self._take("fail_next"):
            self._answer(request, body, 503, "text/plain", b"service unavailable (simulated)")
            return
        transient = self._take("transient_next")
        xml = "xml" in (request.headers.get("Content-Type") or "")
        answer = self.handler.receive(body, transient_error=transient, xml=xml)
        answers = [answer]
        if self.behaviour.duplicate_delivery:
            answer = self.handler.receive(body, transient_error=transient, xml=xml)
            answers.append(answer)
        if self.behaviour.defer_acks and answer.status == 200:
            with self._lock:
                self.deferred_acks.extend(a.body for a in answers)
            self._answer(request, body, 202, "text/plain", b"")
            return
        self._answer(request, body, answer.status, answer.content_type, answer.body)

    def _answer(
        self, request: BaseHTTPRequestHandler, body: bytes, status: int, content_type: str, payload: bytes
    ) -> None:
        with self._lock:
            self.log.append(LoggedRequest(request.path, body, status))
        try:
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(payload)))
            request.end_headers()
            request.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); the request stays in the log
