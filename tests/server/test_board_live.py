"""Live board notifications: committed changes reach every subscriber, rolled-back ones never do, and on
PostgreSQL they cross server processes (a tablet pushes to one process, a board listens on another)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from server.app import create_app
from server.board.live import ChangeHub, announce_changed_journals
from server.config import Settings
from server.db import make_session_factory
from server.identity.models import Role
from tests.server.ed_board_scenario import capture_pre_alerted_patient, hospital_sor
from tests.server.live_server import server_process
from tests.server.sync_tablets import make_tablet
from tests.server.world import build_world


async def _next(queue: asyncio.Queue[frozenset[uuid.UUID]], seconds: float) -> frozenset[uuid.UUID] | None:
    try:
        return await asyncio.wait_for(queue.get(), timeout=seconds)
    except TimeoutError:
        return None


def test_a_committed_change_reaches_subscribers_and_a_rolled_back_one_never_does(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    hub = ChangeHub(engine=engine)
    hub.start()
    assert hub.listening.wait(5)

    kept, dropped = uuid.uuid4(), uuid.uuid4()

    async def scenario() -> tuple[frozenset[uuid.UUID] | None, frozenset[uuid.UUID] | None]:
        queue = hub.subscribe()
        with sessions() as session:
            announce_changed_journals(session=session, journal_ids=[dropped])
            session.rollback()
        with sessions() as session:
            announce_changed_journals(session=session, journal_ids=[kept])
            session.commit()
        first = await _next(queue, 5.0)
        second = await _next(queue, 0.5)
        hub.unsubscribe(queue)
        return first, second

    try:
        first, second = asyncio.run(scenario())
    finally:
        hub.stop()
    # The rolled-back change was announced first, yet only the committed one arrives. (Other tests'
    # schemas share PostgreSQL's channel, so a second event may carry their ids, never ``dropped``.)
    assert first is not None and kept in first and dropped not in first
    assert second is None or dropped not in second


@pytest.fixture
def board_process(
    postgres_schema_url: str, engine_for: Callable[[str], Engine]
) -> Iterator[tuple[str, Engine]]:
    """A second server process (uvicorn) on the same PostgreSQL schema; yields its base URL."""
    engine = engine_for(postgres_schema_url)
    with server_process(postgres_schema_url) as base_url:
        yield base_url, engine


def test_a_push_to_one_process_reaches_a_board_connected_to_another(
    board_process: tuple[str, Engine], postgres_schema_url: str, tmp_path: Path
) -> None:
    base_url, engine = board_process
    sessions = make_session_factory(engine)
    world = build_world(sessions)
    app = create_app(Settings(database_url=postgres_schema_url), engine=engine)
    tablet = make_tablet(
        app=app, sessions=sessions, person_id=world.callers[Role.paramediciner].person_id, path=tmp_path / "t"
    )
    journal_id = capture_pre_alerted_patient(
        tablet, sor=hospital_sor(sessions, world.ed_own), hospital="Odense Universitetshospital"
    )
    cookies = {"ppj_session": world.callers[Role.ed_staff].cookie}
    with (
        httpx2.Client(base_url=base_url, cookies=cookies, timeout=10) as board,
        board.stream("GET", "/board/events") as events,
    ):
        assert events.status_code == 200
        lines = events.iter_lines()
        assert next(lines).startswith("retry:")
        tablet.client.sync_once()  # through the in-test app: another process than the board's
        for line in lines:
            if line == "event: changed":
                break
        rows = board.get("/board/rows")
    tablet.store.close()
    assert f"/board/journals/{journal_id}" in rows.text
