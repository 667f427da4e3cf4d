"""The seeded plan of one chaos run: devices, journals, lives of each tablet process, faults and when.

One ``random.Random`` per run, seeded from ``(seed, run index)``, draws the whole plan before the run
starts, so a failing run is described exactly by its plan (printed on failure) and ``--seed S`` reproduces
it. What the plan cannot fix is the interleaving of processes: a SIGKILL planned at 0.7 s lands wherever
the tablet happens to be then. That is the point (kills at random points); a failure's plan and seed let
you rerun it until it repeats.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from uuid import UUID

from journal.ids import uuid7_from
from ppj.sync_chaos.proxy import FaultRates

_DAY_MS = 24 * 3600 * 1000
_EPOCH_MS = 1_795_000_000_000  # 2026-11-18: a fixed time base so ids derived from the seed are stable


def _uuid7(rng: random.Random) -> UUID:
    return uuid7_from(
        unix_ms=_EPOCH_MS + rng.randrange(_DAY_MS), rand_a=rng.getrandbits(12), rand_b=rng.getrandbits(62)
    )


@dataclass(frozen=True, slots=True)
class Life:
    """One tablet process: writes ``entries`` entries, syncing now and then; SIGKILLed after
    ``kill_after_s`` if that is set (else it finishes). ``reinstall`` wipes the store before it starts."""

    entries: int
    kill_after_s: float | None
    reinstall: bool
    seed: int


@dataclass(frozen=True, slots=True)
class DevicePlan:
    label: str
    device_id: UUID
    skew_ms: int  # the tablet's wall clock minus true time
    journals: tuple[UUID, ...]  # granted at the start; the tablet writes into these
    late_journal: UUID | None  # granted later (backfill), at ``late_at_s``
    late_at_s: float
    session_s: float | None  # the person's log-in expires this long after the start (None: it lasts)
    lives: tuple[Life, ...]


@dataclass(frozen=True, slots=True)
class ServerRestart:
    at_s: float
    process: int
    signal: str  # "SIGKILL" or "SIGTERM"
    down_s: float


@dataclass(frozen=True)
class RunPlan:
    seed: int
    run: int
    journals: tuple[UUID, ...]
    devices: tuple[DevicePlan, ...]
    restarts: tuple[ServerRestart, ...]
    rates: FaultRates
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [
            f"run {self.run} (seed {self.seed}): {len(self.devices)} devices, {len(self.journals)} journals"
        ]
        lines.append(f"  proxy rates: {self.rates}")
        for d in self.devices:
            lives = ", ".join(
                f"{life.entries} entries"
                + (f" killed at {life.kill_after_s:.2f}s" if life.kill_after_s is not None else "")
                + (" after REINSTALL" if life.reinstall else "")
                for life in d.lives
            )
            late = f"; late access to {d.late_journal} at {d.late_at_s:.2f}s" if d.late_journal else ""
            late += f"; log-in expires at {d.session_s:.2f}s" if d.session_s is not None else ""
            lines.append(
                f"  {d.label} {d.device_id} skew {d.skew_ms / 3_600_000:+.2f} h; journals "
                f"{', '.join(str(j)[-6:] for j in d.journals)}{late}; lives: {lives}"
            )
        for r in self.restarts:
            lines.append(f"  server {r.process} {r.signal} at {r.at_s:.2f}s, down {r.down_s:.2f}s")
        return "\n".join(lines)


def make_plan(*, seed: int, run: int, devices: int, servers: int, quick: bool) -> RunPlan:
    """The plan of run ``run``. Small on purpose: a few dozen entries, a few seconds of faults."""
    rng = random.Random(f"ppj-sync-chaos:{seed}:{run}")
    shared = _uuid7(rng)
    pair = _uuid7(rng)
    own = [_uuid7(rng) for _ in range(devices)]
    late_device = devices - 1 if devices > 1 and rng.random() < 0.7 else None
    reinstalled = rng.randrange(devices) if rng.random() < 0.35 else None
    entries_per_life = (3, 8) if quick else (4, 14)
    span = 1.2 if quick else 2.5  # seconds within which kills, restarts and late grants fall
    plans: list[DevicePlan] = []
    for k in range(devices):
        journals = [own[k]]
        if k != late_device:
            journals.append(shared)
        if k < 2:
            journals.append(pair)
        skew = rng.choice([0, 0, rng.randint(-_DAY_MS, _DAY_MS), rng.choice([-_DAY_MS, _DAY_MS])])
        n_lives = rng.randint(1, 3)
        lives = []
        for i in range(n_lives):
            killed = i < n_lives - 1 or rng.random() < 0.3
            lives.append(
                Life(
                    entries=rng.randint(*entries_per_life),
                    kill_after_s=rng.uniform(0.05, span) if killed else None,
                    reinstall=k == reinstalled and i == n_lives - 1 and n_lives > 1,
                    seed=rng.getrandbits(32),
                )
            )
        if k == reinstalled and n_lives == 1:
            lives.append(
                Life(
                    entries=rng.randint(*entries_per_life),
                    kill_after_s=None,
                    reinstall=True,
                    seed=rng.getrandbits(32),
                )
            )
        plans.append(
            DevicePlan(
                label=f"tab{k}",
                device_id=_uuid7(rng),
                skew_ms=skew,
                journals=tuple(journals),
                late_journal=shared if k == late_device else None,
                late_at_s=rng.uniform(0.1, span),
                session_s=rng.uniform(0.2, span) if rng.random() < 0.3 else None,
                lives=tuple(lives),
            )
        )
    restarts = tuple(
        ServerRestart(
            at_s=rng.uniform(0.1, span),
            process=rng.randrange(servers),
            signal=rng.choice(["SIGKILL", "SIGTERM"]),
            down_s=rng.uniform(0.05, 0.8),
        )
        for _ in range(rng.choice([0, 1, 1, 2]))
    )
    rates = FaultRates(
        seed=rng.getrandbits(32),
        drop_request=rng.uniform(0.0, 0.1),
        drop_response=rng.uniform(0.0, 0.15),
        duplicate=rng.uniform(0.0, 0.1),
        delay=rng.uniform(0.0, 0.15),
        hold=rng.uniform(0.0, 0.06),
        replay_late=rng.uniform(0.0, 0.1),
    )
    return RunPlan(
        seed=seed,
        run=run,
        journals=(shared, pair, *own),
        devices=tuple(plans),
        restarts=restarts,
        rates=rates,
    )
