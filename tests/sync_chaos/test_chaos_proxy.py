"""The fault proxy does to requests what its plan says: a dropped request never reaches the server, a
dropped response was handled by it, a duplicate is handled twice, a late replay arrives after."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx2
import pytest

from ppj.sync_chaos.proxy import PASS_THROUGH, FaultProxy, FaultRates


class Counting(ThreadingHTTPServer):
    def __init__(self) -> None:
        self.seen: list[bytes] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.seen.append(body)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def upstream() -> Iterator[Counting]:
    server = Counting()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream: Counting) -> Iterator[FaultProxy]:
    started = FaultProxy(upstreams=[upstream.server_address[1]])
    started.start()
    yield started
    started.stop()


def post(proxy: FaultProxy, body: bytes) -> httpx2.Response:
    return httpx2.post(f"http://127.0.0.1:{proxy.port}/x", content=body, timeout=5)


def test_a_passed_request_reaches_the_server_once_and_the_answer_comes_back(
    proxy: FaultProxy, upstream: Counting
) -> None:
    assert post(proxy, b"one").content == b"one"
    assert upstream.seen == [b"one"]


def test_a_dropped_request_never_reaches_the_server(proxy: FaultProxy, upstream: Counting) -> None:
    proxy.configure(FaultRates(seed=1, drop_request=1.0))
    with pytest.raises(httpx2.TransportError):
        post(proxy, b"lost")
    assert upstream.seen == []


def test_a_dropped_response_was_handled_by_the_server(proxy: FaultProxy, upstream: Counting) -> None:
    proxy.configure(FaultRates(seed=1, drop_response=1.0))
    with pytest.raises(httpx2.TransportError):
        post(proxy, b"applied")
    assert upstream.seen == [b"applied"]


def test_a_duplicated_request_reaches_the_server_twice(proxy: FaultProxy, upstream: Counting) -> None:
    proxy.configure(FaultRates(seed=1, duplicate=1.0))
    assert post(proxy, b"twice").content == b"twice"
    assert upstream.seen == [b"twice", b"twice"]


def test_a_late_replay_reaches_the_server_again_after_later_requests(
    proxy: FaultProxy, upstream: Counting
) -> None:
    proxy.configure(FaultRates(seed=3, replay_late=1.0))
    post(proxy, b"first")
    proxy.configure(FaultRates(seed=3))  # no faults, but waiting replays are kept
    post(proxy, b"second")
    proxy.flush_replays()
    assert upstream.seen[:2] == [b"first", b"second"]
    assert upstream.seen.count(b"first") == 2


def test_switching_to_pass_through_drops_waiting_replays(proxy: FaultProxy, upstream: Counting) -> None:
    proxy.configure(FaultRates(seed=3, replay_late=1.0))
    post(proxy, b"first")
    proxy.configure(PASS_THROUGH)
    assert upstream.seen == [b"first"]


def test_a_held_request_of_a_client_gone_away_has_reached_the_server_when_the_replays_are_flushed(
    proxy: FaultProxy, upstream: Counting
) -> None:
    # The final syncs start after flush_replays: a request still held then would land after them.
    proxy.configure(FaultRates(seed=5, hold=1.0))
    with pytest.raises(httpx2.TransportError):
        httpx2.post(f"http://127.0.0.1:{proxy.port}/x", content=b"held", timeout=0.2)  # the tablet gave up
    assert upstream.seen == []
    proxy.stop_faults()
    proxy.flush_replays()
    assert upstream.seen == [b"held"]


def test_rates_that_add_up_to_more_than_one_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 1"):
        FaultRates(seed=0, drop_request=0.6, duplicate=0.6)
