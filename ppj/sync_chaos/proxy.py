"""A loopback HTTP fault proxy between tablet processes and the server processes.

It listens on 127.0.0.1 only, reads each HTTP/1.1 request whole (``Content-Length`` bodies, as the sync
client sends), and per request draws one fault from a seeded plan:

=================  ===================================================================================
fault              what the tablet and the server see
=================  ===================================================================================
``pass``           the request goes through
``drop_request``   the connection closes; the server never sees the request
``drop_response``  the server handles the request, the tablet's connection closes before the answer —
                   the nastiest case: the server committed, the tablet does not know
``duplicate``      the server receives the request twice; the tablet gets the second answer
``delay``          the request waits 20–300 ms before it goes on
``hold``           the request waits 0.5–3 s (beyond the tablet's timeout at times), so requests sent
                   later overtake it and it may reach the server after the tablet gave up and resent it
``replay_late``    the request goes through now and a copy reaches the server again after later ones
=================  ===================================================================================

Requests are routed to the live server processes in turn (two processes over one database: consecutive
requests of one tablet land on different processes). A server that refuses the connection (restarting)
makes the proxy close the tablet's connection: a transient failure for the client.

The proxy runs its own asyncio loop in a thread of the harness; ``configure`` switches plans between
phases (chaos, then pass-through for the final sync).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

_HEAD_END = b"\r\n\r\n"
_MAX_HEAD = 64 * 1024
_UPSTREAM_TIMEOUT_S = 30.0


class Fault(StrEnum):
    PASS = "pass"
    DROP_REQUEST = "drop_request"
    DROP_RESPONSE = "drop_response"
    DUPLICATE = "duplicate"
    DELAY = "delay"
    HOLD = "hold"
    REPLAY_LATE = "replay_late"


@dataclass(frozen=True, slots=True)
class FaultRates:
    """Probability of each fault per request (the rest pass). ``seed`` seeds the proxy's own RNG."""

    seed: int
    drop_request: float = 0.0
    drop_response: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0
    hold: float = 0.0
    replay_late: float = 0.0

    def __post_init__(self) -> None:
        if sum(self._weights()) > 1.0:
            raise ValueError("fault rates must add up to at most 1")

    def _weights(self) -> list[float]:
        return [
            self.drop_request,
            self.drop_response,
            self.duplicate,
            self.delay,
            self.hold,
            self.replay_late,
        ]

    def draw(self, rng: random.Random) -> Fault:
        x = rng.random()
        faults = [
            Fault.DROP_REQUEST,
            Fault.DROP_RESPONSE,
            Fault.DUPLICATE,
            Fault.DELAY,
            Fault.HOLD,
            Fault.REPLAY_LATE,
        ]
        for fault, weight in zip(faults, self._weights(), strict=True):
            if x < weight:
                return fault
            x -= weight
        return Fault.PASS


PASS_THROUGH = FaultRates(seed=0)


