"""Outbox workers: claim a due delivery, send it over HTTP, record what the receiver answered.

One delivery at a time per worker, in three steps, so no transaction is open while the network is:

1. **claim** (one short transaction): pick the most overdue delivery in a due state — ``queued`` and
   ``failed_retrying`` at their next attempt, ``awaiting_ack`` past its ack timeout (a resend), ``sending``
   past its lease (the sending worker died) — with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so concurrent
   workers pass each other by; then move it to ``sending`` with a lease, guarded by its ``version`` (SQLite
   has one writer at a time; the version check makes the loser of any race change nothing). The attempt
   row gets the Bundle.id of this transmission: the built one for the first, a new one for every resend
   (``medcom.handover_message.for_resend``: same MessageHeader.id).
2. **send**: ``integrations.delivery.http.HttpDelivery`` posts the Bundle.
3. **record** (one short transaction): the outcome becomes a state machine event
   (``server.outbox.states``). A 2xx whose body is the receiver's Acknowledgement of this MessageHeader.id
   closes the delivery (``ok``) or rejects it (``fatal-error``); ``transient-error``, timeouts, connection
   errors and 5xx/408/429 retry with exponential backoff and jitter until ``max_attempts`` transmissions,
   then dead-letter; a 2xx without that Acknowledgement waits ``ack_timeout`` for one, then resends.
   If the lease ran out meanwhile and another worker took the delivery over, only the attempt is recorded.

Two workers never send one delivery at once: a claim needs the row in a due state and the version it
read, and a claimed delivery is not due again until its lease has passed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from integrations.delivery.http import DeliveryResult, HttpDelivery
from medcom.acknowledgement import AcknowledgementSummary, read_acknowledgement
from medcom.errors import MedcomError
from medcom.fhir_input import parse_instance
from medcom.handover_message import BuiltMessage, for_resend
from medcom.message_parts import MessageClock
from server.outbox.models import Delivery, DeliveryAttempt, OutboxMessage
from server.outbox.states import (
    DUE_STATES,
    DeliveryEvent,
    DeliveryState,
    ErrorCode,
    claim_event,
    transition,
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RetryPolicy:
    """Limits and timings. Defaults follow MedCom: at most 2 resends (GOV 043, the stricter of its two
    pages, so 3 transmissions) and a 30-minute wait for an acknowledgement before resending."""

    max_attempts: int = 3
    backoff_base: dt.timedelta = dt.timedelta(seconds=30)
    backoff_max: dt.timedelta = dt.timedelta(minutes=30)
    jitter: float = 0.25
    """Each wait is scaled by a random factor in [1 - jitter, 1 + jitter], so retries spread out."""
    ack_timeout: dt.timedelta = dt.timedelta(minutes=30)
    lease: dt.timedelta = dt.timedelta(minutes=2)
    """How long a claim holds; must exceed the HTTP client's timeout."""


def backoff(policy: RetryPolicy, attempts: int, rng: random.Random) -> dt.timedelta:
    """The wait after the ``attempts``-th failed transmission: base · 2^(attempts-1), capped, jittered."""
    exponential = policy.backoff_base * (2 ** max(attempts - 1, 0))
    capped = min(exponential, policy.backoff_max)
    factor: float = rng.uniform(1 - policy.jitter, 1 + policy.jitter)
    return dt.timedelta(seconds=capped.total_seconds() * factor)


@dataclass(frozen=True)
class Claimed:
    delivery_id: uuid.UUID
    message_id: uuid.UUID
    version: int
    attempt: int
    bundle_id: str
    endpoint: str
    body: bytes


@dataclass(frozen=True)
class Recorded:
    delivery_id: uuid.UUID
    state: DeliveryState
    error_code: ErrorCode | None


