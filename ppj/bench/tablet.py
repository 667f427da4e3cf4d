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
import resource
import tempfile
from pathlib import Path

import typer

from ppj.bench import app, conditions, median, percentile

TARGET_S = 3.0


def _children_cpu_s() -> float:
    """User + system CPU seconds of this process's exited, waited-for children (the app runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@app.command("tablet")
def bench_tablet(
    runs: int = typer.Option(5, min=1, max=50, help="Number of timed cold starts."),
    size: str = typer.Option("1280x800", help="Window size."),
    bytecode: bool = typer.Option(True, "--bytecode/--no-bytecode", help="Use a warmed bytecode cache."),
    saves: int = typer.Option(300, min=10, help="Vital sets saved for the tap-save-to-stored latency."),
    journal_entries: int = typer.Option(500, min=10, help="Entries in the journal whose opening is timed."),
    render_runs: int = typer.Option(20, min=1, help="Timed openings of that journal."),
    store_dir: str | None = typer.Option(
        None, help="Directory for the scratch stores (default: system temp)."
    ),
) -> None:
    """Cold start to first frame (Xvfb, software GL); vital-set save latency; opening a 500-entry journal."""
    from tablet_app.testing.harness import RunningTablet, VirtualScreen

    samples: list[float] = []
    cpu_samples: list[float] = []
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
                    before = _children_cpu_s()
                    tablet = RunningTablet(
                        screen=screen, home=Path(home), args=["--demo", "--size", size], extra_env=extra_env
                    )
                    tablet.close()
                    cpu = _children_cpu_s() - before  # the app has exited and been waited for
                if bytecode and attempt == 0:
                    continue  # the warm-up start that fills the bytecode cache is not timed
                samples.append(tablet.first_frame_after_s)
                cpu_samples.append(cpu)
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
    print(
        f"  CPU time of the app process, start to quit just after the first frame: "
        f"median {median(cpu_samples):.2f} s, max {max(cpu_samples):.2f} s"
    )
    from ppj.bench import tablet_journal

    save, render, render_cpu, refresh = tablet_journal.run(
        saves=saves, entries=journal_entries, runs=render_runs, directory=store_dir
    )
    print(f"tap-save-to-stored, one vital set (5 readings): {len(save)} saves into the encrypted store")
    print(
        f"  p50 {percentile(save, 50):.1f} ms, p99 {percentile(save, 99):.1f} ms, max {max(save):.1f} ms "
        f"(target p99 <= {tablet_journal.SAVE_TARGET_MS:.0f} ms)"
    )
    print(
        f"open a journal of {journal_entries} entries (read, unseal, parse, fold, screen texts): "
        f"{len(render)} runs"
    )
    print(
        f"  median {median(render):.0f} ms, p90 {percentile(render, 90):.0f} ms, max {max(render):.0f} ms "
        f"(target <= {tablet_journal.RENDER_TARGET_MS:.0f} ms; Kivy layout and drawing not included)"
    )
    print(f"  CPU time: median {median(render_cpu):.0f} ms, p90 {percentile(render_cpu, 90):.0f} ms")
    print(
        f"  refresh after one more save: median {median(refresh):.0f} ms, "
        f"p90 {percentile(refresh, 90):.0f} ms (parsed entries reused, fold again)"
    )
    print(
        f"  conditions: store in {store_dir or tempfile.gettempdir()}, SQLite WAL, synchronous=FULL, "
        f"AES-256-GCM per row; load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
