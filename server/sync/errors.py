"""Errors of the sync service, each carrying the protocol's error code (docs/sync/protocol.md §10).

::

    ServerError (server.errors)
    └── SyncRefused            the request is refused whole; nothing was stored   → its ``status``
        ├── MalformedRequest   the body does not parse or validate (``field``)    → 422 malformed_request
        ├── BatchTooLarge      over MAX_PUSH_ENTRIES / MAX_PUSH_BYTES uncompressed → 413 batch_too_large
        └── UnknownCursor      a cursor this server did not issue for the journal → 400 unknown_cursor

Other refusals (``unsupported_protocol_version``, ``incarnation_not_owned``, ``device_revoked``…) are
``SyncRefused`` with their code. Errors about single entries are never raised: they are push results.
"""

from __future__ import annotations

from server.errors import ServerError
from sync.protocol import ErrorCode


class SyncRefused(ServerError):
    """Raised when a sync request is refused as a whole; the HTTP layer answers ``status`` + ErrorBody."""

    def __init__(self, status: int, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(f"{code.value}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class MalformedRequest(SyncRefused):
    """Raised when a body is not JSON, not gzip, or fails the wire model; ``field`` names the part."""

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(422, ErrorCode.MALFORMED_REQUEST, message, field)


class BatchTooLarge(SyncRefused):
    """Raised when a body exceeds the uncompressed byte limit (also mid-decompression: gzip bombs)."""

    def __init__(self, message: str) -> None:
        super().__init__(413, ErrorCode.BATCH_TOO_LARGE, message, None)


class UnknownCursor(SyncRefused):
    """Raised when ``after`` is not a cursor this server issued for the journal pulled."""

    def __init__(self, message: str) -> None:
        super().__init__(400, ErrorCode.UNKNOWN_CURSOR, message, "after")
