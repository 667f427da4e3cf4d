"""``ppj sync chaos``: runs the chaos harness and prints one line,
``chaos: N runs, L lost, D duplicated, C/N converged``; exit 1 on any loss, duplicate or divergence
(with each failing run's plan and details printed before the line)."""

from __future__ import annotations

import os
import resource
import signal
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import typer

from ppj.sync_chaos.backend import ReferenceBackend, ServerBackend, ServerFleet
from ppj.sync_chaos.forks import Zygote
from ppj.sync_chaos.plan import make_plan
from ppj.sync_chaos.proxy import FaultProxy
from ppj.sync_chaos.runner import RunOutcome, run_once


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
        "sqlite",
        "--database",
        help="For --server ppj: 'sqlite', or a PostgreSQL URL (one fresh schema per series).",
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
    tally = Tally()
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
        started_at = time.monotonic()
        indices = iter(range(first_run, first_run + runs))
        lock = threading.Lock()
        proxies: list[FaultProxy] = []
        zygote: Zygote | None = None
        fleet: ServerFleet | None = None
        errors: list[BaseException] = []

        def slot(number: int) -> None:
            assert fleet is not None
            processes = fleet.processes(count=servers, name=f"slot{number}")
            proxy = FaultProxy(upstreams=processes.ports)
            proxy.start()
            with lock:
                proxies.append(proxy)
            assert zygote is not None
            try:
                while not errors:
                    with lock:
                        run = next(indices, None)
                    if run is None:
                        return
                    plan = make_plan(seed=seed, run=run, devices=devices, servers=servers, quick=quick)
                    outcome = run_once(
                        plan=plan,
                        backend=backend,
                        servers=processes,
                        proxy=proxy,
                        zygote=zygote,
                        workdir=workdir,
                    )
                    with lock:
                        tally.add(outcome)
                        if not outcome.ok:
                            _print_failure(outcome)
                        if progress_every and tally.runs % progress_every == 0:
                            seconds = time.monotonic() - began
                            typer.echo(f"progress: {tally.line()}, {seconds:.0f} s", err=True)
            except BaseException as exc:
                errors.append(exc)
                raise
            finally:
                proxy.stop()

        try:
            fleet = backend.start()
            zygote = Zygote()
            started_at = time.monotonic()
            threads = [
                threading.Thread(target=slot, args=(n,), name=f"chaos-slot{n}", daemon=True)
                for n in range(slots)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            if zygote is not None:
                zygote.close()
            if fleet is not None:
                fleet.stop()
            backend.stop()
        if errors:
            raise errors[0]
    faults: Counter[str] = Counter()
    for proxy in proxies:
        faults.update(proxy.counts)
    elapsed = time.monotonic() - began
    runs_s = time.monotonic() - started_at
    typer.echo(f"faults injected by the proxies: {dict(sorted(faults.items()))}")
    typer.echo(
        f"time: {elapsed:.0f} s in all, {runs_s:.0f} s for the runs ({runs_s / runs:.2f} s per run,"
        f" {slots} at a time); CPU {_cpu_seconds() - cpu_began:.0f} s (harness, tablets and servers"
        f" that ended); load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    typer.echo(f"chaos: {tally.line()}")
    if tally.failed:
        raise typer.Exit(1)


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
