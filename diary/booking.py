"""Writes to the diary: hold, book, reschedule, cancel, did-not-arrive.

Every write is one transaction. The order inside it is the one that makes retries and races
safe (see specs/style-and-diary-anchors.md, 2.2 and 2.3):

1. lock the practitioner (a row lock on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already holds
   the database's single write lock), so two bookings for one practitioner run one at a time;
2. look up the idempotency key: the same request replays the stored result, a different one is
   an IdempotencyConflict;
3. re-check the slot against live availability, for a friendly SlotUnavailable;
4. write; the database's own no-overlap guard (exclusion constraint or trigger) is the proof,
   and its violation also becomes SlotUnavailable.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary.availability import Ignore, SearchPlan, load_plan, on_local_grid, slots_in_window
from diary.errors import IdempotencyConflict, InvalidRequest, NotFound, SlotUnavailable
from diary.localtime import from_epoch, require_aware, to_epoch
from diary.models import (
    Appointment,
    AppointmentStatus,
    CancellationReason,
    Hold,
    IdempotencyRecord,
    Patient,
    Practitioner,
)

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class SlotChoice:
    """Which slot a write is about: practitioner, location, appointment type and start."""

    practitioner_id: int
    location_id: int
    appointment_type_id: int
    starts_at: datetime


def request_hash(operation: str, **fields: object) -> str:
    """A stable fingerprint of a write request, stored beside its idempotency key."""
    canonical = json.dumps({"op": operation, **fields}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_practitioners(session: Session, clinic_id: int, practitioner_ids: list[int]) -> None:
    """Serialise writes per practitioner (ids locked in order, so two movers cannot deadlock)."""
    ids = sorted(set(practitioner_ids))
    found = session.scalars(
        select(Practitioner.id)
        .where(Practitioner.id.in_(ids), Practitioner.clinic_id == clinic_id)
        .order_by(Practitioner.id)
        .with_for_update()
    ).all()
    for ident in ids:
        if ident not in found:
            raise NotFound("practitioner", ident)


def replay(session: Session, key: str | None, digest: str) -> Appointment | None:
    """The appointment a previous request with this key produced, if any."""
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"idempotency key must be 1 to {MAX_KEY_LENGTH} characters")
    record = session.get(IdempotencyRecord, key)
    if record is None:
        return None
    if record.request_hash != digest:
        raise IdempotencyConflict(key)
    return session.get_one(Appointment, record.appointment_id)


def remember(
    session: Session,
    clinic_id: int,
    key: str | None,
    operation: str,
    digest: str,
    appointment: Appointment,
) -> None:
    """Store the key with the result, in the same transaction as the write."""
    if key is not None:
        # A plain INSERT: the record is never read back in this transaction, so the ORM's
        # unit of work would only add cost to every booking.
        session.execute(
            insert(IdempotencyRecord).values(
                key=key,
                clinic_id=clinic_id,
                operation=operation,
                request_hash=digest,
                appointment_id=appointment.id,
                created_at=datetime.now(UTC),
            )
        )


def check_slot(
    session: Session, clinic_id: int, choice: SlotChoice, now: datetime, ignore: Ignore
) -> SearchPlan:
    """Raise unless `choice` is a free, bookable slot right now; returns the search plan."""
    start = to_epoch(require_aware(choice.starts_at, "starts_at"))
    plan = load_plan(
        session,
        clinic_id,
        choice.appointment_type_id,
        [choice.practitioner_id],
        choice.location_id,
        not_before=(now - timedelta(days=1)).date(),
    )
    target = next(
        (t for t in plan.targets if t[:2] == (choice.practitioner_id, choice.location_id)), None
    )
    if target is None:
        raise InvalidRequest(
            "that practitioner does not offer this appointment type at that location"
        )
    if not on_local_grid(start, plan.step_s, target[2]):
        raise InvalidRequest(f"start is not on a slot boundary (every {plan.step_s // 60} minutes)")
    now_s = to_epoch(now)
    if start < now_s + plan.notice_s:
        raise SlotUnavailable("that time is in the past or inside the minimum notice")
    if any(
        s.starts_at == from_epoch(start)
        for s in slots_in_window(session, plan, start, start + 1, now_s, ignore)
    ):
        return plan
    if any(
        s.starts_at == from_epoch(start)
        for s in slots_in_window(session, plan, start, start + 1, now_s, ignore, include_busy=False)
    ):
        raise SlotUnavailable("that time has just been taken or is held for another caller")
    raise SlotUnavailable("the practitioner is not working at that time")


def _blocked(plan: SearchPlan, starts_at: datetime) -> tuple[datetime, datetime, datetime]:
    start = to_epoch(starts_at)
    return (
        from_epoch(start + plan.duration_s),
        from_epoch(start - plan.before_s),
        from_epoch(start + plan.duration_s + plan.after_s),
    )


def _flush_or_unavailable(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        if _is_overlap(exc):
            raise SlotUnavailable("that time has just been taken") from exc
        raise


def _is_overlap(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return (
        "appointment_overlap" in text
        or "appointments_no_overlap" in text
        or (getattr(exc.orig, "sqlstate", None) == "23P01")
    )


def hold(
    session: Session,
    clinic_id: int,
    choice: SlotChoice,
    now: datetime,
    holder: str = "",
    minutes: int | None = None,
) -> Hold:
    """Claim a slot for a few minutes while a caller confirms; others stop seeing it."""
    lock_practitioners(session, clinic_id, [choice.practitioner_id])
    session.execute(delete(Hold).where(Hold.expires_at <= now))
    plan = check_slot(session, clinic_id, choice, now, Ignore())
    ends_at, blocked_from, blocked_until = _blocked(plan, choice.starts_at)
    held = Hold(
        clinic_id=clinic_id,
        practitioner_id=choice.practitioner_id,
        location_id=choice.location_id,
        appointment_type_id=choice.appointment_type_id,
        starts_at=choice.starts_at,
        ends_at=ends_at,
        blocked_from=blocked_from,
        blocked_until=blocked_until,
        holder=holder,
        expires_at=now
        + (timedelta(minutes=minutes) if minutes else timedelta(seconds=plan.hold_s)),
    )
    session.add(held)
    session.flush()
    return held


def book(
    session: Session,
    clinic_id: int,
    choice: SlotChoice,
    patient_id: int,
    now: datetime,
    *,
    idempotency_key: str | None = None,
    hold_id: int | None = None,
    source: str = "staff",
    notes: str = "",
) -> Appointment:
    """Book `choice` for the patient; the same key and request returns the same appointment."""
    starts_at = require_aware(choice.starts_at, "starts_at")
    digest = request_hash(
        "book",
        practitioner=choice.practitioner_id,
        location=choice.location_id,
        type=choice.appointment_type_id,
        start=starts_at.isoformat(),
        patient=patient_id,
        notes=notes,
        source=source,
    )
    lock_practitioners(session, clinic_id, [choice.practitioner_id])
    previous = replay(session, idempotency_key, digest)
    if previous is not None:
        return previous
    if session.scalar(select(Patient.clinic_id).where(Patient.id == patient_id)) != clinic_id:
        raise NotFound("patient", patient_id)
    if hold_id is not None:
        _consume_hold(session, hold_id, choice, now)
    plan = check_slot(session, clinic_id, choice, now, Ignore(hold_id=hold_id))
    ends_at, blocked_from, blocked_until = _blocked(plan, starts_at)
    appointment = Appointment(
        clinic_id=clinic_id,
        practitioner_id=choice.practitioner_id,
        location_id=choice.location_id,
        appointment_type_id=choice.appointment_type_id,
        patient_id=patient_id,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_from=blocked_from,
        blocked_until=blocked_until,
        status=AppointmentStatus.BOOKED.value,
        source=source,
        notes=notes,
        idempotency_key=idempotency_key,
    )
    session.add(appointment)
    _flush_or_unavailable(session)
    remember(session, clinic_id, idempotency_key, "book", digest, appointment)
    return appointment


def _consume_hold(session: Session, hold_id: int, choice: SlotChoice, now: datetime) -> None:
    held = session.get(Hold, hold_id)
    if held is None or held.expires_at <= now:
        raise SlotUnavailable("the hold on that time has expired")
    same = (
        held.practitioner_id == choice.practitioner_id
        and held.location_id == choice.location_id
        and held.appointment_type_id == choice.appointment_type_id
        and held.starts_at == choice.starts_at
    )
    if not same:
        raise InvalidRequest("the hold is for a different slot")
    session.delete(held)


def reschedule(
    session: Session,
    clinic_id: int,
    appointment_id: int,
    new: SlotChoice,
    now: datetime,
    *,
    idempotency_key: str | None = None,
    hold_id: int | None = None,
) -> Appointment:
    """Move an appointment: the new time is taken and the old freed together, or nothing moves."""
    starts_at = require_aware(new.starts_at, "starts_at")
    digest = request_hash(
        "reschedule",
        appointment=appointment_id,
        practitioner=new.practitioner_id,
        location=new.location_id,
        type=new.appointment_type_id,
        start=starts_at.isoformat(),
    )
    appointment = _appointment(session, clinic_id, appointment_id)
    lock_practitioners(session, clinic_id, [appointment.practitioner_id, new.practitioner_id])
    previous = replay(session, idempotency_key, digest)
    if previous is not None:
        return previous
    session.refresh(appointment)  # re-read under the lock
    if appointment.status != AppointmentStatus.BOOKED.value:
        raise InvalidRequest(
            f"only a booked appointment can be moved (this one is {appointment.status})"
        )
    if appointment.starts_at <= now:
        raise InvalidRequest("an appointment that has started cannot be moved")
    if hold_id is not None:
        _consume_hold(session, hold_id, new, now)
    plan = check_slot(
        session, clinic_id, new, now, Ignore(hold_id=hold_id, appointment_id=appointment.id)
    )
    ends_at, blocked_from, blocked_until = _blocked(plan, starts_at)
    appointment.practitioner_id = new.practitioner_id
    appointment.location_id = new.location_id
    appointment.appointment_type_id = new.appointment_type_id
    appointment.starts_at = starts_at
    appointment.ends_at = ends_at
    appointment.blocked_from = blocked_from
    appointment.blocked_until = blocked_until
    _flush_or_unavailable(session)
    remember(session, clinic_id, idempotency_key, "reschedule", digest, appointment)
    return appointment


def _appointment(session: Session, clinic_id: int, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.clinic_id != clinic_id:
        raise NotFound("appointment", appointment_id)
    return appointment


def cancel(
    session: Session,
    clinic_id: int,
    appointment_id: int,
    reason: CancellationReason | str,
    now: datetime,
    note: str = "",
) -> Appointment:
    """Cancel with a reason; cancelling an already cancelled appointment returns it unchanged."""
    try:
        reason = CancellationReason(reason)
    except ValueError as exc:
        choices = ", ".join(r.value for r in CancellationReason)
        raise InvalidRequest(f"unknown cancellation reason; use one of: {choices}") from exc
    appointment = _appointment(session, clinic_id, appointment_id)
    lock_practitioners(session, clinic_id, [appointment.practitioner_id])
    session.refresh(appointment)
    if appointment.status == AppointmentStatus.CANCELLED.value:
        return appointment
    if appointment.status != AppointmentStatus.BOOKED.value:
        raise InvalidRequest(f"a {appointment.status} appointment cannot be cancelled")
    appointment.status = AppointmentStatus.CANCELLED.value
    appointment.cancellation_reason = reason.value
    appointment.cancellation_note = note
    appointment.cancelled_at = now
    session.flush()
    return appointment


def mark_did_not_arrive(
    session: Session, clinic_id: int, appointment_id: int, now: datetime
) -> Appointment:
    """Record that the patient did not come; only once the appointment's start has passed."""
    appointment = _appointment(session, clinic_id, appointment_id)
    if appointment.status == AppointmentStatus.DID_NOT_ARRIVE.value:
        return appointment
    if appointment.status != AppointmentStatus.BOOKED.value:
        raise InvalidRequest(f"a {appointment.status} appointment cannot be marked did-not-arrive")
    if appointment.starts_at > now:
        raise InvalidRequest("an appointment that has not started cannot be marked did-not-arrive")
    appointment.status = AppointmentStatus.DID_NOT_ARRIVE.value
    session.flush()
    return appointment
