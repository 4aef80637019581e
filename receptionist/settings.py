"""Settings, read from the environment in this one place (prefix `RECEPTIONIST_`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from diary.db import normalise_url


class Settings(BaseSettings):
    """Everything the service can be told from outside; defaults run the embedded demo."""

    model_config = SettingsConfigDict(env_prefix="RECEPTIONIST_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # The embedded default: a SQLite file in the working directory.
    database_url: str = "sqlite:///receptionist.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Seed the demo clinic on start when the database has none.
    seed_demo: bool = True

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        backend = normalise_url(value).get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value
