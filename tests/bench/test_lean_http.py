"""The fleet load generator's lean HTTP/1.1 client, against a small asyncio HTTP server: keep-alive
reuse, ``Connection: close``, and a clear error for what it does not read."""

from __future__ import annotations

import asyncio

import pytest

from ppj.bench._lean_http import LeanClient, LeanHttpError


async def _serve(answers: list[bytes]) -> tuple[asyncio.Server, list[bytes], list[int]]:
    """A server answering each request (read up to its blank line and Content-Length body) with the next
    of ``answers``; it records the requests and counts connections."""
    requests: list[bytes] = []
    connections = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections[0] += 1
        try:
            while answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                requests.append(head + await reader.readexactly(length))
                answer = answers.pop(0)
                writer.write(answer)
                await writer.drain()
                if b"Connection: close" in answer:
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, requests, connections


def _ok(body: bytes, *extra: bytes) -> bytes:
    return b"\r\n".join(
        [b"HTTP/1.1 200 OK", b"Content-Length: " + str(len(body)).encode(), *extra, b"", body]
    )


def test_requests_reuse_one_keep_alive_connection_and_carry_body_and_headers() -> None:
    async def scenario() -> None:
        server, requests, connections = await _serve([_ok(b'{"a":1}'), _ok(b"")])
        port = server.sockets[0].getsockname()[1]
        client = LeanClient(f"http://127.0.0.1:{port}", max_connections=4, timeout=5)
        first = await client.request("POST", "/sync/v1/push", content=b"xyz", headers={"X-PPJ-Device": "d.s"})
        second = await client.request("GET", "/sync/v1/access", headers={})
        await client.aclose()
        server.close()
        assert (first.status_code, first.content, second.content) == (200, b'{"a":1}', b"")
        assert connections == [1]
        assert requests[0].startswith(b"POST /sync/v1/push HTTP/1.1\r\n")
        assert b"X-PPJ-Device: d.s\r\n" in requests[0] and requests[0].endswith(b"\r\n\r\nxyz")

    asyncio.run(scenario())


def test_a_connection_the_server_closes_is_not_used_again() -> None:
    async def scenario() -> None:
        server, _, connections = await _serve([_ok(b"1", b"Connection: close"), _ok(b"2")])
        port = server.sockets[0].getsockname()[1]
        client = LeanClient(f"http://127.0.0.1:{port}", max_connections=4, timeout=5)
        answers = [(await client.request("GET", "/", headers={})).content for _ in range(2)]
        await client.aclose()
        server.close()
        assert answers == [b"1", b"2"]
        assert connections == [2]

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", id="chunked"),
        pytest.param(b"HTTP/1.1 200 OK\r\n\r\n", id="no-content-length"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nshort", id="cut-short"
        ),
    ],
)
def test_what_the_client_does_not_read_is_a_clear_error(answer: bytes) -> None:
    async def scenario() -> None:
        server, _, _ = await _serve([answer])
        port = server.sockets[0].getsockname()[1]
        client = LeanClient(f"http://127.0.0.1:{port}", max_connections=1, timeout=5)
        with pytest.raises(LeanHttpError, match="GET /x"):
            await client.request("GET", "/x", headers={})
        await client.aclose()
        server.close()

    asyncio.run(scenario())
