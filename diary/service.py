"""`Diary`: the built-in PMS's public face. Each method is one transaction on its own session.

The methods are synchronous (SQLAlchemy's sync engine, which is what SQLite offers anyway);
async callers run them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary import availability, booking, patients
from diary.availability import Slot
from diary.booking import SlotChoice
from diary.clock import Clock, SystemClock
from diary.db import make_engine, read_session, write_session
from diary.errors import InvalidRequest, NotFound
from diary.localtime import require_aware
from diary.migrate import upgrade
from diary.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CancellationReason,
    Clinic,
    Hold,
    Location,
    Patient,
    Practitioner,
)
from diary.patients import PatientMatch

T = TypeVar("T")


class Diary:
    """The diary of every clinic in one database."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()

    @classmethod
    def open(cls, url: str, clock: Clock | None = None, migrate: bool = True) -> Diary:
        """Connect to the database at `url`, applying migrations first unless told not to."""
        engine = make_engine(url)
        if migrate:
            upgrade(engine)
        return cls(engine, clock)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def _read(self, work: Callable[[Session], T]) -> T:
        with read_session(self.engine) as session:
            return work(session)

    def _write(self, work: Callable[[Session], T]) -> T:
        try:
            with write_session(self.engine) as session:
                return work(session)
        except IntegrityError as exc:
            # A concurrent request committed the same idempotency key first (PostgreSQL, where
            # two different practitioners are not serialised). Run again: the replay or the
            # conflict check now sees the committed record.
            if "idempotency_records" not in str(exc.orig) and "pk_idempotency" not in str(exc):
                raise
            with write_session(self.engine) as session:
                return work(session)

    # -- reference data -------------------------------------------------------------------

    def clinics(self) -> list[Clinic]:
        """Every clinic in this database."""
        return self._read(lambda s: list(s.scalars(select(Clinic).order_by(Clinic.id))))

    def clinic(self, clinic_id: int) -> Clinic:
        """One clinic, or NotFound."""

        def work(session: Session) -> Clinic:
            clinic = session.get(Clinic, clinic_id)
            if clinic is None:
                raise NotFound("clinic", clinic_id)
            return clinic

        return self._read(work)

    def locations(self, clinic_id: int) -> list[Location]:
        """The clinic's locations."""
        return self._read(
            lambda s: list(
                s.scalars(
                    select(Location).where(Location.clinic_id == clinic_id).order_by(Location.id)
                )
            )
        )

    def practitioners(self, clinic_id: int) -> list[Practitioner]:
        """The clinic's active practitioners."""
        return self._read(
            lambda s: list(
                s.scalars(
                    select(Practitioner)
                    .where(Practitioner.clinic_id == clinic_id, Practitioner.active.is_(True))
                    .order_by(Practitioner.id)
                )
            )
        )

    def appointment_types(self, clinic_id: int) -> list[AppointmentType]:
        """The clinic's active appointment types."""
        return self._read(
            lambda s: list(
                s.scalars(
                    select(AppointmentType)
                    .where(AppointmentType.clinic_id == clinic_id, AppointmentType.active.is_(True))
                    .order_by(AppointmentType.id)
                )
            )
        )

    # -- availability ---------------------------------------------------------------------

    def find_slots(
        self,
        clinic_id: int,
        appointment_type_id: int,
        start: datetime,
        end: datetime,
        *,
        practitioner_ids: list[int] | None = None,
        location_id: int | None = None,
    ) -> list[Slot]:
        """Every free slot starting in [start, end), in time order."""

        def work(session: Session) -> list[Slot]:
            now = self.clock.now()
            plan = availability.load_plan(
                session,
                clinic_id,
                appointment_type_id,
                practitioner_ids,
                location_id,
                not_before=(now - timedelta(days=1)).date(),
            )
            return availability.find_slots(session, plan, start, end, now)

        return self._read(work)

    def first_slots(
        self,
        clinic_id: int,
        appointment_type_id: int,
        count: int = 5,
        *,
        after: datetime | None = None,
        practitioner_ids: list[int] | None = None,
        location_id: int | None = None,
        horizon_days: int = 90,
    ) -> list[Slot]:
        """The first `count` free slots from `after` (default: now)."""
        now = self.clock.now()

        def work(session: Session) -> list[Slot]:
            plan = availability.load_plan(
                session,
                clinic_id,
                appointment_type_id,
                practitioner_ids,
                location_id,
                not_before=(now - timedelta(days=1)).date(),
            )
            return availability.first_slots(session, plan, count, after or now, now, horizon_days)

        return self._read(work)

    # -- writes ---------------------------------------------------------------------------

    def hold(self, clinic_id: int, choice: SlotChoice, holder: str = "") -> Hold:
        """Hold a slot for the clinic's hold time while the caller confirms."""
        return self._write(lambda s: booking.hold(s, clinic_id, choice, self.clock.now(), holder))

    def release_hold(self, hold_id: int) -> None:
        """Give a held slot back (no error if it is already gone)."""

        def work(session: Session) -> None:
            held = session.get(Hold, hold_id)
            if held is not None:
                session.delete(held)

        self._write(work)

    def book(
        self,
        clinic_id: int,
        choice: SlotChoice,
        patient_id: int,
        *,
        idempotency_key: str | None = None,
        hold_id: int | None = None,
        source: str = "staff",
        notes: str = "",
    ) -> Appointment:
        """Book a slot; the same key and request returns the same appointment."""
        return self._write(
            lambda s: booking.book(
                s,
                clinic_id,
                choice,
                patient_id,
                self.clock.now(),
                idempotency_key=idempotency_key,
                hold_id=hold_id,
                source=source,
                notes=notes,
            )
        )

    def reschedule(
        self,
        clinic_id: int,
        appointment_id: int,
        new: SlotChoice,
        *,
        idempotency_key: str | None = None,
        hold_id: int | None = None,
    ) -> Appointment:
        """Move an appointment atomically."""
        return self._write(
            lambda s: booking.reschedule(
                s,
                clinic_id,
                appointment_id,
                new,
                self.clock.now(),
                idempotency_key=idempotency_key,
                hold_id=hold_id,
            )
        )

    def cancel(
        self,
        clinic_id: int,
        appointment_id: int,
        reason: CancellationReason | str,
        note: str = "",
    ) -> Appointment:
        """Cancel an appointment with a reason (and an optional note)."""
        return self._write(
            lambda s: booking.cancel(s, clinic_id, appointment_id, reason, self.clock.now(), note)
        )

    def mark_did_not_arrive(self, clinic_id: int, appointment_id: int) -> Appointment:
        """Record a no-show."""
        return self._write(
            lambda s: booking.mark_did_not_arrive(s, clinic_id, appointment_id, self.clock.now())
        )

    # -- appointments and patients --------------------------------------------------------

    def appointment(self, clinic_id: int, appointment_id: int) -> Appointment:
        """One appointment, or NotFound."""

        def work(session: Session) -> Appointment:
            found = session.get(Appointment, appointment_id)
            if found is None or found.clinic_id != clinic_id:
                raise NotFound("appointment", appointment_id)
            return found

        return self._read(work)

    def patient_appointments(
        self,
        clinic_id: int,
        patient_id: int,
        start: datetime | None = None,
        end: datetime | None = None,
        include_cancelled: bool = False,
    ) -> list[Appointment]:
        """A patient's appointments starting in [start, end) (default: the next 90 days)."""
        lo = require_aware(start, "start") if start else self.clock.now()
        hi = require_aware(end, "end") if end else lo + timedelta(days=90)
        if hi <= lo:
            raise InvalidRequest("end must be after start")

        def work(session: Session) -> list[Appointment]:
            query = select(Appointment).where(
                Appointment.clinic_id == clinic_id,
                Appointment.patient_id == patient_id,
                Appointment.starts_at >= lo,
                Appointment.starts_at < hi,
            )
            if not include_cancelled:
                query = query.where(Appointment.status != AppointmentStatus.CANCELLED.value)
            return list(session.scalars(query.order_by(Appointment.starts_at)))

        return self._read(work)

    def patient(self, clinic_id: int, patient_id: int) -> Patient:
        """One patient, or NotFound."""

        def work(session: Session) -> Patient:
            found = session.get(Patient, patient_id)
            if found is None or found.clinic_id != clinic_id:
                raise NotFound("patient", patient_id)
            return found

        return self._read(work)

    def find_patients(
        self,
        clinic_id: int,
        *,
        phone: str | None = None,
        name: str | None = None,
        date_of_birth: date | None = None,
        limit: int = 10,
    ) -> list[PatientMatch]:
        """Patients matching every criterion given, best match first."""
        return self._read(
            lambda s: patients.find_patients(
                s, clinic_id, phone=phone, name=name, date_of_birth=date_of_birth, limit=limit
            )
        )

    def create_patient(
        self,
        clinic_id: int,
        *,
        first_name: str,
        last_name: str,
        date_of_birth: date | None = None,
        phones: list[str] | None = None,
        email: str | None = None,
        allow_duplicate: bool = False,
    ) -> Patient:
        """Register a patient, refusing a likely duplicate unless `allow_duplicate`."""
        return self._write(
            lambda s: patients.create_patient(
                s,
                clinic_id,
                first_name=first_name,
                last_name=last_name,
                date_of_birth=date_of_birth,
                phones=phones,
                email=email,
                allow_duplicate=allow_duplicate,
            )
        )
