"""The tablet store's contract: capture, the durable queue, pulled entries with their cursor, drafts."""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import EntryIdReusedError, ProtocolError, StoreExistsError
from sync.journal_adapter import EntryEnvelope, Stamp
from sync.protocol import HlcBound, PushResult, PushResultCode, QuarantineReason, RestampReason
from sync.store import LocalStore, QueueState, StoreDrafts
from tests.sync.factories import DEVICE_SECRET, TEST_KDF, TEST_PIN, TEST_USER, new_store, note

JOURNAL = UUID("0196b4a0-0000-7000-8000-0000000000aa")


def accepted(seq: int, envelope: EntryEnvelope, *, hlc: str | None = None) -> PushResult:
    return PushResult(
        device_seq=seq, entry_id=envelope.entry_id, code=PushResultCode.ACCEPTED, hlc=hlc or envelope.hlc
    )


def test_capture_gives_strictly_increasing_device_seq_and_queues_in_that_order(store: LocalStore) -> None:
    entries = [note(journal_id=JOURNAL, text=f"vitals {n}") for n in range(5)]
    seqs = [store.capture(envelope=e) for e in entries]
    assert seqs == [1, 2, 3, 4, 5]
    batch = store.next_batch(max_entries=10, max_bytes=1_000_000)
    assert [q.device_seq for q in batch] == seqs
    assert [q.envelope for q in batch] == entries


def test_capturing_the_same_entry_twice_is_one_entry(store: LocalStore) -> None:
    entry = note(journal_id=JOURNAL, text="double tap")
    assert store.capture(envelope=entry) == store.capture(envelope=entry) == 1
    assert store.pending_count() == 1


def test_another_entry_under_a_known_id_is_refused_and_nothing_changes(store: LocalStore) -> None:
    first = note(journal_id=JOURNAL, text="first")
    store.capture(envelope=first)
    with pytest.raises(EntryIdReusedError):
        store.capture(envelope=note(journal_id=JOURNAL, text="other", entry_id=first.entry_id))
    assert store.entry(first.entry_id) == first
    assert store.pending_count() == 1


def test_device_seq_is_never_reused_after_entries_leave_the_queue(store: LocalStore) -> None:
    one = note(journal_id=JOURNAL, text="one")
    store.capture(envelope=one)
    store.apply_push_results(results=[accepted(1, one)])
    assert store.capture(envelope=note(journal_id=JOURNAL, text="two")) == 2


def test_a_new_store_file_is_a_new_incarnation(tmp_path: Path, device_id: UUID) -> None:
    def make(name: str) -> LocalStore:
        return new_store(tmp_path / name, device_id)

    first, second = make("a"), make("b")
    assert first.incarnation_id != second.incarnation_id
    assert first.device_id == second.device_id == device_id


def test_creating_a_store_over_an_existing_file_is_refused(store: LocalStore, device_id: UUID) -> None:
    with pytest.raises(StoreExistsError):
        LocalStore.create(
            path=store.path,
            device_id=device_id,
            user_id="x",
            secret="1",
            device_secret=DEVICE_SECRET,
            kdf=TEST_KDF,
        )


def test_batches_respect_entry_and_byte_limits_but_always_carry_one(store: LocalStore) -> None:
    for n in range(5):
        store.capture(envelope=note(journal_id=JOURNAL, text="x" * 100 + str(n)))
    assert len(store.next_batch(max_entries=3, max_bytes=1_000_000)) == 3
    one_size = len(store.next_batch(max_entries=1, max_bytes=1_000_000)[0].envelope.content)
    assert len(store.next_batch(max_entries=10, max_bytes=2 * one_size)) == 2
    assert len(store.next_batch(max_entries=10, max_bytes=1)) == 1


