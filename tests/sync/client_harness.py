"""Wiring for client tests: a store, the in-memory fake server, and an httpx2 client over MockTransport
with a queue of faults to inject, one per request."""

from __future__ import annotations

import gzip
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum

import httpx2

from sync.client import SyncClient
from sync.store import LocalStore
from tests.sync.fake_server import FakeSyncServer

BASE_URL = "https://sync.test"


class Fault(Enum):
    NONE = "none"
    DROP_REQUEST = "drop_request"  # the request never reaches the server (connection refused)
    DROP_RESPONSE = "drop_response"  # the server applies it, the answer is lost (read timeout)
    DUPLICATE = "duplicate"  # the request reaches the server twice (a proxy retry); the client sees the 2nd
    DELAY = "delay"  # a copy of the request is held and reaches the server later, after newer ones
    SERVER_ERROR = "server_error"  # 503 with Retry-After, the server does nothing
    GARBAGE = "garbage"  # the server applies it, a proxy replaces the answer with an HTML page


@dataclass
class FaultyNetwork:
    """A handler for ``httpx2.MockTransport``: applies the next fault planned for a request's path."""

    server: FakeSyncServer
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    delayed: list[httpx2.Request] = field(default_factory=list)
    requests: list[httpx2.Request] = field(default_factory=list)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        planned = self.faults.get(request.url.path)
        fault = planned.popleft() if planned else Fault.NONE
        if fault is not Fault.DELAY:
            self.deliver_delayed()
        if fault is Fault.DROP_REQUEST:
            raise httpx2.ConnectError("network unreachable", request=request)
        if fault is Fault.SERVER_ERROR:
            return httpx2.Response(503, headers={"Retry-After": "7"}, content=b"busy")
        response = self.server.handle(request)
        if fault is Fault.DROP_RESPONSE:
            raise httpx2.ReadTimeout("answer lost", request=request)
        if fault is Fault.DUPLICATE:
            return self.server.handle(request)
        if fault is Fault.DELAY:
            self.delayed.append(request)
        if fault is Fault.GARBAGE:
            return httpx2.Response(200, content=b"<html>Log in to the hotel Wi-Fi</html>")
        return response

    def plan(self, path: str, *faults: Fault) -> None:
        """Faults for the next requests to ``path``, in order; later requests go through."""
        self.faults.setdefault(path, deque()).extend(faults)

    def deliver_delayed(self) -> None:
        while self.delayed:
            self.server.handle(self.delayed.pop(0))


@dataclass
class DeviceClock:
    """The device's wall clock, settable (a tablet with a wrong clock)."""

    skew: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.skew


def make_client(
    store: LocalStore,
    network: FaultyNetwork | Callable[[httpx2.Request], httpx2.Response],
    *,
    wall_clock: Callable[[], datetime] | None = None,
    batch_entries: int = 50,
    pull_limit: int = 100,
) -> SyncClient:
    handler = network.handle if isinstance(network, FaultyNetwork) else network
    # The device's credential travels on the HTTP client, as it will in the app (wave 2: the real one).
    http = httpx2.Client(
        transport=httpx2.MockTransport(handler),
        base_url=BASE_URL,
        headers={"Authorization": f"Device {store.device_id}"},
    )
    return SyncClient(
        store=store,
        http=http,
        wall_clock=wall_clock or DeviceClock(),
        batch_entries=batch_entries,
        pull_limit=pull_limit,
    )


def decompressed(request: httpx2.Request) -> bytes:
    return gzip.decompress(request.content)
