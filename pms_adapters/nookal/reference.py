"""The clinic's reference data from Nookal: locations, practitioners, appointment types, and who
delivers which type, read together and cached for `reference_ttl` seconds.

Only the locations this connection covers (settings `location_ids`, else all the key sees) are
kept; a practitioner is kept with the covered locations they work at, if any. Appointment types
come from the `services` key of `getAppointmentTypes` (durations in minutes, spec 7.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio

from pms_adapters.nookal import assumptions, mapping
from pms_adapters.nookal.client import NookalClient, NookalFailure, UnknownMethod
from pms_adapters.nookal.config import NookalConfig
from pms_adapters.nookal.values import as_id, as_rows
from pms_adapters.types import AppointmentType, Location, Practitioner


@dataclass(frozen=True)
class Reference:
    """One consistent read of the reference data."""

    locations: dict[str, Location]
    regions: dict[str, str]  # location id -> phone region
    practitioners: dict[str, Practitioner]
    types: dict[str, AppointmentType]
    type_locations: dict[str, frozenset[str]]  # empty: offered everywhere (or not said)
    practitioner_types: dict[str, frozenset[str]] | None  # None: everyone delivers everything
    practitioner_types_source: str
    missing_locations: tuple[str, ...] = ()
    type_ids_by_name: dict[str, str] = field(default_factory=dict)

    def delivers(self, practitioner_id: str, type_id: str) -> bool:
        """Whether the practitioner delivers the appointment type."""
        if self.practitioner_types is None:
            return True
        return type_id in self.practitioner_types.get(practitioner_id, frozenset())

    def offers(self, practitioner_id: str, location_id: str, type_id: str) -> bool:
        """Whether the practitioner may be booked for the type at the location."""
        found = self.practitioners.get(practitioner_id)
        where = self.type_locations.get(type_id, frozenset())
        return (
            found is not None
            and type_id in self.types
            and location_id in found.location_ids
            and (not where or location_id in where)
            and self.delivers(practitioner_id, type_id)
        )


class ReferenceData:
    """Reads and caches `Reference`."""

    def __init__(self, client: NookalClient, config: NookalConfig) -> None:
        self._client = client
        self._config = config
        self._cached: tuple[float, Reference] | None = None
        self._lock = anyio.Lock()
        self._custom_method_missing: str | None = None

    def invalidate(self) -> None:
        """Forget the cached copy."""
        self._cached = None

    async def get(self) -> Reference:
        """The reference data, at most `reference_ttl` seconds old."""
        async with self._lock:
            now = self._config.monotonic()
            if self._cached is not None and now - self._cached[0] < self._config.reference_ttl:
                return self._cached[1]
            loaded = await self._load()
            self._cached = (self._config.monotonic(), loaded)
            return loaded

    async def _load(self) -> Reference:
        config = self._config
        location_rows = await self._client.fetch_all("getLocations", "locations")
        wanted = set(config.location_ids)
        locations: dict[str, Location] = {}
        regions: dict[str, str] = {}
        for row in location_rows:
            loc = mapping.location(row)
            if loc.id and (not wanted or loc.id in wanted):
                locations[loc.id] = loc
                regions[loc.id] = mapping.region_of(row.get("Country"), config.region)
        covered = set(locations)
        practitioners: dict[str, Practitioner] = {}
        for row in await self._client.fetch_all("getPractitioners", "practitioners"):
            if not assumptions.is_active_practitioner(row):
                continue
            found = mapping.practitioner(row, covered)
            if found.id and found.location_ids:
                practitioners[found.id] = found
        not_by_phone = {v.casefold() for v in config.not_bookable_by_phone}
        existing_only = {v.casefold() for v in config.existing_patients_only}
        types: dict[str, AppointmentType] = {}
        where: dict[str, frozenset[str]] = {}
        for row in await self._client.fetch_all("getAppointmentTypes", "services"):
            kind = mapping.appointment_type(row, not_by_phone, existing_only)
            if kind is None:
                continue
            offered_at = frozenset(mapping.type_locations(row))
            if offered_at and not offered_at & covered:
                continue
            types[kind.id] = kind
            where[kind.id] = offered_at
        delivered, source = await self._practitioner_types(list(practitioners))
        return Reference(
            locations=locations,
            regions=regions,
            practitioners=practitioners,
            types=types,
            type_locations=where,
            practitioner_types=delivered,
            practitioner_types_source=source,
            missing_locations=tuple(i for i in config.location_ids if i not in covered),
            type_ids_by_name={k.name.casefold(): k.id for k in types.values()},
        )

    async def _practitioner_types(
        self, practitioner_ids: list[str]
    ) -> tuple[dict[str, frozenset[str]] | None, str]:
        """Who delivers what: settings first, then the custom method, else everyone all."""
        configured = self._config.practitioner_appointment_types
        if configured is not None:
            return {p: frozenset(configured.get(p, ())) for p in practitioner_ids}, "settings"
        method = assumptions.PRACTITIONER_TYPES_METHOD
        if self._custom_method_missing is not None:
            return None, self._custom_method_missing
        delivered: dict[str, frozenset[str]] = {}
        try:
            for practitioner_id in practitioner_ids:
                results = await self._client.call(method, {"practitioner_id": practitioner_id})
                rows = as_rows(results.get("services"))
                delivered[practitioner_id] = frozenset(as_id(r.get("ID")) for r in rows)
        except (UnknownMethod, NookalFailure) as exc:
            self._custom_method_missing = f"everyone delivers every type ({method} refused: {exc})"
            return None, self._custom_method_missing
        return delivered, method
