"""ResilientPMS: retries for reads only, timeouts, error mapping, rate limits, cache, metrics."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Literal

import anyio
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pms_adapters.availability_cache import AvailabilityCache
from pms_adapters.contract import PMSAdapter
from pms_adapters.errors import (
    NotFound,
    PMSUnavailable,
    RateLimited,
    SlotUnavailable,
    WriteOutcomeUnknown,
)
from pms_adapters.metrics import AdapterMetrics
from pms_adapters.resilience import ResilientPMS, RetryPolicy
from pms_adapters.types import (
    Appointment,
    AppointmentType,
    CancellationReason,
    Capabilities,
    Location,
    NewPatient,
    Patient,
    PatientQuery,
    Practitioner,
    Slot,
    SlotQuery,
    Window,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOCATION = Location(id="loc1", name="Harbourside", timezone="Australia/Sydney")
PRACTITIONER = Practitioner(id="pr1", name="Sam Lee", location_ids=("loc1",))
APPOINTMENT_TYPE = AppointmentType(id="t1", name="Initial consultation", duration_minutes=45)
SLOT = Slot(
    id="s1",
    practitioner_id="pr1",
    location_id="loc1",
    appointment_type_id="t1",
    starts_at=NOW,
    ends_at=NOW + timedelta(minutes=45),
)
PATIENT = Patient(id="p1", first_name="Jane", last_name="Citizen", phones=("+61412345678",))
APPOINTMENT = Appointment(
    id="a1",
    patient_id="p1",
    practitioner_id="pr1",
    location_id="loc1",
    appointment_type_id="t1",
    starts_at=NOW,
    ends_at=NOW + timedelta(minutes=45),
)
QUERY = SlotQuery(appointment_type_id="t1", starts_after=NOW, ends_before=NOW + timedelta(days=7))
OTHER_QUERY = SlotQuery(
    appointment_type_id="t1", starts_after=NOW, ends_before=NOW + timedelta(days=3)
)
WINDOW = Window.next_days(NOW, 30)

# What a scripted request does: raise the exception, hang until cancelled, wait for the event,
# or (None) answer.
Step = BaseException | Literal["hang"] | asyncio.Event | None


class ScriptedPMS:
    """A stand-in PMS whose every operation follows a script, then answers with canned data."""

    name = "scripted"

    def __init__(self) -> None:
        self.script: dict[str, list[Step]] = defaultdict(list)
        self.calls: list[str] = []
        self.closed = False

    def then(self, operation: str, *steps: Step) -> ScriptedPMS:
        self.script[operation].extend(steps)
        return self

    async def _step(self, operation: str) -> None:
        self.calls.append(operation)
        step = self.script[operation].pop(0) if self.script[operation] else None
        if step == "hang":
            await asyncio.Event().wait()
        elif isinstance(step, asyncio.Event):
            await step.wait()
        elif isinstance(step, BaseException):
            raise step

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(holds=True)

    async def locations(self) -> list[Location]:
        await self._step("locations")
        return [LOCATION]

    async def practitioners(self) -> list[Practitioner]:
        await self._step("practitioners")
        return [PRACTITIONER]

    async def appointment_types(self) -> list[AppointmentType]:
        await self._step("appointment_types")
        return [APPOINTMENT_TYPE]

    async def find_slots(self, query: SlotQuery) -> list[Slot]:
        await self._step("find_slots")
        return [SLOT]

    async def find_patients(self, query: PatientQuery) -> list[Patient]:
        await self._step("find_patients")
        return [PATIENT]

    async def create_patient(self, patient: NewPatient, idempotency_key: str) -> Patient:
        await self._step("create_patient")
        return PATIENT

    async def appointments(self, patient_id: str, window: Window) -> list[Appointment]:
        await self._step("appointments")
        return [APPOINTMENT]

    async def book(
        self, slot_id: str, patient_id: str, idempotency_key: str, notes: str = ""
    ) -> Appointment:
        await self._step("book")
        return APPOINTMENT

    async def reschedule(
        self, appointment_id: str, slot_id: str, idempotency_key: str
    ) -> Appointment:
        await self._step("reschedule")
        return APPOINTMENT

    async def cancel(
        self, appointment_id: str, reason: CancellationReason, note: str = ""
    ) -> Appointment:
        await self._step("cancel")
        return APPOINTMENT.model_copy(update={"status": "cancelled"})

    async def aclose(self) -> None:
        self.closed = True


class RecordingSleep:
    """An `asyncio.sleep` stand-in that notes the delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


