"""``ppj sync …``: the sync server's administration — quarantine and projections. Thin: parse, call, print."""

from __future__ import annotations

import uuid

import typer
from rich.table import Table

from ppj.admin_cli import _now, _session, console
from server.sync.models import QuarantineStatus

app = typer.Typer(help="Sync server administration (quarantine, projections).", no_args_is_help=True)
quarantine_app = typer.Typer(help="Entries the server could not accept on arrival.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")


@app.command("rebuild-projections")
def rebuild_projections() -> None:
    """Recompute missions, journal relations, announcements and handovers from the entries."""
    from server.sync.projections import rebuild_projections as rebuild

    with _session() as session:
        count = rebuild(session=session)
        session.commit()
    console.print(f"rebuilt the projections of {count} journals from their entries")


@quarantine_app.command("list")
def quarantine_list(
    all_: bool = typer.Option(False, "--all", help="Also resolved entries."),
) -> None:
    """Quarantined entries, oldest first (no entry content is shown)."""
    from server.sync.quarantine import list_quarantine

    with _session() as session:
        views = list_quarantine(session=session, status=None if all_ else QuarantineStatus.open)
    table = Table("id", "entry", "journal", "reason", "detail", "uploaded by", "received", "status")
    for v in views:
        table.add_row(
            str(v.id), str(v.entry_id), str(v.journal_id), v.reason, v.detail or "", v.uploaded_by,
            f"{v.received_at:%Y-%m-%d %H:%M:%S}", v.status,
        )  # fmt: skip
    console.print(table)


def _admin(session: object, username: str | None) -> uuid.UUID | None:
    from sqlalchemy.orm import Session

    from server.identity.models import Role
    from server.identity.service import get_person

    if username is None:
        return None
    assert isinstance(session, Session)
    person = get_person(session=session, username=username)
    if person.role is not Role.administrator:
        console.print(f"[red]error:[/red] {username} is not an administrator")
        raise typer.Exit(2)
    return person.id


@quarantine_app.command("accept")
def quarantine_accept(
    quarantine_id: uuid.UUID,
    note: str = typer.Option(..., "--note", help="Why (the crew and the audit see it)."),
    by: str | None = typer.Option(None, "--by", help="The administrator's username."),
) -> None:
    """Store a quarantined entry in its journal (it must parse now, e.g. after an upgrade)."""
    from server.config import Settings
    from server.sync.clock import ServerClock
    from server.sync.quarantine import accept

    with _session() as session:
        view = accept(
            session=session,
            quarantine_id=quarantine_id,
            by=_admin(session, by),
            note=note,
            clock=ServerClock(),
            max_ahead_ms=Settings().sync_max_hlc_ahead_ms,
            now=_now(),
        )
        session.commit()
    console.print(f"accepted entry {view.entry_id} into journal {view.journal_id}")


@quarantine_app.command("reject")
def quarantine_reject(
    quarantine_id: uuid.UUID,
    note: str = typer.Option(..., "--note", help="Why (the crew sees it)."),
    by: str | None = typer.Option(None, "--by", help="The administrator's username."),
) -> None:
    """Reject a quarantined entry for good; it stays recorded with the reason."""
    from server.sync.quarantine import reject

    with _session() as session:
        view = reject(
            session=session, quarantine_id=quarantine_id, by=_admin(session, by), note=note, now=_now()
        )
        session.commit()
    console.print(f"rejected entry {view.entry_id}")