def test_only_confirmed_results_remove_entries_from_the_queue(store: LocalStore) -> None:
    entries = [note(journal_id=JOURNAL, text=f"e{n}") for n in range(4)]
    for e in entries:
        store.capture(envelope=e)
    applied = store.apply_push_results(
        results=[
            accepted(1, entries[0]),
            PushResult(
                device_seq=2, entry_id=entries[1].entry_id, code=PushResultCode.DUPLICATE, hlc=entries[1].hlc
            ),
            PushResult(
                device_seq=3,
                entry_id=entries[2].entry_id,
                code=PushResultCode.QUARANTINED,
                quarantine_reason=QuarantineReason.UNKNOWN_KIND_VERSION,
                detail="note v1 unknown",
            ),
            PushResult(device_seq=4, entry_id=entries[3].entry_id, code=PushResultCode.CONFLICT_ID_REUSED),
        ]
    )
    assert (applied.confirmed, applied.kept_with_reason) == (2, 2)
    assert store.pending_count() == 0
    problems = store.queue_problems()
    assert [(p.device_seq, p.state, p.reason_code) for p in problems] == [
        (3, QueueState.QUARANTINED, "unknown_kind_version"),
        (4, QueueState.REFUSED, "conflict_id_reused"),
    ]
    # The quarantined entry stays readable on the tablet.
    assert store.entry(entries[2].entry_id) == entries[2]


def test_a_replayed_answer_changes_nothing(store: LocalStore) -> None:
    entry = note(journal_id=JOURNAL, text="once")
    store.capture(envelope=entry)
    store.apply_push_results(results=[accepted(1, entry)])
    again = store.apply_push_results(results=[accepted(1, entry)])
    assert again.confirmed == 0
    assert store.entry(entry.entry_id) == entry


def test_a_result_for_an_entry_this_store_did_not_send_is_refused_whole(store: LocalStore) -> None:
    a, b = note(journal_id=JOURNAL, text="a"), note(journal_id=JOURNAL, text="b")
    store.capture(envelope=a)
    store.capture(envelope=b)
    with pytest.raises(ProtocolError):
        store.apply_push_results(results=[accepted(1, a), accepted(2, a)])
    assert store.pending_count() == 2


def test_a_restamped_entry_takes_the_servers_stamp(store: LocalStore) -> None:
    entry = note(journal_id=JOURNAL, text="late clock")
    store.capture(envelope=entry)
    new = Stamp(1_795_000_000_500, 3, "server").encode()
    store.apply_push_results(
        results=[
            PushResult(
                device_seq=1,
                entry_id=entry.entry_id,
                code=PushResultCode.RESTAMPED,
                hlc=new,
                restamp_reason=RestampReason.HLC_AHEAD_OF_BOUND,
            )
        ]
    )
    stored = store.entry(entry.entry_id)
    assert stored is not None and stored.hlc == new and stored.content_hash == entry.content_hash


def test_a_sequence_gap_puts_the_lost_entries_back_in_the_queue(store: LocalStore) -> None:
    entries = [note(journal_id=JOURNAL, text=f"e{n}") for n in range(3)]
    for e in entries:
        store.capture(envelope=e)
    store.apply_push_results(results=[accepted(n + 1, e) for n, e in enumerate(entries)])
    assert store.pending_count() == 0
    fourth = note(journal_id=JOURNAL, text="e3")
    store.capture(envelope=fourth)
    store.apply_push_results(
        results=[
            PushResult(
                device_seq=4, entry_id=fourth.entry_id, code=PushResultCode.SEQUENCE_GAP, expected_seq=2
            )
        ]
    )
    assert [q.device_seq for q in store.next_batch(max_entries=10, max_bytes=10**6)] == [2, 3, 4]


def test_stamps_beyond_the_servers_bound_are_restamped_in_order_and_the_clock_pulls_back(
    store: LocalStore,
) -> None:
    server_now = 1_795_000_000_000
    day = 24 * 3600 * 1000
    ahead = [
        note(
            journal_id=JOURNAL,
            text=f"ahead {n}",
            hlc=Stamp(server_now + day + n, 0, store.writer_id).encode(),
        )
        for n in range(3)
    ]
    for e in ahead:
        store.capture(envelope=e)
    bound = HlcBound(max_ahead_ms=300_000, server_hlc=Stamp(server_now, 7, "server").encode())
    assert store.enforce_hlc_bound(bound=bound, server_now_ms=server_now, physical_ms=server_now + 10) == 3
    stamps = [q.envelope.hlc for q in store.next_batch(max_entries=10, max_bytes=10**6)]
    assert stamps == sorted(stamps)
    assert all(Stamp.parse(s).physical_ms <= server_now + 300_000 for s in stamps)
    assert all(s > bound.server_hlc for s in stamps)
    new = Stamp.parse(store.new_stamp(wall_ms=server_now + 20))
    assert new.physical_ms <= server_now + 300_000 and new.encode() > stamps[-1]


