"""The conformance kit, run against the Cliniko adapter and the fake Cliniko with the demo."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pms_adapters.conformance import ConformanceSuite, Sandbox
from pms_adapters.types import Window
from tests.conftest import DEMO_NOW
from tests.fakes.cliniko.demo import DemoClinic
from tests.pms_adapters.cliniko.conftest import AdapterFactory

WINDOW = Window.next_days(DEMO_NOW, 7)


class TestClinikoAdapter(ConformanceSuite):
    """The Cliniko adapter over HTTP, against the demo clinic in the fake."""

    @pytest.fixture
    async def conformance_sandbox(
        self, demo: DemoClinic, make_adapter: AdapterFactory
    ) -> AsyncIterator[Sandbox]:
        adapter = make_adapter()
        kinds = {t.name: t.id for t in await adapter.appointment_types()}
        yield Sandbox(
            adapter=adapter,
            appointment_type_id=kinds["Initial physiotherapy consultation"],
            window=WINDOW,
            timeout=20.0,
        )
