"""The one command line, ``ppj``. Subcommands are thin: they parse, call the core, print."""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer import _click as click  # Typer ships its own Click; its group API is typed against it
from typer.core import TyperGroup

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    # name: (module, attribute) — a Typer sub-app or a plain command function, imported only when used.
    "audit": ("ppj.admin_cli", "audit_app"),
    "bench": ("ppj.bench", "app"),
    "db": ("ppj.admin_cli", "db_app"),
    "device": ("ppj.admin_cli", "device_app"),
    "dispatch": ("ppj.dispatch_cli", "app"),
    "medcom": ("ppj.medcom_cli", "app"),
    "org": ("ppj.admin_cli", "org_app"),
    "outbox": ("ppj.outbox_cli", "app"),
    "sync": ("ppj.sync_cli", "app"),
    "tablet": ("ppj.tablet_cli", "tablet"),
    "user": ("ppj.admin_cli", "user_app"),
}


class LazyGroup(TyperGroup):
    """Imports a subcommand's module only when that subcommand runs (or help lists it).

    Why: every subcommand pulls in its own stack (SQLAlchemy and FastAPI for the server, the FHIR models
    for medcom, Kivy for the tablet); importing them all made ``ppj tablet`` take seconds to start."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *SUBCOMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = SUBCOMMANDS[cmd_name]
        target: Any = getattr(importlib.import_module(module_name), attribute)
        if module_name == "ppj.bench":
            importlib.import_module(module_name).register_all()
        if isinstance(target, typer.Typer):
            group = typer.main.get_group(target)
            group.name = cmd_name
            return group
        single = typer.Typer()
        single.command(name=cmd_name)(target)
        return typer.main.get_command(single)


app = typer.Typer(
    name="ppj",
    cls=LazyGroup,
    help="PPJ — the open prehospital patient record.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def root() -> None:
    """PPJ — the open prehospital patient record."""


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    demo: bool = typer.Option(False, "--demo", help="Load the demo data (development only)."),
) -> None:
    """Run the server (SQLite by default; PPJ_DATABASE_URL selects PostgreSQL)."""
    run_server(host=host, port=port, demo=demo)


def run_server(*, host: str, port: int, demo: bool) -> None:
    """What ``ppj serve`` does once its arguments are parsed (the chaos harness forks server processes
    that run exactly this, from a process that imported the server once)."""
    import uvicorn

    from ppj import admin_cli
    from server.app import create_app
    from server.config import Settings

    settings = Settings()
    if demo and not settings.is_development:
        raise typer.BadParameter("--demo is for development only (PPJ_ENVIRONMENT=development)")
    app_ = create_app(settings)
    admin_cli.prepare_database(app_.state.engine, demo=demo, url=f"http://{host}:{port}")
    uvicorn.run(app_, host=host, port=port)


def main() -> None:
    app()
