"""`NookalConfig`: the Nookal adapter's settings as one typed value, read from a mapping once.

Settings keys (everything but `api_key` and `slot_secret` has a default):

- `api_key`: the v2 API key (Setup -> Connections -> API Keys). Sent only in POST bodies.
- `slot_secret`: str or bytes, at least 16 bytes; signs slot ids (`pms_adapters.slot_ids`).
- `location_ids`: the Nookal location ids this connection serves, a list or a comma-separated
  string; empty or absent means every location the key can see.
- `base_url`: default `https://api.nookal.com/production/v2`.
- `timeout`: seconds per HTTP request (default 30, as Nookal's own SDK).
- `budget`: a `pms_adapters.budget.RequestBudget`; default a `LocalTokenBucket` of 120 requests
  a minute (Nookal publishes no limit; clients keep to about 2 a second).
- `region`: the default phone region (ISO 3166 alpha-2), default "AU"; a location's `Country`
  overrides it for that location's patients.
- `clock`: a callable returning the aware current time (tests), default the system clock.
- `reference_ttl`: seconds locations, practitioners and types stay cached (default 60).
- `patient_directory_ttl`: seconds the patient phone directory stays cached (default 300).
- `min_notice_minutes`: slots starting sooner than this are not offered (default 60).
- `slot_step_minutes`: spacing of offered starts inside a free run; absent means the type's
  duration (the production algorithm in the spec, 7.5).
- `max_slot_window_days`: the longest search (default 31).
- `move_method`: "update" (default; `updateAppointmentBooking`, keeps the id) or "rebook".
- `not_bookable_by_phone`, `existing_patients_only`: appointment type ids or exact names (list
  or comma-separated). Nookal has no such flags, so the clinic states them here.
- `practitioner_appointment_types`: {practitioner id: [type ids]}; overrides what the custom
  `getPractitionerAppointmentTypes` method reports (or the all-types fallback).
- `http_client`: an `httpx.AsyncClient` to use instead of the adapter's own (not closed by
  `aclose`), for tests and shared pools.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from pms_adapters.budget import LocalTokenBucket, RequestBudget

DEFAULT_BASE_URL = "https://api.nookal.com/production/v2"
DEFAULT_RATE_PER_MINUTE = 120.0
MOVE_METHODS = ("update", "rebook")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def id_list(value: object) -> tuple[str, ...]:
    """Ids from a list or a comma-separated string, as stripped strings, in order, no repeats."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    return tuple(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))


def _positive(settings: Mapping[str, Any], key: str, default: float) -> float:
    value = float(settings.get(key, default))
    if value <= 0:
        raise ValueError(f"nookal setting {key!r} must be positive")
    return value


@dataclass(frozen=True, kw_only=True)
class NookalConfig:
    """Everything the Nookal adapter is told, checked once at start-up."""

    api_key: str = field(repr=False)
    slot_secret: bytes = field(repr=False)
    location_ids: tuple[str, ...] = ()
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 30.0
    budget: RequestBudget = field(
        default_factory=lambda: LocalTokenBucket(DEFAULT_RATE_PER_MINUTE, burst=10)
    )
    region: str = "AU"
    clock: Callable[[], datetime] = _utc_now
    monotonic: Callable[[], float] = time.monotonic
    reference_ttl: float = 60.0
    patient_directory_ttl: float = 300.0
    min_notice_minutes: int = 60
    slot_step_minutes: int | None = None
    max_slot_window_days: int = 31
    move_method: str = "update"
    not_bookable_by_phone: tuple[str, ...] = ()
    existing_patients_only: tuple[str, ...] = ()
    practitioner_appointment_types: Mapping[str, tuple[str, ...]] | None = None
    http_client: httpx.AsyncClient | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> NookalConfig:
        """Parse a settings mapping (see the module docstring); ValueError names a bad key."""
        api_key = str(settings.get("api_key") or "").strip()
        if not api_key:
            raise ValueError("the nookal adapter needs settings['api_key']")
        secret = settings.get("slot_secret")
        if secret is None:
            raise ValueError("the nookal adapter needs settings['slot_secret'] (16+ bytes)")
        secret_bytes = secret.encode() if isinstance(secret, str) else bytes(secret)
        move_method = str(settings.get("move_method", "update"))
        if move_method not in MOVE_METHODS:
            raise ValueError(f"nookal setting 'move_method' must be one of {MOVE_METHODS}")
        step = settings.get("slot_step_minutes")
        if step not in (None, "") and int(step) <= 0:
            raise ValueError("nookal setting 'slot_step_minutes' must be positive")
        if int(settings.get("min_notice_minutes", 60)) < 0:
            raise ValueError("nookal setting 'min_notice_minutes' must not be negative")
        if int(settings.get("max_slot_window_days", 31)) < 1:
            raise ValueError("nookal setting 'max_slot_window_days' must be at least 1")
        mapping = settings.get("practitioner_appointment_types")
        extra: dict[str, Any] = {}
        if settings.get("budget") is not None:
            budget = settings["budget"]
            if not isinstance(budget, RequestBudget):
                raise ValueError("nookal setting 'budget' must be a RequestBudget")
            extra["budget"] = budget
        if settings.get("clock") is not None:
            extra["clock"] = settings["clock"]
        if settings.get("http_client") is not None:
            extra["http_client"] = settings["http_client"]
        return cls(
            api_key=api_key,
            slot_secret=secret_bytes,
            location_ids=id_list(settings.get("location_ids")),
            base_url=str(settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/"),
            timeout=_positive(settings, "timeout", 30.0),
            region=str(settings.get("region", "AU")).upper(),
            reference_ttl=_positive(settings, "reference_ttl", 60.0),
            patient_directory_ttl=_positive(settings, "patient_directory_ttl", 300.0),
            min_notice_minutes=int(settings.get("min_notice_minutes", 60)),
            slot_step_minutes=None if step in (None, "") else int(step),
            max_slot_window_days=int(settings.get("max_slot_window_days", 31)),
            move_method=move_method,
            not_bookable_by_phone=id_list(settings.get("not_bookable_by_phone")),
            existing_patients_only=id_list(settings.get("existing_patients_only")),
            practitioner_appointment_types=(
                None if mapping is None else {str(k): id_list(v) for k, v in dict(mapping).items()}
            ),
            **extra,
        )
