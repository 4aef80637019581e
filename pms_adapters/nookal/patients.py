"""Finding patients in Nookal, which cannot search by phone (spec 7.7).

`searchPatients` takes names and a date of birth; phones are stored as typed. So:

- a search with a date of birth asks Nookal for that date (a selective, live query) and checks
  names and phones on our side;
- a search by name or phone alone reads a `PatientDirectory`: every patient from `getPatients`,
  paged, kept in memory for `patient_directory_ttl` seconds (refreshed early when a phone is not
  found, at most every 30 s), plus a live `searchPatients` by last name for names, so a patient
  registered at the front desk a minute ago is still found by name.

Names match as the diary matches them: case- and accent-folded, each spoken word within a small
edit distance of one of the record's words. Phones match in E.164 after parsing both sides with
the patient's location's country (default: the configured region).

The directory holds patient names, birth dates and phones in this process's memory; it is never
logged and is dropped with the adapter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from pms_adapters.nookal.client import NookalClient
from pms_adapters.nookal.values import as_id, as_rows

Row = Mapping[str, Any]
MAX_RESULTS = 10
PHONE_MISS_REFRESH_SECONDS = 30.0


class PatientDirectory:
    """Every patient row from `getPatients`, cached for a while (see the module notes)."""

    def __init__(
        self,
        load: Callable[[], Awaitable[list[Row]]],
        ttl: float,
        monotonic: Callable[[], float],
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._monotonic = monotonic
        self._rows: dict[str, Row] = {}
        self._loaded_at: float | None = None
        self._lock = anyio.Lock()

    def _age(self) -> float:
        if self._loaded_at is None:
            return float("inf")
        return self._monotonic() - self._loaded_at

    async def rows(self, max_age: float | None = None) -> list[Row]:
        """The rows, reloaded first if older than `max_age` (default: the TTL)."""
        limit = self._ttl if max_age is None else min(max_age, self._ttl)
        async with self._lock:
            if self._age() >= limit:
                loaded = await self._load()
                self._rows = {as_id(r.get("ID")): r for r in loaded if as_id(r.get("ID"))}
                self._loaded_at = self._monotonic()
            return list(self._rows.values())

    async def rows_after_miss(self) -> list[Row]:
        """The rows, reloaded if a phone was not found and the copy is over 30 s old."""
        return await self.rows(PHONE_MISS_REFRESH_SECONDS)

    def remember(self, row: Row) -> None:
        """Add or replace one patient (one we just created or read)."""
        patient_id = as_id(row.get("ID"))
        if patient_id and self._loaded_at is not None:
            self._rows[patient_id] = row


async def patient_row(client: NookalClient, patient_id: str) -> Row | None:
    """One patient's row by id (`searchPatients` with `patient_id`), matched exactly."""
    results = await client.call("searchPatients", {"patient_id": patient_id})
    for row in as_rows(results.get("patients")):
        if as_id(row.get("ID")) == patient_id:
            return row
    return None
