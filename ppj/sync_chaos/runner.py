"""One chaos run.

A run: register the journals; enrol each tablet (a device, a person) and create its store; grant the
planned journals; switch the proxy to the run's fault rates; run every tablet's lives concurrently (each
life a forked process, SIGKILLed at its planned time; a reinstall wipes the store first) while a chaos
thread restarts the run's server processes and grants the late journal; then stop the faults, bring
every server process up, deliver the replays still held, log every person in again, run two rounds of
final syncs (one to push everything, one to pull what the others pushed) and check the run's journals.

Several runs may go on at once (``ppj sync chaos --parallel``): each has its own proxy, server processes,
journals, devices, people and units; they share the database, the tablet zygote and the machine.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from journal.entry import Author
from ppj.sync_chaos.backend import ServerBackend, ServerProcesses
from ppj.sync_chaos.checker import CheckResult, DeviceOutcome, check
from ppj.sync_chaos.forks import Zygote
from ppj.sync_chaos.plan import DevicePlan, RunPlan
from ppj.sync_chaos.proxy import PASS_THROUGH, FaultProxy
from ppj.sync_chaos.tablet import TabletSpec, http_client, open_store, sync_client
from sync.backoff import Backoff
from sync.client import sync_with_retries
from sync.errors import SyncRefusedError

_FINAL_ATTEMPTS = 12
_TABLET_TIMEOUT_S = 120.0


@dataclass
class RunOutcome:
    plan: RunPlan
    result: CheckResult
    problems: list[str] = field(default_factory=list)  # harness-level surprises (a tablet crashed, …)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.result.ok and not self.problems


@dataclass
class _Ledger:
    """What the run learned while it went, shared by the device threads (under ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: dict[UUID, str] = field(default_factory=dict)  # acknowledged capture → who
    confirmed_before_wipe: dict[UUID, str] = field(default_factory=dict)
    wiped_unsent: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class _Tablet:
    """A planned device as enrolled on the server for this run."""

    plan: DevicePlan
    device_id: UUID
    author: Author
    unit: str
    headers: dict[str, str]
    path: Path

    @property
    def label(self) -> str:
        return self.plan.label

    def create_store(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
        open_store(path=self.path, device_id=self.device_id, create=True).close()


def _wipe(tablet: _Tablet, ledger: _Ledger) -> None:
    """Reinstall: note what the old store had confirmed (must survive) and what was still unsent (lost
    with the device by definition), then delete the store and make a fresh one (a new incarnation)."""
    store = open_store(path=tablet.path, device_id=tablet.device_id, create=False)
    try:
        pending = {q.envelope.entry_id for q in store.next_batch(max_entries=10**9, max_bytes=2**62)}
        held = store.entry_ids()
    finally:
        store.close()
    with ledger.lock:
        for entry_id in held - pending:
            ledger.confirmed_before_wipe.setdefault(entry_id, f"{tablet.label}, confirmed before its wipe")
        for entry_id in pending:
            ledger.acked.pop(entry_id, None)
        ledger.wiped_unsent += len(pending)
    tablet.create_store()


def _run_device(*, run: int, tablet: _Tablet, base_url: str, ledger: _Ledger, zygote: Zygote) -> None:
    for index, life in enumerate(tablet.plan.lives):
        if life.reinstall:
            _wipe(tablet, ledger)
        spec = TabletSpec(
            store=str(tablet.path),
            device_id=str(tablet.device_id),
            base_url=base_url,
            headers=tablet.headers,
            author=tablet.author.model_dump(mode="json"),
            unit=tablet.unit,
            journals=[str(j) for j in tablet.plan.journals],
            entries=life.entries,
            label=f"run{run}/{tablet.label}/life{index}",
            seed=life.seed,
            skew_ms=tablet.plan.skew_ms,
        )
        output = tablet.path.with_name(f"{tablet.path.name}.life{index}.out")
        pid = zygote.spawn(spec.to_json(), output)
        code = zygote.wait(pid, timeout=life.kill_after_s or _TABLET_TIMEOUT_S)
        if code is None:
            code = zygote.kill(pid)
        text = output.read_text(errors="replace")
        output.unlink()
        with ledger.lock:
            for line in text.splitlines():
                if line.startswith("captured "):
                    ledger.acked[UUID(line.split()[1])] = f"acknowledged by {spec.label}"
            if code not in (0, -signal.SIGKILL):
                ledger.problems.append(f"{spec.label} exited with {code}: {text[-2000:]}")


def _chaos(
    *,
    plan: RunPlan,
    tablets: list[_Tablet],
    backend: ServerBackend,
    servers: ServerProcesses,
    started: float,
    stop: threading.Event,
) -> None:
    """Server restarts and late grants at their planned times (relative to the run's start)."""
    events: list[tuple[float, str, int]] = [(r.at_s, "restart", i) for i, r in enumerate(plan.restarts)]
    events += [(t.plan.late_at_s, "grant", i) for i, t in enumerate(tablets) if t.plan.late_journal]
    for at_s, kind, index in sorted(events):
        if stop.wait(max(0.0, started + at_s - time.monotonic())):
            return
        if kind == "restart":
            restart = plan.restarts[index]
            servers.kill(restart.process, signal.Signals[restart.signal])
            time.sleep(restart.down_s)
            servers.ensure_running()
        else:
            tablet = tablets[index]
            assert tablet.plan.late_journal is not None
            backend.grant(device_id=tablet.device_id, journal_id=tablet.plan.late_journal)


def _sleep(seconds: float) -> bool:
    """The backoff's sleep; never asks to stop (the final sync runs until it succeeds or gives up)."""
    time.sleep(seconds)
    return False


def _final_sync(*, tablet: _Tablet, base_url: str, problems: list[str]) -> bool:
    store = open_store(path=tablet.path, device_id=tablet.device_id, create=False)
    rng = random.Random(0)
    try:
        with http_client(base_url=base_url, headers=tablet.headers) as http:
            client = sync_client(store=store, http=http, skew_ms=tablet.plan.skew_ms, rng=rng)
            try:
                report = sync_with_retries(
                    client=client,
                    backoff=Backoff(base_s=0.05, cap_s=0.5),
                    rand=rng.random,
                    sleep=_sleep,
                    max_attempts=_FINAL_ATTEMPTS,
                )
            except SyncRefusedError as exc:
                problems.append(f"{tablet.label}: final sync refused: {exc}")
                return False
            return report is not None
    finally:
        store.close()


def _final_round(*, tablets: list[_Tablet], base_url: str, ledger: _Ledger) -> dict[str, bool]:
    """Every device's final sync, at the same time, as a crew's tablets sync when the network returns.
    A harness error in one device's sync is a problem of the run (and that device did not finish)."""
    finished = {tablet.label: False for tablet in tablets}

    def one(tablet: _Tablet) -> None:
        try:
            finished[tablet.label] = _final_sync(tablet=tablet, base_url=base_url, problems=ledger.problems)
        except Exception as exc:  # noqa: BLE001  (reported with the run, not lost in a thread)
            with ledger.lock:
                ledger.problems.append(f"{tablet.label}: final sync crashed: {exc!r}")

    syncs = [threading.Thread(target=one, args=(tablet,)) for tablet in tablets]
    for thread in syncs:
        thread.start()
    for thread in syncs:
        thread.join()
    return finished


def _outcome(*, tablet: _Tablet, finished: bool) -> DeviceOutcome:
    # The checker reads the file the tablet left, unlocked with the tablet's log-in.
    opened = open_store(path=tablet.path, device_id=tablet.device_id, create=False)
    try:
        return DeviceOutcome(
            label=tablet.label,
            finished_final_sync=finished,
            journals={j: opened.journal_entries(j) for j in opened.accessible_journals()},
            held=frozenset(opened.entry_ids()),
        )
    finally:
        opened.close()


def run_once(
    *,
    plan: RunPlan,
    backend: ServerBackend,
    servers: ServerProcesses,
    proxy: FaultProxy,
    zygote: Zygote,
    workdir: Path,
) -> RunOutcome:
    """One run through ``proxy`` (whose upstreams are ``servers``)."""
    began = time.monotonic()
    proxy.configure(PASS_THROUGH)
    servers.ensure_running()
    for journal_id in plan.journals:
        backend.create_journal(journal_id)
    tablets: list[_Tablet] = []
    for d in plan.devices:
        enrolled = backend.enrol(d.device_id, f"r{plan.run}-{d.label}")
        device_id = enrolled.device_id
        tablet = _Tablet(
            plan=d,
            device_id=device_id,
            author=enrolled.author,
            unit=enrolled.unit,
            headers=backend.headers(device_id, session_s=d.session_s),
            path=workdir / f"run{plan.run}-{d.label}.ppjstore",
        )
        tablet.create_store()
        for journal_id in d.journals:
            backend.grant(device_id=device_id, journal_id=journal_id)
        tablets.append(tablet)
    base_url = f"http://127.0.0.1:{proxy.port}"
    ledger = _Ledger()
    proxy.configure(plan.rates)
    stop = threading.Event()
    chaos = threading.Thread(
        target=_chaos,
        kwargs={
            "plan": plan,
            "tablets": tablets,
            "backend": backend,
            "servers": servers,
            "started": time.monotonic(),
            "stop": stop,
        },
    )
    workers = [
        threading.Thread(
            target=_run_device,
            kwargs={"run": plan.run, "tablet": t, "base_url": base_url, "ledger": ledger, "zygote": zygote},
        )
        for t in tablets
    ]
    for thread in [chaos, *workers]:
        thread.start()
    for thread in workers:
        thread.join()
    chaos.join()  # the planned events all fall within the first seconds; let the last one finish
    stop.set()
    # No new faults, but the replays still held stay: they reach the (running) servers now, before the
    # final syncs, and then the proxy passes everything.
    proxy.stop_faults()
    servers.ensure_running()
    proxy.flush_replays()
    for tablet in tablets:
        tablet.headers = backend.headers(tablet.device_id, session_s=None)  # the crew logs in again
    finished: dict[str, bool] = {}
    for _round in range(2):
        finished = _final_round(tablets=tablets, base_url=base_url, ledger=ledger)
    outcomes = [_outcome(tablet=t, finished=finished[t.label]) for t in tablets]
    must_survive = {**ledger.confirmed_before_wipe, **ledger.acked}
    result = check(
        server=backend.contents(plan.journals),
        devices=outcomes,
        must_survive=must_survive,
        wiped_unsent=ledger.wiped_unsent,
    )
    backend.forget(plan.journals)
    for tablet in tablets:
        for suffix in ("", "-wal", "-shm"):
            Path(str(tablet.path) + suffix).unlink(missing_ok=True)
    return RunOutcome(plan=plan, result=result, problems=ledger.problems, seconds=time.monotonic() - began)
