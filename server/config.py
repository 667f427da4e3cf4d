"""Server settings, read from the environment (prefix ``PPJ_``).

Secrets have no defaults outside development: ``Settings.load()`` refuses to start a production or
staging server whose secret key is missing, while development generates a fresh random one per start.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sync.protocol import DEFAULT_MAX_HLC_AHEAD_MS


class Environment(StrEnum):
    development = "development"
    staging = "staging"
    production = "production"


class ConfigurationError(RuntimeError):
    """The server's configuration is unusable; the message names the setting."""


DEFAULT_SQLITE_PATH = Path("var") / "ppj.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PPJ_", extra="ignore")

    environment: Environment = Environment.development
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Connections each server process keeps open, and how many more it may open for a burst. Requests
    # beyond them wait for a connection. Few and kept: on a saturated 2-core machine (ppj bench sync,
    # fleet of 1,000), 20 + 10 per process gave PostgreSQL 2.5 ms of CPU per request (contention among
    # dozens of busy sessions) and 6 + 0 gave 1.1 ms; an overflow connection is closed when given back,
    # and each new PostgreSQL connection is a process fork and a log-in. Raise with the cores.
    database_pool_size: int = Field(default=6, ge=1)
    database_max_overflow: int = Field(default=0, ge=0)
    # Empty means "not configured": allowed only in development, where a random key is generated.
    secret_key: str = Field(default="", repr=False)

    # Access windows (ARCHITECTURE §5): how long a crew keeps access after the episode ends, and how long
    # an emergency department keeps it after the last announcement or handover.
    documentation_window_hours: float = Field(default=12.0, gt=0)
    ed_window_hours: float = Field(default=24.0, gt=0)
    # An ED board's event stream ends after this long; the browser reconnects, and the reconnect
    # authenticates the web session again (a logged-out or expired session stops receiving events).
    board_stream_seconds: float = Field(default=300.0, gt=0)
    access_token_minutes: float = Field(default=15.0, gt=0)
    web_session_hours: float = Field(default=12.0, gt=0)
    # Log-in throttle per account + client IP, counted in the database so it holds across processes.
    login_max_failures: int = Field(default=5, ge=1)
    login_throttle_minutes: float = Field(default=15.0, gt=0)
    # Anchor an audit partition's head at its first event, then after this many events or seconds,
    # whichever comes first (and whenever ``ppj audit verify`` runs).
    audit_anchor_every: int = Field(default=100, ge=1)
    audit_anchor_seconds: float = Field(default=60.0, gt=0)
    # How far ahead of the server's clock an entry's HLC may run before the server re-stamps it.
    sync_max_hlc_ahead_ms: int = Field(default=DEFAULT_MAX_HLC_AHEAD_MS, ge=0)
    # Only ``ppj bench audit`` sets this: it mounts an unaudited twin of one read endpoint to measure
    # what auditing costs. Refused outside development.
    bench_unaudited_endpoint: bool = False
    # Outbox: run one delivery worker inside the server process (else run ``ppj outbox work``).
    outbox_worker_in_process: bool = False
    outbox_poll_seconds: float = Field(default=2.0, gt=0)
    outbox_http_timeout_seconds: float = Field(default=30.0, gt=0)
    outbox_max_attempts: int = Field(default=3, ge=1)
    outbox_ack_timeout_minutes: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _secret_key_outside_development(self) -> Settings:
        if not self.secret_key:
            if self.environment is not Environment.development:
                raise ConfigurationError(
                    f"PPJ_SECRET_KEY must be set in {self.environment.value}; "
                    "there is no default secret outside development"
                )
            self.secret_key = secrets.token_urlsafe(32)
        elif len(self.secret_key) < 32 and self.environment is not Environment.development:
            raise ConfigurationError("PPJ_SECRET_KEY must be at least 32 characters")
        if self.bench_unaudited_endpoint and self.environment is not Environment.development:
            raise ConfigurationError("PPJ_BENCH_UNAUDITED_ENDPOINT is for the benchmark in development only")
        return self

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.development