@dataclass
class OutboxWorker:
    sessions: sessionmaker[Session]
    delivery: HttpDelivery
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    name: str = "worker"
    now: Callable[[], dt.datetime] = _utcnow
    rng: random.Random = field(default_factory=random.Random)

    def run_once(self) -> Recorded | None:
        """Claim, send and record one due delivery; None when nothing is due."""
        claimed = self.claim()
        if not isinstance(claimed, Claimed):
            return claimed
        return self.record(claimed, self.delivery.deliver(endpoint=claimed.endpoint, body=claimed.body))

    def run_until_idle(self, *, limit: int = 10_000) -> list[Recorded]:
        """Work until nothing is due (or ``limit`` deliveries were handled)."""
        done: list[Recorded] = []
        while len(done) < limit:
            recorded = self.run_once()
            if recorded is None:
                break
            done.append(recorded)
        return done

    def claim(self) -> Claimed | Recorded | None:
        """Take the most overdue due delivery (see the module doc): Claimed to send it, Recorded when it had
        no transmissions left and went to the dead letter instead, None when nothing is due."""
        while True:
            with self.sessions() as session:
                now = self.now()
                query = (
                    select(Delivery)
                    .where(Delivery.state.in_(DUE_STATES), Delivery.next_attempt_at <= now)
                    .order_by(Delivery.next_attempt_at)
                    .limit(1)
                )
                if session.get_bind().dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                delivery = session.scalars(query).first()
                if delivery is None:
                    return None
                claimed = self._take(session, delivery, now)
                session.commit()
                if claimed is not None:
                    return claimed
                # Another worker won the race for this delivery: look again.

    def _take(self, session: Session, delivery: Delivery, now: dt.datetime) -> Claimed | Recorded | None:
        event = claim_event(delivery.state)
        message = session.get_one(OutboxMessage, delivery.message_id)
        seen = delivery.version
        if delivery.attempts >= self.policy.max_attempts or message.payload is None or not message.endpoint:
            # An overdue ack or a dead worker's claim with no transmissions left: dead letter.
            code = (
                ErrorCode.ack_timeout if event is DeliveryEvent.ack_timeout else ErrorCode.attempts_exhausted
            )
            self._set(session, delivery, seen, DeliveryEvent.give_up, now, code=code, due=None)
            return Recorded(delivery.id, DeliveryState.dead_letter, code)
        state = transition(delivery.state, event)
        number = (
            session.scalar(
                select(func.max(DeliveryAttempt.number)).where(DeliveryAttempt.delivery_id == delivery.id)
            )
            or 0
        ) + 1
        built = BuiltMessage(json.loads(message.payload))
        body = message.payload if number == 1 else for_resend(built, clock=MessageClock()).to_json()
        bundle_id = str(json.loads(body)["id"])
        changed = session.execute(  # type: ignore[attr-defined]
            update(Delivery)
            .where(Delivery.id == delivery.id, Delivery.version == seen)
            .values(
                state=state,
                attempts=Delivery.attempts + 1,
                next_attempt_at=now + self.policy.lease,
                version=seen + 1,
                updated_at=now,
            )
        ).rowcount
        if changed != 1:
            session.rollback()
            return None
        session.add(
            DeliveryAttempt(
                delivery_id=delivery.id, number=number, bundle_id=bundle_id, worker=self.name, started_at=now
            )
        )
        return Claimed(delivery.id, message.id, seen + 1, number, bundle_id, message.endpoint, body)

    def _set(
        self,
        session: Session,
        delivery: Delivery,
        seen: int,
        event: DeliveryEvent,
        now: dt.datetime,
        *,
        code: ErrorCode | None,
        due: dt.datetime | None,
        detail: str | None = None,
        ack: tuple[str, bytes] | None = None,
    ) -> None:
        values: dict[str, object] = {
            "state": transition(delivery.state, event),
            "next_attempt_at": due,
            "error_code": code,
            "error_detail": detail[:1000] if detail else None,
            "version": seen + 1,
            "updated_at": now,
        }
        if ack is not None:
            values["ack_code"], values["ack"] = ack
        session.execute(
            update(Delivery).where(Delivery.id == delivery.id, Delivery.version == seen).values(**values)
        )

    def record(self, claimed: Claimed, result: DeliveryResult) -> Recorded:
        """Turn the transport's result into the delivery's next state (see the module doc)."""
        now = self.now()
        event, code, detail, ack, due = self._judge(claimed, result, now)
        with self.sessions() as session:
            attempt = session.scalars(
                select(DeliveryAttempt).where(
                    DeliveryAttempt.delivery_id == claimed.delivery_id,
                    DeliveryAttempt.number == claimed.attempt,
                )
            ).one()
            attempt.finished_at, attempt.http_status = now, result.status
            attempt.error_code, attempt.error_detail = code, detail[:1000] if detail else None
            delivery = session.get_one(Delivery, claimed.delivery_id, with_for_update=True)
            if delivery.version == claimed.version and delivery.state is DeliveryState.sending:
                if event is DeliveryEvent.retry_later and delivery.attempts >= self.policy.max_attempts:
                    event, code, due = DeliveryEvent.give_up, ErrorCode.attempts_exhausted, None
                self._set(
                    session, delivery, claimed.version, event, now, code=code, due=due, detail=detail, ack=ack
                )
            elif event is DeliveryEvent.ack_ok and delivery.state is not DeliveryState.acknowledged:
                # Our lease ran out and another worker took over, but this ack still closes the delivery.
                self._set(session, delivery, delivery.version, event, now, code=None, due=None, ack=ack)
            session.commit()
            session.refresh(delivery)
            return Recorded(delivery.id, delivery.state, delivery.error_code)

    def _judge(
        self, claimed: Claimed, result: DeliveryResult, now: dt.datetime
    ) -> tuple[DeliveryEvent, ErrorCode | None, str | None, tuple[str, bytes] | None, dt.datetime | None]:
        retry_at = now + backoff(self.policy, claimed.attempt, self.rng)
        if result.outcome == "rejected":
            return DeliveryEvent.rejected, ErrorCode.http_rejected, _text(result), None, None
        if result.outcome == "retry":
            code = (
                ErrorCode.http_timeout
                if result.status is None and (result.error or "").startswith("timed out")
                else ErrorCode.http_transport_error
                if result.status is None
                else ErrorCode.http_retryable_status
            )
            return DeliveryEvent.retry_later, code, result.error, None, retry_at
        summary = acknowledgement_of(result.body, message_id=claimed.message_id)
        if summary is None:
            detail = "the answer is no Acknowledgement of this message; waiting for one"
            return (
                DeliveryEvent.accepted_no_ack,
                ErrorCode.ack_missing,
                detail,
                None,
                now + self.policy.ack_timeout,
            )
        ack = (summary.code, result.body)
        if summary.ok:
            return DeliveryEvent.ack_ok, None, None, ack, None
        detail = "; ".join(summary.details) or summary.code
        if summary.retry:
            return DeliveryEvent.retry_later, ErrorCode.ack_transient_error, detail, ack, retry_at
        return DeliveryEvent.ack_fatal, ErrorCode.ack_fatal_error, detail, ack, None


def acknowledgement_of(body: bytes, *, message_id: uuid.UUID) -> AcknowledgementSummary | None:
    """The Acknowledgement in ``body`` if it acknowledges ``message_id`` (JSON or XML), else None."""
    if not body.strip():
        return None
    try:
        summary = read_acknowledgement(parse_instance(body, source="acknowledgement"))
    except MedcomError:
        return None
    return summary if summary.acknowledged_header_id == str(message_id) else None


def _text(result: DeliveryResult) -> str:
    body = result.body[:500].decode("utf-8", "replace")
    return f"{result.error}: {body}" if body else (result.error or "")
