"""Settings, read from the environment in this one place (prefix `RECEPTIONIST_`)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
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

    # -- the agent ----------------------------------------------------------------------------
    # "auto": the OpenAI engine when an API key is set, else the guided engine (no LLM).
    engine: Literal["auto", "guided", "openai"] = "auto"
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("RECEPTIONIST_OPENAI_API_KEY", "OPENAI_API_KEY"),
    )
    # Any OpenAI-compatible server (vLLM, Ollama, llama.cpp): its /v1 URL.
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("RECEPTIONIST_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
    )
    openai_model: str = "gpt-4.1-mini"
    # Seconds to wait for the model before the guided engine takes the call over.
    llm_timeout: float = Field(default=8.0, gt=0, le=120)
    # What "next Tuesday" means: nearest | following_week | ask (see receptionist.agent.dates).
    next_weekday: Literal["nearest", "following_week", "ask"] = "ask"
    # The demo clinic's call script; a path to a YAML file, or empty for prompts/demo_clinic.yaml.
    script_path: str | None = None
    # Signs slot ids handed to the model (16+ bytes). Required in production; in development
    # a random one is made at start, so slot ids do not survive a restart.
    slot_secret: SecretStr | None = None

    @property
    def use_openai(self) -> bool:
        """Whether calls go to the OpenAI engine (else the guided engine answers)."""
        if self.engine == "openai":
            return True
        return self.engine == "auto" and self.openai_api_key is not None

    @model_validator(mode="after")
    def _production_secrets(self) -> Settings:
        if self.environment == "production":
            secret = self.slot_secret.get_secret_value() if self.slot_secret else ""
            if len(secret.encode()) < 16:
                raise ValueError("production needs RECEPTIONIST_SLOT_SECRET (16 bytes or more)")
        return self

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        backend = normalise_url(value).get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value
