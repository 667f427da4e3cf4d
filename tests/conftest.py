"""Shared fixtures.

Databases: ``database_url`` runs a test once on SQLite (a fresh file) and once on PostgreSQL (a fresh
schema in the database named by PPJ_TEST_DATABASE_URL). PostgreSQL tests skip with a loud reason when
the server is unreachable, except under CI=true, where an unreachable PostgreSQL is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_base_url() -> str:
    return os.environ.get("PPJ_TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)


def _postgres_unreachable_reason() -> str | None:
    import psycopg

    url = postgres_base_url()
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {url} is unreachable ({exc.__class__.__name__}: {str(exc).strip()[:200]})"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server's URL; skips (outside CI) or fails (in CI) when it does not answer."""
    reason = _postgres_unreachable_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {reason}")
        pytest.skip(f"SKIPPED LOUDLY: {reason}; set PPJ_TEST_DATABASE_URL or start PostgreSQL")
    return postgres_base_url()


def sqlalchemy_url(url: str) -> str:
    """A libpq URL as SQLAlchemy wants it, with the psycopg 3 driver."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A SQLAlchemy URL whose connections use a fresh, empty schema, dropped after the test."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'create schema "{schema}"')
    sep = "&" if "?" in postgres_url else "?"
    yield sqlalchemy_url(postgres_url) + f"{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'drop schema "{schema}" cascade')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ppj.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """The contract-suite fixture: the same test against SQLite and PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_schema_url"))
