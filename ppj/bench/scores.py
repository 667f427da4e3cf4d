"""``ppj bench scores``: what deriving the clinical scores costs per vital set.

The fold re-derives every score of a journal on each change and has 20 ms for a 2,000-entry journal, so
this measures NEWS2 alone and all four scores (NEWS2, GCS, TOKS, PASS) over a journal-sized batch of
distinct vital sets, cold and warm, and prints the median and 95th percentile per batch and per set.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import typer

from journal.scores import (
    CURRENT_TABLE_VERSIONS,
    Acvpu,
    InspiredOxygen,
    Spo2Scale,
    score_gcs,
    score_news2,
    score_pass,
    score_toks,
)
from journal.scores.results import forget_memoised_results
from ppj.bench import app, conditions, median, percentile

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Vitals:
    respiration_rate: int | None
    spo2: int | None
    inspired_oxygen: InspiredOxygen | None
    systolic_bp: int | None
    pulse: int | None
    consciousness: Acvpu | None
    temperature_c: float | None
    spo2_scale: Spo2Scale
    eye: int
    verbal: int
    motor: int


def _vital_sets(count: int, seed: int) -> list[_Vitals]:
    """Plausible ambulance vitals; each value is missing in 2 % of sets, as in real journals."""
    rng = random.Random(seed)

    def maybe(value: T) -> T | None:
        return None if rng.random() < 0.02 else value

    return [
        _Vitals(
            respiration_rate=maybe(rng.randint(6, 40)),
            spo2=maybe(rng.randint(75, 100)),
            inspired_oxygen=maybe(rng.choice(list(InspiredOxygen))),
            systolic_bp=maybe(rng.randint(60, 230)),
            pulse=maybe(rng.randint(30, 180)),
            consciousness=maybe(rng.choice(list(Acvpu))),
            temperature_c=maybe(round(rng.uniform(33.0, 41.0), 1)),
            spo2_scale=Spo2Scale.SCALE_2 if rng.random() < 0.1 else Spo2Scale.SCALE_1,
            eye=rng.randint(1, 4),
            verbal=rng.randint(1, 5),
            motor=rng.randint(1, 6),
        )
        for _ in range(count)
    ]


def _news2_only(vitals: _Vitals) -> None:
    score_news2(
        table_version=CURRENT_TABLE_VERSIONS["news2"],
        respiration_rate=vitals.respiration_rate,
        spo2=vitals.spo2,
        inspired_oxygen=vitals.inspired_oxygen,
        systolic_bp=vitals.systolic_bp,
        pulse=vitals.pulse,
        consciousness=vitals.consciousness,
        temperature_c=vitals.temperature_c,
        age_years=70,
        pregnant=False,
        spo2_scale=vitals.spo2_scale,
    )


def _all_four(vitals: _Vitals) -> None:
    _news2_only(vitals)
    gcs = score_gcs(
        table_version=CURRENT_TABLE_VERSIONS["gcs"], eye=vitals.eye, verbal=vitals.verbal, motor=vitals.motor
    )
    score_toks(
        table_version=CURRENT_TABLE_VERSIONS["toks"],
        respiration_rate=vitals.respiration_rate,
        spo2=vitals.spo2,
        systolic_bp=vitals.systolic_bp,
        pulse=vitals.pulse,
        gcs_total=gcs.total,
        temperature_c=vitals.temperature_c,
    )
    score_pass(
        table_version=CURRENT_TABLE_VERSIONS["pass"],
        loc_questions_abnormal=vitals.verbal < 5,
        gaze_abnormal=False,
        arm_weakness=vitals.motor < 6,
    )


def _time_batch(work: Callable[[_Vitals], None], sets: list[_Vitals]) -> float:
    started = time.perf_counter()
    for vitals in sets:
        work(vitals)
    return time.perf_counter() - started


@app.command("scores")
def scores(
    sets: int = typer.Option(2000, min=1, help="Vital sets per batch (a large journal)."),
    runs: int = typer.Option(20, min=1, help="Batches to time."),
    seed: int = typer.Option(1, help="Seed for the generated vital sets."),
) -> None:
    """Time NEWS2 alone and all four scores over a batch of generated vital sets, cold (first fold of a
    journal: every result computed) and warm (a re-fold: results remembered by their inputs)."""
    vital_sets = _vital_sets(sets, seed)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"conditions: {conditions()}; load average {load}; "
        f"{sets} distinct vital sets per batch, {runs} batches, seed {seed}"
    )
    for label, work in (("NEWS2", _news2_only), ("NEWS2+GCS+TOKS+PASS", _all_four)):
        for state in ("cold", "warm"):
            timings = []
            for _ in range(runs):
                if state == "cold":
                    forget_memoised_results()
                else:
                    _time_batch(work, vital_sets)  # the previous fold
                timings.append(_time_batch(work, vital_sets))
            batch_median, batch_p95 = median(timings), percentile(timings, 95)
            print(
                f"{label} {state}: per batch median {batch_median * 1e3:.2f} ms, "
                f"p95 {batch_p95 * 1e3:.2f} ms; per set median {batch_median / sets * 1e6:.1f} µs"
            )
