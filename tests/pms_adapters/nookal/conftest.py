"""Fixtures for the Nookal adapter's tests: the demo clinic in a fake Nookal, served over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from diary.db import make_engine
from pms_adapters.budget import LocalTokenBucket
from pms_adapters.nookal import NookalAdapter, create
from tests.conftest import DEMO_NOW
from tests.fakes.nookal import DemoClinic, FakeNookal, seed_demo, serve

SLOT_SECRET = b"nookal-adapter-test-secret"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def demo_nookal(sqlite_demo_source: Path) -> tuple[FakeNookal, DemoClinic]:
    """A fake Nookal holding the diary's demo clinic (seeded around DEMO_ANCHOR)."""
    engine = make_engine(f"sqlite:///{sqlite_demo_source}")
    try:
        fake = FakeNookal()
        return fake, seed_demo(fake, engine)
    finally:
        engine.dispose()


@pytest.fixture
def fake(demo_nookal: tuple[FakeNookal, DemoClinic]) -> FakeNookal:
    return demo_nookal[0]


@pytest.fixture
def nookal_demo(demo_nookal: tuple[FakeNookal, DemoClinic]) -> DemoClinic:
    return demo_nookal[1]


@pytest.fixture
def nookal_url(fake: FakeNookal) -> Iterator[str]:
    """The fake's v2 base URL, served by uvicorn on 127.0.0.1."""
    with serve(fake) as url:
        yield url


def adapter_for(nookal_demo: DemoClinic, url: str, **more: Any) -> NookalAdapter:
    """An adapter on the demo clinic at `url`, its clock at DEMO_NOW, with a roomy budget."""
    settings: dict[str, Any] = {
        "slot_secret": SLOT_SECRET,
        "clock": lambda: DEMO_NOW,
        "budget": LocalTokenBucket(600_000, burst=10_000),
        "timeout": 2.0,
        **more,
    }
    return create(nookal_demo.settings(url, **settings))


@pytest.fixture
async def adapter(nookal_demo: DemoClinic, nookal_url: str) -> AsyncIterator[NookalAdapter]:
    found = adapter_for(nookal_demo, nookal_url)
    yield found
    await found.aclose()
