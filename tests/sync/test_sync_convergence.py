"""Hypothesis stateful test: two tablets and the in-memory server under injected faults.

Steps: a tablet captures (sometimes an entry the server will quarantine); another writer writes on the
server; a tablet's clock jumps (±24 h); a tablet syncs with random faults planned per request path
(dropped request, dropped answer, duplicated request, request delivered late after newer ones, 503,
garbage answer); a tablet's app is killed and restarted; late requests arrive.

Checked after every step: nothing a tablet captured is ever missing from its store, and every captured
entry not yet on the server is still queued; the server never holds an entry twice. Checked at the end,
after the network heals and both tablets sync: every captured entry is on the server exactly once
(accepted or quarantined), each tablet's entries in capture order by HLC, and each tablet holds exactly
the server's entries of its journals, with the server's stamps.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from sync.client import SyncClient
from sync.errors import ProtocolError, TransientSyncError
from sync.protocol import ACCESS_PATH, PULL_PATH, PUSH_PATH, QuarantineReason, WireEntry
from sync.store import LocalStore
from tests.sync.client_harness import DeviceClock, Fault, FaultyNetwork, make_client
from tests.sync.factories import DEVICE_SECRET, TEST_PIN, TEST_USER, new_store, note
from tests.sync.fake_server import FakeSyncServer

JOURNALS = [UUID("0196b4a0-0000-7000-8000-0000000000e1"), UUID("0196b4a0-0000-7000-8000-0000000000e2")]
QUARANTINE_MARK = "kind-from-a-newer-app"
FAULTS = [f for f in Fault if f is not Fault.NONE]
tablet_index = st.integers(0, 1)


def quarantine_rule(entry: WireEntry) -> QuarantineReason | None:
    return QuarantineReason.UNKNOWN_KIND_VERSION if QUARANTINE_MARK in entry.content else None


@dataclass
class Tablet:
    path: Path
    store: LocalStore
    network: FaultyNetwork
    clock: DeviceClock = field(default_factory=DeviceClock)
    captured: list[UUID] = field(default_factory=list)  # in capture order
    client: SyncClient | None = None

    def connect(self) -> SyncClient:
        self.client = make_client(
            self.store, self.network, wall_clock=self.clock, batch_entries=2, pull_limit=3
        )
        return self.client

    def sync(self) -> None:
        assert self.client is not None
        with contextlib.suppress(TransientSyncError, ProtocolError):
            self.client.sync_once()  # when it fails, the worker backs off and tries again
        self.network.faults.clear()


class SyncUnderFaults(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # On tmpfs where there is one: the store fsyncs every commit, which is right on a tablet and only
        # slows this many-steps test down.
        shm = Path("/dev/shm")
        self.dir = Path(tempfile.mkdtemp(prefix="ppj-sync-", dir=shm if shm.is_dir() else None))
        self.server = FakeSyncServer(device_id=uuid4(), quarantine_rule=quarantine_rule)
        for journal in JOURNALS:
            self.server.grant(journal)
        self.tablets = [self._new_tablet(n) for n in range(2)]
        self.others: set[UUID] = set()

    def _new_tablet(self, n: int) -> Tablet:
        path = self.dir / f"tablet-{n}.ppjstore"
        store = new_store(path)
        tablet = Tablet(path=path, store=store, network=FaultyNetwork(server=self.server))
        tablet.connect()
        return tablet

    # ---------------------------------------------------------------------------------------- rules

    @rule(t=tablet_index, journal=st.sampled_from(JOURNALS), quarantined=st.booleans(), n=st.integers(1, 3))
    def capture(self, t: int, journal: UUID, quarantined: bool, n: int) -> None:
        tablet = self.tablets[t]
        for _ in range(n):
            stamp = tablet.store.new_stamp(wall_ms=round(tablet.clock().timestamp() * 1000))
            entry = note(journal_id=journal, text=QUARANTINE_MARK if quarantined else "vitals", hlc=stamp)
            tablet.store.capture(envelope=entry)
            tablet.captured.append(entry.entry_id)

    @rule(journal=st.sampled_from(JOURNALS))
    def another_writer_writes(self, journal: UUID) -> None:
        stamp = self.server.clock.tick().encode().replace("server-1", "web-board")
        entry = note(journal_id=journal, text="handover confirmed", hlc=stamp)
        self.server.write_as_other_writer(entry)
        self.others.add(entry.entry_id)

    @rule(t=tablet_index, hours=st.sampled_from([-24, 0, 0, 1, 24]))
    def device_clock_jumps(self, t: int, hours: int) -> None:
        self.tablets[t].clock.skew = timedelta(hours=hours)

    @rule(
        t=tablet_index,
        access=st.lists(st.sampled_from(list(Fault)), max_size=1),
        push=st.lists(st.sampled_from(list(Fault)), max_size=4),
        pull=st.lists(st.sampled_from(list(Fault)), max_size=3),
    )
    def sync_with_faults(self, t: int, access: list[Fault], push: list[Fault], pull: list[Fault]) -> None:
        network = self.tablets[t].network
        network.plan(ACCESS_PATH, *access)
        network.plan(PUSH_PATH, *push)
        network.plan(PULL_PATH, *pull)
        self.tablets[t].sync()

    @rule(t=tablet_index, fault=st.sampled_from(FAULTS), after=st.integers(0, 1))
    def sync_with_a_push_fault(self, t: int, fault: Fault, after: int) -> None:
        self.tablets[t].network.plan(PUSH_PATH, *[Fault.NONE] * after, fault)
        self.tablets[t].sync()

    @rule(t=tablet_index, fault=st.sampled_from(FAULTS), after=st.integers(0, 1))
    def sync_with_a_pull_fault(self, t: int, fault: Fault, after: int) -> None:
        self.tablets[t].network.plan(PULL_PATH, *[Fault.NONE] * after, fault)
        self.tablets[t].sync()

    @rule(t=tablet_index)
    def late_requests_arrive(self, t: int) -> None:
        self.tablets[t].network.deliver_delayed()

    @rule(t=tablet_index)
    def app_is_killed_and_restarted(self, t: int) -> None:
        tablet = self.tablets[t]
        tablet.store.close()
        tablet.store = LocalStore.unlock(
            path=tablet.path, user_id=TEST_USER, secret=TEST_PIN, device_secret=DEVICE_SECRET
        )
        tablet.connect()

    # ------------------------------------------------------------------------------------ invariants

    @invariant()
    def nothing_captured_is_lost(self) -> None:
        on_server = set(self.server.entries) | set(self.server.quarantine)
        for tablet in self.tablets:
            held = tablet.store.entry_ids()
            queued = {
                q.envelope.entry_id for q in tablet.store.next_batch(max_entries=10**6, max_bytes=10**9)
            }
            for entry_id in tablet.captured:
                assert entry_id in held
                assert entry_id in queued or entry_id in on_server

    @invariant()
    def the_server_never_holds_an_entry_twice(self) -> None:
        committed = [entry_id for log in self.server.logs.values() for entry_id in log]
        assert len(committed) == len(set(committed))
        assert not set(committed) & set(self.server.quarantine)

    # -------------------------------------------------------------------------------------- the end

    def teardown(self) -> None:
        try:
            for _round in range(2):  # the second round brings each tablet what the other pushed last
                for tablet in self.tablets:
                    tablet.network.deliver_delayed()
                    tablet.network.faults.clear()
                    assert tablet.client is not None
                    tablet.client.sync_once()
            self._check_converged()
        finally:
            for tablet in self.tablets:
                tablet.store.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _check_converged(self) -> None:
        server = self.server
        committed = [entry_id for log in server.logs.values() for entry_id in log]
        captured = [entry_id for tablet in self.tablets for entry_id in tablet.captured]
        for entry_id in captured:
            assert (committed.count(entry_id) == 1) != (entry_id in server.quarantine)
        assert set(committed) == (set(captured) - set(server.quarantine)) | self.others
        for tablet in self.tablets:
            assert tablet.store.pending_count() == 0
            # The tablet's own entries keep their capture order under the server's stamps.
            mine = [e for e in tablet.captured if e in server.entries]
            assert [server.entries[e].hlc for e in mine] == sorted(server.entries[e].hlc for e in mine)
            for journal in JOURNALS:
                held = {e.entry_id: e.hlc for e in tablet.store.journal_entries(journal)}
                held_in_journal = {e: h for e, h in held.items() if e not in server.quarantine}
                assert held_in_journal == {e: server.entries[e].hlc for e in server.logs.get(journal, [])}


SyncUnderFaults.TestCase.settings = settings(
    max_examples=100, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_two_tablets_under_faults_lose_and_duplicate_nothing = SyncUnderFaults.TestCase
