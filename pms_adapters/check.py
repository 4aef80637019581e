"""`describe`: what a PMS connection can see, for `receptionist pms check`.

Adapters with more to say (Cliniko's online-booking flags, Nookal's unconfirmed behaviours)
ship a `check.describe(adapter)` in their own package; any other adapter gets the generic
report here: locations, practitioners, appointment types, and the first free slots of each
type in the next week. It only reads, and it reports no patient data.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from pms_adapters.contract import PMSAdapter
from pms_adapters.errors import PMSError
from pms_adapters.types import SlotQuery

Describe = Callable[[Any], Awaitable[dict[str, Any]]]


async def generic_describe(adapter: PMSAdapter, *, days: int = 7) -> dict[str, Any]:
    """Reference data and whether each appointment type has free slots soon."""
    locations = await adapter.locations()
    practitioners = await adapter.practitioners()
    types = await adapter.appointment_types()
    now = datetime.now(UTC)
    availability = []
    for kind in types:
        try:
            slots = await adapter.find_slots(
                SlotQuery(
                    appointment_type_id=kind.id,
                    starts_after=now,
                    ends_before=now + timedelta(days=days),
                    limit=3,
                )
            )
            availability.append(
                {
                    "appointment_type_id": kind.id,
                    "free_starts": [s.starts_at.isoformat() for s in slots],
                }
            )
        except PMSError as exc:
            availability.append({"appointment_type_id": kind.id, "error": type(exc).__name__})
    return {
        "adapter": adapter.name,
        "locations": [loc.model_dump() for loc in locations],
        "practitioners": [p.model_dump() for p in practitioners],
        "appointment_types": [t.model_dump() for t in types],
        "availability": availability,
        "capabilities": adapter.capabilities.model_dump(),
    }


def describer(adapter: PMSAdapter) -> Describe:
    """The adapter package's own `check.describe` if it has one, else the generic report."""
    package = type(adapter).__module__.rpartition(".")[0]
    if package and package != __name__.rpartition(".")[0]:
        try:
            module = importlib.import_module(f"{package}.check")
        except ImportError:
            module = None
        found = getattr(module, "describe", None)
        if callable(found):
            return cast(Describe, found)
    return cast(Describe, generic_describe)
