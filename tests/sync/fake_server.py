"""An in-memory sync server speaking protocol version 1 (docs/sync/protocol.md), for client tests.

It implements the semantics the real server (wave 2) must have, on plain dicts: idempotent upload by
entry_id, per-incarnation highest applied device_seq moved in the same step as the entries (exactly-once,
in order, gaps refused), quarantine that lets the queue move on, the HLC bound with re-stamping, per-journal
cursors issued by the server and a watermark. Plug it into ``httpx2.MockTransport(server.handle)``.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

import httpx2
from pydantic import BaseModel, ValidationError

from journal.hlc import HybridClock
from sync.errors import ProtocolError
from sync.journal_adapter import EntryEnvelope, Stamp
from sync.protocol import (
    ACCESS_PATH,
    DEFAULT_MAX_HLC_AHEAD_MS,
    MAX_PUSH_BYTES,
    PULL_PATH,
    PUSH_PATH,
    AccessResponse,
    ErrorBody,
    ErrorCode,
    HlcBound,
    JournalAccess,
    PullRequest,
    PullResponse,
    PushItem,
    PushRequest,
    PushResponse,
    PushResult,
    PushResultCode,
    QuarantineReason,
    RestampReason,
    ServerTiming,
    WireEntry,
)

SERVER_WRITER = "server-1"


@dataclass
class FakeSyncServer:
    """State is public so tests can inspect it. The device is named by an ``Authorization: Device <id>``
    header (a stand-in for the real credential, which the injected HTTP client carries); without one, the
    request is from ``device_id``."""

    device_id: UUID
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    max_ahead_ms: int = DEFAULT_MAX_HLC_AHEAD_MS
    quarantine_rule: Callable[[WireEntry], QuarantineReason | None] = lambda _entry: None
    entries: dict[UUID, WireEntry] = field(default_factory=dict)
    logs: dict[UUID, list[UUID]] = field(default_factory=dict)  # journal -> entry ids in commit order
    quarantine: dict[UUID, tuple[WireEntry, QuarantineReason]] = field(default_factory=dict)
    highest_applied: dict[UUID, int] = field(default_factory=dict)  # incarnation -> device_seq
    incarnation_owner: dict[UUID, UUID] = field(default_factory=dict)  # incarnation -> device
    access: dict[UUID, datetime] = field(default_factory=dict)  # journal -> granted at
    invisible_tail: int = 0  # commits not yet visible (a concurrent writer's open transaction)
    pushed_items: list[tuple[UUID, int]] = field(default_factory=list)  # (entry_id, device_seq) as received
    gzip_requests: int = 0
    # Whether it answers ``GET /access?watermarks=true`` with watermarks (False: a server from before them).
    serves_watermarks: bool = True

    def __post_init__(self) -> None:
        self.clock = HybridClock(SERVER_WRITER, physical_ms=self._now_ms)

    def _now_ms(self) -> int:
        return round(self.now().timestamp() * 1000)

    # ------------------------------------------------------------------------------------------ http

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        received_at = self.now()
        body = request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            self.gzip_requests += 1
            body = gzip.decompress(body)
        if len(body) > MAX_PUSH_BYTES:
            return _error(413, ErrorCode.BATCH_TOO_LARGE, "body too large", None)
        device = self._device(request)
        try:
            route = (request.method, request.url.path)
            if route == ("POST", PUSH_PATH):
                push = PushRequest.model_validate_json(body)
                owner = self.incarnation_owner.setdefault(push.incarnation_id, device)
                if owner != device or push.device_id != device:
                    return _error(403, ErrorCode.INCARNATION_NOT_OWNED, "incarnation of another device", None)
                return self._ok(self.push(push, received_at))
            if route == ("POST", PULL_PATH):
                pull = PullRequest.model_validate_json(body)
                if pull.journal_id not in self.access:
                    return _error(403, ErrorCode.FORBIDDEN_JOURNAL, "no access to this journal", "journal_id")
                return self._ok(self.pull(pull, received_at))
            if route == ("GET", ACCESS_PATH):
                asked = request.url.params.get("watermarks") == "true" and self.serves_watermarks
                answer = self.access_list(device, received_at, watermarks=asked)
                return self._ok(answer)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            return _error(422, ErrorCode.MALFORMED_REQUEST, str(first["msg"]), where)
        except ProtocolError as exc:
            return _error(400, ErrorCode.UNKNOWN_CURSOR, str(exc), exc.field)
        return _error(404, ErrorCode.MALFORMED_REQUEST, f"no route {request.method} {request.url.path}", None)

    def _device(self, request: httpx2.Request) -> UUID:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        return UUID(value) if scheme == "Device" else self.device_id

    def _ok(self, model: BaseModel) -> httpx2.Response:
        return httpx2.Response(
            200, content=model.model_dump_json().encode(), headers={"Content-Type": "application/json"}
        )

    def _timing(self, received_at: datetime) -> ServerTiming:
        return ServerTiming(received_at=received_at, sent_at=self.now())

    # ------------------------------------------------------------------------------------------ push

    def push(self, request: PushRequest, received_at: datetime) -> PushResponse:
        highest = self.highest_applied.get(request.incarnation_id, 0)
        results: list[PushResult] = []
        for item in request.items:
            self.pushed_items.append((item.entry.entry_id, item.device_seq))
            if item.device_seq > highest + 1:
                results.append(
                    PushResult(
                        device_seq=item.device_seq,
                        entry_id=item.entry.entry_id,
                        code=PushResultCode.SEQUENCE_GAP,
                        expected_seq=highest + 1,
                    )
                )
                continue
            results.append(self._apply(item))
            highest = max(highest, item.device_seq)
        # The same "transaction" as the entries: a real server commits both or neither.
        self.highest_applied[request.incarnation_id] = highest
        return PushResponse(
            incarnation_id=request.incarnation_id,
            highest_applied_seq=highest,
            results=results,
            timing=self._timing(received_at),
            hlc_bound=HlcBound(max_ahead_ms=self.max_ahead_ms, server_hlc=self.clock.last.encode()),
        )

    def _apply(self, item: PushItem) -> PushResult:
        entry = item.entry
        seq, entry_id = item.device_seq, entry.entry_id
        known = self.entries.get(entry_id)
        held = self.quarantine.get(entry_id)
        if known is not None:
            if known.content_hash != entry.content_hash:
                return PushResult(device_seq=seq, entry_id=entry_id, code=PushResultCode.CONFLICT_ID_REUSED)
            return PushResult(device_seq=seq, entry_id=entry_id, code=PushResultCode.DUPLICATE, hlc=known.hlc)
        if held is not None:
            if held[0].content_hash != entry.content_hash:
                return PushResult(device_seq=seq, entry_id=entry_id, code=PushResultCode.CONFLICT_ID_REUSED)
            return PushResult(
                device_seq=seq, entry_id=entry_id, code=PushResultCode.QUARANTINED, quarantine_reason=held[1]
            )
        reason = self._quarantine_reason(entry)
        if reason is not None:
            self.quarantine[entry_id] = (entry, reason)
            return PushResult(
                device_seq=seq, entry_id=entry_id, code=PushResultCode.QUARANTINED, quarantine_reason=reason
            )
        stamp = Stamp.parse(entry.hlc)
        if stamp.physical_ms > self._now_ms() + self.max_ahead_ms:
            # A fresh stamp from the server's clock (after everything it holds), under the entry's own
            # writer: journal requires an entry's stamp to name its device.
            tick = self.clock.tick()
            stored = entry.model_copy(
                update={"hlc": Stamp(tick.physical_ms, tick.logical, stamp.writer).encode()}
            )
            self._commit(stored)
            return PushResult(
                device_seq=seq,
                entry_id=entry_id,
                code=PushResultCode.RESTAMPED,
                hlc=stored.hlc,
                restamp_reason=RestampReason.HLC_AHEAD_OF_BOUND,
            )
        self.clock.receive(stamp)
        self._commit(entry)
        return PushResult(device_seq=seq, entry_id=entry_id, code=PushResultCode.ACCEPTED, hlc=entry.hlc)

    def _quarantine_reason(self, entry: WireEntry) -> QuarantineReason | None:
        try:
            entry.to_envelope().verify()
        except ProtocolError:
            return QuarantineReason.CONTENT_HASH_MISMATCH
        return self.quarantine_rule(entry)

    def _commit(self, entry: WireEntry) -> None:
        self.entries[entry.entry_id] = entry
        self.logs.setdefault(entry.journal_id, []).append(entry.entry_id)

    # ------------------------------------------------------------------------------ other writers

    def write_as_other_writer(self, envelope: EntryEnvelope) -> None:
        """An entry from another device or the server itself, committed directly."""
        self.clock.receive(Stamp.parse(envelope.hlc))
        self._commit(WireEntry.from_envelope(envelope))

    # ------------------------------------------------------------------------------------------ pull

    def pull(self, request: PullRequest, received_at: datetime) -> PullResponse:
        log = self.logs.get(request.journal_id, [])
        start = self._decode_cursor(request.journal_id, request.after)
        watermark = max(start, len(log) - self.invisible_tail)
        end = min(watermark, start + request.limit)
        return PullResponse(
            journal_id=request.journal_id,
            entries=[self.entries[entry_id] for entry_id in log[start:end]],
            next_cursor=self._cursor(request.journal_id, end),
            watermark=self._cursor(request.journal_id, watermark),
            has_more=end < watermark,
            timing=self._timing(received_at),
        )

    @staticmethod
    def _cursor(journal_id: UUID, position: int) -> str:
        return f"{journal_id.hex[:8]}.{position}"

    def _decode_cursor(self, journal_id: UUID, cursor: str | None) -> int:
        if cursor is None:
            return 0
        prefix, _, position = cursor.partition(".")
        if prefix != journal_id.hex[:8] or not position.isdigit():
            raise ProtocolError(f"cursor {cursor!r} was not issued for this journal", field="after")
        return int(position)

    # ---------------------------------------------------------------------------------------- access

    def grant(self, journal_id: UUID) -> None:
        self.access.setdefault(journal_id, self.now())

    def access_list(self, device: UUID, received_at: datetime, *, watermarks: bool = False) -> AccessResponse:
        return AccessResponse(
            device_id=device,
            journals=[
                JournalAccess(
                    journal_id=j,
                    granted_at=at,
                    watermark=self._cursor(j, max(0, len(self.logs.get(j, [])) - self.invisible_tail))
                    if watermarks
                    else None,
                )
                for j, at in sorted(self.access.items())
            ],
            timing=self._timing(received_at),
        )


def _error(status: int, code: ErrorCode, message: str, where: str | None) -> httpx2.Response:
    body = ErrorBody(code=code, message=message, field=where)
    return httpx2.Response(
        status, content=body.model_dump_json().encode(), headers={"Content-Type": "application/json"}
    )
