"""Alembic: one head, and upgrading an empty database yields exactly the ORM metadata."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server import migrate
from server.db import make_engine
from server.models import Base


def test_there_is_exactly_one_migration_head() -> None:
    assert len(migrate.heads()) == 1


def test_upgrading_an_empty_database_yields_exactly_the_orm_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine=engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_upgrading_twice_changes_nothing(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        migrate.upgrade(engine=engine)
        migrate.upgrade(engine=engine)
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_heads() == tuple(migrate.heads())
    finally:
        engine.dispose()


def test_serve_refuses_an_unmigrated_postgresql_database_and_migrates_sqlite(
    postgres_schema_url: str, sqlite_url: str
) -> None:
    import pytest
    import typer

    from ppj.admin_cli import prepare_database

    postgres = make_engine(postgres_schema_url)
    sqlite = make_engine(sqlite_url)
    try:
        with pytest.raises(typer.Exit):
            prepare_database(postgres, demo=False, url="http://test")
        prepare_database(sqlite, demo=False, url="http://test")
        assert migrate.is_current(engine=sqlite)
        migrate.upgrade(engine=postgres)
        prepare_database(postgres, demo=False, url="http://test")
    finally:
        postgres.dispose()
        sqlite.dispose()
