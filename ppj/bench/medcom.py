"""``ppj bench medcom``: build time of a handover for a 300-entry journal, and its validation time.

Targets (issue 8): build ≤ 50 ms, validation ≤ 1 s. The journal is ``journal.demo.large.large_journal``
(many vitals, GCS, medications, corrections, conflicts) ended with a transported disposition, folded once;
the build is timed from the folded state (ids from a deterministic clock), the validation with a warm
Validator over the official packages plus PPJ's own package built into a temp dir.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import typer

from journal.demo.large import large_journal
from journal.demo.scenarios import ANNE
from journal.entry import Entry
from journal.fold import fold
from journal.hlc import HybridClock
from journal.ids import uuid7_from
from journal.kinds.disposition import Destination, Disposition
from journal.writer import JournalWriter
from medcom.fhir_packages import PackageRegistry, default_package_dirs
from medcom.fhir_validator import Validator
from medcom.handover_message import build_handover
from medcom.journal_messages import DEMO_ORGANISATIONS
from medcom.message_parts import deterministic_clock
from medcom.ppj_package import build_package
from ppj.bench import app, conditions, median, percentile


def transported_journal(size: int) -> list[Entry]:
    """``size`` entries of the large synthetic journal, the last two a destination and a transported
    disposition (a handover is only built for a transported patient)."""
    entries = large_journal(size - 2)
    last = max(entries, key=lambda e: e.hlc)
    at = max(e.clinical_time.at for e in entries) + timedelta(minutes=5)
    ms = int(at.timestamp() * 1000)
    ids = iter(range(1, 100))
    writer = JournalWriter(
        journal_id=last.journal_id,
        author=ANNE,
        device_id="tab-bench",
        unit="A-1",
        clock=HybridClock("tab-bench", physical_ms=lambda: ms),
        new_id=lambda: uuid7_from(unix_ms=ms, rand_a=next(ids), rand_b=7),
    )
    writer.saw(entries)
    return [
        *entries,
        writer.write(Destination(hospital="Aalborg UH", department="Akutmodtagelsen"), at=at),
        writer.write(Disposition(outcome="transported"), at=at),
    ]


@app.command("medcom")
def medcom(
    size: int = typer.Option(300, help="Entries in the journal."),
    rounds: int = typer.Option(50, help="Timed builds (validation: a fifth of them, at least 3)."),
) -> None:
    """Median and p99 build time of the handover message, and its validation time."""
    state = fold(transported_journal(size))
    sender, receiver = DEMO_ORGANISATIONS["sender"], DEMO_ORGANISATIONS["hospital"]
    clock = deterministic_clock("bench", state.entries[next(iter(state.entries))].clinical_time.at)
    build_handover(state=state, sender=sender, receiver=receiver, clock=clock)  # warm imports and caches
    builds: list[float] = []
    build_cpu: list[float] = []
    serialisations: list[float] = []
    for _ in range(rounds):
        c0, t0 = time.process_time(), time.perf_counter()
        built = build_handover(state=state, sender=sender, receiver=receiver, clock=clock)
        builds.append(time.perf_counter() - t0)
        build_cpu.append(time.process_time() - c0)
    for _ in range(rounds):
        t0 = time.perf_counter()
        built.to_json()
        serialisations.append(time.perf_counter() - t0)
    with tempfile.TemporaryDirectory() as own:
        started = time.perf_counter()
        registry = PackageRegistry(default_package_dirs())
        build_package(Path(own), registry=registry)
        validator = Validator(PackageRegistry([*default_package_dirs(), Path(own)]))
        setup = time.perf_counter() - started
        t0 = time.perf_counter()
        result = validator.validate(built.bundle)
        cold = time.perf_counter() - t0
        validations: list[float] = []
        validation_cpu: list[float] = []
        for _ in range(max(3, rounds // 5)):
            c0, t0 = time.process_time(), time.perf_counter()
            validator.validate(built.bundle)
            validations.append(time.perf_counter() - t0)
            validation_cpu.append(time.process_time() - c0)
    resources = len(built.bundle["entry"])
    print(f"conditions: {conditions()}; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(
        f"journal: {len(state.entries)} entries (synthetic, large_journal + transported disposition); "
        f"message: {resources} resources, {len(built.to_json())} bytes"
    )
    print(
        f"build: median {median(builds) * 1000:.1f} ms, p99 {percentile(builds, 99) * 1000:.1f} ms "
        f"over {len(builds)} builds; CPU median {median(build_cpu) * 1000:.1f} ms, "
        f"p99 {percentile(build_cpu, 99) * 1000:.1f} ms (target ≤ 50 ms); "
        f"serialising to JSON (with the size check): median {median(serialisations) * 1000:.1f} ms"
    )
    print(
        f"validation: first {cold * 1000:.0f} ms, then median {median(validations) * 1000:.0f} ms, "
        f"p99 {percentile(validations, 99) * 1000:.0f} ms over {len(validations)}; CPU median "
        f"{median(validation_cpu) * 1000:.0f} ms, p99 {percentile(validation_cpu, 99) * 1000:.0f} ms "
        "(target ≤ 1 s); "
        f"errors: {len(result.errors)}; package build and load {setup * 1000:.0f} ms"
    )
