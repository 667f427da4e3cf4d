"""``ppj tablet``: start the tablet app (Kivy must be installed: the ``tablet`` extra)."""

from __future__ import annotations

import time

import typer

from tablet_app.options import TabletOptions, parse_size

PROCESS_STARTED = time.time()


def tablet(
    server: str | None = typer.Option(None, "--server", help="Sync server URL (https://…)."),
    demo: bool = typer.Option(
        False, "--demo", help="Demo crew (users demo, demo2; passwords generated and printed at start)."
    ),
    unit: str = typer.Option("DEMO-1", "--unit", help="Call sign of this tablet's unit."),
    lang: str = typer.Option("da", "--lang", help="Language: da (default) or en."),
    high_contrast: bool = typer.Option(False, "--high-contrast", help="High-contrast theme for sunlight."),
    size: str = typer.Option("1280x800", "--size", help="Window size, landscape, at least 1280x800."),
) -> None:
    """Start the tablet app."""
    try:
        options = TabletOptions(
            server_url=server,
            demo=demo,
            language=lang,
            high_contrast=high_contrast,
            size=parse_size(size),
            unit=unit,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    from tablet_app.app import run

    run(options, process_started=PROCESS_STARTED)
