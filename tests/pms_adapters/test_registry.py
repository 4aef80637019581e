"""The adapter registry: discovery through entry points, broken plugins skipped, clear errors."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from diary.db import make_engine, write_session
from diary.migrate import upgrade
from diary.seed import seed_demo_clinic
from pms_adapters import registry
from pms_adapters.contract import PMSAdapter
from pms_adapters.diary_adapter import DiaryAdapter

EXAMPLE_MISSING = (
    "the example plugin is not installed; CI installs it with"
    " `.venv/bin/pip install -e examples/inmemory_pms` (make test does this)"
)
FAKE_MODULES = ("fake_pms_broken", "fake_pms_odd")


@pytest.fixture
def fake_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution on sys.path whose entry points are broken in three different ways."""
    dist_info = tmp_path / "fake_pms_plugins-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-pms-plugins\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent(
            f"""\
            [{registry.ENTRY_POINT_GROUP}]
            broken = fake_pms_broken:create
            not_a_factory = fake_pms_odd:SETTINGS
            wrong_type = fake_pms_odd:make_something_else
            """
        )
    )
    (tmp_path / "fake_pms_broken.py").write_text(
        'raise ImportError("the vendor SDK is missing: pip install fake-pms[sdk]")\n'
    )
    (tmp_path / "fake_pms_odd.py").write_text(
        textwrap.dedent(
            """\
            SETTINGS = {"not": "callable"}

            def make_something_else(settings):
                return object()
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))  # also invalidates the import caches
    yield tmp_path
    for name in FAKE_MODULES:
        sys.modules.pop(name, None)


def test_the_builtin_diary_adapter_is_discovered() -> None:
    assert "diary" in registry.installed()
    assert registry.available()["diary"].__module__ == "pms_adapters.diary_adapter"


def test_the_example_plugin_is_discovered() -> None:
    if "inmemory" not in registry.installed():
        pytest.fail(EXAMPLE_MISSING)
    adapter = registry.create("inmemory", {"timezone": "Australia/Melbourne"})
    assert isinstance(adapter, PMSAdapter)
    assert adapter.name == "inmemory"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def demo_url(tmp_path: Path) -> str:
    """A SQLite file holding the demo clinic."""
    url = f"sqlite:///{tmp_path / 'diary.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with write_session(engine) as session:
        seed_demo_clinic(session, date(2026, 3, 2))
    engine.dispose()
    return url


@pytest.mark.anyio
async def test_the_diary_adapter_is_built_from_settings(demo_url: str) -> None:
    url = demo_url
    adapter = registry.create("diary", {"database_url": url, "slot_secret": "s" * 32})

    assert isinstance(adapter, DiaryAdapter)
    assert isinstance(adapter, PMSAdapter)
    assert adapter.capabilities.native_idempotency
    assert [loc.name for loc in await adapter.locations()] == ["Surry Hills", "Parramatta"]
    await adapter.aclose()
    with pytest.raises(ValueError, match="no clinic with id 99"):
        registry.create("diary", {"database_url": url, "slot_secret": "s" * 32, "clinic_id": 99})


def test_the_diary_adapter_refuses_to_run_without_a_slot_secret() -> None:
    with pytest.raises(ValueError, match="slot_secret"):
        registry.create("diary", {"database_url": "sqlite://"})


def test_a_broken_plugin_is_skipped_with_a_warning_naming_it(
    fake_plugins: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="pms_adapters.registry"):
        factories = registry.available()

    assert "broken" not in factories
    assert "not_a_factory" not in factories
    assert "diary" in factories  # the others still load
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    broken = next(m for m in messages if "'broken'" in m)
    assert "fake_pms_broken:create" in broken
    assert "fake-pms-plugins 1.0" in broken
    assert "failed to load" in broken
    odd = next(m for m in messages if "'not_a_factory'" in m)
    assert "fake_pms_odd:SETTINGS" in odd
    assert "not a factory" in odd


def test_asking_for_a_broken_plugin_says_it_is_installed_but_broken(fake_plugins: Path) -> None:
    with pytest.raises(registry.UnknownAdapter, match="'broken' is installed but failed to load"):
        registry.create("broken")


def test_a_factory_that_returns_no_adapter_is_refused(fake_plugins: Path) -> None:
    with pytest.raises(TypeError, match="'wrong_type' returned a object"):
        registry.create("wrong_type")


def test_an_unknown_name_lists_the_installed_adapters() -> None:
    with pytest.raises(registry.UnknownAdapter) as raised:
        registry.create("cliniqo")

    message = str(raised.value)
    assert "no PMS adapter named 'cliniqo'" in message
    assert "diary" in message
    assert registry.ENTRY_POINT_GROUP in message
