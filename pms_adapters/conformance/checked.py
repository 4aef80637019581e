"""`CheckedAdapter`: the adapter under test, with every call held to the contract's manners.

Whatever the kit asks, the answer must come within the sandbox's timeout, be awaitable, have
the contract's type, and fail only with a `PMSError`. Anything else fails the test there and
then, saying which call did it, so each check below only has to think about behaviour.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import anyio
import pytest

from pms_adapters.contract import PMSAdapter
from pms_adapters.errors import PMSError
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

T = TypeVar("T")

RAW_EXCEPTION_ADVICE = (
    "adapters must raise only the errors in pms_adapters.errors (a PMSError subclass such as"
    " NotFound, InvalidRequest, SlotUnavailable or PMSUnavailable), never a raw exception"
)


def fail(message: str) -> NoReturn:
    """Fail the current check with a message that says what the adapter did wrong."""
    pytest.fail(message)


def expect(condition: bool, message: str) -> None:
    """Fail with `message` unless `condition` holds."""
    if not condition:
        fail(message)


def _describe(value: object) -> str:
    return f"a {type(value).__name__}"


def short(value: str) -> str:
    """An argument as the messages show it: quoted, and cut if it is long."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


class CheckedAdapter:
    """Calls the adapter under test and fails the test on any breach of the call manners."""

    def __init__(self, adapter: PMSAdapter, timeout: float) -> None:
        self.adapter = adapter
        self.timeout = timeout

    async def _call(self, what: str, method: Callable[..., Any], *args: Any) -> Any:
        with anyio.move_on_after(self.timeout):
            try:
                call = method(*args)
                if not inspect.isawaitable(call):
                    fail(
                        f"{what} returned {_describe(call)} instead of an awaitable: contract"
                        " methods are async"
                    )
                return await call
            except PMSError:
                raise
            except Exception as exc:
                fail(f"{what} raised {type(exc).__name__} ({exc}): {RAW_EXCEPTION_ADVICE}")
        fail(f"{what} did not answer within {self.timeout:g} s (a stuck call or a blocked loop)")

    @staticmethod
    def _one(what: str, result: object, kind: type[T]) -> T:
        if not isinstance(result, kind):
            fail(f"{what} returned {_describe(result)}, not a {kind.__name__}")
        return result

    @staticmethod
    def _many(what: str, result: object, kind: type[T]) -> list[T]:
        if not isinstance(result, list) or not all(isinstance(item, kind) for item in result):
            fail(f"{what} returned {_describe(result)}, not a list of {kind.__name__}")
        return result

    @property
    def name(self) -> str:
        """The adapter's name."""
        return self.adapter.name

    @property
    def capabilities(self) -> Capabilities:
        """The adapter's capabilities, checked to be a `Capabilities`."""
        return self._one("adapter.capabilities", self.adapter.capabilities, Capabilities)

    async def locations(self) -> list[Location]:
        what = "adapter.locations()"
        return self._many(what, await self._call(what, self.adapter.locations), Location)

    async def practitioners(self) -> list[Practitioner]:
        what = "adapter.practitioners()"
        result = await self._call(what, self.adapter.practitioners)
        return self._many(what, result, Practitioner)

    async def appointment_types(self) -> list[AppointmentType]:
        what = "adapter.appointment_types()"
        result = await self._call(what, self.adapter.appointment_types)
        return self._many(what, result, AppointmentType)

    async def find_slots(self, query: SlotQuery) -> list[Slot]:
        what = "adapter.find_slots()"
        return self._many(what, await self._call(what, self.adapter.find_slots, query), Slot)

    async def find_patients(self, query: PatientQuery) -> list[Patient]:
        what = "adapter.find_patients()"
        result = await self._call(what, self.adapter.find_patients, query)
        return self._many(what, result, Patient)

    async def create_patient(self, patient: NewPatient, idempotency_key: str) -> Patient:
        what = "adapter.create_patient()"
        result = await self._call(what, self.adapter.create_patient, patient, idempotency_key)
        return self._one(what, result, Patient)

    async def appointments(self, patient_id: str, window: Window) -> list[Appointment]:
        what = f"adapter.appointments({short(patient_id)})"
        result = await self._call(what, self.adapter.appointments, patient_id, window)
        return self._many(what, result, Appointment)

    async def book(
        self, slot_id: str, patient_id: str, idempotency_key: str, notes: str = ""
    ) -> Appointment:
        what = f"adapter.book({short(slot_id)}, {short(patient_id)})"
        result = await self._call(
            what, self.adapter.book, slot_id, patient_id, idempotency_key, notes
        )
        return self._one(what, result, Appointment)

    async def reschedule(
        self, appointment_id: str, slot_id: str, idempotency_key: str
    ) -> Appointment:
        what = f"adapter.reschedule({short(appointment_id)}, {short(slot_id)})"
        result = await self._call(
            what, self.adapter.reschedule, appointment_id, slot_id, idempotency_key
        )
        return self._one(what, result, Appointment)

    async def cancel(
        self, appointment_id: str, reason: CancellationReason, note: str = ""
    ) -> Appointment:
        what = f"adapter.cancel({short(appointment_id)})"
        result = await self._call(what, self.adapter.cancel, appointment_id, reason, note)
        return self._one(what, result, Appointment)


def gave(result: object) -> str:
    """What a call came to, for messages: 'raised NotFound (...)' or 'succeeded (...)'."""
    if isinstance(result, PMSError):
        return f"raised {type(result).__name__} ({result})"
    if isinstance(result, Appointment):
        return f"succeeded (appointment {result.id})"
    return f"returned {_describe(result)}"


async def outcome(call: Awaitable[T]) -> T | PMSError:
    """The call's result, or the `PMSError` it raised (for checks that expect one)."""
    try:
        return await call
    except PMSError as exc:
        return exc