class RecordingBudget:
    """A request budget that counts tokens taken and remembers pauses."""

    def __init__(self, refuse: bool = False) -> None:
        self.acquired = 0
        self.pauses: list[float] = []
        self.refuse = refuse

    async def acquire(self) -> None:
        if self.refuse:
            raise RateLimited("request budget exhausted", retry_after=7.0)
        self.acquired += 1

    async def pause_until(self, unix_ts: float) -> None:
        self.pauses.append(unix_ts)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


NO_JITTER = RetryPolicy(jitter=0.0)
FAST_TIMEOUT = RetryPolicy(jitter=0.0, timeout_seconds=0.05)

READS = ["locations", "practitioners", "appointment_types", "find_slots", "find_patients"]
READS += ["appointments"]
WRITES = ["create_patient", "book", "reschedule", "cancel"]


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample `name` with exactly `labels` in Prometheus exposition `text`."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return None


async def request(pms: PMSAdapter, operation: str) -> object:
    """Call `operation` on `pms` with plausible arguments."""
    match operation:
        case "locations":
            return await pms.locations()
        case "practitioners":
            return await pms.practitioners()
        case "appointment_types":
            return await pms.appointment_types()
        case "find_slots":
            return await pms.find_slots(QUERY)
        case "find_patients":
            return await pms.find_patients(PatientQuery(phone="+61412345678"))
        case "appointments":
            return await pms.appointments("p1", WINDOW)
        case "create_patient":
            new = NewPatient(first_name="Jane", last_name="Citizen")
            return await pms.create_patient(new, "key-1")
        case "book":
            return await pms.book("s1", "p1", "key-1", notes="sore knee")
        case "reschedule":
            return await pms.reschedule("a1", "s1", "key-2")
        case "cancel":
            return await pms.cancel("a1", CancellationReason.ILLNESS)
    raise AssertionError(operation)


def test_wrapper_is_an_adapter_that_passes_name_and_capabilities_through() -> None:
    fake = ScriptedPMS()
    pms: PMSAdapter = ResilientPMS(fake)
    assert isinstance(fake, PMSAdapter)
    assert isinstance(pms, PMSAdapter)
    assert pms.name == "scripted"
    assert pms.capabilities == Capabilities(holds=True)


@pytest.mark.anyio
async def test_aclose_closes_the_adapter() -> None:
    fake = ScriptedPMS()
    await ResilientPMS(fake).aclose()
    assert fake.closed


@pytest.mark.anyio
@pytest.mark.parametrize("operation", READS + WRITES)
async def test_every_operation_answers_through_the_wrapper(operation: str) -> None:
    fake = ScriptedPMS()
    assert await request(ResilientPMS(fake), operation) == await request(ScriptedPMS(), operation)
    assert fake.calls == [operation]


@pytest.mark.anyio
@pytest.mark.parametrize("operation", READS)
async def test_reads_are_retried_with_exponential_backoff(operation: str) -> None:
    fake = ScriptedPMS().then(operation, PMSUnavailable("502"), PMSUnavailable("503"))
    sleep = RecordingSleep()
    await request(ResilientPMS(fake, policy=NO_JITTER, sleep=sleep), operation)
    assert fake.calls == [operation] * 3
    assert sleep.delays == pytest.approx([0.2, 0.4])


@pytest.mark.anyio
async def test_a_read_gives_up_after_the_last_attempt() -> None:
    last = PMSUnavailable("still down")
    fake = ScriptedPMS().then("locations", PMSUnavailable("down"), PMSUnavailable("down"), last)
    sleep = RecordingSleep()
    with pytest.raises(PMSUnavailable) as raised:
        await ResilientPMS(fake, policy=NO_JITTER, sleep=sleep).locations()
    assert raised.value is last
    assert len(fake.calls) == 3
    assert sleep.delays == pytest.approx([0.2, 0.4])


