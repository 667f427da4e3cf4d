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
    # Empty means "not configured": allowed only in development, where a random key is generated.
    secret_key: str = Field(default="", repr=False)

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
        return self

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.development
