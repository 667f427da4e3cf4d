"""``ppj sync chaos``: runs the chaos harness and prints one line,
``chaos: N runs, L lost, D duplicated, C/N converged``; exit 1 on any loss, duplicate or divergence
(with each failing run's plan and details printed before the line)."""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path

import typer

from ppj.sync_chaos.backend import ReferenceBackend, ServerBackend
from ppj.sync_chaos.forks import Zygote
from ppj.sync_chaos.plan import make_plan
from ppj.sync_chaos.proxy import FaultProxy
from ppj.sync_chaos.runner import RunOutcome, run_once


def chaos(
    runs: int = typer.Option(24, "--runs", min=1, help="How many runs."),
    seed: int = typer.Option(1, "--seed", help="Seed of the whole series (run i uses seed and i)."),
    devices: int = typer.Option(3, "--devices", min=1, max=12, help="Tablets per run."),
    servers: int = typer.Option(2, "--servers", min=1, max=4, help="Server processes over one database."),
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
        help="For --server ppj: 'sqlite', or a PostgreSQL URL (one fresh schema per run).",
    ),
    first_run: int = typer.Option(0, "--first-run", min=0, help="Start at this run index (to replay one)."),
    keep: Path | None = typer.Option(
        None, "--keep", help="Work in this directory and keep it (server database and logs, stores)."
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
    lost = duplicated = converged = failed = 0
    with tempfile.TemporaryDirectory(prefix="ppj-chaos-") as tmp:
        workdir = keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        backend: ServerBackend
        if server == "ppj":
            from ppj.sync_chaos.server_backend import PpjServerBackend

            backend = PpjServerBackend(workdir=workdir, processes=servers, database=database)
        else:
            backend = ReferenceBackend(workdir=workdir, processes=servers)
        backend.start()
        proxy = FaultProxy(upstreams=backend.ports)
        proxy.start()
        zygote = Zygote()
        try:
            for run in range(first_run, first_run + runs):
                plan = make_plan(seed=seed, run=run, devices=devices, servers=servers, quick=quick)
                outcome = run_once(plan=plan, backend=backend, proxy=proxy, zygote=zygote, workdir=workdir)
                lost += len(outcome.result.lost)
                duplicated += len(outcome.result.duplicated)
                converged += outcome.result.converged
                if not outcome.ok:
                    failed += 1
                    _print_failure(outcome)
                done = run - first_run + 1
                if progress_every and done % progress_every == 0:
                    typer.echo(
                        f"progress: {done} runs, {lost} lost, {duplicated} duplicated,"
                        f" {converged}/{done} converged, {time.monotonic() - began:.0f} s",
                        err=True,
                    )
        finally:
            zygote.close()
            proxy.stop()
            backend.stop()
    faults = dict(sorted(proxy.counts.items()))
    typer.echo(f"faults injected by the proxy: {faults}; {time.monotonic() - began:.0f} s")
    typer.echo(f"chaos: {runs} runs, {lost} lost, {duplicated} duplicated, {converged}/{runs} converged")
    if failed:
        raise typer.Exit(1)


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _print_failure(outcome: RunOutcome) -> None:
    typer.echo(f"FAILED after {outcome.seconds:.1f} s:\n{outcome.plan.describe()}", err=True)
    details = outcome.result.details()
    if details:
        typer.echo(details, err=True)
    for problem in outcome.problems:
        typer.echo(f"  PROBLEM {problem}", err=True)
