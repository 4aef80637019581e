"""Settings, read from the environment in this one place (prefix `RECEPTIONIST_`)."""

from __future__ import annotations

import secrets
from typing import Literal

from pydantic import (
    AliasChoices,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from diary.db import normalise_url

# The fixed development token this service once shipped with: anyone could sign with it.
_RETIRED_AUTH_TOKENS = frozenset({"development-twilio-auth-token"})


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
    # Speech to speech (Media Streams mode): the Realtime model, its voice and turn detection.
    realtime_model: str = "gpt-realtime"
    realtime_voice: str = "marin"
    realtime_vad: Literal["server_vad", "semantic_vad"] = "semantic_vad"
    # The Realtime websocket base (wss://api.openai.com/v1 when unset); tests use a fake.
    openai_websocket_base_url: str | None = None
    # Seconds to wait for the model before the guided engine takes the call over.
    llm_timeout: float = Field(default=8.0, gt=0, le=120)
    # What "next Tuesday" means: nearest | following_week | ask (see receptionist.agent.dates).
    next_weekday: Literal["nearest", "following_week", "ask"] = "ask"
    # The demo clinic's call script; a path to a YAML file, or empty for prompts/demo_clinic.yaml.
    script_path: str | None = None
    # Signs slot ids handed to the model (16+ bytes). Required in production; in development
    # a random one is made at start, so slot ids do not survive a restart.
    slot_secret: SecretStr | None = None

    # -- telephony ------------------------------------------------------------------------------
    # The URL Twilio uses to reach this service (https://clinic.example.com): webhook signatures
    # are checked against it, so it must be right behind a proxy. Unset: taken from each request.
    public_base_url: str | None = None
    twilio_account_sid: str | None = Field(
        default=None,
        validation_alias=AliasChoices("RECEPTIONIST_TWILIO_ACCOUNT_SID", "TWILIO_ACCOUNT_SID"),
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("RECEPTIONIST_TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN"),
    )
    # Twilio's REST API; tests point the real library at a local fake.
    twilio_api_base_url: str | None = None
    # YAML mapping each Twilio number to a clinic; unset serves the demo clinic on any number.
    clinics_file: str | None = None
    # Bearer token for /api/calls; unset disables the admin API.
    admin_token: SecretStr | None = None
    # Seconds a call's websocket token stays valid after the voice webhook issued it.
    call_token_ttl: int = Field(default=120, ge=5, le=3600)
    sms_confirmations: bool = True
    # Shared state every worker sees (single-use call tokens, webhook replays, lockouts):
    # Redis when set (redis://host:6379/0), else the service's database.
    redis_url: str | None = None

    # -- limits ---------------------------------------------------------------------------------
    # Largest websocket frame accepted from Twilio (bytes); a larger one ends that call.
    max_frame_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    # Longest caller utterance passed to the agent (characters); the rest is dropped and noted.
    max_utterance_chars: int = Field(default=1000, ge=50, le=100_000)
    # Largest Twilio webhook body (bytes); a larger one is refused with 413 unread.
    max_webhook_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)
    # Opening a clinic's PMS (first call): how long to wait, and how long a failure is
    # remembered before the next call tries again (the circuit breaker backs off from there).
    pms_open_timeout: float = Field(default=5.0, gt=0, le=60)
    pms_open_retry_after: float = Field(default=15.0, ge=0, le=3600)
    # /docs and /openapi.json: on outside production unless set.
    api_docs: bool | None = None

    # Signs webhooks in development when TWILIO_AUTH_TOKEN is unset: random per start, never
    # a constant someone else could sign with.
    _development_auth_token: str = PrivateAttr(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def webhook_auth_token(self) -> str:
        """The Twilio auth token that signs webhooks (in development without one, a random
        token made when these settings were)."""
        if self.twilio_auth_token is not None:
            return self.twilio_auth_token.get_secret_value()
        return self._development_auth_token

    @property
    def random_auth_token(self) -> bool:
        """Whether webhooks are signed with the random development token."""
        return self.twilio_auth_token is None

    @property
    def docs_enabled(self) -> bool:
        """Whether /docs, /redoc and /openapi.json are served."""
        if self.api_docs is not None:
            return self.api_docs
        return self.environment != "production"

    @property
    def use_openai(self) -> bool:
        """Whether calls go to the OpenAI engine (else the guided engine answers)."""
        if self.engine == "openai":
            return True
        return self.engine == "auto" and self.openai_api_key is not None

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        token = self.twilio_auth_token.get_secret_value() if self.twilio_auth_token else None
        if self.environment == "production":
            secret = self.slot_secret.get_secret_value() if self.slot_secret else ""
            if len(secret.encode()) < 16:
                raise ValueError("production needs RECEPTIONIST_SLOT_SECRET (16 bytes or more)")
            if self.twilio_auth_token is None or self.public_base_url is None:
                raise ValueError(
                    "production needs TWILIO_AUTH_TOKEN and RECEPTIONIST_PUBLIC_BASE_URL"
                    " (webhook signatures are checked against them)"
                )
            if token is not None and len(token) < 16:
                raise ValueError("production needs the account's real TWILIO_AUTH_TOKEN")
        if token is not None and (not token.strip() or token in _RETIRED_AUTH_TOKENS):
            raise ValueError("TWILIO_AUTH_TOKEN is a placeholder: set the account's real token")
        if self.environment != "development" and token is None:
            raise ValueError(
                f"{self.environment} needs TWILIO_AUTH_TOKEN (webhook signatures and call tokens"
                " are checked with it; only development makes a random one)"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        backend = normalise_url(value).get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value
