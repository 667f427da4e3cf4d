"""``ppj bench …``: benchmarks that print their figures together with the conditions they ran under.

Each benchmark lives in its own module here and registers itself on ``app``; ``register_all()`` imports
them when ``ppj bench`` runs.
Benchmarks measure; they never assert. Tests never time anything.
"""

from __future__ import annotations

import os
import platform
import statistics

import typer

app = typer.Typer(
    help="Benchmarks; each prints figures with the conditions they were measured under.",
    no_args_is_help=True,
)


def conditions() -> str:
    """One line describing the machine, so every printed figure carries its conditions."""
    return (
        f"python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cpu(s)"
    )


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty list."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def register_all() -> None:
    """Import every benchmark module in this package so each registers its command on ``app``."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
