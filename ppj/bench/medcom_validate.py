"""``ppj bench medcom-validate``: warm validation throughput over the official MedCom examples."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import time
from pathlib import Path

import typer

from medcom.fhir_input import read_instance
from medcom.fhir_packages import PackageRegistry, shared_reference_dir
from medcom.fhir_validator import Validator
from ppj.bench import app, conditions, median, percentile


def official_examples() -> list[Path]:
    directory = shared_reference_dir() / "reference" / "medcom" / "examples"
    return sorted(p for p in directory.glob("Bundle-*.json"))


def _load() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


@app.command("medcom-validate")
def medcom_validate(
    rounds: int = typer.Option(5, help="Warm passes over all examples."),
    profile: bool = typer.Option(False, "--profile", help="Also print the top cProfile entries."),
) -> None:
    """Messages validated per second (warm) over the official MedCom example Bundles."""
    files = official_examples()
    messages = [read_instance(p) for p in files]
    started = time.perf_counter()
    validator = Validator(PackageRegistry.from_default_dirs())
    load = time.perf_counter() - started
    started = time.perf_counter()
    for message in messages:
        validator.validate(message)
    cold = time.perf_counter() - started
    samples: list[float] = []
    cpu_started = time.process_time()
    for _ in range(rounds):
        for message in messages:
            t0 = time.perf_counter()
            validator.validate(message)
            samples.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu_started
    total = sum(samples)
    print(f"conditions: {conditions()}")
    print(f"messages: {len(messages)} official example Bundles, {rounds} warm rounds")
    print(f"package load: {load * 1000:.0f} ms; first (cold) pass: {cold * 1000:.0f} ms")
    print(
        f"warm: {len(samples) / total:.1f} messages/s; per message median {median(samples) * 1000:.1f} ms, "
        f"p95 {percentile(samples, 95) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms"
    )
    # On a shared machine wall time includes waiting for a core; CPU time is the validator's own cost.
    print(f"warm, by CPU time of this process: {len(samples) / cpu:.1f} messages/s; load average {_load()}")
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for message in messages:
            validator.validate(message)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
