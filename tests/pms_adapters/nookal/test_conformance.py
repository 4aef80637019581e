"""The conformance kit, run against the Nookal adapter and the fake Nookal (demo clinic)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pms_adapters.conformance import ConformanceSuite, Sandbox
from pms_adapters.types import Window
from tests.conftest import DEMO_NOW
from tests.fakes.nookal import DemoClinic
from tests.pms_adapters.nookal.conftest import adapter_for

WINDOW = Window.next_days(DEMO_NOW, 7)


class TestNookalAdapter(ConformanceSuite):
    """Moves with `updateAppointmentBooking` (in place), the default."""

    @pytest.fixture
    async def conformance_sandbox(
        self, nookal_demo: DemoClinic, nookal_url: str
    ) -> AsyncIterator[Sandbox]:
        adapter = adapter_for(nookal_demo, nookal_url)
        try:
            yield Sandbox(
                adapter=adapter,
                appointment_type_id=nookal_demo.type_ids["Initial physiotherapy consultation"],
                window=WINDOW,
                timeout=10.0,
            )
        finally:
            await adapter.aclose()


class TestNookalAdapterRebooking(ConformanceSuite):
    """Moves with `rebookAppointment` (a new id), for accounts without the update method."""

    @pytest.fixture
    async def conformance_sandbox(
        self, nookal_demo: DemoClinic, nookal_url: str
    ) -> AsyncIterator[Sandbox]:
        adapter = adapter_for(nookal_demo, nookal_url, move_method="rebook")
        try:
            yield Sandbox(
                adapter=adapter,
                appointment_type_id=nookal_demo.type_ids["Remedial massage"],
                window=WINDOW,
                timeout=10.0,
            )
        finally:
            await adapter.aclose()
