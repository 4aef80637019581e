"""The resilience every adapter gets without writing it: `ResilientPMS` wraps any `PMSAdapter`.

For each request it takes a token from the request budget, bounds the attempt with a timeout,
records metrics and maps whatever escapes the adapter onto the error tree (a timeout or an
unexpected exception becomes `PMSUnavailable`). Reads are retried on `PMSUnavailable` with
exponential backoff, and on `RateLimited` after the wait the PMS asked for. Writes are never
retried here: a write that timed out may have happened, and only the adapter knows how to look
before it tries again (see `pms_adapters.contract`). `find_slots` answers come from a short-TTL
cache that every appointment write clears.

Patient data never goes into log message text; logs carry only structured `extra` fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from pms_adapters.availability_cache import AvailabilityCache
from pms_adapters.budget import RequestBudget
from pms_adapters.contract import PMSAdapter
from pms_adapters.errors import PMSError, PMSUnavailable, RateLimited, WriteOutcomeUnknown
from pms_adapters.metrics import AdapterMetrics
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

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: attempts for reads, backoff between them, a timeout per attempt.

    The n-th retry waits `base_delay * 2**(n-1)`, capped at `max_delay`, then scaled by a
    random factor in [1 - jitter, 1 + jitter] so workers do not retry in step. A `RateLimited`
    read is retried after its `retry_after` only if that is at most `max_rate_limit_wait`.
    """

    attempts: int = 3
    base_delay: float = 0.2
    max_delay: float = 2.0
    timeout_seconds: float = 10.0
    jitter: float = 0.1
    max_rate_limit_wait: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_rate_limit_wait < 0:
            raise ValueError("delays must not be negative")
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 for the first retry)."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return delay * random.uniform(1 - self.jitter, 1 + self.jitter)


