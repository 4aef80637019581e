"""The conformance kit, run as a vendor runs it: on the diary, on the example plugin, and on
deliberately broken adapters, where it must fail and say why.

The broken adapters are the example plugin with one behaviour spoilt each. They run through
pytest's own `pytester`, in a throwaway project with our strict settings, so what is checked
is what a vendor would see: which checks fail, and the message they fail with.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from fnmatch import fnmatch
from typing import Any

import pytest

from diary import Diary
from pms_adapters import registry
from pms_adapters.conformance import ConformanceSuite, Sandbox
from pms_adapters.contract import PMSAdapter
from pms_adapters.diary_adapter import DiaryAdapter
from pms_adapters.errors import NotFound
from pms_adapters.types import CancellationReason, Window
from tests.conftest import DEMO_NOW

pytest_plugins = ["pytester"]

SLOT_SECRET = b"conformance-kit-test-secret"
WINDOW = Window.next_days(DEMO_NOW, 7)  # the demo clinic's first week, from the test clock


class TestDiaryAdapter(ConformanceSuite):
    """The built-in diary, on SQLite and PostgreSQL (the `diary` fixture runs on both)."""

    @pytest.fixture
    async def conformance_sandbox(self, diary: Diary, demo: int) -> AsyncIterator[Sandbox]:
        adapter = DiaryAdapter(diary, demo, SLOT_SECRET)
        try:
            kinds = {t.name: t.id for t in await adapter.appointment_types()}
            yield Sandbox(
                adapter=adapter,
                appointment_type_id=kinds["Initial physiotherapy consultation"],
                window=WINDOW,
            )
        finally:
            await adapter.aclose()


def example_plugin(settings: dict[str, Any]) -> PMSAdapter:
    """The example plugin, found the way the receptionist finds it: by its entry point."""
    if "inmemory" not in registry.installed():
        pytest.fail("the example plugin is not installed: pip install -e examples/inmemory_pms")
    return registry.create("inmemory", settings)


@contextlib.asynccontextmanager
async def example_sandbox(adapter: PMSAdapter) -> AsyncIterator[Sandbox]:
    """A sandbox over an in-memory clinic whose clock stands at the demo's `now`."""
    try:
        kinds = await adapter.appointment_types()
        yield Sandbox(adapter=adapter, appointment_type_id=kinds[0].id, window=WINDOW)
    finally:
        await adapter.aclose()


def _example_settings() -> dict[str, Any]:
    return {"timezone": "Australia/Sydney", "now": DEMO_NOW, "slot_secret": SLOT_SECRET}


class TestExamplePlugin(ConformanceSuite):
    """The example plugin (`examples/inmemory_pms`), loaded through the registry."""

    @pytest.fixture
    async def conformance_sandbox(self) -> AsyncIterator[Sandbox]:
        async with example_sandbox(example_plugin(_example_settings())) as sandbox:
            yield sandbox


# -- deliberately broken adapters ---------------------------------------------------------


def _example_class() -> type[Any]:
    import inmemory_pms  # the example plugin: `make test` installs it

    cls: type[Any] = inmemory_pms.InMemoryPMS
    return cls


def broken(flaw: str) -> PMSAdapter:
    """The example plugin with a flaw: "double-books", "ignores-keys", "leaks-errors"...

    "none" is the example as it is, the control.
    """
    base = _example_class()

    class DoubleBooks(base):
        """Treats every time as free (the example's `_is_free` hook), so it books a slot
        however often it is asked."""

        def _is_free(self, *args: object, **kwargs: object) -> bool:
            return True

    class IgnoresKeys(base):
        """Forgets the caller's idempotency key: each retry is a new booking attempt."""

        async def book(
            self, slot_id: str, patient_id: str, idempotency_key: str, notes: str = ""
        ) -> Any:
            return await super().book(slot_id, patient_id, uuid.uuid4().hex, notes)

    class LeaksErrors(base):
        """Lets its HTTP client's exception out instead of mapping it onto NotFound."""

        async def cancel(
            self, appointment_id: str, reason: CancellationReason, note: str = ""
        ) -> Any:
            try:
                return await super().cancel(appointment_id, reason, note)
            except NotFound as exc:
                raise KeyError(appointment_id) from exc

    class IgnoresKeysOverlaps(IgnoresKeys, DoubleBooks):
        """Forgets keys over a PMS that accepts overlapping appointments (Cliniko does)."""

    flaws: dict[str, type[Any]] = {
        "none": base,
        "double-books": DoubleBooks,
        "ignores-keys": IgnoresKeys,
        "ignores-keys, overlaps": IgnoresKeysOverlaps,
        "leaks-errors": LeaksErrors,
    }
    adapter: PMSAdapter = flaws[flaw](
        timezone="Australia/Sydney", now=lambda: DEMO_NOW, slot_secret=SLOT_SECRET
    )
    return adapter


