"""Reference data: businesses, practitioners and appointment types, and who offers what where.

Read with a handful of requests (the three lists, each business's practitioners, each
practitioner's appointment types) and cached for `ttl` seconds; concurrent callers share one
refresh. Group types (`max_attendees` > 1), zero-length and archived types are left out: they
cannot be booked as individual appointments.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio

from pms_adapters.cliniko import mapping
from pms_adapters.cliniko.client import ClinikoClient
from pms_adapters.types import AppointmentType, Location, Practitioner


@dataclass(frozen=True)
class Reference:
    """One snapshot of the account's reference data, restricted to the configured businesses."""

    businesses: dict[str, dict[str, Any]]
    locations: dict[str, Location]
    practitioners: dict[str, Practitioner]
    types: dict[str, AppointmentType]
    # practitioner id -> the type ids they offer
    offers: dict[str, frozenset[str]]
    # business id -> the type ids offered there (None: no list given, or an empty one)
    business_types: dict[str, frozenset[str] | None]
    missing_business_ids: tuple[str, ...] = ()

    def offered(self, practitioner_id: str, business_id: str, type_id: str) -> bool:
        """Whether the practitioner offers the type at the business."""
        practitioner = self.practitioners.get(practitioner_id)
        if practitioner is None or business_id not in practitioner.location_ids:
            return False
        at_business = self.business_types.get(business_id)
        return type_id in self.offers.get(practitioner_id, frozenset()) and (
            at_business is None or type_id in at_business
        )

    def country(self) -> str | None:
        """The first business's ISO country code, if Cliniko gave one."""
        for record in self.businesses.values():
            code = record.get("country_code")
            if isinstance(code, str) and len(code) == 2:
                return code.upper()
        return None


class ReferenceCache:
    """The account's reference data, refreshed when older than `ttl` seconds."""

    def __init__(
        self,
        client: ClinikoClient,
        business_ids: tuple[str, ...] | None,
        existing_only: frozenset[str],
        ttl: float = 300.0,
        fallback_zone: str = "UTC",
        max_concurrency: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._business_ids = business_ids
        self._existing_only = existing_only
        self._ttl = ttl
        self._fallback_zone = fallback_zone
        self._max_concurrency = max_concurrency
        self._clock = clock
        self._current: Reference | None = None
        self._fetched_at = 0.0
        self._lock: anyio.Lock | None = None

    def invalidate(self) -> None:
        """Read everything again next time."""
        self._current = None

    async def get(self) -> Reference:
        """The current snapshot, refreshed if stale."""
        if self._current is not None and self._clock() - self._fetched_at < self._ttl:
            return self._current
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if self._current is None or self._clock() - self._fetched_at >= self._ttl:
                self._current = await self._fetch()
                self._fetched_at = self._clock()
            return self._current

    async def _fetch(self) -> Reference:
        client = self._client
        all_businesses = await client.pages("/businesses", "businesses")
        wanted = self._business_ids
        businesses = {
            mapping.cliniko_id(b.get("id")): b
            for b in all_businesses
            if not b.get("archived_at") and (wanted is None or str(b.get("id")) in wanted)
        }
        missing = tuple(i for i in wanted or () if i not in businesses)
        practitioners = {
            mapping.cliniko_id(p.get("id")): p
            for p in await client.pages("/practitioners", "practitioners")
        }
        kinds = [
            t
            for t in await client.pages("/appointment_types", "appointment_types")
            if not t.get("archived_at")
            and int(t.get("max_attendees") or 1) <= 1
            and 0 < int(t.get("duration_in_minutes") or 0) <= 1440
        ]
        works_at: dict[str, list[str]] = {}
        offers: dict[str, frozenset[str]] = {}
        limiter = anyio.CapacityLimiter(self._max_concurrency)

        async def staff(business_id: str) -> None:
            async with limiter:
                rows = await client.pages(
                    f"/businesses/{business_id}/practitioners", "practitioners"
                )
            for row in rows:
                works_at.setdefault(mapping.cliniko_id(row.get("id")), []).append(business_id)

        async def offered(practitioner_id: str) -> None:
            async with limiter:
                rows = await client.pages(
                    f"/practitioners/{practitioner_id}/appointment_types", "appointment_types"
                )
            offers[practitioner_id] = frozenset(mapping.cliniko_id(r.get("id")) for r in rows)

        async with anyio.create_task_group() as group:
            for business_id in businesses:
                group.start_soon(staff, business_id)
        working = [p for p in practitioners if p in works_at]
        async with anyio.create_task_group() as group:
            for practitioner_id in working:
                group.start_soon(offered, practitioner_id)
        order = list(businesses)
        return Reference(
            businesses=businesses,
            locations={i: mapping.location(b, self._fallback_zone) for i, b in businesses.items()},
            practitioners={
                i: mapping.practitioner(
                    practitioners[i], tuple(sorted(works_at[i], key=order.index))
                )
                for i in working
            },
            types={
                t.id: t for t in (mapping.appointment_type(k, self._existing_only) for k in kinds)
            },
            offers=offers,
            business_types={
                i: (
                    frozenset(str(t) for t in b["appointment_type_ids"])
                    if isinstance(b.get("appointment_type_ids"), list) and b["appointment_type_ids"]
                    else None
                )
                for i, b in businesses.items()
            },
            missing_business_ids=missing,
        )
