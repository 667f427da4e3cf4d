"""The outbox worker against real databases and a real loopback receiver: retries with backoff, dead letter,
fatal errors, the ack timeout resend, leases, administrators' retries, and two workers on PostgreSQL.

Deliveries are inserted directly here (a built handover for the demo STEMI journal, addressed to the MedCom
example hospital); test_outbox_end_to_end.py covers how sync queues them.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from integrations.delivery.http import HttpDelivery
from integrations.receiver_simulator.server import ReceiverSimulator
from medcom.fhir_validator import Validator
from medcom.journal_messages import DEMO_ORGANISATIONS
from medcom.receiver import MessageReceiver
from server.db import make_engine, make_session_factory
from server.models import Base
from server.outbox.errors import RetryRefused
from server.outbox.models import Delivery, DeliveryAttempt, OutboxMessage
from server.outbox.service import list_deliveries, retry_delivery, show_delivery
from server.outbox.states import DeliveryState, ErrorCode
from server.outbox.worker import Claimed, OutboxWorker, RetryPolicy, backoff
from tests.server.outbox.journeys import HOSPITAL, START, queue_handovers

POLICY = RetryPolicy(max_attempts=3, backoff_base=dt.timedelta(seconds=10), jitter=0.0)


@dataclass
class Clock:
    at: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, delta: dt.timedelta) -> None:
        self.at += delta


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = (
        make_engine(database_url, pool_size=5) if "postgresql" in database_url else make_engine(database_url)
    )
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def worker(
    sessions: sessionmaker[Session], clock: Clock, *, name: str = "w", http: httpx2.Client | None = None
) -> OutboxWorker:
    return OutboxWorker(
        sessions, HttpDelivery(http or httpx2.Client(timeout=10)), policy=POLICY, name=name, now=clock
    )


def delivery(sessions: sessionmaker[Session], message_id: uuid.UUID) -> Delivery:
    with sessions() as session:
        return session.scalars(select(Delivery).where(Delivery.message_id == message_id)).one()


def test_backoff_doubles_per_attempt_up_to_the_cap_and_jitters_within_its_bounds() -> None:
    policy = RetryPolicy(
        backoff_base=dt.timedelta(seconds=30), backoff_max=dt.timedelta(minutes=5), jitter=0.25
    )
    rng = random.Random(7)
    for attempts, plain in [(1, 30), (2, 60), (3, 120), (4, 240), (5, 300), (9, 300)]:
        waits = [backoff(policy, attempts, rng).total_seconds() for _ in range(50)]
        assert all(plain * 0.75 <= w <= plain * 1.25 for w in waits)
        assert len(set(waits)) > 1  # jittered, so workers retrying together spread out


def test_a_failing_receiver_is_retried_after_the_backoff_and_then_acknowledged(
    sessions: sessionmaker[Session], receiver: ReceiverSimulator
) -> None:
    [message_id] = queue_handovers(sessions, receiver.url)
    receiver.behaviour.fail_next = 1
    clock = Clock()
    w = worker(sessions, clock)
    first = w.run_once()
    assert first is not None and (first.state, first.error_code) == (
        DeliveryState.failed_retrying,
        ErrorCode.http_retryable_status,
    )
    assert w.run_once() is None  # not due before its backoff
    clock.advance(dt.timedelta(seconds=10))
    second = w.run_once()
    assert second is not None and second.state is DeliveryState.acknowledged
    assert delivery(sessions, message_id).attempts == 2


def test_retries_end_in_the_dead_letter_and_an_administrator_can_send_again(
    sessions: sessionmaker[Session], receiver: ReceiverSimulator
) -> None:
    [message_id] = queue_handovers(sessions, receiver.url)
    receiver.behaviour.transient_next = 3
    clock = Clock()
    w = worker(sessions, clock)
    states = []
    for _ in range(3):
        recorded = w.run_once()
        assert recorded is not None
        states.append((recorded.state, recorded.error_code))
        clock.advance(dt.timedelta(hours=1))
    assert states == [
        (DeliveryState.failed_retrying, ErrorCode.ack_transient_error),
        (DeliveryState.failed_retrying, ErrorCode.ack_transient_error),
        (DeliveryState.dead_letter, ErrorCode.attempts_exhausted),
    ]
    assert w.run_once() is None
    with sessions() as session:
        assert [v.message_id for v in list_deliveries(session=session, state=DeliveryState.dead_letter)] == [
            message_id
        ]
        retry_delivery(session=session, key=str(message_id), now=clock())
        session.commit()
    recorded = w.run_once()
    assert recorded is not None and recorded.state is DeliveryState.acknowledged
    with sessions() as session:
        view = show_delivery(session=session, key=str(message_id))
    assert len({a.bundle_id for a in view.attempt_log}) == 4  # never a Bundle.id twice


def test_a_fatal_error_acknowledgement_rejects_the_delivery_without_resending(
    sessions: sessionmaker[Session], ppj_validator: Validator
) -> None:
    other = DEMO_ORGANISATIONS["gp"]  # a receiver the message is not addressed to: fatal-error
    with ReceiverSimulator(MessageReceiver(ppj_validator, own=other)).running() as simulator:
        [message_id] = queue_handovers(sessions, simulator.url)
        clock = Clock()
        w = worker(sessions, clock)
        recorded = w.run_once()
        clock.advance(dt.timedelta(days=1))
        assert w.run_once() is None
    assert recorded is not None and (recorded.state, recorded.error_code) == (
        DeliveryState.rejected,
        ErrorCode.ack_fatal_error,
    )
    stored = delivery(sessions, message_id)
    assert stored.ack_code == "fatal-error" and stored.error_detail and "not addressed" in stored.error_detail
    assert len(simulator.log) == 1


def test_without_an_acknowledgement_the_message_is_resent_after_the_timeout_with_a_new_bundle_id(
    sessions: sessionmaker[Session],
) -> None:
    bodies: list[dict[str, object]] = []

    def accept_silently(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        return httpx2.Response(202)

    [message_id] = queue_handovers(sessions, "https://epj.example/fhir")
    clock = Clock()
    w = worker(sessions, clock, http=httpx2.Client(transport=httpx2.MockTransport(accept_silently)))
    first = w.run_once()
    assert first is not None and (first.state, first.error_code) == (
        DeliveryState.awaiting_ack,
        ErrorCode.ack_missing,
    )
    clock.advance(POLICY.ack_timeout - dt.timedelta(seconds=1))
    assert w.run_once() is None
    clock.advance(dt.timedelta(seconds=2))
    assert w.run_once() is not None
    clock.advance(POLICY.ack_timeout * 2)
    assert w.run_once() is not None
    clock.advance(POLICY.ack_timeout * 2)
    last = w.run_once()  # three transmissions were the limit: the overdue ack dead-letters it
    assert last is not None and (last.state, last.error_code) == (
        DeliveryState.dead_letter,
        ErrorCode.ack_timeout,
    )
    assert len(bodies) == 3
    assert len({b["id"] for b in bodies}) == 3
    assert {b["entry"][0]["resource"]["id"] for b in bodies} == {str(message_id)}  # type: ignore[index]


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_runs_out(
    sessions: sessionmaker[Session], receiver: ReceiverSimulator
) -> None:
    queue_handovers(sessions, receiver.url)
    clock = Clock()
    crashed, other = worker(sessions, clock, name="crashed"), worker(sessions, clock, name="other")
    claimed = crashed.claim()
    assert isinstance(claimed, Claimed)
    assert other.claim() is None
    clock.advance(POLICY.lease + dt.timedelta(seconds=1))
    again = other.claim()
    assert isinstance(again, Claimed) and again.attempt == 2 and again.bundle_id != claimed.bundle_id


def test_a_delivery_without_a_message_cannot_be_retried(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        message = OutboxMessage(
            id=uuid.uuid4(), journal_id=uuid.uuid4(), message_type="homecare", payload=None, created_at=START
        )
        session.add(message)
        session.add(
            Delivery(
                message=message,
                state=DeliveryState.manual_handling,
                error_code=ErrorCode.receiver_unknown,
                updated_at=START,
            )
        )
        session.commit()
        with pytest.raises(RetryRefused, match="receiver_unknown"):
            retry_delivery(session=session, key=str(message.id), now=START)


def test_two_workers_on_postgresql_never_send_the_same_delivery(
    postgres_schema_url: str, ppj_validator: Validator
) -> None:
    engine: Engine = make_engine(postgres_schema_url, pool_size=6)
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    try:
        with ReceiverSimulator(MessageReceiver(ppj_validator, own=HOSPITAL)).running() as simulator:
            simulator.behaviour.delay_seconds = 0.01
            ids = queue_handovers(sessions, simulator.url, count=16)
            clock = Clock()
            workers = [worker(sessions, clock, name=f"w{i}") for i in range(2)]
            done: dict[str, int] = {}
            start = threading.Barrier(2)

            def run(w: OutboxWorker) -> None:
                start.wait()
                done[w.name] = len(w.run_until_idle())

            threads = [threading.Thread(target=run, args=(w,)) for w in workers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            sent = [json.loads(r.body)["entry"][0]["resource"]["id"] for r in simulator.log]
        assert sorted(sent) == sorted(str(i) for i in ids)  # each message sent exactly once
        assert sum(done.values()) == 16 and all(done.values())  # both workers took part
        with sessions() as session:
            states = set(session.scalars(select(Delivery.state)))
            workers_seen = set(session.scalars(select(DeliveryAttempt.worker)))
        assert states == {DeliveryState.acknowledged}
        assert workers_seen == {"w0", "w1"}
    finally:
        engine.dispose()


def test_a_retrying_delivery_past_a_lowered_limit_goes_to_the_dead_letter_unsent(
    sessions: sessionmaker[Session], receiver: ReceiverSimulator
) -> None:
    [message_id] = queue_handovers(sessions, receiver.url)
    receiver.behaviour.fail_next = 1
    clock = Clock()
    assert worker(sessions, clock).run_once() is not None
    clock.advance(dt.timedelta(hours=1))
    strict = OutboxWorker(
        sessions, HttpDelivery(httpx2.Client(timeout=10)), policy=RetryPolicy(max_attempts=1), now=clock
    )
    recorded = strict.run_once()
    assert recorded is not None
    assert (recorded.state, recorded.error_code) == (DeliveryState.dead_letter, ErrorCode.attempts_exhausted)
    assert len(receiver.log) == 1
    assert delivery(sessions, message_id).attempts == 1