class ResilientPMS:
    """A `PMSAdapter` that adds budget, timeouts, retries, caching and metrics to another."""

    def __init__(
        self,
        adapter: PMSAdapter,
        *,
        policy: RetryPolicy | None = None,
        budget: RequestBudget | None = None,
        cache: AvailabilityCache | None = None,
        metrics: AdapterMetrics | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.adapter = adapter
        self.name = adapter.name
        self.policy = policy if policy is not None else RetryPolicy()
        self.budget = budget
        self.cache = cache
        self.metrics = metrics
        self._sleep = sleep

    @property
    def capabilities(self) -> Capabilities:
        """The wrapped adapter's capabilities."""
        return self.adapter.capabilities

    async def locations(self) -> list[Location]:
        """The locations this connection covers."""
        return await self._read("locations", self.adapter.locations)

    async def practitioners(self) -> list[Practitioner]:
        """Active practitioners."""
        return await self._read("practitioners", self.adapter.practitioners)

    async def appointment_types(self) -> list[AppointmentType]:
        """Active appointment types."""
        return await self._read("appointment_types", self.adapter.appointment_types)

    async def find_slots(self, query: SlotQuery) -> list[Slot]:
        """Free slots, from the cache while fresh."""
        if self.cache is None:
            return await self._read("find_slots", lambda: self.adapter.find_slots(query))
        cached = self.cache.get(query)
        if cached is not None:
            if self.metrics is not None:
                self.metrics.cache_hit(self.name)
            return cached
        generation = self.cache.generation
        slots = await self._read("find_slots", lambda: self.adapter.find_slots(query))
        self.cache.put(query, slots, generation)
        return slots

    async def find_patients(self, query: PatientQuery) -> list[Patient]:
        """Patients matching every criterion given."""
        return await self._read("find_patients", lambda: self.adapter.find_patients(query))

    async def create_patient(self, patient: NewPatient, idempotency_key: str) -> Patient:
        """Register a patient; never retried here."""
        return await self._call(
            "create_patient",
            lambda: self.adapter.create_patient(patient, idempotency_key),
            attempts=1,
            write=True,
        )

    async def appointments(self, patient_id: str, window: Window) -> list[Appointment]:
        """The patient's appointments in the window."""
        return await self._read(
            "appointments", lambda: self.adapter.appointments(patient_id, window)
        )

    async def book(
        self, slot_id: str, patient_id: str, idempotency_key: str, notes: str = ""
    ) -> Appointment:
        """Book a slot; never retried here."""
        return await self._write(
            "book", lambda: self.adapter.book(slot_id, patient_id, idempotency_key, notes)
        )

    async def reschedule(
        self, appointment_id: str, slot_id: str, idempotency_key: str
    ) -> Appointment:
        """Move an appointment; never retried here."""
        return await self._write(
            "reschedule",
            lambda: self.adapter.reschedule(appointment_id, slot_id, idempotency_key),
        )

    async def cancel(
        self, appointment_id: str, reason: CancellationReason, note: str = ""
    ) -> Appointment:
        """Cancel an appointment; never retried here."""
        return await self._write(
            "cancel", lambda: self.adapter.cancel(appointment_id, reason, note)
        )

    async def aclose(self) -> None:
        """Close the wrapped adapter."""
        await self.adapter.aclose()

    async def _read(self, operation: str, request: Callable[[], Awaitable[T]]) -> T:
        return await self._call(operation, request, attempts=self.policy.attempts)

    async def _write(self, operation: str, request: Callable[[], Awaitable[T]]) -> T:
        # Success or failure, the diary may have changed (a timed-out booking may have landed).
        try:
            return await self._call(operation, request, attempts=1, write=True)
        finally:
            if self.cache is not None:
                self.cache.invalidate()

    async def _call(
        self,
        operation: str,
        request: Callable[[], Awaitable[T]],
        *,
        attempts: int,
        write: bool = False,
    ) -> T:
        attempt = 1
        while True:
            if self.budget is not None:
                # A refusal comes after the budget's own max wait: passed on, not retried.
                await self.budget.acquire()
            try:
                return await self._attempt(operation, request, write)
            except RateLimited as exc:
                if self.budget is not None:
                    # Holds back every worker on this credential; if the budget cannot be told,
                    # the 429 itself is still the news to pass on.
                    with contextlib.suppress(PMSError):
                        await self.budget.pause_until(time.time() + exc.retry_after)
                if attempt >= attempts or exc.retry_after > self.policy.max_rate_limit_wait:
                    raise
                self._log_retry(operation, attempt, exc, exc.retry_after)
                await self._sleep(exc.retry_after)
            except PMSUnavailable as exc:
                if attempt >= attempts:
                    raise
                delay = self.policy.backoff(attempt)
                self._log_retry(operation, attempt, exc, delay)
                await self._sleep(delay)
            attempt += 1

    async def _attempt(
        self, operation: str, request: Callable[[], Awaitable[T]], write: bool = False
    ) -> T:
        started = time.perf_counter()
        outcome = "cancelled"  # unless it ends any other way: the caller went away
        try:
            async with asyncio.timeout(self.policy.timeout_seconds):
                result = await request()
            outcome = "ok"
            return result
        except PMSError as exc:
            outcome = type(exc).__name__
            raise
        except TimeoutError as exc:
            message = f"{self.name} {operation} timed out after {self.policy.timeout_seconds:g}s"
            if write:
                # Never a phantom failure: the write may have landed after all.
                outcome = WriteOutcomeUnknown.__name__
                raise WriteOutcomeUnknown(
                    f"{message}; repeat it with the same idempotency key to learn the outcome"
                ) from exc
            outcome = PMSUnavailable.__name__
            raise PMSUnavailable(message) from exc
        except Exception as exc:
            # The text of a stray exception may quote the request: keep only its type.
            outcome = PMSUnavailable.__name__
            raise PMSUnavailable(f"{self.name} {operation} failed: {type(exc).__name__}") from exc
        finally:
            if self.metrics is not None:
                self.metrics.observe(self.name, operation, outcome, time.perf_counter() - started)

    def _log_retry(self, operation: str, attempt: int, exc: PMSError, delay: float) -> None:
        logger.warning(
            "PMS request failed; retrying",
            extra={
                "adapter": self.name,
                "operation": operation,
                "attempt": attempt,
                "error": type(exc).__name__,
                "delay_seconds": round(delay, 3),
            },
        )
