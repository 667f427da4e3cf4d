"""The one command line, ``ppj``. Subcommands are thin: they parse, call the core, print."""

from __future__ import annotations

import typer

from ppj import bench
from ppj.bench import journal as _bench_journal  # noqa: F401  (registers `ppj bench journal`)

app = typer.Typer(
    name="ppj",
    help="PPJ — the open prehospital patient record.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(bench.app, name="bench")


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
    uvicorn.run(create_app(settings), host=host, port=port)


def main() -> None:
    app()
