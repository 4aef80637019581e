"""Checks of slot search: what find_slots offers, in what order, and how it narrows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pms_adapters.conformance.checked import expect, fail
from pms_adapters.conformance.kit import Kit, describe, place
from pms_adapters.types import Slot


def _is_utc(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() == timedelta(0)


async def _some_slots(kit: Kit) -> list[Slot]:
    slots = await kit.offered()
    if not slots:
        fail(
            "adapter.find_slots() offers nothing in the sandbox window for appointment type"
            f" {kit.sandbox.appointment_type_id!r}: either it misses free time or the Sandbox"
            " needs a window with availability"
        )
    return slots


class SlotSearchChecks:
    """find_slots offers live, well-formed slots and honours every part of the query."""

    @pytest.mark.anyio
    async def test_find_slots_offers_well_formed_slots_inside_the_window(self, kit: Kit) -> None:
        kind = await kit.appointment_type()
        duration = timedelta(minutes=kind.duration_minutes)
        practitioners = {p.id for p in await kit.pms.practitioners()}
        locations = {loc.id for loc in await kit.pms.locations()}
        window = kit.window
        for slot in await _some_slots(kit):
            where = f"slot {slot.id!r} ({describe(slot)})"
            expect(
                _is_utc(slot.starts_at) and _is_utc(slot.ends_at),
                f"{where} has times that are not timezone-aware UTC",
            )
            expect(
                window.starts_at <= slot.starts_at < window.ends_at,
                f"{where} starts outside the searched window {window.starts_at.isoformat()}"
                f" to {window.ends_at.isoformat()}",
            )
            expect(
                slot.ends_at - slot.starts_at == duration,
                f"{where} lasts {slot.ends_at - slot.starts_at}, but appointment type"
                f" {kind.id} lasts {duration}",
            )
            expect(
                slot.appointment_type_id == kind.id,
                f"{where} is for appointment type {slot.appointment_type_id!r}; the search"
                f" asked for {kind.id!r}",
            )
            expect(
                slot.practitioner_id in practitioners and slot.location_id in locations,
                f"{where} names a practitioner or location that the reference data lacks",
            )
            expect(bool(slot.id), f"a slot ({describe(slot)}) has an empty id")

    @pytest.mark.anyio
    async def test_find_slots_are_in_time_order(self, kit: Kit) -> None:
        slots = await _some_slots(kit)
        for earlier, later in zip(slots, slots[1:], strict=False):
            expect(
                earlier.starts_at <= later.starts_at,
                f"adapter.find_slots() lists {describe(earlier)} before {describe(later)}:"
                " slots come in time order",
            )

    @pytest.mark.anyio
    async def test_find_slots_respects_the_limit(self, kit: Kit) -> None:
        everything = await _some_slots(kit)
        limit = 1 if len(everything) < 3 else 2
        limited = await kit.offered(limit=limit)
        expect(
            len(limited) <= limit,
            f"adapter.find_slots() with limit={limit} returned {len(limited)} slots",
        )
        expect(
            [s.starts_at for s in limited] == [s.starts_at for s in everything[:limit]],
            f"adapter.find_slots() with limit={limit} did not return the earliest {limit}"
            " slot(s) of the unlimited search",
        )

    @pytest.mark.anyio
    async def test_find_slots_respects_the_practitioner_filter(self, kit: Kit) -> None:
        slots = await _some_slots(kit)
        practitioner_id = slots[-1].practitioner_id
        narrowed = await kit.offered(practitioner_ids=(practitioner_id,))
        expect(
            bool(narrowed),
            f"adapter.find_slots() for practitioner {practitioner_id} alone is empty, though"
            " the unfiltered search offered their time",
        )
        others = sorted({s.practitioner_id for s in narrowed} - {practitioner_id})
        expect(
            not others,
            f"adapter.find_slots() for practitioner {practitioner_id} alone also offered"
            f" practitioner(s) {others}",
        )

    @pytest.mark.anyio
    async def test_find_slots_respects_the_location_filter(self, kit: Kit) -> None:
        slots = await _some_slots(kit)
        location_id = slots[-1].location_id
        narrowed = await kit.offered(location_id=location_id)
        expect(
            bool(narrowed),
            f"adapter.find_slots() at location {location_id} is empty, though the unfiltered"
            " search offered time there",
        )
        others = sorted({s.location_id for s in narrowed} - {location_id})
        expect(
            not others,
            f"adapter.find_slots() at location {location_id} also offered location(s) {others}",
        )

    @pytest.mark.anyio
    async def test_slot_ids_are_stable_and_distinct(self, kit: Kit) -> None:
        first = await _some_slots(kit)
        ids = [s.id for s in first]
        expect(
            len(set(ids)) == len(ids),
            "adapter.find_slots() gave two different slots the same id",
        )
        again = {place(s): s.id for s in await kit.offered()}
        for slot in first:
            if place(slot) in again:
                expect(
                    again[place(slot)] == slot.id,
                    f"searching twice gave {describe(slot)} two different ids: a slot id"
                    " must stay the same while the slot is free",
                )
