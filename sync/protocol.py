"""The sync wire protocol, version 1: what a client and the server exchange (docs/sync/protocol.md).

Every body is JSON with a ``protocol_version``. Requests may be gzip-compressed (``Content-Encoding:
gzip``). Models forbid unknown fields, so a typo is an error naming the field, never silently ignored; a
later protocol version adds fields under a new version number.

HTTP paths (final for version 1; see docs/sync/server.md and the server's OpenAPI):

=====================  =================  ==================
path                   request            response
=====================  =================  ==================
``POST /sync/v1/push``   ``PushRequest``    ``PushResponse``
``POST /sync/v1/pull``   ``PullRequest``    ``PullResponse``
``GET /sync/v1/access``  (none)             ``AccessResponse``
=====================  =================  ==================

Errors come back as a 4xx/5xx status with an ``ErrorBody``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from sync.journal_adapter import CONTENT_HASH_PATTERN, STAMP_PATTERN, EntryEnvelope

PROTOCOL_VERSION: Literal[1] = 1

PUSH_PATH = "/sync/v1/push"
PULL_PATH = "/sync/v1/pull"
ACCESS_PATH = "/sync/v1/access"
# Query of ``GET ACCESS_PATH`` asking for each journal's watermark (§6). Servers that do not know it ignore
# it and answer without watermarks, and a server sends them only when asked, so old clients (whose models
# forbid unknown fields) and old servers both keep working.
ACCESS_WATERMARKS_QUERY = "watermarks=true"

# Limits the server enforces (and the client respects when it builds a batch). The byte limit is on the
# uncompressed JSON body, so compression never decides whether a batch is allowed.
MAX_PUSH_ENTRIES = 200
MAX_PUSH_BYTES = 2 * 1024 * 1024
MAX_ENTRY_CONTENT_BYTES = 256 * 1024
MAX_PULL_LIMIT = 500
# How far ahead of the server's clock an HLC stamp may run before the server re-stamps the entry. Wide
# enough for NTP settling and a sleeping tablet; narrow enough that a wrong clock cannot order its edits
# after everything written in the next hours.
DEFAULT_MAX_HLC_AHEAD_MS = 5 * 60 * 1000

HlcText = Annotated[str, StringConstraints(pattern=STAMP_PATTERN)]
ContentHash = Annotated[str, StringConstraints(pattern=CONTENT_HASH_PATTERN)]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class WireModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WireEntry(WireModel):
    """One entry on the wire. ``content`` is the entry's canonical JSON text without the HLC; the ids, the
    stamp and the hash are repeated in clear so the server can index and check them without parsing."""

    entry_id: UUID
    journal_id: UUID
    hlc: HlcText
    content_hash: ContentHash
    content: Annotated[str, StringConstraints(min_length=2, max_length=MAX_ENTRY_CONTENT_BYTES)]

    @classmethod
    def from_envelope(cls, envelope: EntryEnvelope) -> WireEntry:
        return cls(
            entry_id=envelope.entry_id,
            journal_id=envelope.journal_id,
            hlc=envelope.hlc,
            content_hash=envelope.content_hash,
            content=envelope.content.decode("utf-8"),
        )

    def to_envelope(self) -> EntryEnvelope:
        """The envelope, as sent; call ``verify()`` on it to check the hash."""
        return EntryEnvelope(
            self.entry_id, self.journal_id, self.hlc, self.content.encode("utf-8"), self.content_hash
        )


# ---------------------------------------------------------------------------------------------- push


class PushItem(WireModel):
    device_seq: Annotated[int, Field(ge=1)]
    entry: WireEntry


class PushRequest(WireModel):
    """A batch of queued entries from one store incarnation, in strictly increasing ``device_seq``."""

    protocol_version: Literal[1] = PROTOCOL_VERSION
    device_id: UUID
    incarnation_id: UUID
    items: Annotated[list[PushItem], Field(min_length=1, max_length=MAX_PUSH_ENTRIES)]

    @model_validator(mode="after")
    def _ordered_and_unique(self) -> Self:
        seqs = [item.device_seq for item in self.items]
        if any(b <= a for a, b in zip(seqs, seqs[1:], strict=False)):
            raise ValueError("items: device_seq must be strictly increasing within a batch")
        if len({item.entry.entry_id for item in self.items}) != len(self.items):
            raise ValueError("items: an entry_id appears twice in one batch")
        return self


class PushResultCode(StrEnum):
    """What the server did with one pushed entry. Only ``sequence_gap`` leaves the entry to send again."""

    ACCEPTED = "accepted"  # stored now
    DUPLICATE = "duplicate"  # stored before with the same content: a no-op
    CONFLICT_ID_REUSED = "conflict_id_reused"  # a different entry is stored under this id: refused
    QUARANTINED = "quarantined"  # kept in the server's quarantine for an administrator; not lost
    RESTAMPED = "restamped"  # stored with a new HLC stamp (``hlc``), because of ``restamp_reason``
    SEQUENCE_GAP = "sequence_gap"  # not applied: an earlier device_seq is missing (``expected_seq``)


class QuarantineReason(StrEnum):
    UNKNOWN_KIND_VERSION = "unknown_kind_version"  # the server does not know this (kind, kind_version)
    INVALID_ENTRY = "invalid_entry"  # the content does not validate as an entry
    CONTENT_HASH_MISMATCH = "content_hash_mismatch"  # content and content_hash disagree
    JOURNAL_MISMATCH = "journal_mismatch"  # the ids in clear disagree with the content
    AUTHOR_UNVERIFIED = "author_unverified"  # the author cannot be verified
    DEVICE_REVOKED = "device_revoked"  # the writing device's credential was revoked
    NO_ACCESS = "no_access"  # the device may not write to this journal


class RestampReason(StrEnum):
    HLC_AHEAD_OF_BOUND = "hlc_ahead_of_bound"  # the stamp ran more than max_ahead_ms ahead of the server


class PushResult(WireModel):
    device_seq: int
    entry_id: UUID
    code: PushResultCode
    # The stamp the server holds for the entry (for accepted, duplicate, restamped); the client adopts it.
    hlc: HlcText | None = None
    quarantine_reason: QuarantineReason | None = None
    restamp_reason: RestampReason | None = None
    expected_seq: int | None = None
    detail: Annotated[str, StringConstraints(max_length=500)] | None = None

    @model_validator(mode="after")
    def _fields_match_code(self) -> Self:
        code = self.code
        needs = {
            "hlc": code in {PushResultCode.ACCEPTED, PushResultCode.DUPLICATE, PushResultCode.RESTAMPED},
            "quarantine_reason": code is PushResultCode.QUARANTINED,
            "restamp_reason": code is PushResultCode.RESTAMPED,
            "expected_seq": code is PushResultCode.SEQUENCE_GAP,
        }
        for field, required in needs.items():
            present = getattr(self, field) is not None
            if present != required:
                verb = "requires" if required else "forbids"
                raise ValueError(f"{field}: result code {code.value} {verb} it")
        return self


class ServerTiming(WireModel):
    """When the server received the request and sent the response (server clock), for offset estimation."""

    received_at: AwareDatetime
    sent_at: AwareDatetime


class HlcBound(WireModel):
    """The server's bound on HLC stamps: none may run more than ``max_ahead_ms`` ahead of ``server_hlc``'s
    wall-clock part at the time of the push. ``server_hlc`` is the server's own clock after this batch."""

    max_ahead_ms: Annotated[int, Field(ge=0)]
    server_hlc: HlcText


