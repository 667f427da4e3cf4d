"""The harness end to end: against a server broken on purpose it reports the loss or the duplicate, and
its quick mode (what CI runs) finds the reference semantics lose nothing, duplicate nothing and converge."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ppj.cli import app
from ppj.sync_chaos.backend import ReferenceBackend, ServerProcesses
from ppj.sync_chaos.forks import Zygote
from ppj.sync_chaos.plan import make_plan
from ppj.sync_chaos.proxy import FaultProxy
from ppj.sync_chaos.runner import RunOutcome, run_once

QUICK_RUNS = 48
QUICK_RUNS_POSTGRESQL = 12


@contextmanager
def harness(
    workdir: Path, **server_args: str
) -> Iterator[tuple[ReferenceBackend, ServerProcesses, FaultProxy, Zygote]]:
    backend = ReferenceBackend(workdir=workdir, server_args=server_args)
    fleet = backend.start()
    zygote = Zygote()
    try:
        servers = fleet.processes(count=2, name="test")
        proxy = FaultProxy(upstreams=servers.ports)
        proxy.start()
        try:
            yield backend, servers, proxy, zygote
        finally:
            proxy.stop()
    finally:
        zygote.close()
        fleet.stop()
        backend.stop()


def one_run(workdir: Path, **server_args: str) -> RunOutcome:
    with harness(workdir, **server_args) as (backend, servers, proxy, zygote):
        plan = make_plan(seed=7, run=0, devices=2, servers=2, quick=True)
        return run_once(
            plan=plan, backend=backend, servers=servers, proxy=proxy, zygote=zygote, workdir=workdir
        )


@pytest.mark.slow
def test_a_server_that_forgets_accepted_entries_is_caught_losing_them(tmp_path: Path) -> None:
    outcome = one_run(tmp_path, bug="forget")
    assert outcome.result.lost
    assert not outcome.ok


@pytest.mark.slow
def test_a_server_that_lists_an_entry_twice_is_caught_duplicating_it(tmp_path: Path) -> None:
    outcome = one_run(tmp_path, bug="double-log")
    assert outcome.result.duplicated
    assert not outcome.ok


def quick_mode(*options: str, runs: int) -> None:
    result = CliRunner().invoke(
        app, ["sync", "chaos", "--runs", str(runs), "--quick", "--seed", "1", "--parallel", "3", *options]
    )
    assert result.exit_code == 0, result.output
    line = f"chaos: {runs} runs, 0 lost, 0 duplicated, {runs}/{runs} converged"
    assert re.search(rf"^{line}$", result.output, re.M), result.output


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_quick_chaos_mode_against_the_real_server_loses_nothing_and_converges() -> None:
    """CI's quick mode: ``ppj serve`` (two processes per slot, three slots, over one SQLite file) under
    every fault."""
    quick_mode("--database", "sqlite", runs=QUICK_RUNS)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(900)
def test_quick_chaos_mode_on_postgresql_loses_nothing_and_converges(postgres_url: str) -> None:
    """The same on PostgreSQL (one fresh schema for the series, dropped at its end)."""
    quick_mode("--database", postgres_url, runs=QUICK_RUNS_POSTGRESQL)


def test_a_tablet_killed_before_it_ran_still_leaves_an_output_file_for_the_harness(tmp_path: Path) -> None:
    # A SIGKILL can land before the forked child opened its output; the zygote creates the file first, so
    # the harness reads an empty output instead of dying in the device's thread (seen in a long series).
    zygote = Zygote()
    try:
        output = tmp_path / "killed.out"
        pid = zygote.spawn('{"never": "parsed"}', output)
        assert output.exists()
        assert zygote.kill(pid) in (-9, 1)
        assert output.exists()
    finally:
        zygote.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_an_interrupted_series_does_not_judge_the_runs_it_cut_short(tmp_path: Path) -> None:
    """SIGTERM stops the servers under the runs still going; what those runs saw is not a loss."""
    command = [sys.executable, "-m", "ppj", "sync", "chaos", "--runs", "60", "--database", "sqlite"]
    command += ["--progress-every", "1"]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
    ) as series:
        assert series.stderr is not None
        seen: list[str] = []
        for line in series.stderr:  # until the first run is judged: the others are under way
            seen.append(line)
            if line.startswith("progress:"):
                break
        series.send_signal(signal.SIGTERM)
        stderr = "".join(seen) + series.stderr.read()
        series.wait(timeout=120)
    assert series.returncode == 128 + signal.SIGTERM, stderr
    # Whether a cut-short run still reports in ("interrupted: run N not judged") before the process ends
    # is a race; that none is judged a loss is not.
    assert "LOST" not in stderr and "PROBLEM" not in stderr and "DIVERGED" not in stderr, stderr
    assert _processes_with_env(f"TMPDIR={tmp_path}") == [], "the series left processes behind"


def _processes_with_env(setting: str) -> list[int]:
    """Live processes whose environment holds ``setting`` (the series' own TMPDIR marks everything it
    started), after a moment for the ones being stopped to end."""
    time.sleep(2)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue  # ended meanwhile, or not ours to read
        if setting.encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found
