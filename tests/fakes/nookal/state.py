"""The fake Nookal's data: one practice's locations, practitioners, services, patients,
appointments and weekly working hours, plus the switches tests use to make it misbehave.

Times are kept as Nookal keeps them: a local date and local minutes since midnight in the
location's zone. Every change happens under one lock, so tests may seed and inspect it from
their own thread while the server thread serves it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time


def minutes(value: time) -> int:
    """Minutes since midnight of a wall-clock time."""
    return value.hour * 60 + value.minute


@dataclass
class FakeLocation:
    """A `getLocations` row."""

    id: str
    name: str
    timezone: str = "Australia/Sydney"
    address_line_1: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = "Australia"


@dataclass
class FakePractitioner:
    """A `getPractitioners` row; `service_ids` None means every service."""

    id: str
    first_name: str
    last_name: str
    speciality: str = ""
    title: str = ""
    location_ids: list[str] = field(default_factory=list)
    service_ids: list[str] | None = None
    active: bool = True


@dataclass
class FakeService:
    """A `getAppointmentTypes` (`services`) row; `location_ids` empty means everywhere."""

    id: str
    name: str
    duration: int
    location_ids: list[str] = field(default_factory=list)
    description: str = ""


@dataclass
class FakePatient:
    """A patient row; phones as a receptionist typed them."""

    id: str
    first_name: str
    last_name: str
    dob: date | None = None
    mobile: str = ""
    home: str = ""
    work: str = ""
    email: str = ""
    location_id: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class FakeAppointment:
    """An appointment, in its location's local date and minutes."""

    id: str
    patient_id: str
    practitioner_id: str
    location_id: str
    service_id: str
    day: date
    start: int
    end: int
    cancelled: bool = False
    dna: bool = False
    notes: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    cancelled_at: datetime | None = None


@dataclass
class WeeklyHours:
    """A practitioner works at a location on a weekday (Monday 0) from start to end minutes."""

    practitioner_id: str
    location_id: str
    weekday: int
    start: int
    end: int
    valid_from: date | None = None
    valid_until: date | None = None  # inclusive


@dataclass
class DatedChange:
    """Time off (removes time) or extra hours (adds time) on one date.

    Time off with no practitioner closes the location (no location: the whole practice), as a
    public holiday does. No start and end means the whole day.
    """

    day: date
    kind: str  # "off" or "extra"
    practitioner_id: str | None = None
    location_id: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass
class Misbehaviour:
    """What the next `times` calls of one method do wrong.

    `status`: answer with that HTTP status (an HTML error page) without doing anything.
    `delay`: wait that many seconds before doing anything (a slow server).
    `lose`: do the work, then drop the answer: "timeout" (never answer until the client gives
    up) or "502" (a gateway error after the write landed).
    """

    times: int = 1
    status: int | None = None
    delay: float = 0.0
    lose: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """What a call looked like on the wire (for tests of the transport)."""

    method: str
    http_method: str
    query_string: str
    form_fields: tuple[str, ...]
    content_type: str


class FakeNookal:
    """One Nookal practice, in memory."""

    def __init__(
        self,
        api_keys: dict[str, set[str] | None] | None = None,
        *,
        grid_step: int = 15,
        custom_methods: bool = True,
        page_length: int = 100,
    ) -> None:
        self.lock = threading.RLock()
        # API key -> the location ids it covers (None: every location)
        self.api_keys: dict[str, set[str] | None] = (
            api_keys if api_keys is not None else {"test-key": None}
        )
        self.grid_step = grid_step
        self.custom_methods = custom_methods
        self.default_page_length = page_length
        self.locations: dict[str, FakeLocation] = {}
        self.practitioners: dict[str, FakePractitioner] = {}
        self.services: dict[str, FakeService] = {}
        self.patients: dict[str, FakePatient] = {}
        self.appointments: dict[str, FakeAppointment] = {}
        self.hours: list[WeeklyHours] = []
        self.changes: list[DatedChange] = []
        self.misbehaviour: dict[str, Misbehaviour] = {}
        self.requests: list[RecordedRequest] = []
        self.closing = threading.Event()
        self._ids = itertools.count(1001)

    def next_id(self, taken: Iterable[str]) -> str:
        """A fresh id (as Nookal's, a decimal string) not among `taken`."""
        used = set(taken)
        while True:
            candidate = str(next(self._ids))
            if candidate not in used:
                return candidate

    # -- seeding --------------------------------------------------------------------------

    def add_location(self, location: FakeLocation) -> FakeLocation:
        with self.lock:
            self.locations[location.id] = location
        return location

    def add_practitioner(self, practitioner: FakePractitioner) -> FakePractitioner:
        with self.lock:
            self.practitioners[practitioner.id] = practitioner
        return practitioner

    def add_service(self, service: FakeService) -> FakeService:
        with self.lock:
            self.services[service.id] = service
        return service

    def add_patient(self, patient: FakePatient) -> FakePatient:
        with self.lock:
            self.patients[patient.id] = patient
        return patient

    def add_appointment(self, appointment: FakeAppointment) -> FakeAppointment:
        with self.lock:
            self.appointments[appointment.id] = appointment
        return appointment

    def add_hours(self, *hours: WeeklyHours) -> None:
        with self.lock:
            self.hours.extend(hours)

    def add_change(self, change: DatedChange) -> None:
        with self.lock:
            self.changes.append(change)

    # -- switches -------------------------------------------------------------------------

    def misbehave(self, method: str, behaviour: Misbehaviour) -> None:
        """Make the next `behaviour.times` calls of `method` misbehave."""
        with self.lock:
            self.misbehaviour[method] = behaviour

    def take_misbehaviour(self, method: str) -> Misbehaviour | None:
        """The misbehaviour for this call of `method`, if any (counting it down)."""
        with self.lock:
            found = self.misbehaviour.get(method)
            if found is None:
                return None
            found.times -= 1
            if found.times <= 0:
                del self.misbehaviour[method]
            return found

    # -- inspection -----------------------------------------------------------------------

    def live_appointments(self, patient_id: str | None = None) -> list[FakeAppointment]:
        """Appointments not cancelled (for one patient, if given)."""
        with self.lock:
            return [
                a
                for a in self.appointments.values()
                if not a.cancelled and (patient_id is None or a.patient_id == patient_id)
            ]

    def calls(self, method: str) -> int:
        """How many times `method` was called."""
        with self.lock:
            return sum(1 for r in self.requests if r.method == method)