def test_stamps_within_the_bound_are_left_alone(store: LocalStore) -> None:
    entry = note(journal_id=JOURNAL, text="fine")
    store.capture(envelope=entry)
    bound = HlcBound(max_ahead_ms=300_000, server_hlc=Stamp(1_795_000_000_000, 0, "server").encode())
    assert store.enforce_hlc_bound(bound=bound, server_now_ms=1_795_000_000_000, physical_ms=0) == 0
    assert store.entry(entry.entry_id) == entry


def test_new_stamps_increase_even_when_the_device_clock_goes_back(store: LocalStore) -> None:
    first = store.new_stamp(wall_ms=2_000_000_000_000)
    second = store.new_stamp(wall_ms=1_000_000_000_000)
    assert second > first


def test_new_stamps_use_the_offset_estimate(store: LocalStore) -> None:
    store.record_offset(offset_ms=-3_600_000, rtt_ms=40)
    assert Stamp.parse(store.new_stamp(wall_ms=1_795_003_600_000)).physical_ms == 1_795_000_000_000


def test_the_offset_estimate_prefers_the_sample_with_the_shortest_round_trip(store: LocalStore) -> None:
    assert store.offset_ms() == 0.0
    store.record_offset(offset_ms=500, rtt_ms=900)
    store.record_offset(offset_ms=120, rtt_ms=30)
    store.record_offset(offset_ms=-400, rtt_ms=700)
    assert store.offset_ms() == 120


def test_pulled_entries_and_their_cursor_are_stored_together(store: LocalStore) -> None:
    pulled = [note(journal_id=JOURNAL, text=f"other crew {n}", writer="w2") for n in range(3)]
    applied = store.store_pulled(journal_id=JOURNAL, entries=pulled, next_cursor="c3", watermark="c3")
    assert applied.added == 3
    assert store.cursor(JOURNAL) == "c3"
    assert {e.entry_id for e in store.journal_entries(JOURNAL)} == {e.entry_id for e in pulled}


def test_the_cursor_does_not_move_when_storing_the_pulled_entries_fails(store: LocalStore) -> None:
    store.store_pulled(journal_id=JOURNAL, entries=[], next_cursor="c0", watermark="c0")
    good = note(journal_id=JOURNAL, text="good")
    bad = note(journal_id=JOURNAL, text="bad")
    corrupt = EntryEnvelope(bad.entry_id, bad.journal_id, bad.hlc, b'{"tampered":1}', bad.content_hash)
    with pytest.raises(ProtocolError):
        store.store_pulled(journal_id=JOURNAL, entries=[good, corrupt], next_cursor="c2", watermark="c2")
    assert store.cursor(JOURNAL) == "c0"
    assert store.entry(good.entry_id) is None


def test_a_crash_while_committing_pulled_entries_leaves_entries_and_cursor_as_before(
    store: LocalStore,
) -> None:
    # The "crash": the database refuses the cursor write, after the entries were inserted in the transaction.
    with sqlite3.connect(store.path) as saboteur:
        saboteur.execute(
            "CREATE TRIGGER crash BEFORE INSERT ON journal_cursors"
            " BEGIN SELECT RAISE(ABORT, 'power cut'); END"
        )
    entries = [note(journal_id=JOURNAL, text=f"n{n}") for n in range(2)]
    with pytest.raises(sqlite3.IntegrityError):
        store.store_pulled(journal_id=JOURNAL, entries=entries, next_cursor="c2", watermark="c2")
    assert store.cursor(JOURNAL) is None
    assert store.journal_entries(JOURNAL) == []


def test_a_pulled_copy_of_an_entry_held_here_adopts_the_servers_stamp(store: LocalStore) -> None:
    entry = note(journal_id=JOURNAL, text="mine")
    store.capture(envelope=entry)
    server_copy = entry.restamped(Stamp(1_795_000_009_000, 0, "server").encode())
    applied = store.store_pulled(journal_id=JOURNAL, entries=[server_copy], next_cursor="c1", watermark="c1")
    assert (applied.added, applied.adopted_stamps) == (0, 1)
    assert store.entry(entry.entry_id) == server_copy


