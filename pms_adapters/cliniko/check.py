"""`describe`: what a Cliniko connection can see, for `receptionist pms check`.

It reads the businesses, practitioners and appointment types, then asks `available_times`
for every business x practitioner x type the practitioner offers there, over the next 7 days:
a 404 means online bookings are off for that combination (the adapter will offer no slots
for it), anything else means they are on. Errors other than 404 (a bad key, Cliniko down)
propagate as the adapter's usual `PMSError`s.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio

from pms_adapters.cliniko.adapter import ClinikoAdapter
from pms_adapters.cliniko.availability import Pair


async def describe(adapter: ClinikoAdapter) -> dict[str, Any]:
    """A JSON-ready report: `businesses`, `practitioners`, `appointment_types`, and
    `online_bookings` (one entry per offered combination: `enabled` and, when enabled, the
    number of free starts in the next 7 days), plus `missing_business_ids` (configured ids
    Cliniko does not list)."""
    ref = await adapter.reference.get()
    combos = [
        (business_id, practitioner.id, type_id)
        for practitioner in ref.practitioners.values()
        for business_id in practitioner.location_ids
        for type_id in ref.types
        if ref.offered(practitioner.id, business_id, type_id)
    ]
    found: dict[tuple[str, str, str], int | None] = {}
    limiter = anyio.CapacityLimiter(adapter.config.max_concurrency)

    async def probe(business_id: str, practitioner_id: str, type_id: str) -> None:
        zone = ZoneInfo(ref.locations[business_id].timezone)
        today = adapter.config.clock().astimezone(zone).date()
        pair = Pair(business_id, practitioner_id, type_id, zone)
        async with limiter:
            starts = await adapter.availability.starts(pair, today, today + timedelta(days=6))
        found[(business_id, practitioner_id, type_id)] = None if starts is None else len(starts)

    async with anyio.create_task_group() as group:
        for combo in combos:
            group.start_soon(probe, *combo)
    return {
        "base_url": adapter.config.base_url,
        "businesses": [
            {"id": loc.id, "name": loc.name, "timezone": loc.timezone}
            for loc in ref.locations.values()
        ],
        "missing_business_ids": list(ref.missing_business_ids),
        "practitioners": [
            {
                "id": p.id,
                "name": p.name,
                "title": p.title,
                "business_ids": list(p.location_ids),
                "appointment_type_ids": sorted(
                    ref.offers.get(p.id, frozenset()) & ref.types.keys(), key=int
                ),
            }
            for p in ref.practitioners.values()
        ],
        "appointment_types": [
            {
                "id": t.id,
                "name": t.name,
                "duration_minutes": t.duration_minutes,
                "bookable_by_phone": t.bookable_by_phone,
                "new_patients_allowed": t.new_patients_allowed,
            }
            for t in ref.types.values()
        ],
        "online_bookings": [
            {
                "business_id": b,
                "practitioner_id": p,
                "appointment_type_id": t,
                "enabled": found[(b, p, t)] is not None,
                "free_starts_next_7_days": found[(b, p, t)],
            }
            for b, p, t in combos
        ],
    }
