"""The sync client against the in-memory fake server: push, pull, faults, clocks, the wire format."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import httpx2
import pytest

from sync.backoff import Backoff
from sync.client import SyncClient, sync_with_retries
from sync.errors import SyncRefusedError, TransientSyncError
from sync.journal_adapter import Stamp
from sync.protocol import (
    ACCESS_PATH,
    PULL_PATH,
    PUSH_PATH,
    ErrorBody,
    ErrorCode,
    PushRequest,
    QuarantineReason,
    WireEntry,
)
from sync.store import LocalStore, QueueState
from tests.sync.client_harness import DeviceClock, Fault, FaultyNetwork, decompressed, make_client
from tests.sync.factories import DEVICE_SECRET, TEST_PIN, TEST_USER, note
from tests.sync.fake_server import FakeSyncServer

JOURNAL = UUID("0196b4a0-0000-7000-8000-0000000000cc")


@pytest.fixture
def server(store: LocalStore) -> FakeSyncServer:
    fake = FakeSyncServer(device_id=store.device_id)
    fake.grant(JOURNAL)
    return fake


@pytest.fixture
def network(server: FakeSyncServer) -> FaultyNetwork:
    return FaultyNetwork(server=server)


def capture(store: LocalStore, text: str, journal: UUID = JOURNAL) -> UUID:
    entry = note(journal_id=journal, text=text, hlc=store.new_stamp(), writer=store.writer_id)
    store.capture(envelope=entry)
    return entry.entry_id


def test_one_cycle_pushes_the_queue_and_pulls_the_other_crews_entries(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork
) -> None:
    mine = [capture(store, f"mine {n}") for n in range(3)]
    theirs = [note(journal_id=JOURNAL, text=f"theirs {n}", writer="other-tablet") for n in range(2)]
    for entry in theirs:
        server.write_as_other_writer(entry)
    report = make_client(store, network).sync_once()
    assert report.confirmed == 3 and report.pulled == 2
    assert set(mine) <= set(server.entries)
    assert store.pending_count() == 0
    assert {e.entry_id for e in store.journal_entries(JOURNAL)} == set(mine) | {e.entry_id for e in theirs}
    assert store.accessible_journals() == [JOURNAL]


def test_request_bodies_are_gzip_json_following_the_wire_models(
    store: LocalStore, network: FaultyNetwork
) -> None:
    capture(store, "compressed")
    make_client(store, network).sync_once()
    posts = [r for r in network.requests if r.method == "POST"]
    assert posts and all(r.headers["Content-Encoding"] == "gzip" for r in posts)
    push = next(r for r in posts if r.url.path == PUSH_PATH)
    parsed = PushRequest.model_validate_json(decompressed(push))
    assert parsed.protocol_version == 1 and parsed.items[0].device_seq == 1
    assert parsed.incarnation_id == store.incarnation_id


@pytest.mark.parametrize(
    "fault",
    [Fault.DROP_REQUEST, Fault.DROP_RESPONSE, Fault.SERVER_ERROR, Fault.GARBAGE],
    ids=lambda f: f.value,
)
def test_a_failed_push_keeps_every_entry_queued(
    store: LocalStore, network: FaultyNetwork, fault: Fault
) -> None:
    ids = [capture(store, f"e{n}") for n in range(3)]
    client = make_client(store, network)
    network.plan(PUSH_PATH, fault)
    with pytest.raises(TransientSyncError):
        client.sync_once()
    assert store.pending_count() == 3
    assert [q.envelope.entry_id for q in store.next_batch(max_entries=10, max_bytes=10**6)] == ids


@pytest.mark.parametrize(
    "answer",
    [
        httpx2.Response(200, content=b'{"protocol_version": 1}'),
        httpx2.Response(200, content=b"not json"),
        httpx2.Response(404, content=b"<html>not found</html>"),
        httpx2.Response(500, content=b""),
        httpx2.Response(429, headers={"Retry-After": "3"}),
    ],
    ids=["valid-json-wrong-shape", "not-json", "404-html", "500", "429"],
)
def test_malformed_or_failed_answers_are_transient_and_change_nothing(
    store: LocalStore, answer: httpx2.Response
) -> None:
    capture(store, "kept")
    client = make_client(store, lambda _request: answer)
    with pytest.raises(TransientSyncError):
        client.push_pending()
    assert store.pending_count() == 1


def test_a_refusal_with_an_error_body_is_not_retried_and_keeps_the_queue(store: LocalStore) -> None:
    capture(store, "kept")
    body = ErrorBody(code=ErrorCode.DEVICE_REVOKED, message="device revoked", field=None)
    client = make_client(
        store, lambda _request: httpx2.Response(403, content=body.model_dump_json().encode())
    )
    with pytest.raises(SyncRefusedError) as refused:
        client.push_pending()
    assert refused.value.code == "device_revoked" and refused.value.status == 403
    assert store.pending_count() == 1


def test_after_a_lost_answer_only_that_batch_is_sent_again_and_stored_once(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork
) -> None:
    ids = [capture(store, f"e{n}") for n in range(6)]
    client = make_client(store, network, batch_entries=2)
    network.plan(PUSH_PATH, Fault.DROP_RESPONSE)  # the first batch is applied, its answer lost
    with pytest.raises(TransientSyncError):
        client.sync_once()
    client.sync_once()
    sent = [entry_id for entry_id, _ in server.pushed_items]
    resent = {entry_id for entry_id in sent if sent.count(entry_id) > 1}
    assert resent == set(ids[:2])  # exactly the one batch in flight
    assert server.logs[JOURNAL] == ids  # each once, in capture order
    assert store.pending_count() == 0


def test_a_restarted_client_resends_at_most_the_batch_in_flight(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork
) -> None:
    ids = [capture(store, f"e{n}") for n in range(5)]
    network.plan(PUSH_PATH, Fault.NONE, Fault.DROP_RESPONSE)  # the 2nd batch's answer is lost
    with pytest.raises(TransientSyncError):
        make_client(store, network, batch_entries=2).sync_once()
    # The process dies; a new one opens the store over a new connection.
    reopened = store.another_connection()
    make_client(reopened, network, batch_entries=2).sync_once()
    sent = [entry_id for entry_id, _ in server.pushed_items]
    assert {e for e in sent if sent.count(e) > 1} == set(ids[2:4])
    assert server.logs[JOURNAL] == ids
    reopened.close()


def test_duplicated_and_delayed_requests_store_nothing_twice(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork
) -> None:
    ids = [capture(store, f"e{n}") for n in range(4)]
    network.plan(PUSH_PATH, Fault.DUPLICATE, Fault.DELAY)
    make_client(store, network, batch_entries=2).sync_once()
    network.deliver_delayed()
    assert server.logs[JOURNAL] == ids
    assert server.highest_applied[store.incarnation_id] == 4


def test_a_quarantined_entry_stays_visible_and_the_queue_moves_on(
    store: LocalStore, server: FakeSyncServer
) -> None:
    server.quarantine_rule = lambda entry: (
        QuarantineReason.UNKNOWN_KIND_VERSION if "from-the-future" in entry.content else None
    )
    network = FaultyNetwork(server=server)
    before = capture(store, "before")
    odd = capture(store, "from-the-future")
    after = capture(store, "after")
    make_client(store, network).sync_once()
    assert server.logs[JOURNAL] == [before, after]
    assert odd in server.quarantine
    problems = store.queue_problems()
    assert [(p.entry_id, p.state, p.reason_code) for p in problems] == [
        (odd, QueueState.QUARANTINED, "unknown_kind_version")
    ]
    assert store.entry(odd) is not None
    assert store.pending_count() == 0


def test_a_reused_entry_id_is_refused_for_that_entry_only(store: LocalStore, server: FakeSyncServer) -> None:
    clash = note(journal_id=JOURNAL, text="someone else's", writer="other")
    server.write_as_other_writer(clash)
    mine = note(journal_id=JOURNAL, text="mine", entry_id=clash.entry_id, hlc=store.new_stamp())
    store.capture(envelope=mine)
    fine = capture(store, "fine")
    make_client(store, FaultyNetwork(server=server)).push_pending()
    assert server.entries[clash.entry_id].content_hash == clash.content_hash
    assert fine in server.entries
    assert [(p.entry_id, p.state) for p in store.queue_problems()] == [(clash.entry_id, QueueState.REFUSED)]


def test_a_device_clock_a_day_ahead_is_bounded_without_losing_entries(
    store: LocalStore, server: FakeSyncServer
) -> None:
    ahead = DeviceClock(skew=timedelta(hours=24))
    ids = []
    for n in range(3):
        stamp = store.new_stamp(wall_ms=round(ahead().timestamp() * 1000))
        entry = note(journal_id=JOURNAL, text=f"ahead {n}", hlc=stamp)
        store.capture(envelope=entry)
        ids.append(entry.entry_id)
    client = make_client(store, FaultyNetwork(server=server), wall_clock=ahead, batch_entries=1)
    report = client.sync_once()
    # The first was re-stamped by the server; the device then re-stamped the two it had not sent yet.
    assert len(report.restamp_notices) == 1 and "ahead" in report.restamp_notices[0]
    assert report.restamped_locally == 2
    assert server.logs[JOURNAL] == ids  # nothing lost, order kept
    limit = round(ahead().timestamp() * 1000) - 24 * 3600 * 1000 + server.max_ahead_ms
    stamps = [server.entries[i].hlc for i in ids]
    assert stamps == sorted(stamps) and all(Stamp.parse(s).physical_ms <= limit for s in stamps)
    assert [e.hlc for e in store.journal_entries(JOURNAL)] == stamps  # the device holds the server's stamps
    assert store.offset_ms() == pytest.approx(-24 * 3600 * 1000, abs=5_000)
    # New entries are stamped with the corrected clock, inside the bound.
    assert Stamp.parse(store.new_stamp(wall_ms=round(ahead().timestamp() * 1000))).physical_ms <= limit


def test_the_cursor_moves_only_after_the_pulled_entries_are_committed(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork
) -> None:
    theirs = [note(journal_id=JOURNAL, text=f"theirs {n}", writer="other") for n in range(3)]
    for entry in theirs:
        server.write_as_other_writer(entry)
    with sqlite3.connect(store.path) as saboteur:
        saboteur.execute(
            "CREATE TRIGGER crash BEFORE INSERT ON journal_cursors BEGIN SELECT RAISE(ABORT, 'killed'); END"
        )
    client = make_client(store, network)
    with pytest.raises(sqlite3.IntegrityError):
        client.pull_journal(JOURNAL)
    assert store.cursor(JOURNAL) is None and store.journal_entries(JOURNAL) == []
    with sqlite3.connect(store.path) as saboteur:
        saboteur.execute("DROP TRIGGER crash")
    assert client.pull_journal(JOURNAL) == 3
    assert store.cursor(JOURNAL) is not None


def test_pull_pages_until_the_watermark_and_never_skips_a_late_commit(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork
) -> None:
    for n in range(5):
        server.write_as_other_writer(note(journal_id=JOURNAL, text=f"n{n}", writer="other"))
    server.invisible_tail = 2  # two commits not yet visible to readers
    client = make_client(store, network, pull_limit=2)
    assert client.pull_journal(JOURNAL) == 3
    server.invisible_tail = 0
    assert client.pull_journal(JOURNAL) == 2
    held = [e.entry_id for e in store.journal_entries(JOURNAL)]
    assert len(held) == 5 and set(held) == set(server.logs[JOURNAL])


def _paths(network: FaultyNetwork) -> list[str]:
    return [request.url.path for request in network.requests]


def test_a_journal_whose_cursor_is_at_its_watermark_is_not_pulled_again(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork
) -> None:
    server.write_as_other_writer(note(journal_id=JOURNAL, text="first", writer="other"))
    client = make_client(store, network)
    assert client.sync_once().pulled == 1
    network.requests.clear()
    report = client.sync_once()
    assert report.pulled == 0 and report.journals == [JOURNAL]
    assert _paths(network) == [ACCESS_PATH]
    assert network.requests[0].url.params.get("watermarks") == "true"


def test_a_journal_with_entries_past_the_cursor_is_pulled_and_a_late_commit_is_not_skipped(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork
) -> None:
    client = make_client(store, network)
    client.sync_once()
    server.write_as_other_writer(note(journal_id=JOURNAL, text="visible", writer="other"))
    server.write_as_other_writer(note(journal_id=JOURNAL, text="late", writer="other"))
    server.invisible_tail = 1  # the access list's watermark does not yet cover the late commit
    network.requests.clear()
    assert client.sync_once().pulled == 1
    assert _paths(network) == [ACCESS_PATH, PULL_PATH]
    server.invisible_tail = 0
    assert client.sync_once().pulled == 1
    assert {e.entry_id for e in store.journal_entries(JOURNAL)} == set(server.logs[JOURNAL])


def test_a_server_without_watermarks_gets_a_pull_of_every_journal_on_every_sync(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork
) -> None:
    server.serves_watermarks = False
    client = make_client(store, network)
    client.sync_once()
    network.requests.clear()
    assert client.sync_once().pulled == 0
    assert _paths(network) == [ACCESS_PATH, PULL_PATH]


def test_the_access_answer_alone_gives_a_clock_offset_sample(store: LocalStore) -> None:
    network = FaultyNetwork(server=FakeSyncServer(device_id=store.device_id))  # no journals, no queue
    make_client(store, network, wall_clock=DeviceClock(skew=timedelta(seconds=-90))).sync_once()
    assert _paths(network) == [ACCESS_PATH]
    assert store.offset_ms() == pytest.approx(90_000, abs=2_000)


def test_a_cursor_the_server_does_not_know_restarts_the_journal_from_the_beginning(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork
) -> None:
    entries = [note(journal_id=JOURNAL, text=f"n{n}", writer="other") for n in range(3)]
    for entry in entries[:2]:
        server.write_as_other_writer(entry)
    client = make_client(store, network)
    client.pull_journal(JOURNAL)
    store.store_pulled(journal_id=JOURNAL, entries=[], next_cursor="not-issued-by-this-server", watermark="x")
    server.write_as_other_writer(entries[2])
    assert client.pull_journal(JOURNAL) == 1
    assert {e.entry_id for e in store.journal_entries(JOURNAL)} == {e.entry_id for e in entries}


def test_a_store_copied_to_another_device_is_refused_by_the_server(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork
) -> None:
    capture(store, "first push binds the incarnation to this device")
    make_client(store, network).push_pending()
    capture(store, "sent with another device's credential")
    other_device = httpx2.Client(
        transport=httpx2.MockTransport(network.handle),
        base_url="https://sync.test",
        headers={"Authorization": f"Device {UUID(int=7)}"},
    )
    with pytest.raises(SyncRefusedError) as refused:
        SyncClient(store=store, http=other_device).push_pending()
    assert refused.value.code == "incarnation_not_owned"
    assert store.pending_count() == 1


def test_a_pull_of_a_journal_without_access_is_refused(store: LocalStore, network: FaultyNetwork) -> None:
    with pytest.raises(SyncRefusedError) as refused:
        make_client(store, network).pull_journal(UUID("0196b4a0-0000-7000-8000-0000000000dd"))
    assert refused.value.code == "forbidden_journal" and refused.value.field == "journal_id"


def test_the_offset_estimate_sees_the_servers_clock(store: LocalStore, server: FakeSyncServer) -> None:
    behind = DeviceClock(skew=timedelta(seconds=-90))
    report = make_client(store, FaultyNetwork(server=server), wall_clock=behind).sync_once()
    assert store.offset_ms() == pytest.approx(90_000, abs=2_000)
    assert report.offset_ms == store.offset_ms()


def test_a_server_that_lost_entries_gets_them_again(store: LocalStore, server: FakeSyncServer) -> None:
    ids = [capture(store, f"e{n}") for n in range(3)]
    client = make_client(store, FaultyNetwork(server=server))
    client.push_pending()
    # The server is restored from a backup taken after the first entry.
    for lost in ids[1:]:
        del server.entries[lost]
    server.logs[JOURNAL] = ids[:1]
    server.highest_applied[store.incarnation_id] = 1
    fourth = capture(store, "after the restore")
    client.push_pending()
    assert server.logs[JOURNAL] == [*ids, fourth]


def test_a_tablet_restored_from_an_old_copy_of_its_store_loses_nothing(
    store: LocalStore, server: FakeSyncServer, network: FaultyNetwork, tmp_path: Path
) -> None:
    first = capture(store, "before the backup")
    copy = tmp_path / "backup.ppjstore"  # an old copy: the store as it is now, before the next capture
    with sqlite3.connect(store.path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    second = capture(store, "after the backup")
    make_client(store, network).sync_once()
    store.close()
    restored = LocalStore.unlock(path=copy, user_id=TEST_USER, secret=TEST_PIN, device_secret=DEVICE_SECRET)
    third = capture(restored, "after the restore")  # gets device_seq 2 again, which the server applied
    make_client(restored, network).sync_once()
    assert server.logs[JOURNAL] == [first, second, third]
    assert {e.entry_id for e in restored.journal_entries(JOURNAL)} == {first, second, third}
    restored.close()


def test_retries_back_off_with_jitter_and_honour_retry_after(
    store: LocalStore, server: FakeSyncServer
) -> None:
    capture(store, "eventually")
    network = FaultyNetwork(server=server)
    network.plan(PUSH_PATH, Fault.DROP_REQUEST, Fault.SERVER_ERROR, Fault.DROP_REQUEST)
    slept: list[float] = []

    def sleep(seconds: float) -> bool:
        slept.append(seconds)
        return False  # never asked to stop

    report = sync_with_retries(
        client=make_client(store, network), backoff=Backoff(base_s=1, cap_s=60), rand=lambda: 0.5, sleep=sleep
    )
    assert report is not None and report.confirmed == 1
    assert slept == [0.5, 7.0, 2.0]  # 0.5 * 1, Retry-After 7 s over 0.5 * 2, 0.5 * 4


def test_retries_stop_when_asked(store: LocalStore) -> None:
    client = make_client(store, lambda _r: httpx2.Response(503))
    assert (
        sync_with_retries(client=client, backoff=Backoff(), rand=lambda: 0.0, sleep=lambda _s: True) is None
    )


def test_wire_entries_round_trip_envelopes() -> None:
    entry = note(journal_id=JOURNAL, text="æøå 🚑")
    wire = WireEntry.from_envelope(entry)
    assert wire.to_envelope() == entry
    assert json.loads(wire.content)["payload"]["text"] == "æøå 🚑"
