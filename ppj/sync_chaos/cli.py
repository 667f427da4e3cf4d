"""``ppj sync chaos``: runs the chaos harness and prints one line,
``chaos: N runs, L lost, D duplicated, C/N converged``; exit 1 on any loss, duplicate or divergence
(with each failing run's plan and details printed before the line)."""

from __future__ import annotations

import functools
import os
import resource
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import typer
from sqlalchemy.exc import OperationalError

from ppj.sync_chaos.backend import ReferenceBackend, ServerBackend, ServerFleet
from ppj.sync_chaos.forks import Zygote
from ppj.sync_chaos.plan import RunPlan, make_plan
from ppj.sync_chaos.proxy import FaultProxy
from ppj.sync_chaos.runner import RunOutcome, run_once

# The production database is the default, as in ppj bench sync; SQLite with --database sqlite.
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"


def chaos(
    runs: int = typer.Option(24, "--runs", min=1, help="How many runs."),
    seed: int = typer.Option(1, "--seed", help="Seed of the whole series (run i uses seed and i)."),
    devices: int = typer.Option(3, "--devices", min=1, max=12, help="Tablets per run."),
    servers: int = typer.Option(2, "--servers", min=1, max=4, help="Server processes per run slot."),
    parallel: int = typer.Option(
        3,
        "--parallel",
        min=1,
        max=16,
        help="Runs at the same time (each with its own proxy and server processes, one database).",
    ),
    quick: bool = typer.Option(False, "--quick", help="Smaller runs (CI)."),
    server: str = typer.Option(
        "ppj",
        "--server",
        help="'ppj': the real server (ppj serve); 'reference': the protocol's reference semantics"
        " (tests/sync/fake_server.py, needs the source tree).",
    ),
    database: str = typer.Option(
        os.environ.get("PPJ_CHAOS_DATABASE_URL", DEFAULT_DATABASE),
        "--database",
        help="For --server ppj: a PostgreSQL URL (one fresh schema per series; default the local"
        " development server, or $PPJ_CHAOS_DATABASE_URL), or 'sqlite' (one file per series).",
    ),
    first_run: int = typer.Option(0, "--first-run", min=0, help="Start at this run index (to replay one)."),
    keep: Path | None = typer.Option(
        None,
        "--keep",
        help="Work in this directory and keep it (server database or PostgreSQL schema, logs, stores).",
    ),
    progress_every: int = typer.Option(
        0, "--progress-every", min=0, help="Print a tally every N runs (0: never)."
    ),
) -> None:
    """Kill tablets and servers, break the network, skew clocks; then check nothing was lost or duplicated
    and every device converged with the server."""
    if server not in {"ppj", "reference"}:
        raise typer.BadParameter("choose 'ppj' or 'reference'", param_hint="--server")
    # SIGTERM ends the series like Ctrl-C: the finally blocks below stop the servers and tablets started.
    signal.signal(signal.SIGTERM, _terminate)
    began = time.monotonic()
    cpu_began = _cpu_seconds()
    slots = min(parallel, runs)
    with tempfile.TemporaryDirectory(prefix="ppj-chaos-") as tmp:
        workdir = keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        backend: ServerBackend
        if server == "ppj":
            from ppj.sync_chaos.server_backend import PpjServerBackend

            backend = PpjServerBackend(workdir=workdir, database=database, keep=keep is not None)
        else:
            backend = ReferenceBackend(workdir=workdir)
        fleet: ServerFleet | None = None
        zygote: Zygote | None = None
        series: _Series | None = None
        try:
            try:
                fleet = backend.start()
            except OperationalError as error:
                raise typer.BadParameter(
                    f"cannot reach the database ({error.orig or error}); start PostgreSQL, name another with"
                    " --database, or run on SQLite with --database sqlite",
                    param_hint="--database",
                ) from None
            zygote = Zygote()
            series = _Series(
                backend=backend,
                fleet=fleet,
                zygote=zygote,
                workdir=workdir,
                plan=functools.partial(make_plan, seed=seed, devices=devices, servers=servers, quick=quick),
                servers=servers,
                indices=iter(range(first_run, first_run + runs)),
                progress_every=progress_every,
                began=began,
            )
            threads = [
                threading.Thread(target=series.slot, args=(n,), name=f"chaos-slot{n}", daemon=True)
                for n in range(slots)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            if series is not None:
                # Runs still going (the series was interrupted) are cut short by the servers stopping
                # under them: their outcomes say nothing about sync and are not judged.
                series.stopping.set()
            if zygote is not None:
                zygote.close()
            if fleet is not None:
                fleet.stop()
            backend.stop()
        if series.errors:
            raise series.errors[0]
    elapsed = time.monotonic() - began
    runs_s = time.monotonic() - series.started
    typer.echo(f"faults injected by the proxies: {dict(sorted(series.faults.items()))}")
    typer.echo(
        f"time: {elapsed:.0f} s in all, {runs_s:.0f} s for the runs ({runs_s / runs:.2f} s per run,"
        f" {slots} at a time); CPU {_cpu_seconds() - cpu_began:.0f} s (harness, tablets and servers"
        f" that ended); load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    typer.echo(f"chaos: {series.tally.line()}")
    if series.tally.failed:
        raise typer.Exit(1)


@dataclass
class _Series:
    """What the slots of one series share; each slot takes the next run index until none is left (or a
    slot failed), with its own server processes and fault proxy. Counts change under ``lock``."""

    backend: ServerBackend
    fleet: ServerFleet
    zygote: Zygote
    workdir: Path
    plan: Callable[..., RunPlan]  # the plan of run index ``run=``
    servers: int
    indices: Iterator[int]
    progress_every: int
    began: float
    started: float = field(default_factory=time.monotonic)
    tally: Tally = field(default_factory=lambda: Tally())
    faults: Counter[str] = field(default_factory=Counter)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def slot(self, number: int) -> None:
        try:
            processes = self.fleet.processes(count=self.servers, name=f"slot{number}")
            proxy = FaultProxy(upstreams=processes.ports)
            proxy.start()
            try:
                while (run := self._next()) is not None:
                    outcome = run_once(
                        plan=self.plan(run=run),
                        backend=self.backend,
                        servers=processes,
                        proxy=proxy,
                        zygote=self.zygote,
                        workdir=self.workdir,
                    )
                    self._record(outcome)
            finally:
                proxy.stop()
                with self.lock:
                    self.faults.update(proxy.counts)
        except BaseException as exc:
            self.errors.append(exc)  # the other slots stop after their run; the series re-raises it
            raise

    def _next(self) -> int | None:
        with self.lock:
            return None if self.errors or self.stopping.is_set() else next(self.indices, None)

    def _record(self, outcome: RunOutcome) -> None:
        with self.lock:
            if self.stopping.is_set():
                typer.echo(f"interrupted: run {outcome.plan.run} not judged", err=True)
                return
            self.tally.add(outcome)
            if not outcome.ok:
                _print_failure(outcome)
            if self.progress_every and self.tally.runs % self.progress_every == 0:
                seconds = time.monotonic() - self.began
                typer.echo(f"progress: {self.tally.line()}, {seconds:.0f} s", err=True)


@dataclass
class Tally:
    """The series' counts: the summary line is ``chaos: N runs, L lost, D duplicated, C/N converged``."""

    runs: int = 0
    lost: int = 0
    duplicated: int = 0
    converged: int = 0
    failed: int = 0

    def add(self, outcome: RunOutcome) -> None:
        self.runs += 1
        self.lost += len(outcome.result.lost)
        self.duplicated += len(outcome.result.duplicated)
        self.converged += outcome.result.converged
        self.failed += not outcome.ok

    def line(self) -> str:
        return (
            f"{self.runs} runs, {self.lost} lost, {self.duplicated} duplicated,"
            f" {self.converged}/{self.runs} converged"
        )


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _print_failure(outcome: RunOutcome) -> None:
    typer.echo(f"FAILED after {outcome.seconds:.1f} s:\n{outcome.plan.describe()}", err=True)
    details = outcome.result.details()
    if details:
        typer.echo(details, err=True)
    for problem in outcome.problems:
        typer.echo(f"  PROBLEM {problem}", err=True)
