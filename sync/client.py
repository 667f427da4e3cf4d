"""The sync client: one store, one server, over ``httpx2`` with an injected client (and so transport).

One ``sync_once`` is: refresh the access list, push the queue batch by batch, pull every accessible
journal page by page. Failure rules, which together give "nothing lost, at most one batch resent":

* The queue changes only from a parsed, valid answer to the batch just sent (``apply_push_results``). A
  network error, timeout, 5xx, 429 or an answer that does not parse raises ``TransientSyncError`` and
  changes nothing, so the next attempt resends exactly that batch, which the server answers idempotently.
* A pulled page and its cursor are stored in one local transaction (``store_pulled``); if that fails or
  the answer is lost, the next pull asks again from the old cursor.
* Nothing here holds a database transaction while waiting for the network, so capture is never blocked.

``sync_with_retries`` wraps ``sync_once`` with exponential backoff and full jitter.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

import httpx2
from pydantic import BaseModel, ValidationError

from sync.backoff import Backoff
from sync.clock_offset import estimate_offset
from sync.errors import ProtocolError, SyncRefusedError, TransientSyncError
from sync.protocol import (
    ACCESS_PATH,
    ACCESS_WATERMARKS_QUERY,
    MAX_PULL_LIMIT,
    MAX_PUSH_BYTES,
    MAX_PUSH_ENTRIES,
    PULL_PATH,
    PUSH_PATH,
    AccessResponse,
    ErrorBody,
    ErrorCode,
    JournalAccess,
    PullRequest,
    PullResponse,
    PushItem,
    PushRequest,
    PushResponse,
    PushResultCode,
    ServerTiming,
    WireEntry,
)
from sync.store import LocalStore, PushApplied, QueuedEntry

log = logging.getLogger(__name__)

ResponseT = TypeVar("ResponseT", bound=BaseModel)

_RETRYABLE_STATUS = frozenset({408, 425, 429})
# Content bytes per batch: half the body limit, leaving room for JSON escaping of the content string and
# the envelope fields around it. The encoded body is checked against MAX_PUSH_BYTES before sending.
_BATCH_CONTENT_BYTES = MAX_PUSH_BYTES // 2
# A push or pull loop that makes this many round trips in one cycle stops and lets the next cycle go on,
# so a misbehaving server cannot keep the worker busy forever.
_MAX_ROUNDS = 10_000


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SyncReport:
    """What one ``sync_once`` did."""

    pushed_batches: int = 0
    confirmed: int = 0
    kept_with_reason: int = 0
    restamped_locally: int = 0
    pulled: int = 0
    journals: list[UUID] = field(default_factory=list)
    restamp_notices: list[str] = field(default_factory=list)
    # The device clock's offset from the server after this cycle (ms, server minus device); the tablet
    # passes it to its clock facade (``ClockFacade.set_server_offset``) so clinical times carry it.
    offset_ms: float = 0.0


class SyncClient:
    """Push and pull for one store. ``http`` carries the server's base URL and the device's credentials
    (wave 2); tests inject ``httpx2.MockTransport``. ``wall_clock`` is the device clock."""

    def __init__(
        self,
        *,
        store: LocalStore,
        http: httpx2.Client,
        wall_clock: Callable[[], datetime] = _utc_now,
        batch_entries: int = MAX_PUSH_ENTRIES,
        pull_limit: int = MAX_PULL_LIMIT,
    ) -> None:
        if not 1 <= batch_entries <= MAX_PUSH_ENTRIES:
            raise ValueError(f"batch_entries must be in 1..{MAX_PUSH_ENTRIES}")
        if not 1 <= pull_limit <= MAX_PULL_LIMIT:
            raise ValueError(f"pull_limit must be in 1..{MAX_PULL_LIMIT}")
        self._store = store
        self._http = http
        self._wall_clock = wall_clock
        self._batch_entries = batch_entries
        self._pull_limit = pull_limit

    # -------------------------------------------------------------------------------------- cycle

    def sync_once(self) -> SyncReport:
        """Push everything queued, then the access list, then pull every accessible journal.

        Push comes first because it needs only the device credential: what a medic wrote under a log-in
        that has since expired still reaches the server, and only the access list and pulls then ask for
        a new log-in (``SyncRefusedError`` 401)."""
        report = SyncReport()
        self.push_pending(report)
        for journal in self._access_list():
            # The stored cursor at the journal's watermark: a pull would answer nothing new (protocol §6),
            # so it is not sent. Most syncs of a fleet are like this; a server without watermarks (None)
            # gets the pull as before.
            if journal.watermark is None or journal.watermark != self._store.cursor(journal.journal_id):
                report.pulled += self.pull_journal(journal.journal_id)
            report.journals.append(journal.journal_id)
        report.offset_ms = self._store.offset_ms()
        return report

    def refresh_access(self) -> list[UUID]:
        return [j.journal_id for j in self._access_list()]

    def _access_list(self) -> list[JournalAccess]:
        response, timing = self._exchange(
            "GET", f"{ACCESS_PATH}?{ACCESS_WATERMARKS_QUERY}", None, AccessResponse
        )
        if response.device_id != self._store.device_id:
            raise ProtocolError("access list is for another device", field="device_id")
        self._store.replace_access(journals=response.journals)
        # A clock-offset sample like every answer's: with pulls skipped it may be this cycle's only one.
        self._record_offset(timing, response.timing)
        return response.journals

    # --------------------------------------------------------------------------------------- push

    def push_pending(self, report: SyncReport | None = None) -> SyncReport:
        """Push the queue, oldest first, one batch per request, until nothing is pending."""
        report = report if report is not None else SyncReport()
        gap_just_refilled = False
        for _ in range(_MAX_ROUNDS):
            batch = self._store.next_batch(max_entries=self._batch_entries, max_bytes=_BATCH_CONTENT_BYTES)
            if not batch:
                return report
            applied = self._push_batch(batch, report)
            if applied.confirmed or applied.kept_with_reason:
                gap_just_refilled = False
            elif applied.requeued and not gap_just_refilled:
                gap_just_refilled = True  # the next batch starts at the server's expected device_seq
            else:
                # No progress (an answer without results, or a gap the refill did not close): stop here
                # and let the next cycle resend the same batch.
                raise TransientSyncError("push made no progress; the batch stays queued")
        return report

    def _push_batch(self, batch: list[QueuedEntry], report: SyncReport) -> PushApplied:
        request = self._push_request(batch)
        response, timing = self._exchange("POST", PUSH_PATH, request, PushResponse)
        if response.incarnation_id != self._store.incarnation_id:
            raise ProtocolError("push answer is for another incarnation", field="incarnation_id")
        sent = {item.device_seq for item in request.items}
        if any(result.device_seq not in sent for result in response.results):
            raise ProtocolError("push answer has a result for an entry not sent", field="results")
        applied = self._store.apply_push_results(results=response.results)
        offset_ms = self._record_offset(timing, response.timing)
        server_now_ms = _epoch_ms(response.timing.sent_at)
        restamped = self._store.enforce_hlc_bound(
            bound=response.hlc_bound,
            server_now_ms=server_now_ms,
            physical_ms=_epoch_ms(self._wall_clock()) + round(offset_ms),
        )
        report.pushed_batches += 1
        report.confirmed += applied.confirmed
        report.kept_with_reason += applied.kept_with_reason
        report.restamped_locally += restamped
        for result in response.results:
            if result.code is PushResultCode.RESTAMPED:
                report.restamp_notices.append(
                    f"entry {result.entry_id} re-stamped by the server ({result.restamp_reason}): "
                    f"this device's clock ran more than {response.hlc_bound.max_ahead_ms} ms ahead"
                )
        return applied

    def _push_request(self, batch: list[QueuedEntry]) -> PushRequest:
        """The request for ``batch``, shortened until its JSON fits MAX_PUSH_BYTES."""
        while True:
            request = PushRequest(
                device_id=self._store.device_id,
                incarnation_id=self._store.incarnation_id,
                items=[
                    PushItem(device_seq=q.device_seq, entry=WireEntry.from_envelope(q.envelope))
                    for q in batch
                ],
            )
            if len(batch) == 1 or len(request.model_dump_json()) <= MAX_PUSH_BYTES:
                return request
            batch = batch[: len(batch) // 2]

    # --------------------------------------------------------------------------------------- pull

    def pull_journal(self, journal_id: UUID) -> int:
        """Pull the journal from the stored cursor until the server has nothing more below its watermark;
        return how many entries were new here."""
        added = 0
        for _ in range(_MAX_ROUNDS):
            after = self._store.cursor(journal_id)
            request = PullRequest(
                device_id=self._store.device_id, journal_id=journal_id, after=after, limit=self._pull_limit
            )
            try:
                response, timing = self._exchange("POST", PULL_PATH, request, PullResponse)
            except SyncRefusedError as exc:
                if exc.code != ErrorCode.UNKNOWN_CURSOR.value or after is None:
                    raise
                # The server no longer knows our cursor (e.g. restored, or re-partitioned): pull the
                # journal again from the start; entries held already are recognised by id.
                log.warning(
                    "journal %s: cursor %r unknown to the server; pulling from the start", journal_id, after
                )
                self._store.forget_cursor(journal_id)
                continue
            if response.journal_id != journal_id:
                raise ProtocolError("pull answer is for another journal", field="journal_id")
            applied = self._store.store_pulled(
                journal_id=journal_id,
                entries=[entry.to_envelope() for entry in response.entries],
                next_cursor=response.next_cursor,
                watermark=response.watermark,
            )
            self._record_offset(timing, response.timing)
            added += applied.added
            if not response.has_more:
                return added
            if not response.entries and response.next_cursor == after:
                raise ProtocolError(
                    "server says has_more but moves neither cursor nor entries", field="has_more"
                )
        return added

    # ---------------------------------------------------------------------------------------- http

    def _record_offset(self, local: tuple[datetime, datetime], server: ServerTiming) -> float:
        sample = estimate_offset(
            sent_at=local[0],
            server_received_at=server.received_at,
            server_sent_at=server.sent_at,
            received_at=local[1],
        )
        self._store.record_offset(offset_ms=sample.offset_ms, rtt_ms=sample.rtt_ms)
        return self._store.offset_ms()

    def _exchange(
        self, method: str, path: str, body: BaseModel | None, response_type: type[ResponseT]
    ) -> tuple[ResponseT, tuple[datetime, datetime]]:
        """Send one request (gzip JSON body) and parse the answer; raise as the module docstring says."""
        headers = {"Accept": "application/json"}
        content: bytes | None = None
        if body is not None:
            content = gzip.compress(body.model_dump_json().encode("utf-8"), compresslevel=6, mtime=0)
            headers |= {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        sent_at = self._wall_clock()
        try:
            response = self._http.request(method, path, content=content, headers=headers)
        except httpx2.TransportError as exc:
            raise TransientSyncError(f"{method} {path}: {exc.__class__.__name__}: {exc}") from exc
        received_at = self._wall_clock()
        status = response.status_code
        if status == 200:
            try:
                return response_type.model_validate_json(response.content), (sent_at, received_at)
            except ValidationError as exc:
                raise TransientSyncError(
                    f"{method} {path}: answer does not parse: {_first_error(exc)}"
                ) from exc
        retry_after = _retry_after(response)
        if status >= 500 or status in _RETRYABLE_STATUS:
            raise TransientSyncError(f"{method} {path}: HTTP {status}", retry_after=retry_after)
        try:
            error = ErrorBody.model_validate_json(response.content)
        except ValidationError as exc:
            # A 4xx without our error body is not from the sync server (a captive portal, a proxy).
            raise TransientSyncError(f"{method} {path}: HTTP {status} without an error body") from exc
        raise SyncRefusedError(status=status, code=error.code.value, message=error.message, field=error.field)


def sync_with_retries(
    *,
    client: SyncClient,
    backoff: Backoff,
    rand: Callable[[], float],
    sleep: Callable[[float], bool],
    max_attempts: int | None = None,
) -> SyncReport | None:
    """``sync_once`` until it succeeds, sleeping a jittered backoff after each transient failure.

    A ``ProtocolError`` (an answer that parses but breaks the protocol) is retried like a transient
    failure: nothing was changed by it. ``SyncRefusedError`` is not retried: it propagates.
    ``sleep(seconds)`` returns True when the caller wants to stop (the worker's stop event); then, or
    after ``max_attempts`` failures, this returns None.
    """
    attempt = 0
    while True:
        try:
            return client.sync_once()
        except (TransientSyncError, ProtocolError) as exc:
            if max_attempts is not None and attempt + 1 >= max_attempts:
                log.warning("sync failed %d times, giving up for now: %s", attempt + 1, exc)
                return None
            hint = exc.retry_after if isinstance(exc, TransientSyncError) else None
            delay = backoff.delay(attempt, rand=rand, retry_after=hint)
            log.info("sync attempt %d failed (%s); retrying in %.1f s", attempt + 1, exc, delay)
            if sleep(delay):
                return None
            attempt += 1


def _epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # the HTTP-date form is not worth parsing; the backoff applies instead


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return ".".join(str(part) for part in first["loc"]) + ": " + str(first["msg"])
