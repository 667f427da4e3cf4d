"""Hypothesis stateful test: the client against the in-memory server under injected faults.

Steps: capture (sometimes an entry the server will quarantine), another writer writes on the server, the
device clock jumps (±24 h), a sync cycle runs with a random list of faults (dropped request, dropped answer,
duplicated request, delayed request delivered after newer ones, 503, garbage answer), the app is killed
and restarted, delayed requests arrive.

Proved after every step: nothing captured is ever missing from the store, and every captured entry not yet
confirmed is still queued; the server never holds an entry twice. Proved at the end, after the network
heals: every captured entry is on the server exactly once (accepted or quarantined), in capture order by
HLC, and the store holds exactly the server's entries of its journals, with the server's stamps.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from sync.errors import ProtocolError, TransientSyncError
from sync.protocol import ACCESS_PATH, PULL_PATH, PUSH_PATH, QuarantineReason, WireEntry
from sync.store import LocalStore
from tests.sync.client_harness import DeviceClock, Fault, FaultyNetwork, make_client
from tests.sync.factories import DEVICE_SECRET, TEST_KDF, TEST_PIN, TEST_USER, note
from tests.sync.fake_server import FakeSyncServer

JOURNALS = [UUID("0196b4a0-0000-7000-8000-0000000000e1"), UUID("0196b4a0-0000-7000-8000-0000000000e2")]
QUARANTINE_MARK = "kind-from-a-newer-app"


def quarantine_rule(entry: WireEntry) -> QuarantineReason | None:
    return QuarantineReason.UNKNOWN_KIND_VERSION if QUARANTINE_MARK in entry.content else None


class SyncUnderFaults(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # On tmpfs where there is one: the store fsyncs every commit, which is what it should do on a
        # tablet and only slows this many-steps test down.
        shm = Path("/dev/shm")
        self.dir = Path(tempfile.mkdtemp(prefix="ppj-sync-", dir=shm if shm.is_dir() else None))
        self.path = self.dir / "tablet.ppjstore"
        self.store = LocalStore.create(
            path=self.path,
            device_id=uuid4(),
            user_id=TEST_USER,
            secret=TEST_PIN,
            device_secret=DEVICE_SECRET,
            kdf=TEST_KDF,
        )
        self.server = FakeSyncServer(device_id=self.store.device_id, quarantine_rule=quarantine_rule)
        for journal in JOURNALS:
            self.server.grant(journal)
        self.network = FaultyNetwork(server=self.server)
        self.clock = DeviceClock()
        self.client = make_client(
            self.store, self.network, wall_clock=self.clock, batch_entries=2, pull_limit=3
        )
        self.captured: list[UUID] = []  # in capture order
        self.others: set[UUID] = set()

    @rule(journal=st.sampled_from(JOURNALS), quarantined=st.booleans(), n=st.integers(1, 3))
    def capture(self, journal: UUID, quarantined: bool, n: int) -> None:
        for _ in range(n):
            text = QUARANTINE_MARK if quarantined else "vitals"
            stamp = self.store.new_stamp(wall_ms=round(self.clock().timestamp() * 1000))
            entry = note(journal_id=journal, text=text, hlc=stamp)
            self.store.capture(envelope=entry)
            self.captured.append(entry.entry_id)

    @rule(journal=st.sampled_from(JOURNALS))
    def another_writer_writes(self, journal: UUID) -> None:
        stamp = self.server.clock.tick().encode().replace("server-1", "other-tablet")
        entry = note(journal_id=journal, text="from the other crew", hlc=stamp)
        self.server.write_as_other_writer(entry)
        self.others.add(entry.entry_id)

    @rule(hours=st.sampled_from([-24, 0, 0, 1, 24]))
    def device_clock_jumps(self, hours: int) -> None:
        self.clock.skew = timedelta(hours=hours)

    @rule(
        access=st.lists(st.sampled_from(list(Fault)), max_size=1),
        push=st.lists(st.sampled_from(list(Fault)), max_size=4),
        pull=st.lists(st.sampled_from(list(Fault)), max_size=3),
    )
    def sync_with_faults(self, access: list[Fault], push: list[Fault], pull: list[Fault]) -> None:
        self.sync(access=access, push=push, pull=pull)

    def sync(self, access: list[Fault], push: list[Fault], pull: list[Fault]) -> None:
        self.network.plan(ACCESS_PATH, *access)
        self.network.plan(PUSH_PATH, *push)
        self.network.plan(PULL_PATH, *pull)
        with contextlib.suppress(TransientSyncError, ProtocolError):
            self.client.sync_once()  # when it fails, the worker backs off and tries again
        self.network.faults.clear()

    @rule(fault=st.sampled_from([f for f in Fault if f is not Fault.NONE]), after=st.integers(0, 1))
    def sync_with_a_push_fault(self, fault: Fault, after: int) -> None:
        self.sync(access=[], push=[Fault.NONE] * after + [fault], pull=[])

    @rule(fault=st.sampled_from([f for f in Fault if f is not Fault.NONE]), after=st.integers(0, 1))
    def sync_with_a_pull_fault(self, fault: Fault, after: int) -> None:
        self.sync(access=[], push=[], pull=[Fault.NONE] * after + [fault])

    @rule()
    def delayed_requests_arrive(self) -> None:
        self.network.deliver_delayed()

    @rule()
    def app_is_killed_and_restarted(self) -> None:
        self.store.close()
        self.store = LocalStore.unlock(
            path=self.path, user_id=TEST_USER, secret=TEST_PIN, device_secret=DEVICE_SECRET
        )
        self.client = make_client(
            self.store, self.network, wall_clock=self.clock, batch_entries=2, pull_limit=3
        )

    @invariant()
    def nothing_captured_is_lost(self) -> None:
        held = self.store.entry_ids()
        assert all(entry_id in held for entry_id in self.captured)
        queued = {q.envelope.entry_id for q in self.store.next_batch(max_entries=10**6, max_bytes=10**9)}
        on_server = set(self.server.entries) | set(self.server.quarantine)
        problems = {p.entry_id for p in self.store.queue_problems()}
        for entry_id in self.captured:
            assert entry_id in queued or entry_id in on_server
            assert entry_id in queued or entry_id not in problems or entry_id in self.server.quarantine

    @invariant()
    def the_server_never_holds_an_entry_twice(self) -> None:
        committed = [entry_id for log in self.server.logs.values() for entry_id in log]
        assert len(committed) == len(set(committed))
        assert not set(committed) & set(self.server.quarantine)

    def teardown(self) -> None:
        try:
            self.network.deliver_delayed()
            self.network.faults.clear()
            self.client.sync_once()
            self.client.sync_once()  # a second, quiet cycle must change nothing
            self._check_converged()
        finally:
            self.store.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _check_converged(self) -> None:
        server = self.server
        committed = [entry_id for log in server.logs.values() for entry_id in log]
        for entry_id in self.captured:
            assert (committed.count(entry_id) == 1) != (entry_id in server.quarantine)
        assert set(committed) == (set(self.captured) - set(server.quarantine)) | self.others
        assert self.store.pending_count() == 0
        # The device's own entries keep their capture order under the server's stamps.
        mine = [e for e in self.captured if e in server.entries]
        assert [server.entries[e].hlc for e in mine] == sorted(server.entries[e].hlc for e in mine)
        for journal in JOURNALS:
            held = {e.entry_id: e.hlc for e in self.store.journal_entries(journal)}
            on_server = {e: server.entries[e].hlc for e in server.logs.get(journal, [])}
            quarantined_here = {e for e in held if e in server.quarantine}
            assert {e: h for e, h in held.items() if e not in quarantined_here} == on_server


SyncUnderFaults.TestCase.settings = settings(
    max_examples=40, stateful_step_count=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_sync_under_faults_loses_and_duplicates_nothing = SyncUnderFaults.TestCase
