"""Request bodies of the sync API: optional gzip, limits on the uncompressed size, model parsing.

Framework-free: the route hands over the raw bytes and the Content-Encoding header. Decompression stops as
soon as the output passes the limit, so a small gzip bomb costs at most ``limit`` bytes of memory.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from server.sync.errors import BatchTooLarge, MalformedRequest, SyncRefused
from sync.protocol import PROTOCOL_VERSION, ErrorCode

ModelT = TypeVar("ModelT", bound=BaseModel)


def decode_body(*, raw: bytes, content_encoding: str | None, limit: int) -> bytes:
    """The uncompressed body, or ``BatchTooLarge`` past ``limit`` bytes / ``MalformedRequest``."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        if len(raw) > limit:
            raise BatchTooLarge(f"body of {len(raw)} bytes exceeds {limit} bytes")
        return raw
    if encoding != "gzip":
        raise MalformedRequest(f"Content-Encoding {encoding!r} is not supported (gzip or none)", None)
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise MalformedRequest(f"body is not valid gzip: {exc}", None) from None
    if len(body) > limit or inflater.unconsumed_tail:
        raise BatchTooLarge(f"uncompressed body exceeds {limit} bytes")
    if not inflater.eof or inflater.unused_data:
        raise MalformedRequest("gzip body is truncated or has trailing data", None)
    return body


def parse_model(body: bytes, model: type[ModelT]) -> ModelT:
    """``model`` parsed from JSON ``body``; an unknown protocol version and invalid fields are refused."""
    try:
        data: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedRequest(f"body is not JSON: {exc}", None) from None
    if not isinstance(data, dict):
        raise MalformedRequest("body must be a JSON object", None)
    version = data.get("protocol_version", PROTOCOL_VERSION)
    if version != PROTOCOL_VERSION:
        raise SyncRefused(
            400,
            ErrorCode.UNSUPPORTED_PROTOCOL_VERSION,
            f"protocol_version {version!r} is not served here (this server speaks {PROTOCOL_VERSION})",
            "protocol_version",
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        if message.startswith("items: "):
            where, message = "items", message.removeprefix("items: ")
        if first["type"] == "too_long" and where == "items":
            raise BatchTooLarge(message) from None
        raise MalformedRequest(message, where) from None
