"""Fixtures for the Cliniko adapter's tests: one fake Cliniko server for the session, a fresh
copy of the demo clinic in it for each test, and adapters pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from diary.db import make_engine
from pms_adapters.budget import LocalTokenBucket
from pms_adapters.cliniko import ClinikoAdapter, create
from tests.conftest import DEMO_NOW
from tests.fakes.cliniko import FakeCliniko, FakeClinikoServer
from tests.fakes.cliniko.demo import DemoClinic, load_diary_clinic

API_KEY = "fake-cliniko-key-au1"
SLOT_SECRET = b"cliniko-adapter-test-secret"

AdapterFactory = Callable[..., ClinikoAdapter]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def cliniko_server() -> Iterator[FakeClinikoServer]:
    """The fake Cliniko, served over HTTP on 127.0.0.1 for the whole session."""
    server = FakeClinikoServer(FakeCliniko(api_key=API_KEY)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_template(sqlite_demo_source: Path) -> DemoClinic:
    """The diary's seeded demo clinic, copied into a fake once per session."""
    engine = make_engine(f"sqlite:///{sqlite_demo_source}")
    try:
        return load_diary_clinic(engine, fake=FakeCliniko(api_key=API_KEY), clock=lambda: DEMO_NOW)
    finally:
        engine.dispose()


@pytest.fixture
def demo(demo_template: DemoClinic, cliniko_server: FakeClinikoServer) -> DemoClinic:
    """A fresh copy of the demo clinic, now being served."""
    return replace(demo_template, fake=cliniko_server.use(demo_template.fake.clone()))


@pytest.fixture
def fake(demo: DemoClinic) -> FakeCliniko:
    """The account the server is serving in this test."""
    return demo.fake


def settings(server: FakeClinikoServer, **overrides: Any) -> dict[str, Any]:
    """Adapter settings for the fake: a fast budget, short timeouts, the demo's clock."""
    values: dict[str, Any] = {
        "api_key": API_KEY,
        "base_url": server.url,
        "slot_secret": SLOT_SECRET,
        "clock": lambda: DEMO_NOW,
        "budget": LocalTokenBucket(rate_per_minute=600_000, burst=10_000),
        "timeout": 2.0,
        "write_settle_delay": 0.02,
        "user_agent": "clinic-receptionist tests (tests@example.org)",
    }
    values.update(overrides)
    return values


@pytest.fixture
async def make_adapter(
    cliniko_server: FakeClinikoServer, demo: DemoClinic
) -> AsyncIterator[AdapterFactory]:
    """Builds adapters on the fake (keyword arguments override settings); closes them after."""
    made: list[ClinikoAdapter] = []

    def make(**overrides: Any) -> ClinikoAdapter:
        adapter = create(settings(cliniko_server, **overrides))
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        await adapter.aclose()
