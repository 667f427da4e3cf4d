"""The one command line, ``ppj``. Subcommands are thin: they parse, call the core, print."""

from __future__ import annotations

import typer

from ppj import admin_cli, bench, dispatch_cli, medcom_cli, sync_cli, tablet_cli

app = typer.Typer(
    name="ppj",
    help="PPJ — the open prehospital patient record.",
    no_args_is_help=True,
    add_completion=False,
)
bench.register_all()
app.add_typer(bench.app, name="bench")
app.add_typer(medcom_cli.app, name="medcom")
app.command(name="tablet")(tablet_cli.tablet)
app.add_typer(admin_cli.user_app, name="user")
app.add_typer(admin_cli.device_app, name="device")
app.add_typer(admin_cli.org_app, name="org")
app.add_typer(admin_cli.audit_app, name="audit")
app.add_typer(admin_cli.db_app, name="db")
app.add_typer(sync_cli.app, name="sync")
app.add_typer(dispatch_cli.app, name="dispatch")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    demo: bool = typer.Option(False, "--demo", help="Load the demo data (development only)."),
) -> None:
    """Run the server (SQLite by default; PPJ_DATABASE_URL selects PostgreSQL)."""
    import uvicorn

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