def test_an_entry_twice_in_one_pulled_page_is_stored_once_with_its_later_stamp(store: LocalStore) -> None:
    entry, other = note(journal_id=JOURNAL, text="twice"), note(journal_id=JOURNAL, text="once")
    later = entry.restamped(Stamp(1_795_000_009_000, 0, "server").encode())
    applied = store.store_pulled(
        journal_id=JOURNAL, entries=[entry, other, later], next_cursor="c1", watermark="c1"
    )
    assert (applied.added, applied.adopted_stamps) == (2, 1)
    assert store.journal_entries(JOURNAL) == [other, later]


# A store's life as steps: an int is a tap-save of an entry with that much text; a list is a pulled page
# of new entries (text sizes, ints >= 0) and echoes of entries held already (-1 - index, modulo). Sizes
# reach past a block's 64 KiB, so pages split into several blocks and single left-over rows.
_TEXT_SIZES = st.sampled_from([0, 40, 600, 3_000, 40_000])
_STEPS = st.lists(
    st.one_of(_TEXT_SIZES, st.lists(st.one_of(_TEXT_SIZES, st.integers(-50, -1)), max_size=8)), max_size=8
)


@settings(max_examples=40, deadline=None)
@given(steps=_STEPS)
def test_any_mix_of_tap_saved_and_pulled_entries_reads_back_exactly(steps: list[int | list[int]]) -> None:
    """Captures are sealed per row, pulled pages in blocks; every read path returns what was stored, on
    the open store and after unlocking it again."""
    held: list[EntryEnvelope] = []
    captured: list[EntryEnvelope] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tablet.ppjstore"
        store = new_store(path)
        for step in steps:
            if isinstance(step, int):
                entry = note(journal_id=JOURNAL, text="x" * step)
                store.capture(envelope=entry)
                held.append(entry)
                captured.append(entry)
                continue
            page = [
                held[(-1 - item) % len(held)] if item < 0 else note(journal_id=JOURNAL, text="x" * item)
                for item in step
                if item >= 0 or held
            ]
            store.store_pulled(journal_id=JOURNAL, entries=page, next_cursor="c", watermark="c")
            held.extend([e for e in page if e not in held])
        assert_reads_back(store, held=held, captured=captured)
        store.close()
        reopened = LocalStore.unlock(
            path=path, user_id=TEST_USER, secret=TEST_PIN, device_secret=DEVICE_SECRET
        )
        assert_reads_back(reopened, held=held, captured=captured)
        reopened.close()


def assert_reads_back(store: LocalStore, *, held: list[EntryEnvelope], captured: list[EntryEnvelope]) -> None:
    """The journal in HLC order, each entry by id, and the upload queue are exactly what was stored."""
    assert store.journal_entries(JOURNAL) == sorted(held, key=lambda e: (e.hlc, str(e.entry_id)))
    assert [store.entry(e.entry_id) for e in held] == held
    assert [q.envelope for q in store.next_batch(max_entries=1000, max_bytes=10**9)] == captured


def test_drafts_survive_reopening_and_can_be_discarded(store: LocalStore, store_path: Path) -> None:
    drafts = StoreDrafts(store)
    drafts.put("vitals-pad", "BT 13", journal_id=str(JOURNAL))
    drafts.put("vitals-pad", "BT 132/80", journal_id=str(JOURNAL))
    store.close()
    reopened = LocalStore.unlock(
        path=store_path, user_id=TEST_USER, secret=TEST_PIN, device_secret=DEVICE_SECRET
    )
    assert StoreDrafts(reopened).get("vitals-pad") == "BT 132/80"
    assert [(d.draft_id, d.journal_id) for d in reopened.drafts()] == [("vitals-pad", JOURNAL)]
    assert reopened.drafts()[0].updated_at <= datetime.now(UTC)
    StoreDrafts(reopened).delete("vitals-pad")
    StoreDrafts(reopened).delete("vitals-pad")  # forgetting twice is no error
    assert reopened.draft("vitals-pad") is None
    reopened.close()


def test_a_second_connection_sees_what_the_first_captured(store: LocalStore) -> None:
    other = store.another_connection()
    entry = note(journal_id=JOURNAL, text="seen by the worker")
    store.capture(envelope=entry)
    assert other.entry(entry.entry_id) == entry
    other.close()
