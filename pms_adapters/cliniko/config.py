"""`ClinikoConfig`: a Cliniko connection's settings, read from the settings mapping.

Keys (all optional except `api_key`, and `slot_secret` outside test/development)::

    api_key            the Cliniko API key; its suffix after the last hyphen names the shard
                       ("...-au1" -> https://api.au1.cliniko.com/v1); no suffix means au1
    business_ids       businesses to serve: a list or a comma-separated string (default: all)
    base_url           overrides the shard's URL (tests point it at the fake)
    user_agent         default "clinic-receptionist (receptionist@example.org)": set your own
                       contact address; Cliniko may block requests without one
    timeout            seconds per HTTP request (default 10)
    slot_secret        str or bytes, at least 16 bytes, for tamper-evident slot ids
    environment        "test" or "development" may omit slot_secret (a random one is made)
    budget             a pms_adapters.budget.RequestBudget shared by every worker on this key
                       (default: a LocalTokenBucket of 180/minute with a burst of 20, so no
                       minute can exceed Cliniko's 200)
    clock              a callable returning an aware datetime, or an object with .now()
    max_concurrency    parallel availability requests per search (default 4)
    reference_ttl      seconds to cache businesses, practitioners and types (default 300)
    timezone           IANA zone for businesses that have no time_zone_identifier (default UTC)
    default_region     ISO country for reading local phone numbers (default: the first
                       business's country_code, else AU)
    max_rate_limit_wait  longest 429 wait in seconds before RateLimited is raised (default 30)
    write_settle_delay   seconds to wait before looking for a write whose answer was lost
                         (default 0.5)
    existing_patients_only_type_ids  types to mark new_patients_allowed=False (list or
                       comma-separated), besides those whose category or description says
                       "existing patients only"
    max_slot_window_days  the longest find_slots window (default 31; split into 7-day calls)
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pms_adapters.budget import LocalTokenBucket, RequestBudget

DEFAULT_USER_AGENT = "clinic-receptionist (receptionist@example.org)"
_SHARD = re.compile(r"[a-z]{2}[0-9]{1,2}", re.IGNORECASE)

Clock = Callable[[], datetime]


def shard_of(api_key: str) -> str:
    """The shard an API key belongs to: its suffix after the last hyphen, else au1."""
    _, sep, suffix = api_key.strip().rpartition("-")
    if sep and _SHARD.fullmatch(suffix):
        return suffix.lower()
    return "au1"


def base_url_for(api_key: str) -> str:
    """The API base URL for a key's shard."""
    return f"https://api.{shard_of(api_key)}.cliniko.com/v1"


def _ids(value: Any) -> tuple[str, ...] | None:
    if value is None or value == "":
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    ids = tuple(str(i).strip() for i in items if str(i).strip())
    for item in ids:
        if not item.isdigit():
            raise ValueError(f"Cliniko ids are digits; got {item[:40]!r}")
    return ids or None


def _clock(value: Any) -> Clock:
    if value is None:
        return lambda: datetime.now(UTC)
    now = getattr(value, "now", None)
    if callable(now):
        return lambda: now()
    if callable(value):
        return value  # type: ignore[no-any-return]
    raise ValueError("clock must be a callable or have a now() method")


def _zone(value: Any) -> str:
    if not value:
        return "UTC"
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("settings['timezone'] must be an IANA zone name") from exc
    return str(value)


@dataclass(frozen=True)
class ClinikoConfig:
    """Everything a `ClinikoAdapter` needs to connect; see the module notes for each key."""

    api_key: str
    base_url: str
    business_ids: tuple[str, ...] | None
    user_agent: str
    timeout: float
    slot_secret: bytes
    budget: RequestBudget
    clock: Clock
    max_concurrency: int = 4
    reference_ttl: float = 300.0
    default_region: str | None = None
    timezone: str = "UTC"
    max_rate_limit_wait: float = 30.0
    write_settle_delay: float = 0.5
    existing_patients_only_type_ids: frozenset[str] = frozenset()
    max_slot_window_days: int = 31

    def __repr__(self) -> str:  # never show the key
        return f"ClinikoConfig(base_url={self.base_url!r}, business_ids={self.business_ids!r})"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ClinikoConfig:
        """Read and check the settings mapping; ValueError names the bad key (not its value)."""
        api_key = str(settings.get("api_key") or "").strip()
        if not api_key:
            raise ValueError("the Cliniko adapter needs settings['api_key']")
        secret = settings.get("slot_secret")
        if secret is None:
            if settings.get("environment") not in ("test", "development"):
                raise ValueError(
                    "the Cliniko adapter needs settings['slot_secret'] (at least 16 bytes);"
                    " only environment='test' or 'development' may omit it"
                )
            secret = secrets.token_bytes(32)
        secret_bytes = secret.encode() if isinstance(secret, str) else bytes(secret)
        if len(secret_bytes) < 16:
            raise ValueError("settings['slot_secret'] must be at least 16 bytes")
        budget = settings.get("budget")
        if budget is None:
            budget = LocalTokenBucket(rate_per_minute=180, burst=20, max_wait=10.0)
        elif not isinstance(budget, RequestBudget):
            raise ValueError("settings['budget'] must be a pms_adapters.budget.RequestBudget")
        timeout = float(settings.get("timeout", 10.0))
        if timeout <= 0:
            raise ValueError("settings['timeout'] must be positive")
        region = settings.get("default_region")
        return cls(
            api_key=api_key,
            base_url=str(settings.get("base_url") or base_url_for(api_key)).rstrip("/"),
            business_ids=_ids(settings.get("business_ids")),
            user_agent=str(settings.get("user_agent") or DEFAULT_USER_AGENT),
            timeout=timeout,
            slot_secret=secret_bytes,
            budget=budget,
            clock=_clock(settings.get("clock")),
            max_concurrency=max(1, int(settings.get("max_concurrency", 4))),
            reference_ttl=float(settings.get("reference_ttl", 300.0)),
            default_region=str(region).upper() if region else None,
            timezone=_zone(settings.get("timezone")),
            max_rate_limit_wait=float(settings.get("max_rate_limit_wait", 30.0)),
            write_settle_delay=float(settings.get("write_settle_delay", 0.5)),
            existing_patients_only_type_ids=frozenset(
                _ids(settings.get("existing_patients_only_type_ids")) or ()
            ),
            max_slot_window_days=int(settings.get("max_slot_window_days", 31)),
        )
