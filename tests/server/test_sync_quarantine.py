"""The quarantine: an entry whose author cannot be verified waits there, the queue behind it moves on, and
an administrator accepts (API) or rejects (CLI) it; others may not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from journal.entry import Author, AuthorisationLevel, Role
from journal.kinds.record import Note
from ppj.cli import app as cli
from server.app import create_app
from server.config import Settings
from server.identity.models import Role as PersonRole
from server.sync.models import EntryRow, QuarantinedEntry
from tests.server.sync_tablets import Tablet, make_tablet
from tests.server.world import World


@pytest.fixture
def app(engine: Engine, database_url: str) -> FastAPI:
    return create_app(Settings(database_url=database_url), engine=engine)


@pytest.fixture
def tablet(app: FastAPI, sessions: sessionmaker[Session], world: World, tmp_path: Path) -> Iterator[Tablet]:
    made = make_tablet(
        app=app,
        sessions=sessions,
        person_id=world.callers[PersonRole.paramediciner].person_id,
        path=tmp_path / "a",
    )
    yield made
    made.store.close()


def test_an_unverified_author_waits_in_quarantine_until_an_administrator_resolves_it(
    tablet: Tablet, sessions: sessionmaker[Session], world: World, database_url: str
) -> None:
    journal_id = tablet.open_journal()
    stranger = Author(
        person_id="0196b4a0-0000-7000-8000-0000000fffff",  # no such person
        name="Ukendt",
        role=Role.PARAMEDICINER,
        authorisation_level=AuthorisationLevel.AUTHORISED,
    )
    odd = tablet.entry(journal_id, Note(text="skrevet af en ukendt"))
    odd = odd.model_copy(update={"author": stranger})
    odd_two = tablet.entry(journal_id, Note(text="også ukendt")).model_copy(update={"author": stranger})
    tablet.capture(odd)
    tablet.capture(odd_two)
    behind = tablet.entry(journal_id, Note(text="efter"))
    tablet.capture(behind)
    tablet.client.sync_once()
    assert {p.reason_code for p in tablet.store.queue_problems()} == {"author_unverified"}
    with sessions() as session:
        assert session.get(EntryRow, behind.entry_id) is not None
        held = {row.entry_id: row.id for row in session.scalars(select(QuarantinedEntry))}
    assert set(held) == {odd.entry_id, odd_two.entry_id}

    admin = world.callers[PersonRole.administrator].api_headers()
    crew = tablet.headers()
    assert tablet.http.get("/api/admin/quarantine", headers=crew).status_code == 403
    listed = tablet.http.get("/api/admin/quarantine", headers=admin).json()
    assert {item["entry_id"] for item in listed} == {str(odd.entry_id), str(odd_two.entry_id)}
    assert all("content" not in item for item in listed)

    accepted = tablet.http.post(
        f"/api/admin/quarantine/{held[odd.entry_id]}/accept",
        json={"note": "vikar, verificeret"},
        headers=admin,
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    again = tablet.http.post(
        f"/api/admin/quarantine/{held[odd.entry_id]}/accept", json={"note": "x"}, headers=admin
    )
    assert again.status_code == 409
    tablet.client.sync_once()
    assert odd.entry_id in {e.entry_id for e in tablet.store.journal_entries(journal_id)}

    result = CliRunner().invoke(
        cli,
        [
            "sync",
            "quarantine",
            "reject",
            str(held[odd_two.entry_id]),
            "--note",
            "ukendt forfatter",
            "--by",
            "u-administrator",
        ],
        env={"PPJ_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    listing = CliRunner().invoke(cli, ["sync", "quarantine", "list"], env={"PPJ_DATABASE_URL": database_url})
    assert str(odd_two.entry_id) not in listing.output
    with sessions() as session:
        rejected = session.scalar(
            select(QuarantinedEntry).where(QuarantinedEntry.entry_id == odd_two.entry_id)
        )
        assert rejected is not None and rejected.status.value == "rejected"
        assert rejected.resolved_by == world.callers[PersonRole.administrator].person_id
