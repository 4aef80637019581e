"""Which clinic answers which number: the clinics file, and the clinics made ready from it.

```yaml
clinics:
  - key: harbourside
    numbers: ["+61 2 5550 1234"]
    pms:
      adapter: cliniko              # any installed adapter (receptionist pms list)
      settings: {business_ids: "123"}
      secrets: {api_key: CLINIKO_API_KEY, slot_secret: SLOT_SECRET}   # setting: env var
    script: harbourside.yaml        # relative to this file; default the demo script
    mode: relay                     # relay (ConversationRelay) or realtime (Media Streams)
    engine: auto                    # auto, guided or openai
    model: gpt-4.1-mini
    transfer_number: "+61 2 5550 4321"  # overrides the script's
    sms_from: "+61 4 8000 0000"         # overrides the script's sms_sender
```

Secrets never live in the file: `secrets` names environment variables, read at start-up (a
missing one is an error naming the variable, never its value). With no file, the embedded
default serves the demo clinic, from the service's own diary, on any number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import phonenumbers
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from diary import Diary
from pms_adapters import registry
from pms_adapters.contract import PMSAdapter
from pms_adapters.errors import PMSError
from pms_adapters.resilience import ResilientPMS
from receptionist.agent.lockout import NUMBER_WINDOW_S, FailureCounter, counter_key
from receptionist.agent.runtime import demo_pms, open_clinic
from receptionist.agent.script import CallScript, demo_script, load_script
from receptionist.agent.toolbox import Clinic, MessageSink
from receptionist.settings import Settings
from receptionist.telephony.ledger import Ledger

Mode = Literal["relay", "realtime"]

logger = logging.getLogger(__name__)


class ClinicUnavailable(Exception):
    """The clinic's PMS could not be opened (down, hung, misconfigured, or its circuit open)."""