class PushResponse(WireModel):
    """One result per pushed item, in the request's order, and the incarnation's highest applied seq."""

    protocol_version: Literal[1] = PROTOCOL_VERSION
    incarnation_id: UUID
    highest_applied_seq: Annotated[int, Field(ge=0)]
    results: list[PushResult]
    timing: ServerTiming
    hlc_bound: HlcBound


# ---------------------------------------------------------------------------------------------- pull


class PullRequest(WireModel):
    """Entries of one journal after ``after`` (``None``: from the beginning, a backfill)."""

    protocol_version: Literal[1] = PROTOCOL_VERSION
    device_id: UUID
    journal_id: UUID
    after: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_PULL_LIMIT)] = MAX_PULL_LIMIT


class PullResponse(WireModel):
    """Entries in server commit order, none past the watermark. ``next_cursor`` is what to send as
    ``after`` next time; the client stores it only with the entries, in one local transaction."""

    protocol_version: Literal[1] = PROTOCOL_VERSION
    journal_id: UUID
    entries: list[WireEntry]
    next_cursor: Cursor
    watermark: Cursor
    has_more: bool
    timing: ServerTiming

    @model_validator(mode="after")
    def _entries_belong_to_journal(self) -> Self:
        for index, entry in enumerate(self.entries):
            if entry.journal_id != self.journal_id:
                raise ValueError(f"entries.{index}.journal_id: not the journal pulled")
        return self


# -------------------------------------------------------------------------------------------- access


class JournalAccess(WireModel):
    """A journal the device may see: since ``granted_at``, and until ``until`` (the documentation window)."""

    journal_id: UUID
    granted_at: AwareDatetime
    until: AwareDatetime | None = None
    # The journal's watermark now (what a pull would answer as ``watermark``), only when the client asked
    # with ACCESS_WATERMARKS_QUERY. A client whose stored cursor equals it has nothing to pull. Left out of
    # the JSON when None, not sent as null: a client from before the field forbids unknown keys.
    watermark: Cursor | None = Field(default=None, exclude_if=lambda value: value is None)


class AccessResponse(WireModel):
    protocol_version: Literal[1] = PROTOCOL_VERSION
    device_id: UUID
    journals: list[JournalAccess]
    timing: ServerTiming


# -------------------------------------------------------------------------------------------- errors


class ErrorCode(StrEnum):
    UNSUPPORTED_PROTOCOL_VERSION = "unsupported_protocol_version"
    MALFORMED_REQUEST = "malformed_request"  # does not parse or validate; ``field`` names the part
    BATCH_TOO_LARGE = "batch_too_large"  # more than MAX_PUSH_ENTRIES items or MAX_PUSH_BYTES bytes
    UNAUTHENTICATED = "unauthenticated"  # no valid device credential / token
    DEVICE_REVOKED = "device_revoked"
    INCARNATION_NOT_OWNED = "incarnation_not_owned"  # the incarnation belongs to another device
    FORBIDDEN_JOURNAL = "forbidden_journal"  # pull of a journal the device may not see
    UNKNOWN_CURSOR = "unknown_cursor"  # a cursor the server did not issue for this journal
    RATE_LIMITED = "rate_limited"  # 429; retry after Retry-After
    UNAVAILABLE = "unavailable"  # 503; retry after Retry-After


class ErrorBody(WireModel):
    protocol_version: Literal[1] = PROTOCOL_VERSION
    code: ErrorCode
    message: Annotated[str, StringConstraints(max_length=1000)]
    field: str | None = None
