"""Live free time from `getAppointmentAvailabilities`, and slot search over it.

One request per (location, practitioner) pair covers every date of the search (spec 7.5: both
sent, `date_from`/`date_to` inclusive). Each date's grid becomes free runs (`grid`), cut into
starts of the type's duration; the starts become UTC instants in the location's zone. Starts in
the past or inside the minimum notice are dropped (spec 7.5: skip times already past).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import anyio

from pms_adapters.errors import InvalidRequest, NotFound, PMSError, PMSUnavailable
from pms_adapters.nookal import mapping
from pms_adapters.nookal.client import NookalClient
from pms_adapters.nookal.config import NookalConfig
from pms_adapters.nookal.grid import Run, bookable_starts, free_runs
from pms_adapters.nookal.reference import Reference
from pms_adapters.nookal.values import as_date, as_id, as_map
from pms_adapters.slot_ids import SlotCodec, SlotKey
from pms_adapters.types import Slot, SlotQuery

CONCURRENT_REQUESTS = 4


class AvailabilityReader:
    """Reads a practitioner's free runs at a location, date by date."""

    def __init__(self, client: NookalClient) -> None:
        self._client = client

    async def runs(
        self, location_id: str, practitioner_id: str, first: date, last: date
    ) -> dict[date, list[Run]]:
        """Free runs per local date from `first` to `last` inclusive."""
        results = await self._client.call(
            "getAppointmentAvailabilities",
            {
                "location_id": location_id,
                "practitioner_id": practitioner_id,
                "date_from": first.isoformat(),
                "date_to": last.isoformat(),
            },
        )
        # An ignored parameter would answer for someone else (spec 10.2): check the echo.
        for field, wanted in (("practitioner_id", practitioner_id), ("location_id", location_id)):
            echoed = as_id(results.get(field))
            if echoed and echoed != wanted:
                raise PMSUnavailable("Nookal answered an availability request for someone else")
        days: dict[date, list[Run]] = {}
        for key, grid in as_map(results.get("availabilities")).items():
            day = as_date(key)
            if day is not None and first <= day <= last:
                days[day] = free_runs(as_map(grid))
        return days


def local_date_and_minute(instant: datetime, zone: str) -> tuple[date, int]:
    """The local date and minute of the day of a UTC instant in `zone`."""
    local = instant.astimezone(ZoneInfo(zone))
    return local.date(), local.hour * 60 + local.minute


async def search_slots(
    query: SlotQuery,
    ref: Reference,
    reader: AvailabilityReader,
    codec: SlotCodec,
    config: NookalConfig,
) -> list[Slot]:
    """Free slots for the query, in time order, at most `query.limit`."""
    kind = ref.types.get(query.appointment_type_id)
    if kind is None:
        raise NotFound(f"appointment type {query.appointment_type_id[:64]!r} not found")
    if query.location_id is not None and query.location_id not in ref.locations:
        raise NotFound(f"location {query.location_id[:64]!r} not found")
    if query.ends_before - query.starts_after > timedelta(days=config.max_slot_window_days):
        raise InvalidRequest(f"search at most {config.max_slot_window_days} days at a time")
    earliest = max(
        query.starts_after, config.clock() + timedelta(minutes=config.min_notice_minutes)
    )
    if earliest >= query.ends_before:
        return []
    wanted = query.practitioner_ids or tuple(ref.practitioners)
    pairs = [
        (practitioner_id, location_id)
        for practitioner_id in dict.fromkeys(wanted)
        if practitioner_id in ref.practitioners
        for location_id in ref.practitioners[practitioner_id].location_ids
        if query.location_id in (None, location_id)
        and ref.offers(practitioner_id, location_id, kind.id)
    ]
    duration = timedelta(minutes=kind.duration_minutes)
    found: list[Slot] = []
    failures: list[PMSError] = []
    limiter = anyio.CapacityLimiter(CONCURRENT_REQUESTS)

    async def read(practitioner_id: str, location_id: str) -> None:
        zone = ref.locations[location_id].timezone
        first, _ = local_date_and_minute(earliest, zone)
        last, _ = local_date_and_minute(query.ends_before - timedelta(microseconds=1), zone)
        try:
            async with limiter:
                days = await reader.runs(location_id, practitioner_id, first, last)
        except PMSError as exc:  # kept, not raised: a task group would wrap it in a group
            failures.append(exc)
            return
        for day, runs in days.items():
            for minute in bookable_starts(runs, kind.duration_minutes, config.slot_step_minutes):
                starts = mapping.local_instant(day, minute, zone)
                if starts is None or not earliest <= starts < query.ends_before:
                    continue
                key = SlotKey(practitioner_id, location_id, kind.id, starts)
                found.append(
                    Slot(
                        id=codec.encode(key),
                        practitioner_id=practitioner_id,
                        location_id=location_id,
                        appointment_type_id=kind.id,
                        starts_at=starts,
                        ends_at=starts + duration,
                    )
                )

    async with anyio.create_task_group() as group:
        for practitioner_id, location_id in pairs:
            group.start_soon(read, practitioner_id, location_id)
    if failures:
        raise failures[0]
    found.sort(key=lambda s: (s.starts_at, _order(s.practitioner_id), _order(s.location_id)))
    return found[: query.limit]


def _order(value: str) -> tuple[int, str]:
    return (len(value), value)