@dataclass(frozen=True, slots=True)
class _Message:
    head: bytes  # start line and headers, without the blank line
    body: bytes

    def with_connection(self, value: str | None) -> bytes:
        """The message bytes with its ``Connection`` header replaced (or removed, for None)."""
        lines = [line for line in self.head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        if value is not None:
            lines.append(b"Connection: " + value.encode("ascii"))
        return b"\r\n".join(lines) + _HEAD_END + self.body


async def _read_message(reader: asyncio.StreamReader, *, until_eof: bool) -> _Message | None:
    """One HTTP/1.1 message; None when the peer closed before a whole one arrived. Bodies are framed by
    ``Content-Length``; without one, a response (``until_eof``) runs to the end of the connection."""
    try:
        head = await reader.readuntil(_HEAD_END)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    head = head[: -len(_HEAD_END)]
    length: int | None = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            return None  # neither the sync client nor the servers send chunked bodies
    try:
        if length is not None:
            body = await reader.readexactly(length)
        elif until_eof:
            body = await reader.read()
        else:
            body = b""
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return _Message(head=head, body=body)


class FaultProxy:
    """Start with ``start()`` (returns the port), point tablets at ``http://127.0.0.1:<port>``."""

    def __init__(self, *, upstreams: list[int]) -> None:
        self._upstreams = list(upstreams)
        self._rates = PASS_THROUGH
        self._rng = random.Random(0)
        self._next_upstream = 0
        self._late: list[_Message] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight = 0  # requests inside ``_handle``: held, delayed or waiting for their upstream
        self.counts: Counter[str] = Counter()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="chaos-proxy", daemon=True)
        self.port = 0

    def start(self) -> int:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self.port = future.result(timeout=10)
        return self.port

    def configure(self, rates: FaultRates) -> None:
        """Use ``rates`` from now on (RNG reseeded from ``rates.seed``); replays still waiting are dropped
        when switching to pass-through, so no fault outlives its phase. In force when this returns."""

        async def apply() -> None:
            self._rates = rates
            self._rng = random.Random(rates.seed)
            if rates == PASS_THROUGH:
                self._late.clear()

        asyncio.run_coroutine_threadsafe(apply(), self._loop).result(timeout=10)

    def stop_faults(self) -> None:
        """Pass every request from now on, but keep the replays still waiting (``flush_replays``)."""

        async def apply() -> None:
            self._rates = PASS_THROUGH

        asyncio.run_coroutine_threadsafe(apply(), self._loop).result(timeout=10)

    def flush_replays(self) -> None:
        """Deliver every request still waiting for a late replay, and wait for them and for every request
        still in flight. Invariant for the final syncs: once this returns, nothing sent during the faults
        can still reach a server. A held request of a killed tablet would otherwise land seconds later,
        after the final syncs, and the server would hold an entry no device pulled (seen once in 2,000
        runs: a run of 3.1 s with a hold of up to 3 s)."""

        async def flush() -> None:
            while self._late:
                await self._forward(self._late.pop(0))
            while self._in_flight or self._late:
                await asyncio.sleep(0.01)
                while self._late:
                    await self._forward(self._late.pop(0))

        asyncio.run_coroutine_threadsafe(flush(), self._loop).result(timeout=_UPSTREAM_TIMEOUT_S * 4)

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    # -------------------------------------------------------------------------------- in the loop

    async def _listen(self) -> int:
        self._server = await asyncio.start_server(self._serve_connection, host="127.0.0.1", port=0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                request = await _read_message(reader, until_eof=False)
                if request is None:
                    return
                response = await self._handle(request)
                if response is None:
                    return  # closing the connection is the fault the tablet sees
                writer.write(response.with_connection(None))
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _handle(self, request: _Message) -> _Message | None:
        self._in_flight += 1
        try:
            return await self._handle_with_fault(request)
        finally:
            self._in_flight -= 1

    async def _handle_with_fault(self, request: _Message) -> _Message | None:
        fault = self._rates.draw(self._rng)
        self.counts[fault.value] += 1
        if fault is Fault.DROP_REQUEST:
            return None
        if fault is Fault.DELAY:
            await asyncio.sleep(self._rng.uniform(0.02, 0.3))
        elif fault is Fault.HOLD:
            await asyncio.sleep(self._rng.uniform(0.5, 3.0))
        response = await self._forward(request)
        if fault is Fault.DUPLICATE:
            response = await self._forward(request)
        elif fault is Fault.REPLAY_LATE:
            self._late.append(request)
        await self._maybe_replay()
        return None if fault is Fault.DROP_RESPONSE else response

    async def _maybe_replay(self) -> None:
        if self._late and self._rng.random() < 0.3:
            await self._forward(self._late.pop(0))

    async def _forward(self, request: _Message) -> _Message | None:
        """Send to the next server process over a fresh connection; None when it is down or cuts off."""
        port = self._upstreams[self._next_upstream % len(self._upstreams)]
        self._next_upstream += 1
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port), timeout=_UPSTREAM_TIMEOUT_S
            )
        except (OSError, TimeoutError):
            self.counts["upstream_down"] += 1
            return None
        try:
            writer.write(request.with_connection("close"))
            await writer.drain()
            return await asyncio.wait_for(_read_message(reader, until_eof=True), timeout=_UPSTREAM_TIMEOUT_S)
        except (OSError, TimeoutError):
            self.counts["upstream_cut"] += 1
            return None
        finally:
            writer.close()