@pytest.mark.anyio
async def test_backoff_is_capped_at_max_delay() -> None:
    fake = ScriptedPMS().then("locations", *[PMSUnavailable("down")] * 4)
    sleep = RecordingSleep()
    policy = RetryPolicy(attempts=5, base_delay=1.0, max_delay=2.5, jitter=0.0)
    await ResilientPMS(fake, policy=policy, sleep=sleep).locations()
    assert sleep.delays == pytest.approx([1.0, 2.0, 2.5, 2.5])


def test_jitter_spreads_delays_within_its_bounds() -> None:
    policy = RetryPolicy(base_delay=0.2, jitter=0.5)
    delays = [policy.backoff(1) for _ in range(200)]
    assert all(0.1 <= d <= 0.3 for d in delays)
    assert len(set(delays)) > 1


@pytest.mark.parametrize(
    "kwargs",
    [{"attempts": 0}, {"base_delay": -1.0}, {"timeout_seconds": 0.0}, {"jitter": 1.5}],
)
def test_policy_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.anyio
@pytest.mark.parametrize("operation", WRITES)
async def test_writes_are_never_retried(operation: str) -> None:
    fake = ScriptedPMS().then(operation, PMSUnavailable("502"))
    sleep = RecordingSleep()
    with pytest.raises(PMSUnavailable):
        await request(ResilientPMS(fake, policy=NO_JITTER, sleep=sleep), operation)
    assert fake.calls == [operation]
    assert sleep.delays == []


@pytest.mark.anyio
@pytest.mark.parametrize("operation", WRITES)
async def test_a_write_that_times_out_is_unavailable_and_not_retried(operation: str) -> None:
    fake = ScriptedPMS().then(operation, "hang")
    # The write may have landed: "outcome unknown", a PMSUnavailable that says to retry with
    # the same key, never a plain failure.
    with pytest.raises(WriteOutcomeUnknown, match="timed out") as raised:
        await request(ResilientPMS(fake, policy=FAST_TIMEOUT, sleep=RecordingSleep()), operation)
    assert isinstance(raised.value.__cause__, TimeoutError)
    assert fake.calls == [operation]


@pytest.mark.anyio
async def test_a_read_that_times_out_is_retried() -> None:
    fake = ScriptedPMS().then("practitioners", "hang")
    pms = ResilientPMS(fake, policy=FAST_TIMEOUT, sleep=RecordingSleep())
    with anyio.fail_after(30):  # a hang that is never cut off would stop here, not hang CI
        assert await pms.practitioners() == [PRACTITIONER]
    assert fake.calls == ["practitioners"] * 2


@pytest.mark.anyio
async def test_unknown_exceptions_become_unavailable_without_patient_data(
    caplog: pytest.LogCaptureFixture,
) -> None:
    leak = ValueError("no match for Jane Citizen +61412345678")
    fake = ScriptedPMS().then("find_patients", leak, KeyError("Jane"), OSError("Citizen"))
    pms = ResilientPMS(fake, policy=NO_JITTER, sleep=RecordingSleep())
    with caplog.at_level(logging.DEBUG), pytest.raises(PMSUnavailable) as raised:
        await pms.find_patients(PatientQuery(name="Jane Citizen"))
    assert isinstance(raised.value.__cause__, OSError)
    assert "Citizen" not in str(raised.value)
    assert str(raised.value) == "scripted find_patients failed: OSError"
    assert len(fake.calls) == 3
    assert [r.getMessage() for r in caplog.records] == ["PMS request failed; retrying"] * 2
    assert not any("Jane" in str(vars(r)) or "+614" in str(vars(r)) for r in caplog.records)
    assert [vars(r)["error"] for r in caplog.records] == ["PMSUnavailable"] * 2


@pytest.mark.anyio
@pytest.mark.parametrize("error", [NotFound("no such patient"), SlotUnavailable("gone")])
async def test_other_pms_errors_pass_through_unretried(error: Exception) -> None:
    fake = ScriptedPMS().then("appointments", error)
    with pytest.raises(type(error)) as raised:
        await ResilientPMS(fake, sleep=RecordingSleep()).appointments("p1", WINDOW)
    assert raised.value is error
    assert fake.calls == ["appointments"]


@pytest.mark.anyio
async def test_a_rate_limited_read_waits_retry_after_then_retries() -> None:
    fake = ScriptedPMS().then("appointment_types", RateLimited(retry_after=1.5))
    sleep = RecordingSleep()
    assert await ResilientPMS(fake, sleep=sleep).appointment_types() == [APPOINTMENT_TYPE]
    assert sleep.delays == [1.5]
    assert fake.calls == ["appointment_types"] * 2


