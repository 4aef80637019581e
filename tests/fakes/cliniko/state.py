"""`FakeCliniko`: the fake's data, its clock, its fault switches and its request log.

One instance is one Cliniko account. The HTTP app (`tests.fakes.cliniko.app`) reads and writes
it under `lock`, from uvicorn's thread; tests read it from theirs under the same lock.
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
import time as _time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tests.fakes.cliniko.records import (
    Appointment,
    AppointmentType,
    Block,
    Business,
    Patient,
    Practitioner,
)
from tests.fakes.cliniko.switches import Fault, LoggedRequest, Settings

FIRST_ID = 1_390_053_863_163_176_768  # 19 digits, well above 2**53


def _key_base(key: str) -> str:
    head, sep, tail = key.rpartition("-")
    return head if sep and re.fullmatch(r"[a-zA-Z]{2}[0-9]{1,2}", tail) else key


class FakeCliniko:
    """A Cliniko account in memory: businesses, practitioners, types, patients, appointments,
    weekly hours and blocks, plus switches to make it fail the ways the real one does."""

    def __init__(
        self,
        *,
        api_key: str = "fake-cliniko-key-au1",
        clock: Callable[[], datetime] | None = None,
        **settings: Any,
    ) -> None:
        self.api_key = api_key
        self.settings = Settings(**settings)
        self._clock = clock
        self.lock = threading.RLock()
        self._ids = itertools.count(FIRST_ID, 7_919_113)
        self.businesses: dict[str, Business] = {}
        self.practitioners: dict[str, Practitioner] = {}
        self.appointment_types: dict[str, AppointmentType] = {}
        self.patients: dict[str, Patient] = {}
        self.appointments: dict[str, Appointment] = {}
        # (practitioner, business) -> ISO weekday (1 = Monday) -> local (start, end) spans
        self.hours: dict[tuple[str, str], dict[int, list[tuple[time, time]]]] = {}
        self.unavailable_blocks: list[Block] = []
        self.availability_blocks: list[Block] = []
        self.faults: list[Fault] = []
        self.log: list[LoggedRequest] = []

    # -- clock, ids, keys -------------------------------------------------------------------

    def now(self) -> datetime:
        """The account's current instant (the injected clock, else the real one), in UTC."""
        return (self._clock() if self._clock else datetime.now(UTC)).astimezone(UTC)

    def set_clock(self, clock: Callable[[], datetime] | None) -> None:
        """Change what `now` reads."""
        self._clock = clock

    def new_id(self) -> str:
        """A fresh 19-digit id, as a string; ids increase with creation."""
        return str(next(self._ids))

    def accepts_key(self, key: str) -> bool:
        """Whether `key` (with or without its shard suffix) is this account's key."""
        return _key_base(key) == _key_base(self.api_key)

    # -- building an account -----------------------------------------------------------------

    def add_business(self, name: str, time_zone_identifier: str, **fields: Any) -> Business:
        """A business (location) in the given IANA zone."""
        with self.lock:
            business = Business(self.new_id(), name, time_zone_identifier, **fields)
            self.businesses[business.id] = business
            return business

    def add_appointment_type(self, name: str, duration: int, **fields: Any) -> AppointmentType:
        """An appointment type of `duration` minutes, offered at every business so far."""
        with self.lock:
            kind = AppointmentType(self.new_id(), name, duration, **fields)
            self.appointment_types[kind.id] = kind
            for business in self.businesses.values():
                business.appointment_type_ids.append(kind.id)
            return kind

    def add_practitioner(
        self,
        first_name: str,
        last_name: str,
        business_ids: Iterable[str],
        appointment_type_ids: Iterable[str],
        **fields: Any,
    ) -> Practitioner:
        """A practitioner working at `business_ids` and offering `appointment_type_ids`."""
        with self.lock:
            practitioner = Practitioner(
                self.new_id(),
                first_name,
                last_name,
                business_ids=list(business_ids),
                appointment_type_ids=list(appointment_type_ids),
                **fields,
            )
            self.practitioners[practitioner.id] = practitioner
            return practitioner

    def set_hours(
        self,
        practitioner_id: str,
        business_id: str,
        weekday: int,
        spans: Iterable[tuple[time, time]],
    ) -> None:
        """Weekly working hours: on ISO `weekday` (1 = Monday) these local spans, added."""
        if not 1 <= weekday <= 7:
            raise ValueError("weekday is 1 (Monday) to 7 (Sunday)")
        with self.lock:
            days = self.hours.setdefault((practitioner_id, business_id), {})
            days.setdefault(weekday, []).extend(spans)
            days[weekday].sort()

    def add_patient(
        self,
        first_name: str,
        last_name: str,
        date_of_birth: date | None = None,
        phones: Iterable[str] = (),
        email: str | None = None,
    ) -> Patient:
        """A patient; phones are stored as given, as Mobile numbers."""
        with self.lock:
            now = self.now()
            patient = Patient(
                self.new_id(),
                first_name,
                last_name,
                date_of_birth,
                email,
                [{"phone_type": "Mobile", "number": p} for p in phones],
                created_at=now,
                updated_at=now,
            )
            self.patients[patient.id] = patient
            return patient

    def add_appointment(
        self,
        patient_id: str,
        practitioner_id: str,
        business_id: str,
        appointment_type_id: str,
        starts_at: datetime,
        ends_at: datetime | None = None,
        **fields: Any,
    ) -> Appointment:
        """An appointment (overlaps allowed, as in Cliniko); the end defaults from the type."""
        with self.lock:
            kind = self.appointment_types[appointment_type_id]
            patient = self.patients[patient_id]
            now = self.now()
            starts = starts_at.astimezone(UTC)
            appointment = Appointment(
                self.new_id(),
                starts,
                (ends_at or starts + timedelta(minutes=kind.duration_in_minutes)).astimezone(UTC),
                patient_id,
                practitioner_id,
                business_id,
                appointment_type_id,
                patient_name=f"{patient.first_name} {patient.last_name}",
                created_at=fields.pop("created_at", now),
                updated_at=fields.pop("updated_at", now),
                **fields,
            )
            self.appointments[appointment.id] = appointment
            return appointment

    def add_unavailable_block(
        self,
        practitioner_id: str,
        starts_at: datetime,
        ends_at: datetime,
        business_id: str | None = None,
        notes: str = "",
    ) -> Block:
        """Time off for a practitioner, at one business or (None) at all of them."""
        with self.lock:
            block = Block(self.new_id(), practitioner_id, business_id, starts_at, ends_at, notes)
            self.unavailable_blocks.append(block)
            return block

    def add_availability_block(
        self,
        practitioner_id: str,
        business_id: str,
        starts_at: datetime,
        ends_at: datetime,
        notes: str = "",
    ) -> Block:
        """Extra working time for a practitioner at a business."""
        with self.lock:
            block = Block(self.new_id(), practitioner_id, business_id, starts_at, ends_at, notes)
            self.availability_blocks.append(block)
            return block

    # -- what the account holds ----------------------------------------------------------------

    def live_appointments(self, practitioner_id: str | None = None) -> list[Appointment]:
        """Appointments holding time (not cancelled, archived or deleted)."""
        with self.lock:
            return [
                a
                for a in self.appointments.values()
                if a.live and (practitioner_id is None or a.practitioner_id == practitioner_id)
            ]

    def has_conflicts(self, appointment: Appointment) -> bool:
        """Whether another live appointment or an unavailable block overlaps this one."""
        if not appointment.live:
            return False
        for other in self.live_appointments(appointment.practitioner_id):
            if other.id != appointment.id and _overlap(other, appointment):
                return True
        return any(
            b.practitioner_id == appointment.practitioner_id
            and b.business_id in (None, appointment.business_id)
            and _overlap(b, appointment)
            for b in self.unavailable_blocks
        )

    # -- faults ----------------------------------------------------------------------------------

    def inject(self, fault: Fault) -> Fault:
        """Apply `fault` to the next `fault.times` matching requests."""
        with self.lock:
            self.faults.append(fault)
            return fault

    def fail_next(
        self, status: int, method: str | None = None, path: str | None = None, **fields: Any
    ) -> Fault:
        """Answer the next matching request with `status` (before handling it)."""
        return self.inject(Fault(method=method, path=path, status=status, **fields))

    def rate_limit_next(self, reset_in: float = 1.0, times: int = 1) -> Fault:
        """Answer the next `times` requests with 429 and `X-RateLimit-Reset` in `reset_in` s."""
        return self.inject(Fault(status=429, reset_in=reset_in, times=times))

    def slow_next(
        self, seconds: float, method: str | None = None, path: str | None = None, times: int = 1
    ) -> Fault:
        """Delay the next matching request by `seconds` before handling it."""
        return self.inject(Fault(method=method, path=path, delay=seconds, times=times))

    def lose_next_response(
        self,
        method: str = "POST",
        path: str | None = None,
        status: int | None = None,
        times: int = 1,
    ) -> Fault:
        """Handle the next matching request for real, then lose its answer: hang for
        `settings.lost_response_hang` seconds (the client times out) or, with `status`,
        answer that status instead (a 5xx after the write landed)."""
        hang = 0.0 if status is not None else self.settings.lost_response_hang
        return self.inject(
            Fault(method=method, path=path, status=status, delay=hang, after=True, times=times)
        )

    def take_fault(self, method: str, path: str, *, after: bool) -> Fault | None:
        """The first pending fault for this request and phase, used up by one."""
        with self.lock:
            for fault in self.faults:
                if fault.after == after and fault.times > 0 and fault.matches(method, path):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
            return None

    # -- request counting --------------------------------------------------------------------------

    def record(self, key: str | None, method: str, path: str, query: str = "") -> LoggedRequest:
        """Log a request as it arrives (the wall clock, not the account clock)."""
        with self.lock:
            entry = LoggedRequest(
                _time.time(), _key_base(key) if key else None, method, path, 0, query
            )
            self.log.append(entry)
            return entry

    def sent_in_window(self, key: str) -> int:
        """How many requests `key` has sent in the current rate window (fixed windows of
        `settings.rate_window` seconds), the one just logged included."""
        window = self.settings.rate_window
        index = int(_time.time() // window)
        base = _key_base(key)
        with self.lock:
            return sum(1 for r in self.log if r.key == base and int(r.at // window) == index)

    def requests_per_window(self, window: float = 60.0) -> Counter[int]:
        """How many authorised requests arrived in each fixed window of `window` seconds."""
        with self.lock:
            return Counter(int(r.at // window) for r in self.log if r.key is not None)

    def max_requests_per_window(self, window: float = 60.0) -> int:
        """The most requests any fixed window of `window` seconds saw."""
        counts = self.requests_per_window(window)
        return max(counts.values(), default=0)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Logged requests matching `method` and the `path` regex."""
        with self.lock:
            return sum(
                1
                for r in self.log
                if (method is None or r.method == method)
                and (path is None or re.search(path, r.path))
            )

    # -- copies --------------------------------------------------------------------------------

    def clone(self) -> FakeCliniko:
        """An independent copy of the account's data and settings (no faults, empty log)."""
        with self.lock:
            other = FakeCliniko(api_key=self.api_key, clock=self._clock)
            other.settings = copy.deepcopy(self.settings)
            for name in (
                "businesses",
                "practitioners",
                "appointment_types",
                "patients",
                "appointments",
                "hours",
                "unavailable_blocks",
                "availability_blocks",
            ):
                setattr(other, name, copy.deepcopy(getattr(self, name)))
            other._ids = itertools.count(int(self.new_id()) + 1, 7_919_113)
            return other


def _overlap(a: Appointment | Block, b: Appointment | Block) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at
