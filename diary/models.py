"""The diary's tables (SQLAlchemy 2 declarative models).

Rules (working hours, exceptions) are local wall-clock times plus the location's IANA zone;
instants (appointments, holds) are stored in UTC. `Appointment.blocked_from/blocked_until` is the
appointment inflated by its type's buffers: the database's no-overlap guarantee is on that range,
so two bookings' buffers can never overlap either.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: refuses naive datetimes, stores UTC, always reads back aware UTC.

    SQLite has no time zone type, so UTC is stored without an offset there; the fixed
    format keeps string comparison (used by the overlap trigger) equal to time order.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    DID_NOT_ARRIVE = "did_not_arrive"


class CancellationReason(enum.StrEnum):
    PATIENT_REQUEST = "patient_request"
    ILLNESS = "illness"
    RESCHEDULED_ELSEWHERE = "rescheduled_elsewhere"
    CLINIC_CANCELLED = "clinic_cancelled"
    OTHER = "other"


class ExceptionKind(enum.StrEnum):
    EXTRA_HOURS = "extra_hours"
    TIME_OFF = "time_off"
    PUBLIC_HOLIDAY = "public_holiday"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}


def _now() -> datetime:
    return datetime.now(UTC)


practitioner_locations = Table(
    "practitioner_locations",
    Base.metadata,
    Column("practitioner_id", ForeignKey("practitioners.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True),
)

practitioner_appointment_types = Table(
    "practitioner_appointment_types",
    Base.metadata,
    Column("practitioner_id", ForeignKey("practitioners.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "appointment_type_id",
        ForeignKey("appointment_types.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166 region, the phone default
    timezone: Mapped[str] = mapped_column(String(64))
    slot_step_minutes: Mapped[int] = mapped_column(Integer, default=15)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=60)
    max_window_days: Mapped[int] = mapped_column(Integer, default=31)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(default=_now)

    locations: Mapped[list[Location]] = relationship(back_populates="clinic")


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(Text, default="")

    clinic: Mapped[Clinic] = relationship(back_populates="locations")


class Practitioner(Base):
    __tablename__ = "practitioners"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    locations: Mapped[list[Location]] = relationship(secondary=practitioner_locations)
    appointment_types: Mapped[list[AppointmentType]] = relationship(
        secondary=practitioner_appointment_types
    )


class AppointmentType(Base):
    __tablename__ = "appointment_types"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="positive_duration"),
        CheckConstraint("buffer_before_minutes >= 0 AND buffer_after_minutes >= 0", name="buffers"),
        # Keeps every blocked range under a day, which bounds the overlap queries.
        CheckConstraint(
            "duration_minutes + buffer_before_minutes + buffer_after_minutes <= 720",
            name="under_twelve_hours",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    bookable_by_phone: Mapped[bool] = mapped_column(Boolean, default=True)
    new_patients_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WorkingHours(Base):
    """A weekly rule: practitioner works at location on weekday from start to end (local)."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("ends_at > starts_at", name="ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)  # Monday is 0, as in date.weekday()
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)  # inclusive


class ScheduleException(Base):
    """A dated change to the weekly rules.

    `extra_hours` adds time for one practitioner at one location; `time_off` removes time for
    a practitioner (all locations, or one); `public_holiday` closes a location (or, with no
    location, the whole clinic). With no times the exception covers the whole local day.
    """

    __tablename__ = "schedule_exceptions"
    __table_args__ = (
        CheckConstraint("kind IN ('extra_hours', 'time_off', 'public_holiday')", name="kind"),
        CheckConstraint(
            "(starts_at IS NULL AND ends_at IS NULL) OR ends_at > starts_at", name="ordered"
        ),
        CheckConstraint(
            "kind <> 'extra_hours' OR (practitioner_id IS NOT NULL AND location_id IS NOT NULL"
            " AND starts_at IS NOT NULL)",
            name="extra_hours_complete",
        ),
        Index("ix_schedule_exceptions_clinic_date", "clinic_id", "on_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), nullable=True
    )
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), nullable=True
    )
    on_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[time | None] = mapped_column(Time, nullable=True)
    ends_at: Mapped[time | None] = mapped_column(Time, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        Index("ix_patients_clinic_dob", "clinic_id", "date_of_birth"),
        Index("ix_patients_clinic_last_key", "clinic_id", "last_name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # Case- and accent-folded copies used for search.
    first_name_key: Mapped[str] = mapped_column(String(100))
    last_name_key: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)

    phones: Mapped[list[PatientPhone]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", lazy="selectin"
    )


class PatientPhone(Base):
    __tablename__ = "patient_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="mobile")

    patient: Mapped[Patient] = relationship(back_populates="phones")


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("status IN ('booked', 'cancelled', 'did_not_arrive')", name="status"),
        CheckConstraint("ends_at > starts_at", name="ordered"),
        CheckConstraint(
            "blocked_from <= starts_at AND blocked_until >= ends_at", name="blocked_covers"
        ),
        Index("ix_appointments_practitioner_blocked", "practitioner_id", "blocked_from"),
        Index("ix_appointments_patient_start", "patient_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    blocked_from: Mapped[datetime] = mapped_column()
    blocked_until: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=AppointmentStatus.BOOKED.value)
    cancellation_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    cancellation_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    source: Mapped[str] = mapped_column(String(40), default="staff")
    notes: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


class Hold(Base):
    """A short-lived claim on a slot while a caller confirms; hides it from everyone else."""

    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_practitioner_blocked", "practitioner_id", "blocked_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    blocked_from: Mapped[datetime] = mapped_column()
    blocked_until: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
    holder: Mapped[str] = mapped_column(String(255), default="")  # e.g. the call's id
    created_at: Mapped[datetime] = mapped_column(default=_now)


class IdempotencyRecord(Base):
    """A write's key, the hash of its request, and the appointment it produced."""

    __tablename__ = "idempotency_records"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    operation: Mapped[str] = mapped_column(String(20))
    request_hash: Mapped[str] = mapped_column(String(64))
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    created_at: Mapped[datetime] = mapped_column(default=_now)
