"""Free slots from Cliniko's `available_times`, one business x practitioner x type at a time.

Cliniko takes `from` and `to` dates at most 7 calendar days apart (we send `to = from + 6`, so
both readings of the rule pass), never before today, and pages its answer. A search is cut into
7-day rounds; in each round every (business, practitioner) pair is asked at once, up to
`max_concurrency` at a time, each request through the shared budget. With a `limit`, rounds
stop once the earliest `limit` slots are settled. A 404 means online bookings are off for that
business, practitioner or type: that pair is skipped, not the search.

Dates are read in the business's zone (`time_zone_identifier`). Cliniko documents them in the
account's zone; the two agree unless an account mixes zones without "advanced time zone
support" (unconfirmed upstream).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import anyio

from pms_adapters.cliniko import mapping
from pms_adapters.cliniko.client import ClinikoClient, ClinikoNotFound, ClinikoRefused
from pms_adapters.cliniko.reference import Reference, ReferenceCache
from pms_adapters.errors import NotFound
from pms_adapters.slot_ids import SlotCodec, SlotKey
from pms_adapters.types import Slot, SlotQuery

logger = logging.getLogger("pms_adapters.cliniko")

CHUNK_DAYS = 7


@dataclass(frozen=True, slots=True)
class Pair:
    """Who and where: one practitioner at one business, for one type."""

    business_id: str
    practitioner_id: str
    type_id: str
    zone: ZoneInfo


class Availability:
    """find_slots over `available_times`, and the re-check a booking makes first."""

    def __init__(
        self,
        client: ClinikoClient,
        reference: ReferenceCache,
        codec: SlotCodec,
        clock: Callable[[], datetime],
        max_concurrency: int = 4,
    ) -> None:
        self._client = client
        self._reference = reference
        self._codec = codec
        self._clock = clock
        self._max_concurrency = max_concurrency

    async def starts(self, pair: Pair, first: date, last: date) -> list[datetime] | None:
        """Cliniko's available starts on local days first..last (at most 7 apart); None when
        online bookings are off for the pair (a 404)."""
        path = (
            f"/businesses/{pair.business_id}/practitioners/{pair.practitioner_id}"
            f"/appointment_types/{pair.type_id}/available_times"
        )
        params = [("from", first.isoformat()), ("to", last.isoformat())]
        try:
            rows = await self._client.pages(path, "available_times", params)
        except ClinikoNotFound:
            logger.info(
                "cliniko online bookings off",
                extra={k: getattr(pair, k) for k in ("business_id", "practitioner_id", "type_id")},
            )
            return None
        return sorted({mapping.instant(r.get("appointment_start")) for r in rows})

    def _today(self, zone: ZoneInfo) -> date:
        return self._clock().astimezone(zone).date()

    async def find(self, query: SlotQuery) -> list[Slot]:
        """Free slots starting in the query's window, in time order, at most `query.limit`."""
        ref = await self._reference.get()
        kind = ref.types.get(query.appointment_type_id)
        if kind is None:
            raise NotFound(f"appointment type {query.appointment_type_id[:64]!r} not found")
        pairs = self._pairs(ref, query)
        start = max(query.starts_after, self._clock())
        end = query.ends_before
        if not pairs or end <= start:
            return []
        duration = timedelta(minutes=kind.duration_minutes)
        found: dict[tuple[datetime, str, str], Slot] = {}
        round_no = 0
        while True:
            spans = {p: self._span(p, start, end, round_no) for p in pairs}
            live = {p: s for p, s in spans.items() if s is not None}
            if not live:
                break
            await self._round(live, start, end, duration, found)
            if query.limit is not None:
                settled_until = min(
                    datetime.combine(last + timedelta(days=1), datetime.min.time(), p.zone)
                    for p, (_, last) in live.items()
                )
                settled = [k for k in found if k[0] < settled_until]
                if len(settled) >= query.limit:
                    break
            round_no += 1
        ordered = [found[k] for k in sorted(found)]
        return ordered[: query.limit] if query.limit is not None else ordered

    def _pairs(self, ref: Reference, query: SlotQuery) -> list[Pair]:
        wanted = set(query.practitioner_ids) if query.practitioner_ids is not None else None
        pairs = []
        for practitioner in ref.practitioners.values():
            if wanted is not None and practitioner.id not in wanted:
                continue
            for business_id in practitioner.location_ids:
                if query.location_id is not None and business_id != query.location_id:
                    continue
                if ref.offered(practitioner.id, business_id, query.appointment_type_id):
                    zone = ZoneInfo(ref.locations[business_id].timezone)
                    pairs.append(
                        Pair(business_id, practitioner.id, query.appointment_type_id, zone)
                    )
        return pairs

    def _span(
        self, pair: Pair, start: datetime, end: datetime, round_no: int
    ) -> tuple[date, date] | None:
        """The local days round `round_no` asks about for this pair, or None when done."""
        first = max(start.astimezone(pair.zone).date(), self._today(pair.zone))
        final = (end - timedelta(microseconds=1)).astimezone(pair.zone).date()
        chunk_first = first + timedelta(days=CHUNK_DAYS * round_no)
        if chunk_first > final:
            return None
        return chunk_first, min(final, chunk_first + timedelta(days=CHUNK_DAYS - 1))

    async def _round(
        self,
        spans: dict[Pair, tuple[date, date]],
        start: datetime,
        end: datetime,
        duration: timedelta,
        found: dict[tuple[datetime, str, str], Slot],
    ) -> None:
        limiter = anyio.CapacityLimiter(self._max_concurrency)

        async def one(pair: Pair, first: date, last: date) -> None:
            async with limiter:
                try:
                    starts = await self.starts(pair, first, last)
                except ClinikoRefused as exc:
                    if exc.status != 400 or first != self._today(pair.zone):
                        raise
                    # Our clock and Cliniko's disagree about the date: skip today.
                    if first == last:
                        return
                    starts = await self.starts(pair, first + timedelta(days=1), last)
            for at in starts or []:
                if start <= at < end:
                    found[(at, pair.practitioner_id, pair.business_id)] = self.slot(
                        pair, at, duration
                    )

        async with anyio.create_task_group() as group:
            for pair, (first, last) in spans.items():
                group.start_soon(one, pair, first, last)

    def slot(self, pair: Pair, at: datetime, duration: timedelta) -> Slot:
        """The slot (with its signed id) for a start."""
        key = SlotKey(pair.practitioner_id, pair.business_id, pair.type_id, at)
        return Slot(
            id=self._codec.encode(key),
            practitioner_id=pair.practitioner_id,
            location_id=pair.business_id,
            appointment_type_id=pair.type_id,
            starts_at=at,
            ends_at=at + duration,
        )

    async def is_offered(self, pair: Pair, at: datetime) -> bool:
        """Whether Cliniko offers exactly this start right now (re-read before booking)."""
        day = at.astimezone(pair.zone).date()
        if day < self._today(pair.zone):
            return False
        try:
            starts = await self.starts(pair, day, day)
        except ClinikoRefused as exc:
            if exc.status == 400:
                return False
            raise
        return starts is not None and at in starts
