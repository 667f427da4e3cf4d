"""The checker counts what it must: an entry held anywhere but missing on the server is lost (unless
quarantined), an entry listed twice or re-created under a new id is duplicated, a device whose journal
state differs from the server's diverged; and the state hash does not depend on arrival order."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from journal.entry import new_entry
from journal.hlc import Hlc
from journal.ids import new_uuid7
from journal.kinds.record import Note
from ppj.sync_chaos.backend import ServerContents
from ppj.sync_chaos.checker import DeviceOutcome, check, state_hash
from ppj.sync_chaos.cli import Tally
from ppj.sync_chaos.plan import make_plan
from ppj.sync_chaos.runner import RunOutcome
from ppj.sync_chaos.tablet import AUTHOR, entry_of, envelope_of
from sync.journal_adapter import EntryEnvelope
from sync.protocol import PushItem, PushRequest, PushResultCode, WireEntry
from tests.sync.fake_server import FakeSyncServer

JOURNAL = new_uuid7()
DEVICE = "0196b4a0-0000-7000-8000-00000000d0d0"


def note(text: str, counter: int, *, entry_id: UUID | None = None) -> EntryEnvelope:
    entry = new_entry(
        journal_id=JOURNAL,
        payload=Note(text=text),
        author=AUTHOR,
        device_id=DEVICE,
        clinical_time=datetime(2026, 11, 25, 8, counter, tzinfo=UTC),
        hlc=Hlc(1_795_000_000_000 + counter, 0, DEVICE),
        entry_id=entry_id,
    )
    return envelope_of(entry)


def server_with(*entries: EntryEnvelope, quarantined: dict[UUID, str] | None = None) -> ServerContents:
    return ServerContents(
        entries={e.entry_id: e for e in entries},
        logs={JOURNAL: [e.entry_id for e in entries]},
        quarantined=quarantined or {},
    )


def device(*entries: EntryEnvelope, finished: bool = True) -> DeviceOutcome:
    return DeviceOutcome(
        label="tab0",
        finished_final_sync=finished,
        journals={JOURNAL: list(entries)},
        held=frozenset(e.entry_id for e in entries),
    )


def test_a_device_holding_what_the_server_holds_is_ok() -> None:
    a, b = note("a", 1), note("b", 2)
    result = check(server=server_with(a, b), devices=[device(b, a)], must_survive={}, wiped_unsent=0)
    assert result.ok and result.converged


def test_an_entry_held_by_a_device_but_missing_on_the_server_is_lost() -> None:
    a, b = note("a", 1), note("b", 2)
    result = check(server=server_with(a), devices=[device(a, b)], must_survive={}, wiped_unsent=0)
    assert result.lost == [f"{b.entry_id} (held by tab0)"]
    assert not result.converged


def test_an_acknowledged_capture_missing_everywhere_is_lost() -> None:
    a, gone = note("a", 1), note("gone", 2)
    result = check(
        server=server_with(a), devices=[device(a)], must_survive={gone.entry_id: "acked"}, wiped_unsent=0
    )
    assert result.lost == [f"{gone.entry_id} (acked)"]


def test_a_quarantined_entry_is_not_lost() -> None:
    a, held_back = note("a", 1), note("held back", 2)
    server = server_with(a, quarantined={held_back.entry_id: "unknown_kind_version"})
    result = check(server=server, devices=[], must_survive={held_back.entry_id: "acked"}, wiped_unsent=0)
    assert result.ok


def test_an_entry_listed_twice_in_a_journal_is_duplicated() -> None:
    a = note("a", 1)
    server = ServerContents(entries={a.entry_id: a}, logs={JOURNAL: [a.entry_id, a.entry_id]}, quarantined={})
    result = check(server=server, devices=[], must_survive={}, wiped_unsent=0)
    assert len(result.duplicated) == 1


def test_the_same_note_recreated_under_a_new_id_is_duplicated() -> None:
    first, again = note("BP 120/80", 1), note("BP 120/80", 2)
    result = check(server=server_with(first, again), devices=[], must_survive={}, wiped_unsent=0)
    assert result.duplicated == ["note 'BP 120/80' stored under 2 ids"]


def test_a_device_with_another_stamp_for_an_entry_diverged() -> None:
    a = note("a", 1)
    restamped = a.restamped(Hlc(1_795_000_009_999, 0, DEVICE).encode())
    result = check(server=server_with(restamped), devices=[device(a)], must_survive={}, wiped_unsent=0)
    assert not result.converged and not result.lost


def test_a_device_that_did_not_finish_its_final_sync_is_not_converged() -> None:
    a = note("a", 1)
    result = check(
        server=server_with(a), devices=[device(a, finished=False)], must_survive={}, wiped_unsent=0
    )
    assert result.diverged == ["tab0: did not finish its final sync"]


def test_the_state_hash_does_not_depend_on_arrival_order() -> None:
    entries = [note(str(n), n) for n in range(6)]
    assert state_hash(entries) == state_hash(list(reversed(entries)))
    assert state_hash(entries) != state_hash(entries[:-1])


def test_the_reference_server_restamps_under_the_entrys_own_writer_as_the_real_server_does() -> None:
    """The checker folds what a server holds with ``journal`` as it is: no re-writing of stamps. So a
    reference server that re-stamped under a writer of its own would make every such journal unfoldable
    (journal requires a stamp's writer to be the entry's device); it keeps the entry's writer, as
    ``server/sync/ingest.py`` does (``ServerClock.restamp(writer=stamp.writer)``, protocol §5)."""
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    server = FakeSyncServer(device_id=UUID(DEVICE), now=lambda: now)
    a_day_ahead = round(now.timestamp() * 1000) + 24 * 3600 * 1000
    entry = new_entry(
        journal_id=JOURNAL,
        payload=Note(text="ahead"),
        author=AUTHOR,
        device_id=DEVICE,
        clinical_time=now,
        hlc=Hlc(a_day_ahead, 0, DEVICE),
    )
    pushed = envelope_of(entry)
    item = PushItem(device_seq=1, entry=WireEntry.from_envelope(pushed))
    response = server.push(PushRequest(device_id=UUID(DEVICE), incarnation_id=new_uuid7(), items=[item]), now)
    assert response.results[0].code is PushResultCode.RESTAMPED
    stored = server.entries[entry.entry_id].to_envelope()
    stamp = Hlc.parse(stored.hlc)
    assert stamp.writer == DEVICE and stamp.physical_ms <= round(now.timestamp() * 1000) + server.max_ahead_ms
    assert entry_of(stored).hlc == stamp
    result = check(server=server_with(stored), devices=[device(stored)], must_survive={}, wiped_unsent=0)
    assert result.ok


def test_the_summary_line_counts_every_lost_duplicated_and_diverged_run() -> None:
    """What ``ppj sync chaos`` prints and CI asserts: a synthetic series of a clean run, a run that lost
    an entry, one that duplicated one and one whose device diverged."""
    a, b = note("a", 1), note("b", 2)
    restamped = a.restamped(Hlc(1_795_000_009_999, 0, DEVICE).encode())
    results = [
        check(server=server_with(a, b), devices=[device(a, b)], must_survive={}, wiped_unsent=0),
        check(server=server_with(a), devices=[device(a)], must_survive={b.entry_id: "acked"}, wiped_unsent=0),
        check(server=server_with(a, note("a", 3)), devices=[], must_survive={}, wiped_unsent=0),
        check(server=server_with(restamped), devices=[device(a)], must_survive={}, wiped_unsent=0),
    ]
    tally = Tally()
    for run, result in enumerate(results):
        plan = make_plan(seed=1, run=run, devices=1, servers=1, quick=True)
        tally.add(RunOutcome(plan=plan, result=result))
    assert tally.line() == "4 runs, 1 lost, 1 duplicated, 3/4 converged"
    assert tally.failed == 3
