"""A lean HTTP/1.1 client for the fleet load generator: keep-alive connections over asyncio streams.

Why not httpx: the fleet's load generator shares the machine's two cores with the server and PostgreSQL,
and httpx's per-request work (~2.5 ms of CPU in ``ppj bench sync``) was as large as the server's own; every
millisecond the generator spends is one the server under test does not get. This client does only what
the sync API needs: a request with a body and headers, a response with ``Content-Length``, keep-alive.
It is a load generator's tool, not a client for the product (tablets use ``sync.client``, on httpx).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit


class LeanHttpError(Exception):
    """The connection broke or the server answered something this client does not read."""


@dataclass(frozen=True)
class LeanResponse:
    status_code: int
    content: bytes


# uvicorn closes a keep-alive connection idle for 5 s; a tablet syncs every 5 s, so a connection idle
# this long is not reused (the server may be closing it while the request is on its way).
_REUSE_WITHIN_S = 4.0


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def reusable(self, now: float) -> bool:
        return (
            now - self.idle_since < _REUSE_WITHIN_S
            and not self.reader.at_eof()
            and not self.writer.is_closing()
        )

    def close(self) -> None:
        self.writer.close()


class LeanClient:
    """Up to ``max_connections`` keep-alive connections to one ``base_url`` (http only)."""

    def __init__(self, base_url: str, *, max_connections: int, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"base_url must be http://host:port, not {base_url!r}")
        self._host, self._port = parts.hostname, parts.port
        self._authority = f"{self._host}:{self._port}".encode()
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._timeout = timeout

    async def request(
        self, method: str, path: str, *, content: bytes | None = None, headers: dict[str, str]
    ) -> LeanResponse:
        async with self._slots:
            connection = await self._connection()
            try:
                response, keep = await asyncio.wait_for(
                    self._exchange(connection, method, path, content, headers), self._timeout
                )
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
                connection.close()
                raise LeanHttpError(f"{method} {path}: {type(error).__name__}: {error}") from error
            if keep:
                connection.idle_since = asyncio.get_running_loop().time()
                self._idle.append(connection)
            else:
                connection.close()
            return response

    async def _connection(self) -> _Connection:
        """The most recently used idle connection that may still be reused, else a new one."""
        now = asyncio.get_running_loop().time()
        while self._idle:
            connection = self._idle.pop()
            if connection.reusable(now):
                return connection
            connection.close()
        return await self._connect()

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self._host, self._port)
        return _Connection(reader, writer)

    async def _exchange(
        self, connection: _Connection, method: str, path: str, content: bytes | None, headers: dict[str, str]
    ) -> tuple[LeanResponse, bool]:
        body = content or b""
        head = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self._authority]
        head += [f"{name}: {value}".encode() for name, value in headers.items()]
        head.append(b"Content-Length: " + str(len(body)).encode())
        connection.writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        status_line, _, header_block = (await connection.reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length: int | None = None
        keep = True
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                raise ValueError("chunked responses are not read by this client")
            elif name == b"connection" and value.strip().lower() == b"close":
                keep = False
        if length is None:
            raise ValueError("a response without Content-Length")
        return LeanResponse(status, await connection.reader.readexactly(length)), keep

    async def aclose(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
