"""`describe`: what a Nookal connection can see, for `receptionist pms check`.

It calls `verify`, reads the reference data, and asks for a week of availability for every
practitioner at every location they work at, reporting each as readable or not. It never
writes, and it reports no patient data.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pms_adapters.errors import AuthFailed, PMSError
from pms_adapters.nookal.adapter import NookalAdapter
from pms_adapters.nookal.availability import local_date_and_minute
from pms_adapters.nookal.grid import bookable_starts
from pms_adapters.nookal.values import as_bool

AVAILABILITY_DAYS = 7


async def describe(adapter: NookalAdapter) -> dict[str, Any]:
    """A JSON-ready report of the connection.

    Keys: `adapter`, `base_url`, `key_verified` (bool), `locations`, `missing_locations`
    (configured ids the key does not see), `practitioners`, `appointment_types`,
    `practitioner_types_source` (settings, the custom method, or the all-types fallback),
    `availability` (one entry per practitioner and location: `readable`, `free_starts` over the
    next week for a 30-minute appointment, or `error`), `capabilities`, and `problems` (text
    lines worth a human's attention; empty when all is well).
    """
    report: dict[str, Any] = {
        "adapter": adapter.name,
        "base_url": adapter.client.base_url,
        "key_verified": False,
        "locations": [],
        "missing_locations": [],
        "practitioners": [],
        "appointment_types": [],
        "practitioner_types_source": None,
        "availability": [],
        "capabilities": adapter.capabilities.model_dump(),
        "problems": [],
    }
    problems: list[str] = report["problems"]
    try:
        verified = await adapter.client.call("verify")
        report["key_verified"] = as_bool(verified.get("verify", True))
    except AuthFailed as exc:
        problems.append(f"the API key was refused: {exc}")
        return report
    except PMSError as exc:
        problems.append(f"verify failed: {exc}")
    try:
        adapter.reference.invalidate()
        ref = await adapter.reference.get()
    except PMSError as exc:
        problems.append(f"reference data could not be read: {exc}")
        return report
    report["locations"] = [loc.model_dump() for loc in ref.locations.values()]
    report["missing_locations"] = list(ref.missing_locations)
    report["practitioners"] = [
        {
            **p.model_dump(),
            "appointment_type_ids": sorted(
                t for t in ref.types if any(ref.offers(p.id, loc, t) for loc in p.location_ids)
            ),
        }
        for p in ref.practitioners.values()
    ]
    report["appointment_types"] = [t.model_dump() for t in ref.types.values()]
    report["practitioner_types_source"] = ref.practitioner_types_source
    if not ref.locations:
        problems.append("the key sees none of the configured locations")
    for missing in ref.missing_locations:
        problems.append(f"location {missing} is configured but the API key does not cover it")
    if not ref.practitioners:
        problems.append("no active practitioner works at a covered location")
    if not ref.types:
        problems.append("no appointment type (Nookal service) has a usable duration")
    now = adapter.config.clock()
    for practitioner in ref.practitioners.values():
        for location_id in practitioner.location_ids:
            zone = ref.locations[location_id].timezone
            first, _ = local_date_and_minute(now, zone)
            entry: dict[str, Any] = {
                "practitioner_id": practitioner.id,
                "location_id": location_id,
            }
            try:
                days = await adapter.availability.runs(
                    location_id, practitioner.id, first, first + timedelta(days=AVAILABILITY_DAYS)
                )
            except PMSError as exc:
                entry.update(readable=False, error=str(exc))
                problems.append(
                    f"availability of practitioner {practitioner.id} at location {location_id}"
                    f" could not be read: {exc}"
                )
            else:
                starts = sum(len(bookable_starts(runs, 30)) for runs in days.values())
                entry.update(readable=True, free_starts=starts)
            report["availability"].append(entry)
    return report
