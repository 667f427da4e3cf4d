"""``ppj outbox list|show|retry|work`` against a real SQLite database and the receiver simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from integrations.receiver_simulator.server import ReceiverSimulator
from ppj.cli import app as cli
from server.db import make_engine, make_session_factory
from server.models import Base
from tests.server.outbox.journeys import queue_handovers


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The CLI is thin over the services, which run on both backends elsewhere; SQLite is enough here."""
    return sqlite_url


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine: Engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def ppj(database_url: str, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), env={"PPJ_DATABASE_URL": database_url, "COLUMNS": "250"})
    assert result.exit_code == code, result.output
    return result.output


def test_an_administrator_sees_a_dead_letter_retries_it_and_a_worker_delivers_it(
    database_url: str, sessions: sessionmaker[Session], receiver: ReceiverSimulator
) -> None:
    [message_id] = queue_handovers(sessions, receiver.url)
    receiver.behaviour.fail_next = 1
    out = ppj(database_url, "outbox", "work", "--once", "--max-attempts", "1")
    assert "dead_letter (attempts_exhausted)" in out
    assert "dead_letter" in ppj(database_url, "outbox", "list", "--state", "dead_letter")
    shown = json.loads(ppj(database_url, "outbox", "show", str(message_id)))
    assert (shown["state"], shown["attempt_log"][0]["http_status"]) == ("dead_letter", 503)
    assert "queued again" in ppj(database_url, "outbox", "retry", str(message_id))
    assert "acknowledged" in ppj(database_url, "outbox", "work", "--once")
    assert "refused" in ppj(database_url, "outbox", "retry", str(message_id), code=2)
    assert "no delivery" in ppj(
        database_url, "outbox", "show", "01a2a000-0000-7000-8000-000000000000", code=2
    )
