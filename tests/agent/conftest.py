"""Fixtures for the agent: the demo clinic behind the diary adapter, and a fake OpenAI."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import openai
import pytest

from diary import Diary, FixedClock
from diary.db import make_engine
from pms_adapters.contract import PMSAdapter
from pms_adapters.diary_adapter import DiaryAdapter
from receptionist.agent.runtime import open_clinic
from receptionist.agent.script import CallScript, demo_script
from receptionist.agent.toolbox import Clinic
from tests.conftest import DEMO_NOW
from tests.fakes.openai_chat import FakeOpenAI

SLOT_SECRET = b"agent-tests-slot-secret-0123456789"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def demo_diary(tmp_path: Path, sqlite_demo_source: Path) -> Iterator[Diary]:
    """A private copy of the seeded demo clinic (SQLite) on the demo clock."""
    path = tmp_path / "demo.db"
    shutil.copy(sqlite_demo_source, path)
    diary = Diary.open(f"sqlite:///{path}", FixedClock(DEMO_NOW))
    yield diary
    diary.close()


@pytest.fixture
def demo_pms(demo_diary: Diary) -> DiaryAdapter:
    clinic = demo_diary.clinics()[0]
    return DiaryAdapter(demo_diary, clinic.id, SLOT_SECRET)


@pytest.fixture(params=["diary", "nookal", "cliniko"])
async def scenario_pms(
    request: pytest.FixtureRequest, sqlite_demo_source: Path
) -> AsyncIterator[PMSAdapter]:
    """The demo clinic behind each adapter: the built-in diary, and Nookal's and Cliniko's
    (fakes seeded from the same demo diary, over real HTTP)."""
    if request.param == "diary":
        yield request.getfixturevalue("demo_pms")
        return
    if request.param == "cliniko":
        async for adapter in _cliniko(sqlite_demo_source):
            yield adapter
        return
    from pms_adapters.budget import LocalTokenBucket
    from pms_adapters.nookal import create as create_nookal
    from tests.fakes.nookal import FakeNookal, seed_demo, serve

    engine = make_engine(f"sqlite:///{sqlite_demo_source}")
    try:
        fake = FakeNookal()
        demo = seed_demo(fake, engine)
    finally:
        engine.dispose()
    with serve(fake) as url:
        adapter = create_nookal(
            demo.settings(
                url,
                slot_secret=SLOT_SECRET,
                clock=lambda: DEMO_NOW,
                budget=LocalTokenBucket(600_000, burst=10_000),
                timeout=5.0,
                slot_step_minutes=15,
            )
        )
        yield adapter
        await adapter.aclose()


async def _cliniko(sqlite_demo_source: Path) -> AsyncIterator[PMSAdapter]:
    from pms_adapters.budget import LocalTokenBucket
    from pms_adapters.cliniko import create as create_cliniko
    from tests.fakes.cliniko import FakeCliniko, FakeClinikoServer
    from tests.fakes.cliniko.demo import load_diary_clinic

    key = "scenario-cliniko-key-au1"
    engine = make_engine(f"sqlite:///{sqlite_demo_source}")
    try:
        demo = load_diary_clinic(engine, fake=FakeCliniko(api_key=key), clock=lambda: DEMO_NOW)
    finally:
        engine.dispose()
    server = FakeClinikoServer(demo.fake).start()
    try:
        adapter = create_cliniko(
            {
                "api_key": key,
                "base_url": server.url,
                "slot_secret": SLOT_SECRET,
                "clock": lambda: DEMO_NOW,
                "budget": LocalTokenBucket(rate_per_minute=600_000, burst=10_000),
                "timeout": 5.0,
                "write_settle_delay": 0.02,
            }
        )
        yield adapter
        await adapter.aclose()
    finally:
        server.stop()


@pytest.fixture
def script() -> CallScript:
    return demo_script()


@pytest.fixture
async def clinic(demo_pms: DiaryAdapter, demo_diary: Diary, script: CallScript) -> Clinic:
    return await open_clinic("demo", script, demo_pms, now=demo_diary.clock.now)


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[FakeOpenAI]:
    """One fake OpenAI server for the session; tests push the turns they need."""
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def openai_client(fake_openai: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    assert fake_openai.pending == 0, "a previous test left scripted turns behind"
    client = openai.AsyncOpenAI(
        base_url=fake_openai.base_url, api_key="test", max_retries=0, timeout=5
    )
    yield client
    await client.close()
    leftover = fake_openai.clear()  # the next test starts clean even when this one failed
    assert leftover == 0, f"{leftover} scripted model turns were not used"
