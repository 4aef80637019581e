"""An example PMS adapter plugin: a small clinic kept in memory.

Registered in the `receptionist.pms_adapters` entry-point group as `inmemory`, pointing at
`create`, exactly as a vendor's adapter package would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from inmemory_pms.adapter import InMemoryPMS, Now

__all__ = ["InMemoryPMS", "create"]


def _clock(value: object) -> Now | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("settings['now'] must be a timezone-aware datetime")
        return lambda: value
    if callable(value):
        return value
    raise TypeError("settings['now'] must be an aware datetime or a callable returning one")


def create(settings: Mapping[str, Any]) -> InMemoryPMS:
    """The entry point's factory: settings `timezone`, `region`, `slot_secret`, `now`, `latency`."""
    secret = settings.get("slot_secret")
    return InMemoryPMS(
        timezone=str(settings.get("timezone", "Australia/Sydney")),
        region=str(settings.get("region", "AU")),
        slot_secret=secret.encode() if isinstance(secret, str) else secret,
        now=_clock(settings.get("now")),
        latency=float(settings.get("latency", 0.0)),
    )