def e164(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{value!r} is not an international number (+...)") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"{value!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PMSConfig(_Model):
    adapter: str = "diary"
    settings: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict, description="setting -> env var")


class ClinicConfig(_Model):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    numbers: tuple[str, ...] = ()
    pms: PMSConfig = PMSConfig()
    script: str | None = None
    mode: Mode = "relay"
    engine: Literal["auto", "guided", "openai"] = "auto"
    model: str | None = None
    transfer_number: str | None = None
    sms_from: str | None = None

    @field_validator("numbers")
    @classmethod
    def _numbers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(e164(n) for n in value)

    @field_validator("transfer_number")
    @classmethod
    def _transfer(cls, value: str | None) -> str | None:
        return e164(value) if value else None


class ClinicsFile(_Model):
    clinics: tuple[ClinicConfig, ...]

    @model_validator(mode="after")
    def _unique(self) -> ClinicsFile:
        keys = [c.key for c in self.clinics]
        numbers = [n for c in self.clinics for n in c.numbers]
        if len(set(keys)) != len(keys):
            raise ValueError("clinic keys must be unique")
        if len(set(numbers)) != len(numbers):
            raise ValueError("a number can belong to one clinic only")
        return self


def load_clinics(path: str | Path) -> tuple[ClinicsFile, Path]:
    """The validated clinics file and the folder its relative paths start from."""
    file = Path(path)
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    return ClinicsFile.model_validate(data), file.parent


DEMO = ClinicConfig(key="demo")


@dataclass
class LiveClinic:
    """A clinic ready to take calls: its config, its agent-side view and its PMS."""

    config: ClinicConfig
    clinic: Clinic
    pms: PMSAdapter

    @property
    def script(self) -> CallScript:
        return self.clinic.script

    @property
    def transfer_number(self) -> str | None:
        return self.config.transfer_number or self.script.transfer.number

    @property
    def sms_from(self) -> str | None:
        return self.config.sms_from or self.script.sms_sender


def _retrieve(task: asyncio.Task[LiveClinic]) -> None:
    if not task.cancelled():
        task.exception()


@dataclass
class _Failures:
    """A clinic whose PMS would not open: how often in a row, and when to try again."""

    count: int = 0
    retry_at: float = 0.0


# The circuit breaker backs off from `pms_open_retry_after`, doubling per failure in a row, to
# at most this long between tries.
MAX_OPEN_BACKOFF_S = 300.0


@dataclass
class ClinicDirectory:
    """Finds the clinic for a called number and opens it (PMS connection, script) once.

    Each clinic opens on its own: concurrent calls for one clinic share one attempt, bounded
    by `pms_open_timeout`; a clinic whose PMS hangs or fails holds up nobody else's calls. A
    failure is remembered (`pms_open_retry_after`, doubling per failure in a row up to
    `MAX_OPEN_BACKOFF_S`), so calls meanwhile hear at once that the diary is unreachable
    instead of each waiting out another attempt.
    """

    settings: Settings
    diary: Diary
    message_sink: MessageSink | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    monotonic: Callable[[], float] = time.monotonic
    # Where failed identifications are counted per number, shared by every worker (the
    # telephony ledger); without one, each clinic counts in this process.
    ledger: Ledger | None = None
    _configs: tuple[ClinicConfig, ...] = ()
    _base: Path = Path(".")
    _open: dict[str, LiveClinic] = field(default_factory=dict)
    _opening: dict[str, asyncio.Task[LiveClinic]] = field(default_factory=dict)
    _failures: dict[str, _Failures] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.settings.clinics_file:
            parsed, self._base = load_clinics(self.settings.clinics_file)
            self._configs = parsed.clinics
            for config in self._configs:
                self._secrets(config)  # fail at start-up, not on the first call
        else:
            self._configs = (DEMO,)

    @property
    def configs(self) -> tuple[ClinicConfig, ...]:
        return self._configs

    def config_for_number(self, called: str) -> ClinicConfig | None:
        """The clinic that owns `called`; with no clinics file, the demo answers every number."""
        if not self.settings.clinics_file:
            return DEMO
        try:
            number = e164(called)
        except ValueError:
            return None
        return next((c for c in self._configs if number in c.numbers), None)

    def config_for_key(self, key: str) -> ClinicConfig | None:
        return next((c for c in self._configs if c.key == key), None)

    async def open(self, config: ClinicConfig) -> LiveClinic:
        """The clinic, opened on first use and then shared by its calls; ClinicUnavailable
        when its PMS cannot be opened now (or failed to open a moment ago)."""
        live = self._open.get(config.key)
        if live is not None:
            return live
        failures = self._failures.get(config.key)
        if failures is not None and self.monotonic() < failures.retry_at:
            raise ClinicUnavailable(f"clinic {config.key}: PMS failed to open; retrying later")
        task = self._opening.get(config.key)
        if task is None:
            task = asyncio.create_task(self._attempt(config))
            task.add_done_callback(_retrieve)  # its failure is seen even if every caller left
            self._opening[config.key] = task
        # Shielded: a caller who hangs up mid-open does not cancel the attempt others share.
        return await asyncio.shield(task)

    async def _attempt(self, config: ClinicConfig) -> LiveClinic:
        """One bounded attempt at opening a clinic, its outcome remembered either way."""
        try:
            async with asyncio.timeout(self.settings.pms_open_timeout):
                live = await self._make(config)
        except (TimeoutError, PMSError, OSError, ValueError) as exc:
            failures = self._failures.setdefault(config.key, _Failures())
            failures.count += 1
            backoff = self.settings.pms_open_retry_after * 2 ** (failures.count - 1)
            failures.retry_at = self.monotonic() + min(backoff, MAX_OPEN_BACKOFF_S)
            logger.warning(
                "clinic %s: PMS did not open (%s, %d in a row)",
                config.key, type(exc).__name__, failures.count,
            )  # fmt: skip
            raise ClinicUnavailable(f"clinic {config.key}: PMS did not open") from exc
        finally:
            self._opening.pop(config.key, None)
        self._failures.pop(config.key, None)
        self._open[config.key] = live
        return live

    async def _make(self, config: ClinicConfig) -> LiveClinic:
        script = load_script(self._base / config.script) if config.script else demo_script()
        if config is DEMO or (config.pms.adapter == "diary" and not config.pms.settings):
            pms = demo_pms(self.settings, self.diary)
        else:
            settings = {
                "environment": self.settings.environment,
                **config.pms.settings,
                **self._secrets(config),
            }
            pms = ResilientPMS(registry.create(config.pms.adapter, settings))
        try:
            clinic = await open_clinic(
                config.key,
                script,
                pms,
                now=self.now,
                next_weekday=self.settings.next_weekday,
                message_sink=self.message_sink,
                count_failures=self._failure_counter(config.key),
            )
        except BaseException:  # failed, timed out or cancelled: its connections go with it
            with contextlib.suppress(Exception):
                await asyncio.shield(pms.aclose())
            raise
        return LiveClinic(config, clinic, pms)

    def _failure_counter(self, clinic: str) -> FailureCounter | None:
        ledger = self.ledger
        if ledger is None:
            return None

        async def count(number: str) -> int:
            return await ledger.count(counter_key(clinic, number), NUMBER_WINDOW_S)

        return count

    def _secrets(self, config: ClinicConfig) -> dict[str, str]:
        found = {}
        for setting, variable in config.pms.secrets.items():
            value = os.environ.get(variable)
            if value is None:
                raise ValueError(
                    f"clinic {config.key}: environment variable {variable}"
                    f" (for {setting}) is not set"
                )
            found[setting] = value
        return found

    async def aclose(self) -> None:
        for task in list(self._opening.values()):
            task.cancel()
        await asyncio.gather(*self._opening.values(), return_exceptions=True)
        for live in self._open.values():
            await live.pms.aclose()
        self._open.clear()
