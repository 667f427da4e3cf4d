"""Server fixtures: a migrated database, a world of organisations, people and journals, and clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from server.app import create_app
from server.config import Settings
from server.db import make_engine, make_session_factory
from server.models import Base
from tests.server.world import World, build_world


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A database with the current schema. Built with create_all for speed: test_migrations.py shows that
    ``alembic upgrade head`` yields exactly this schema on both backends."""
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    return build_world(sessions)


@pytest.fixture
def client(engine: Engine, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url), engine=engine)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def engine_for() -> Iterator[Callable[[str], Engine]]:
    """Migrated engines for URLs the test names (e.g. only PostgreSQL), disposed afterwards."""
    made: list[Engine] = []

    def make(url: str) -> Engine:
        engine = make_engine(url, pool_size=10)
        Base.metadata.create_all(engine)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()
