"""``ppj bench journal``: how long the fold and the derived scores take over a large journal.

The journal is built once (entries validated at construction, not timed); each run times the steps in
``STEPS`` in order over the same entries. Each step takes the entries and the previous step's result (the
folded state) and returns the state for the next. The scores are timed twice per run: *cold* (every score
memo emptied first: the first fold of a journal on a device) and *warm* (memos filled by the previous run: a
re-fold after one new entry, the common case). Totals add the fold to each.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from typing import Any

import typer

from journal.completeness import completeness
from journal.demo.large import large_journal
from journal.derived import derive
from journal.entry import Entry
from journal.fold import fold
from journal.scores.results import forget_memoised_results
from journal.state import JournalState
from ppj.bench import app, conditions, median, percentile

Step = tuple[str, Callable[[list[Entry], Any], Any]]


def _scores_cold(_entries: list[Entry], state: JournalState) -> JournalState:
    forget_memoised_results()
    derive(state)
    return state


def _scores_warm(_entries: list[Entry], state: JournalState) -> JournalState:
    derive(state)
    return state


def _completeness(_entries: list[Entry], state: JournalState) -> JournalState:
    completeness(state)
    return state


STEPS: list[Step] = [
    ("fold", lambda entries, _prev: fold(entries)),
    ("scores cold", _scores_cold),
    ("scores warm", _scores_warm),
    ("completeness", _completeness),
]
TOTALS: dict[str, tuple[str, ...]] = {
    "fold+scores warm": ("fold", "scores warm"),
    "fold+scores cold": ("fold", "scores cold"),
}
TARGET_MS = {"fold": 20.0, "fold+scores warm": 20.0, "fold+scores cold": 20.0}


def _line(name: str, wall: list[float], cpu: list[float]) -> str:
    target = TARGET_MS.get(name)
    verdict = ""
    if target is not None:
        met = median(wall) <= target
        verdict = f"  target ≤ {target:g} ms: {'met' if met else 'NOT met'} (wall median)"
    return (
        f"{name:>17}: wall median {median(wall):7.2f} ms  p99 {percentile(wall, 99):7.2f} ms  "
        f"min {min(wall):7.2f} ms | cpu median {median(cpu):7.2f} ms  p99 {percentile(cpu, 99):7.2f} ms"
        f"{verdict}"
    )


@app.command("journal")
def bench_journal(
    entries: int = typer.Option(2000, help="Entries in the synthetic journal."),
    runs: int = typer.Option(200, help="Timed runs."),
    warmup: int = typer.Option(10, help="Untimed runs first."),
    gc_freeze: bool = typer.Option(
        False,
        help="Move the built journal out of the garbage collector's scans first (gc.freeze()), as an app "
        "holding its journals would; shows how much of the figure is full collections over the heap.",
    ),
) -> None:
    """Fold and derived-score time (median, p99; wall and CPU) of a synthetic journal of ENTRIES entries,
    with the conditions printed."""
    build_start = time.perf_counter()
    journal = large_journal(entries)
    build_ms = (time.perf_counter() - build_start) * 1000
    if gc_freeze:
        gc.collect()
        gc.freeze()
    collections_before = [g["collections"] for g in gc.get_stats()]
    wall: dict[str, list[float]] = {name: [] for name, _ in STEPS}
    cpu: dict[str, list[float]] = {name: [] for name, _ in STEPS}
    load_before = os.getloadavg()
    for i in range(warmup + runs):
        prev: Any = None
        for name, step in STEPS:
            start, start_cpu = time.perf_counter(), time.process_time()
            prev = step(journal, prev)
            elapsed = (time.perf_counter() - start) * 1000
            if i >= warmup:
                wall[name].append(elapsed)
                cpu[name].append((time.process_time() - start_cpu) * 1000)
    load_after = os.getloadavg()
    collections = [g["collections"] - c for g, c in zip(gc.get_stats(), collections_before, strict=True)]
    for total, parts in TOTALS.items():
        wall[total] = [sum(ws) for ws in zip(*(wall[p] for p in parts), strict=True)]
        cpu[total] = [sum(cs) for cs in zip(*(cpu[p] for p in parts), strict=True)]
    state = fold(journal)
    derived = state.derived
    print(
        f"conditions: {conditions()}; load average (1/5/15 min) before "
        f"{' '.join(f'{x:.2f}' for x in load_before)}, after {' '.join(f'{x:.2f}' for x in load_after)}"
    )
    print(
        f"journal: {len(journal)} entries, {len(state.timeline)} on the timeline, "
        f"{sum(len(v) for v in state.items.values())} items, {len(state.facts)} facts, "
        f"{len(state.conflicts)} conflicts; {len(derived.vital_sets)} vital sets (NEWS2 + TOKS each), "
        f"{len(derived.gcs_trend)} GCS, {len(derived.pass_scores)} PASS; "
        f"built and validated once in {build_ms:.0f} ms (not timed)"
    )
    print(
        f"runs: {runs} timed after {warmup} warm-up; wall clock (perf_counter) and process CPU time "
        "(process_time); the machine is shared, so CPU time is the steadier figure"
    )
    print(
        f"garbage collector: {'journal frozen (gc.freeze)' if gc_freeze else 'default'}; collections "
        f"during the runs by generation {collections[0]}/{collections[1]}/{collections[2]}, "
        f"{gc.get_freeze_count()} objects frozen"
    )
    for name in wall:
        print(_line(name, wall[name], cpu[name]))
