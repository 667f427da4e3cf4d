"""The hash chain on its own (no database), and concurrent writers on a real database."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from server.audit.chain import HASHED_FIELDS, Anchor, ChainedEvent, event_hash, genesis_hash, verify_partition
from server.audit.models import AuditEvent
from server.audit.service import AuditContext, ChainWriter, record, verify
from server.db import utcnow

PARTITION = "2026-11-25/test-1/1"


def chain(count: int) -> list[ChainedEvent]:
    events: list[ChainedEvent] = []
    prev = genesis_hash(PARTITION)
    for seq in range(1, count + 1):
        fields: dict[str, Any] = dict.fromkeys(HASHED_FIELDS)
        fields.update(
            id=str(uuid.uuid4()), partition=PARTITION, seq=seq, action="read", actor_name=f"person {seq}"
        )
        digest = event_hash(fields, prev)
        events.append(ChainedEvent(fields=fields, seq=seq, prev_hash=prev, hash=digest))
        prev = digest
    return events


def test_an_intact_chain_has_no_problems() -> None:
    assert verify_partition(PARTITION, chain(5)) == []


@settings(max_examples=40, deadline=None)
@given(length=st.integers(2, 12), data=st.data())
def test_altering_any_hashed_field_of_any_event_is_detected(length: int, data: st.DataObject) -> None:
    events = chain(length)
    index = data.draw(st.integers(0, length - 1))
    name = data.draw(st.sampled_from(HASHED_FIELDS))
    fields = dict(events[index].fields)
    fields[name] = f"tampered {fields[name]}"
    events[index] = ChainedEvent(
        fields=fields, seq=events[index].seq, prev_hash=events[index].prev_hash, hash=events[index].hash
    )
    assert [p.kind for p in verify_partition(PARTITION, events)] == ["altered"]


@settings(max_examples=40, deadline=None)
@given(length=st.integers(2, 12), data=st.data())
def test_removing_any_event_but_the_last_is_detected(length: int, data: st.DataObject) -> None:
    events = chain(length)
    del events[data.draw(st.integers(0, length - 2))]
    assert "missing" in {p.kind for p in verify_partition(PARTITION, events)}


def test_removing_the_tail_is_detected_only_against_an_anchor() -> None:
    events = chain(6)
    anchor = Anchor(partition=PARTITION, seq=5, hash=events[4].hash)
    assert verify_partition(PARTITION, events[:5], [anchor]) == []
    assert [p.kind for p in verify_partition(PARTITION, events[:4], [anchor])] == ["truncated"]
    assert [p.kind for p in verify_partition(PARTITION, [], [anchor])] == ["truncated"]


def test_rehashing_an_altered_event_breaks_the_link_to_its_successor() -> None:
    events = chain(3)
    fields = dict(events[1].fields, actor_name="forger")
    forged = ChainedEvent(
        fields=fields, seq=2, prev_hash=events[1].prev_hash, hash=event_hash(fields, events[1].prev_hash)
    )
    problems = verify_partition(PARTITION, [events[0], forged, events[2]])
    assert [(p.kind, p.seq) for p in problems] == [("broken_link", 3)]


def test_a_chain_copied_into_another_partition_does_not_verify() -> None:
    assert verify_partition("2026-11-26/other/1", chain(2))


CONTEXT = AuditContext(
    actor_id=uuid.uuid4(),
    actor_name="Test",
    actor_role="physician",
    actor_authorisation_id=None,
    actor_organisation_id=None,
    device_id=None,
    client_ip="127.0.0.1",
    channel="test",
)


def test_concurrent_writers_never_wait_for_one_another_nor_fork_a_chain(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    writer = ChainWriter(anchor_every=7)
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            for i in range(15):
                with sessions() as session:
                    record(session=session, writer=writer, ctx=CONTEXT, action="read", outcome="allowed",
                           patient_cpr="2509479989", journal_id=None, now=utcnow())  # fmt: skip
                    if i % 5 == 4:
                        session.rollback()  # a failed request: its event must leave no gap
                    else:
                        session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with sessions() as session:
        report = verify(session=session, anchor=False, now=utcnow())
        assert report.problems == [] and report.events == 4 * 12
        partitions = set(session.scalars(select(AuditEvent.partition)))
    assert 1 <= len(partitions) <= 4  # one chain per concurrently open transaction, at most


def test_a_new_day_starts_a_new_partition(sessions: sessionmaker[Session]) -> None:
    writer = ChainWriter()
    for day in (
        dt.datetime(2026, 11, 25, 23, 59, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 26, 0, 1, tzinfo=dt.UTC),
    ):
        with sessions() as session:
            record(session=session, writer=writer, ctx=CONTEXT, action="read", outcome="allowed",
                   patient_cpr=None, journal_id=None, now=day)  # fmt: skip
            session.commit()
    with sessions() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.occurred_at)).all()
        assert [r.partition[:10] for r in rows] == ["2026-11-25", "2026-11-26"]
        assert [r.seq for r in rows] == [1, 1]
        assert verify(session=session, anchor=False, now=utcnow()).problems == []