@pytest.mark.anyio
async def test_a_rate_limit_longer_than_the_cap_is_passed_on_at_once() -> None:
    fake = ScriptedPMS().then("locations", RateLimited(retry_after=30.0))
    sleep = RecordingSleep()
    policy = RetryPolicy(max_rate_limit_wait=5.0)
    with pytest.raises(RateLimited):
        await ResilientPMS(fake, policy=policy, sleep=sleep).locations()
    assert sleep.delays == []
    assert fake.calls == ["locations"]


@pytest.mark.anyio
async def test_a_rate_limited_write_is_not_retried_but_pauses_the_budget() -> None:
    fake = ScriptedPMS().then("book", RateLimited(retry_after=2.0))
    budget = RecordingBudget()
    sleep = RecordingSleep()
    before = time.time()
    with pytest.raises(RateLimited):
        await ResilientPMS(fake, budget=budget, sleep=sleep).book("s1", "p1", "k")
    assert fake.calls == ["book"]
    assert sleep.delays == []
    assert len(budget.pauses) == 1
    assert before + 2.0 <= budget.pauses[0] <= time.time() + 2.0


@pytest.mark.anyio
async def test_the_budget_is_taken_for_every_attempt_and_told_of_429s() -> None:
    fake = ScriptedPMS().then("locations", PMSUnavailable("502"), RateLimited(retry_after=1.0))
    budget = RecordingBudget()
    pms = ResilientPMS(fake, policy=NO_JITTER, budget=budget, sleep=RecordingSleep())
    await pms.locations()
    await pms.book("s1", "p1", "k")
    assert budget.acquired == 4
    assert len(budget.pauses) == 1


@pytest.mark.anyio
async def test_a_refusal_by_the_budget_is_passed_on_without_calling_the_pms() -> None:
    fake = ScriptedPMS()
    budget = RecordingBudget(refuse=True)
    sleep = RecordingSleep()
    with pytest.raises(RateLimited) as raised:
        await ResilientPMS(fake, budget=budget, sleep=sleep).locations()
    assert raised.value.retry_after == 7.0
    assert fake.calls == []
    assert budget.pauses == []
    assert sleep.delays == []


@pytest.mark.anyio
async def test_the_cache_serves_repeats_until_it_expires() -> None:
    fake = ScriptedPMS()
    clock = FakeClock()
    budget = RecordingBudget()
    pms = ResilientPMS(fake, budget=budget, cache=AvailabilityCache(5.0, clock=clock))
    assert await pms.find_slots(QUERY) == [SLOT]
    assert await pms.find_slots(QUERY) == [SLOT]
    assert fake.calls == ["find_slots"]
    assert budget.acquired == 1
    await pms.find_slots(OTHER_QUERY)
    assert fake.calls == ["find_slots"] * 2
    clock.now += 5.0
    await pms.find_slots(QUERY)
    assert fake.calls == ["find_slots"] * 3


@pytest.mark.anyio
@pytest.mark.parametrize("operation", ["book", "reschedule", "cancel"])
@pytest.mark.parametrize("fails", [False, True])
async def test_appointment_writes_invalidate_the_cache(operation: str, fails: bool) -> None:
    fake = ScriptedPMS()
    if fails:
        fake.then(operation, SlotUnavailable("taken"))
    pms = ResilientPMS(fake, cache=AvailabilityCache(60.0))
    await pms.find_slots(QUERY)
    try:
        await request(pms, operation)
    except SlotUnavailable:
        assert fails
    await pms.find_slots(QUERY)
    assert fake.calls == ["find_slots", operation, "find_slots"]


@pytest.mark.anyio
async def test_registering_a_patient_leaves_availability_cached() -> None:
    fake = ScriptedPMS()
    pms = ResilientPMS(fake, cache=AvailabilityCache(60.0))
    await pms.find_slots(QUERY)
    await request(pms, "create_patient")
    await pms.find_slots(QUERY)
    assert fake.calls == ["find_slots", "create_patient"]


