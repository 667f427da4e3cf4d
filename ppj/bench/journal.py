"""``ppj bench journal``: how long the fold takes over a large journal.

The journal is built once (entries validated at construction, not timed); each run times the steps in
``STEPS`` in order over the same entries. Add a step (e.g. scores over the folded state) by appending to
``STEPS``: each step takes the entries and the previous step's result.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import typer

from journal.completeness import completeness
from journal.demo.large import large_journal
from journal.entry import Entry
from journal.fold import fold
from ppj.bench import app, conditions, median, percentile

Step = tuple[str, Callable[[list[Entry], Any], Any]]

STEPS: list[Step] = [
    ("fold", lambda entries, _prev: fold(entries)),
    ("completeness", lambda _entries, state: (state, completeness(state))[0]),
]
TARGET_MS = {"fold": 20.0}


@app.command("journal")
def bench_journal(
    entries: int = typer.Option(2000, help="Entries in the synthetic journal."),
    runs: int = typer.Option(200, help="Timed runs."),
    warmup: int = typer.Option(10, help="Untimed runs first."),
) -> None:
    """Fold time (median, p99) of a synthetic journal of ENTRIES entries, with the conditions printed."""
    build_start = time.perf_counter()
    journal = large_journal(entries)
    build_ms = (time.perf_counter() - build_start) * 1000
    samples: dict[str, list[float]] = {name: [] for name, _ in STEPS}
    cpu: dict[str, list[float]] = {name: [] for name, _ in STEPS}
    for i in range(warmup + runs):
        prev: Any = None
        for name, step in STEPS:
            start, start_cpu = time.perf_counter(), time.thread_time()
            prev = step(journal, prev)
            elapsed = (time.perf_counter() - start) * 1000
            if i >= warmup:
                samples[name].append(elapsed)
                cpu[name].append((time.thread_time() - start_cpu) * 1000)
    state = fold(journal)
    load = os.getloadavg()
    print(f"conditions: {conditions()}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"journal: {len(journal)} entries, {len(state.timeline)} on the timeline, "
        f"{sum(len(v) for v in state.items.values())} items, {len(state.facts)} facts, "
        f"{len(state.conflicts)} conflicts; built and validated once in {build_ms:.0f} ms (not timed)"
    )
    print(f"runs: {runs} timed after {warmup} warm-up; wall clock (perf_counter) and this thread's CPU time")
    for name, values in samples.items():
        target = TARGET_MS.get(name)
        verdict = ""
        if target is not None:
            verdict = f"  target ≤ {target:g} ms: {'met' if median(values) <= target else 'NOT met'} (median)"
        print(
            f"{name:>14}: median {median(values):7.2f} ms  p99 {percentile(values, 99):7.2f} ms  "
            f"min {min(values):7.2f} ms  cpu median {median(cpu[name]):7.2f} ms{verdict}"
        )
