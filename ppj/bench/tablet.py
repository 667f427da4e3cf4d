"""``ppj bench tablet``: cold start of the tablet app to its first frame, under Xvfb.

Measured from just before the app's process is spawned until the app prints its first-frame marker
(after Kivy's first buffer swap), i.e. interpreter start, imports, kv parsing, window creation and the
first render of the log-in screen. One Xvfb server is started first and shared by all runs, so its own
start-up is not counted. Each run has a fresh app data directory (a first start on a new tablet).
Rendering is software OpenGL (Mesa llvmpipe) under Xvfb: a real tablet's GPU is not slower.
Target: ≤ 3 s.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from ppj.bench import app, conditions, median, percentile

TARGET_S = 3.0


@app.command("tablet")
def bench_tablet(
    runs: int = typer.Option(5, min=1, max=50, help="Number of cold starts."),
    size: str = typer.Option("1280x800", help="Window size."),
) -> None:
    """Cold start of the tablet app to its first frame (Xvfb, software GL)."""
    from tablet_app.testing.harness import RunningTablet, VirtualScreen

    samples: list[float] = []
    screen = VirtualScreen()
    try:
        for _ in range(runs):
            with tempfile.TemporaryDirectory(prefix="ppj-bench-tablet-") as home:
                tablet = RunningTablet(screen=screen, home=Path(home), args=["--demo", "--size", size])
                samples.append(tablet.first_frame_after_s)
                tablet.close()
    finally:
        screen.close()
    print(
        f"tablet cold start to first frame ({runs} runs, window {size}, Xvfb {screen.display}, software GL):"
    )
    print(
        f"  median {median(samples):.2f} s, p90 {percentile(samples, 90):.2f} s, "
        f"min {min(samples):.2f} s, max {max(samples):.2f} s (target <= {TARGET_S:.0f} s)"
    )
    print(f"  conditions: {conditions()}; fresh app data per run; one shared Xvfb (its start not counted)")