@pytest.mark.anyio
async def test_a_lookup_overtaken_by_a_booking_is_not_cached() -> None:
    gate = asyncio.Event()
    fake = ScriptedPMS().then("find_slots", gate)
    pms = ResilientPMS(fake, cache=AvailabilityCache(60.0))
    lookup = asyncio.create_task(pms.find_slots(QUERY))
    await asyncio.sleep(0)
    await pms.book("s1", "p1", "k")
    gate.set()
    assert await lookup == [SLOT]
    await pms.find_slots(QUERY)
    assert fake.calls == ["find_slots", "book", "find_slots"]


@pytest.mark.anyio
async def test_metrics_count_requests_by_outcome_and_time_them() -> None:
    metrics = AdapterMetrics()
    fake = ScriptedPMS().then("locations", PMSUnavailable("502"), ValueError("boom"))
    fake.then("book", SlotUnavailable("taken"))
    pms = ResilientPMS(
        fake, policy=NO_JITTER, metrics=metrics, cache=AvailabilityCache(), sleep=RecordingSleep()
    )
    await pms.locations()
    with pytest.raises(SlotUnavailable):
        await pms.book("s1", "p1", "k")
    await pms.find_slots(QUERY)
    await pms.find_slots(QUERY)
    text = metrics.exposition().decode()
    locations = {"adapter": "scripted", "operation": "locations"}
    assert sample(text, "pms_adapter_requests_total", **locations, outcome="ok") == 1
    assert sample(text, "pms_adapter_requests_total", **locations, outcome="PMSUnavailable") == 2
    book = {"adapter": "scripted", "operation": "book", "outcome": "SlotUnavailable"}
    assert sample(text, "pms_adapter_requests_total", **book) == 1
    assert sample(text, "pms_adapter_request_duration_seconds_count", **locations) == 3
    assert sample(text, "pms_adapter_request_duration_seconds_bucket", **locations, le="+Inf") == 3
    find = {"adapter": "scripted", "operation": "find_slots"}
    assert sample(text, "pms_adapter_request_duration_seconds_count", **find) == 1
    assert sample(text, "pms_adapter_cache_hits_total", adapter="scripted") == 1


@pytest.mark.anyio
async def test_a_request_abandoned_by_the_caller_is_counted_as_cancelled() -> None:
    metrics = AdapterMetrics()
    fake = ScriptedPMS().then("locations", "hang")
    task = asyncio.create_task(ResilientPMS(fake, metrics=metrics).locations())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    labels = {"adapter": "scripted", "operation": "locations", "outcome": "cancelled"}
    assert sample(metrics.exposition().decode(), "pms_adapter_requests_total", **labels) == 1


def test_metrics_instances_do_not_collide() -> None:
    first, second = AdapterMetrics(), AdapterMetrics()
    first.observe("cliniko", "locations", "ok", 0.1)
    assert b"cliniko" in first.exposition()
    assert b"cliniko" not in second.exposition()


def test_the_cache_hands_out_copies_and_forgets_on_invalidate() -> None:
    cache = AvailabilityCache(10.0, clock=FakeClock())
    cache.put(QUERY, [SLOT], cache.generation)
    got = cache.get(QUERY)
    assert got == [SLOT]
    assert got is not None
    got.clear()
    assert cache.get(QUERY) == [SLOT]
    stale = cache.generation
    cache.invalidate()
    assert cache.get(QUERY) is None
    cache.put(QUERY, [SLOT], stale)
    assert cache.get(QUERY) is None


def test_the_cache_keeps_at_most_max_entries_dropping_the_oldest() -> None:
    clock = FakeClock()
    cache = AvailabilityCache(10.0, max_entries=2, clock=clock)
    queries = [
        SlotQuery(appointment_type_id="t1", starts_after=NOW, ends_before=NOW + timedelta(days=d))
        for d in (1, 2, 3)
    ]
    for query in queries:
        cache.put(query, [SLOT], cache.generation)
        clock.now += 1
    assert len(cache) == 2
    assert cache.get(queries[0]) is None
    assert cache.get(queries[2]) == [SLOT]
    clock.now += 10
    cache.put(queries[0], [], cache.generation)
    assert len(cache) == 1
    assert cache.get(queries[0]) == []


@pytest.mark.parametrize("kwargs", [{"ttl_seconds": 0.0}, {"max_entries": 0}])
def test_the_cache_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        AvailabilityCache(**kwargs)  # type: ignore[arg-type]