VENDOR_MODULE = """
import pytest

from pms_adapters.conformance import ConformanceSuite
from {module} import broken, example_sandbox


class TestVendorAdapter(ConformanceSuite):
    @pytest.fixture
    async def conformance_sandbox(self):
        async with example_sandbox(broken({flaw!r})) as sandbox:
            yield sandbox
"""

STRICT_INI = """
[pytest]
addopts = --strict-markers -p no:cacheprovider
xfail_strict = true
filterwarnings = error
"""

KIT_CHECKS = 34


def run_kit_on(pytester: pytest.Pytester, flaw: str) -> pytest.RunResult:
    """Run the whole kit, as a vendor would, against the example spoilt by `flaw`."""
    _example_class()
    pytester.makeini(STRICT_INI)
    pytester.makepyfile(test_vendor=VENDOR_MODULE.format(module=__name__, flaw=flaw))
    return pytester.runpytest_inprocess("-vv", "-rf")


def failed_checks(result: pytest.RunResult) -> dict[str, str]:
    """The kit's checks that failed in `result`, each with its message (short summary)."""
    failed = {}
    for line in result.outlines:
        if line.startswith("FAILED "):
            check, _, message = line.split("::")[-1].partition(" - ")
            failed[check] = message
    return failed


def test_kit_has_the_checks_it_documents() -> None:
    """Pins the count the control run below expects (a new check updates both)."""
    names = [n for n in dir(ConformanceSuite) if n.startswith("test_")]
    assert len(names) == KIT_CHECKS, sorted(names)


def test_kit_catches_an_adapter_that_double_books(pytester: pytest.Pytester) -> None:
    failed = failed_checks(run_kit_on(pytester, "double-books"))
    assert set(failed) == {
        "test_booked_slot_is_no_longer_offered",
        "test_race_of_two_bookings_for_one_slot",
        "test_reschedule_moves_the_appointment",
        "test_reschedule_onto_a_taken_slot_is_refused",
        "test_slot_booked_by_someone_else_is_unavailable",
    }
    assert fnmatch(
        failed["test_race_of_two_bookings_for_one_slot"],
        "Failed: two bookings of one slot, made at the same time with different idempotency"
        " keys, both succeeded: the adapter double-books (appointments * and *)",
    )
    assert fnmatch(
        failed["test_slot_booked_by_someone_else_is_unavailable"],
        "Failed: booking a slot id again after someone else booked it succeeded: the adapter"
        " double-books (*)",
    )
    assert fnmatch(
        failed["test_booked_slot_is_no_longer_offered"],
        "Failed: adapter.find_slots() still offers a slot after it was booked: the adapter"
        " offers time that is taken (*)",
    )


def test_kit_catches_an_adapter_that_ignores_idempotency_keys(
    pytester: pytest.Pytester,
) -> None:
    failed = failed_checks(run_kit_on(pytester, "ignores-keys"))
    assert set(failed) == {
        "test_retried_booking_returns_the_same_appointment",
        "test_reused_key_for_a_different_booking_is_refused",
    }
    assert fnmatch(
        failed["test_retried_booking_returns_the_same_appointment"],
        "Failed: retrying adapter.book() with the same idempotency key raised SlotUnavailable"
        " instead of returning the first appointment: the adapter ignores idempotency keys; a"
        " retry after a lost response must return the original result (*)",
    )
    assert fnmatch(
        failed["test_reused_key_for_a_different_booking_is_refused"],
        "Failed: adapter.book() of another slot with an idempotency key already used booked"
        " it: a reused key with a different request must raise IdempotencyConflict (*)",
    )


def test_kit_counts_two_appointments_from_one_key(pytester: pytest.Pytester) -> None:
    """Over a PMS that accepts overlaps, a forgotten key shows up as a second appointment."""
    failed = failed_checks(run_kit_on(pytester, "ignores-keys, overlaps"))
    assert "test_race_of_two_bookings_for_one_slot" in failed
    assert fnmatch(
        failed["test_retried_booking_returns_the_same_appointment"],
        "Failed: retrying adapter.book() with the same idempotency key made a second"
        " appointment: the adapter ignores idempotency keys; one key, one appointment"
        " (*, then *)",
    )


def test_kit_catches_an_adapter_that_leaks_raw_exceptions(pytester: pytest.Pytester) -> None:
    failed = failed_checks(run_kit_on(pytester, "leaks-errors"))
    assert set(failed) == {
        "test_unknown_appointment_is_not_found",
        "test_odd_input_gets_pms_errors_only",
    }
    assert fnmatch(
        failed["test_unknown_appointment_is_not_found"],
        "Failed: adapter.cancel('999999999') raised KeyError ('999999999'): adapters must"
        " raise only the errors in pms_adapters.errors (a PMSError subclass such as NotFound,"
        " *), never a raw exception",
    )


def test_kit_passes_the_unspoilt_example_run_the_same_way(pytester: pytest.Pytester) -> None:
    """The control for the three above: the same harness, no flaw, every check passes."""
    run_kit_on(pytester, "none").assert_outcomes(passed=KIT_CHECKS)
