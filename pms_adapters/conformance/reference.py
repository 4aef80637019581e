"""Checks of the reference data: the adapter itself, locations, practitioners, types."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from functools import cache

import pytest

from pms_adapters.conformance.checked import expect, fail
from pms_adapters.conformance.kit import Kit
from pms_adapters.contract import PMSAdapter

CONTRACT_METHODS = (
    "locations",
    "practitioners",
    "appointment_types",
    "find_slots",
    "find_patients",
    "create_patient",
    "appointments",
    "book",
    "reschedule",
    "cancel",
    "aclose",
)


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def expect_ids(what: str, ids: Sequence[object]) -> None:
    """Fail unless every id is a non-empty string and no two are the same."""
    for value in ids:
        expect(
            isinstance(value, str) and value != "",
            f"{what} has the id {value!r}: ids are non-empty strings (Cliniko's exceed 2**53"
            " and must never pass through a number)",
        )
    repeated = sorted({str(v) for v in ids if ids.count(v) > 1})
    expect(not repeated, f"{what} lists the same id more than once: {repeated}")


class ReferenceDataChecks:
    """The adapter describes itself and the clinic correctly."""

    @pytest.mark.anyio
    async def test_adapter_implements_the_contract(self, kit: Kit) -> None:
        adapter = kit.sandbox.adapter
        missing = [m for m in CONTRACT_METHODS if not callable(getattr(adapter, m, None))]
        expect(not missing, f"the adapter has no method(s) {missing} of the PMSAdapter contract")
        expect(isinstance(adapter, PMSAdapter), "the adapter does not implement PMSAdapter")
        expect(
            isinstance(adapter.name, str) and adapter.name != "",
            f"adapter.name is {adapter.name!r}; it should be a short non-empty string",
        )
        capabilities = kit.pms.capabilities  # checked to be a Capabilities on the way
        expect(
            capabilities.max_slot_window_days >= 1,
            "capabilities.max_slot_window_days is below 1: the adapter could search nothing",
        )

    @pytest.mark.anyio
    async def test_locations_have_iana_time_zones(self, kit: Kit) -> None:
        locations = await kit.pms.locations()
        expect(bool(locations), "adapter.locations() is empty: a clinic has at least one")
        expect_ids("adapter.locations()", [loc.id for loc in locations])
        for loc in locations:
            if loc.timezone not in _iana_names():
                fail(
                    f"location {loc.id} has the time zone {loc.timezone!r}, which is not an"
                    " IANA zone name such as 'Australia/Sydney'"
                )

    @pytest.mark.anyio
    async def test_practitioners_work_at_known_locations(self, kit: Kit) -> None:
        practitioners = await kit.pms.practitioners()
        expect(bool(practitioners), "adapter.practitioners() is empty")
        expect_ids("adapter.practitioners()", [p.id for p in practitioners])
        known = {loc.id for loc in await kit.pms.locations()}
        for practitioner in practitioners:
            unknown = sorted(set(practitioner.location_ids) - known)
            expect(
                not unknown,
                f"practitioner {practitioner.id} works at location(s) {unknown}, which"
                " adapter.locations() does not list",
            )

    @pytest.mark.anyio
    async def test_appointment_types_have_positive_durations(self, kit: Kit) -> None:
        kinds = await kit.pms.appointment_types()
        expect(bool(kinds), "adapter.appointment_types() is empty")
        expect_ids("adapter.appointment_types()", [k.id for k in kinds])
        for kind in kinds:
            expect(
                isinstance(kind.duration_minutes, int) and kind.duration_minutes > 0,
                f"appointment type {kind.id} lasts {kind.duration_minutes!r} minutes; a"
                " duration is a positive whole number of minutes",
            )
        await kit.appointment_type()  # the sandbox's type must be among them
