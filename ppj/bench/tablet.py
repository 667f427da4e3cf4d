"""``ppj bench tablet``: cold start of the tablet app to its first frame, under Xvfb.

Measured from just before the app's process is spawned until the app prints its first-frame marker
(after Kivy's first buffer swap): interpreter start, imports, kv parsing, window creation and the first
render of the log-in screen. One Xvfb server is started first and shared by all runs, so its own
start-up is not counted. Each run has a fresh app data directory (a first start on a new tablet).

Bytecode: an installed app has its ``.pyc`` files (installers compile them). By default the bench
gives the app a private bytecode cache (``PYTHONPYCACHEPREFIX``) warmed by one untimed start, even where
the environment sets ``PYTHONDONTWRITEBYTECODE``; ``--no-bytecode`` measures compiling from source.
Rendering is software OpenGL (Mesa llvmpipe) under Xvfb. Target: ≤ 3 s.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import typer

from ppj.bench import app, conditions, median, percentile

TARGET_S = 3.0


@app.command("tablet")
def bench_tablet(
    runs: int = typer.Option(5, min=1, max=50, help="Number of timed cold starts."),
    size: str = typer.Option("1280x800", help="Window size."),
    bytecode: bool = typer.Option(True, "--bytecode/--no-bytecode", help="Use a warmed bytecode cache."),
) -> None:
    """Cold start of the tablet app to its first frame (Xvfb, software GL)."""
    from tablet_app.testing.harness import RunningTablet, VirtualScreen

    samples: list[float] = []
    with tempfile.TemporaryDirectory(prefix="ppj-bench-pycache-") as pycache:
        extra_env: dict[str, str | None] = (
            {"PYTHONPYCACHEPREFIX": pycache, "PYTHONDONTWRITEBYTECODE": None}
            if bytecode
            else {"PYTHONPYCACHEPREFIX": pycache, "PYTHONDONTWRITEBYTECODE": "1"}
        )
        screen = VirtualScreen()
        try:
            for attempt in range(runs + (1 if bytecode else 0)):
                with tempfile.TemporaryDirectory(prefix="ppj-bench-tablet-") as home:
                    tablet = RunningTablet(
                        screen=screen, home=Path(home), args=["--demo", "--size", size], extra_env=extra_env
                    )
                    tablet.close()
                if bytecode and attempt == 0:
                    continue  # the warm-up start that fills the bytecode cache is not timed
                samples.append(tablet.first_frame_after_s)
        finally:
            screen.close()
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"tablet cold start to first frame: {runs} runs, window {size}, Xvfb, software GL (Mesa)")
    print(
        f"  median {median(samples):.2f} s, p90 {percentile(samples, 90):.2f} s, "
        f"min {min(samples):.2f} s, max {max(samples):.2f} s (target <= {TARGET_S:.0f} s)"
    )
    print(
        f"  conditions: {conditions()}; load average {load}; "
        f"bytecode {'cached (installed app)' if bytecode else 'compiled from source each start'}; "
        "fresh app data per run; one shared Xvfb (its start not counted)"
    )
