"""One chaos run, and a series of them.

A run: reset the server's database; create each tablet's store; grant the planned journals; switch the
proxy to the run's fault rates; run every tablet's lives concurrently (each life a process, SIGKILLed at
its planned time; a reinstall wipes the store first) while a chaos thread restarts server processes and
grants the late journal; then stop the faults, deliver held replays, bring every server process up, run
two rounds of final syncs (one to push everything, one to pull what the others pushed) and check.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from ppj.sync_chaos.backend import ServerBackend
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


def store_path(workdir: Path, plan: RunPlan, device: DevicePlan) -> Path:
    return workdir / f"run{plan.run}-{device.label}.ppjstore"


def _create_store(path: Path, device: DevicePlan) -> None:
    open_store(path=path, device_id=device.device_id, create=True).close()


def _wipe(path: Path, device: DevicePlan, ledger: _Ledger) -> None:
    """Reinstall: note what the old store had confirmed (must survive) and what was still unsent (lost
    with the device by definition), then delete the store and make a fresh one (a new incarnation)."""
    store = open_store(path=path, device_id=device.device_id, create=False)
    try:
        pending = {q.envelope.entry_id for q in store.next_batch(max_entries=10**9, max_bytes=2**62)}
        held = store.entry_ids()
    finally:
        store.close()
    with ledger.lock:
        for entry_id in held - pending:
            ledger.confirmed_before_wipe.setdefault(entry_id, f"{device.label}, confirmed before its wipe")
        for entry_id in pending:
            ledger.acked.pop(entry_id, None)
        ledger.wiped_unsent += len(pending)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    _create_store(path, device)


def _run_device(
    *,
    plan: RunPlan,
    device: DevicePlan,
    path: Path,
    base_url: str,
    headers: dict[str, str],
    ledger: _Ledger,
    zygote: Zygote,
) -> None:
    for index, life in enumerate(device.lives):
        if life.reinstall:
            _wipe(path, device, ledger)
        spec = TabletSpec(
            store=str(path),
            device_id=str(device.device_id),
            base_url=base_url,
            headers=headers,
            journals=[str(j) for j in device.journals],
            entries=life.entries,
            label=f"run{plan.run}/{device.label}/life{index}",
            seed=life.seed,
            skew_ms=device.skew_ms,
        )
        output = path.with_name(f"{path.name}.life{index}.out")
        pid = zygote.spawn(spec, output)
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


def _chaos(*, plan: RunPlan, backend: ServerBackend, started: float, stop: threading.Event) -> None:
    """Server restarts and late grants at their planned times (relative to the run's start)."""
    events: list[tuple[float, str, int]] = [(r.at_s, "restart", i) for i, r in enumerate(plan.restarts)]
    events += [(d.late_at_s, "grant", i) for i, d in enumerate(plan.devices) if d.late_journal is not None]
    for at_s, kind, index in sorted(events):
        if stop.wait(max(0.0, started + at_s - time.monotonic())):
            return
        if kind == "restart":
            restart = plan.restarts[index]
            backend.kill(restart.process, signal.Signals[restart.signal])
            time.sleep(restart.down_s)
            backend.ensure_running()
        else:
            device = plan.devices[index]
            assert device.late_journal is not None
            backend.grant(device_id=device.device_id, journal_id=device.late_journal)


def _sleep(seconds: float) -> bool:
    """The backoff's sleep; never asks to stop (the final sync runs until it succeeds or gives up)."""
    time.sleep(seconds)
    return False


def _final_sync(*, device: DevicePlan, path: Path, base_url: str, headers: dict[str, str]) -> bool:
    store = open_store(path=path, device_id=device.device_id, create=False)
    rng = random.Random(0)
    try:
        with http_client(base_url=base_url, headers=headers) as http:
            client = sync_client(store=store, http=http, skew_ms=device.skew_ms, rng=rng)
            try:
                report = sync_with_retries(
                    client=client,
                    backoff=Backoff(base_s=0.05, cap_s=0.5),
                    rand=rng.random,
                    sleep=_sleep,
                    max_attempts=_FINAL_ATTEMPTS,
                )
            except SyncRefusedError:
                return False
            return report is not None
    finally:
        store.close()


def _outcome(*, device: DevicePlan, path: Path, finished: bool) -> DeviceOutcome:
    # The checker reads the file the tablet left, unlocked with the tablet's log-in.
    opened = open_store(path=path, device_id=device.device_id, create=False)
    try:
        return DeviceOutcome(
            label=device.label,
            finished_final_sync=finished,
            journals={j: opened.journal_entries(j) for j in opened.accessible_journals()},
            held=frozenset(opened.entry_ids()),
        )
    finally:
        opened.close()


def run_once(
    *, plan: RunPlan, backend: ServerBackend, proxy: FaultProxy, zygote: Zygote, workdir: Path
) -> RunOutcome:
    began = time.monotonic()
    proxy.configure(PASS_THROUGH)
    backend.ensure_running()
    backend.reset()
    base_url = f"http://127.0.0.1:{proxy.port}"
    paths = {d.label: store_path(workdir, plan, d) for d in plan.devices}
    for d in plan.devices:
        for suffix in ("", "-wal", "-shm"):
            Path(str(paths[d.label]) + suffix).unlink(missing_ok=True)
        _create_store(paths[d.label], d)
        for journal_id in d.journals:
            backend.grant(device_id=d.device_id, journal_id=journal_id)
    ledger = _Ledger()
    proxy.configure(plan.rates)
    stop = threading.Event()
    started = time.monotonic()
    chaos = threading.Thread(
        target=_chaos, kwargs={"plan": plan, "backend": backend, "started": started, "stop": stop}
    )
    tablets = [
        threading.Thread(
            target=_run_device,
            kwargs={
                "plan": plan,
                "device": d,
                "path": paths[d.label],
                "base_url": base_url,
                "headers": backend.headers(d.device_id),
                "ledger": ledger,
                "zygote": zygote,
            },
        )
        for d in plan.devices
    ]
    for thread in [chaos, *tablets]:
        thread.start()
    for thread in tablets:
        thread.join()
    chaos.join()  # the planned events all fall within the first seconds; let the last one finish
    stop.set()
    proxy.configure(PASS_THROUGH)
    backend.ensure_running()
    proxy.flush_replays()
    finished: dict[str, bool] = {}
    for _round in range(2):
        for d in plan.devices:
            finished[d.label] = _final_sync(
                device=d, path=paths[d.label], base_url=base_url, headers=backend.headers(d.device_id)
            )
    outcomes = [_outcome(device=d, path=paths[d.label], finished=finished[d.label]) for d in plan.devices]
    must_survive = {**ledger.confirmed_before_wipe, **ledger.acked}
    result = check(
        server=backend.contents(),
        devices=outcomes,
        must_survive=must_survive,
        wiped_unsent=ledger.wiped_unsent,
    )
    for d in plan.devices:
        for suffix in ("", "-wal", "-shm"):
            Path(str(paths[d.label]) + suffix).unlink(missing_ok=True)
    return RunOutcome(plan=plan, result=result, problems=ledger.problems, seconds=time.monotonic() - began)
