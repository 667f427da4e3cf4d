"""Database plumbing: the declarative base, engine creation and the column types every table shares.

SQLite is the embedded default (one machine, demos); PostgreSQL (psycopg 3) runs production and CI.
On SQLite every connection gets WAL journaling and foreign keys, which SQLite leaves off by default.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVarTuple

from sqlalchemy import DateTime, Engine, Enum, MetaData, Uuid, create_engine, event, exc
from sqlalchemy.engine import Dialect, Result
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql.selectable import TypedReturnsRows
from sqlalchemy.types import TypeDecorator

from server.ids import uuid7

_Ts = TypeVarTuple("_Ts")

# Stable constraint names, so Alembic migrations (and batch mode on SQLite) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class AwareDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is timezone-aware in Python on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite keeps text without an offset, so values are stored as UTC and
    given back as UTC. Naive datetimes are refused on the way in: a naive time is a bug, never a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: every timestamp must carry its timezone")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: AwareDateTime(), uuid.UUID: Uuid()}


def str_enum(cls: type[StrEnum], length: int = 32) -> Enum:
    """A StrEnum column stored as VARCHAR of its values (no native enum type, no CHECK constraint).

    Adding a member later is a code change, not a migration; the ORM still refuses unknown strings.
    """
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def new_id() -> uuid.UUID:
    return uuid7()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


_IDLE_SINCE = "ppj_idle_since"


def ping_when_idle(engine: Engine, *, after_seconds: float) -> None:
    """Check a pooled connection before use only when it has been idle longer than ``after_seconds``.

    Why not ``pool_pre_ping``: that pings on every checkout, one more round trip per request (0.7 ms of
    the server's CPU in a 5 ms sync access request, ppj bench sync). A connection in steady use has just
    proven itself; the one that went stale (a database restart, a firewall's idle timeout) is the one
    that sat unused. A dead connection found here is discarded and the pool connects anew (the pool
    retries on ``DisconnectionError``). One busy when the database restarts fails its request, and
    SQLAlchemy then invalidates the pool's other connections of that age, as with ``pool_pre_ping``.
    """

    @event.listens_for(engine.pool, "checkin")
    def _idle_from_now(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping_if_idle(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since <= after_seconds:
            return  # new, or in steady use
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        except Exception as error:  # the driver's own error type; the pool reconnects
            raise exc.DisconnectionError(f"stale pooled connection: {error}") from error
        finally:
            with contextlib.suppress(Exception):  # closing a cursor of a dead connection may fail too
                cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; ``postgresql://`` URLs get the psycopg 3 driver."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///"):
        from pathlib import Path

        path = url.removeprefix("sqlite:///").split("?")[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def column_rows(
    session: OrmSession, statement: TypedReturnsRows[*_Ts], params: Mapping[str, Any]
) -> Result[*_Ts]:
    """Run a statement that returns columns, not ORM entities (a select, or a write with RETURNING), on
    the session's connection and transaction, after flushing pending changes as autoflush would.

    Why: the ORM's per-statement work (compile state, result set-up) cost more than the query itself for
    the small statements every sync request makes (the access decision's facts, watermarks, the push's
    upserts); ppj bench sync.
    """
    session.flush()
    return session.connection().execute(statement, params)


def make_session_factory(engine: Engine) -> sessionmaker[OrmSession]:
    return sessionmaker(bind=engine, expire_on_commit=False)
