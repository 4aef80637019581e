"""Live availability: working time minus exceptions minus buffered bookings and holds, cut into
slots aligned to the location's local clock.

Each window is read with a fixed handful of queries (reference data once per search, then
exceptions and busy time per window), never one per slot or per day; the arithmetic runs on
integer epoch seconds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, literal, or_, select, union_all
from sqlalchemy.orm import Session

from diary.errors import InvalidRequest, NotFound
from diary.intervals import Interval, subtract
from diary.localtime import (
    from_epoch,
    local_dates,
    local_day_end,
    local_instant,
    require_aware,
    to_epoch,
    utc_offset_seconds,
    zone,
)
from diary.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Clinic,
    ExceptionKind,
    Hold,
    Location,
    Practitioner,
    ScheduleException,
    WorkingHours,
    practitioner_appointment_types,
    practitioner_locations,
)

# Appointment types are capped at 12 hours including buffers (a check constraint), so any
# blocked range that reaches into a window starts at most this long before it.
MAX_BLOCK_S = 12 * 3600


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable start for one appointment type with one practitioner at one location."""

    practitioner_id: int
    location_id: int
    appointment_type_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class _Rule:
    weekday: int
    starts_at: time
    ends_at: time
    valid_from: date
    valid_until: date | None


@dataclass(slots=True)
class SearchPlan:
    """Reference data for one availability search, loaded once however many windows it spans."""

    clinic_id: int
    appointment_type_id: int
    step_s: int
    notice_s: int
    max_window_s: int
    duration_s: int
    before_s: int
    after_s: int
    # (practitioner, location, zone) pairs that can take this appointment type
    targets: list[tuple[int, int, ZoneInfo]]
    rules: dict[tuple[int, int], list[_Rule]] = field(default_factory=dict)

    @property
    def practitioner_ids(self) -> list[int]:
        return sorted({p for p, _, _ in self.targets})


def load_plan(
    session: Session,
    clinic_id: int,
    appointment_type_id: int,
    practitioner_ids: list[int] | None = None,
    location_id: int | None = None,
) -> SearchPlan:
    """Read the clinic, the type, who offers it where, and their weekly rules (three queries)."""
    row = session.execute(
        select(AppointmentType, Clinic)
        .join(Clinic, Clinic.id == AppointmentType.clinic_id)
        .where(AppointmentType.id == appointment_type_id, Clinic.id == clinic_id)
    ).first()
    if row is None:
        raise NotFound("appointment type", appointment_type_id)
    appt_type, clinic = row
    if not appt_type.active:
        raise InvalidRequest("appointment type is not active")

    query = (
        select(practitioner_locations.c.practitioner_id, Location.id, Location.timezone)
        .join(Location, Location.id == practitioner_locations.c.location_id)
        .join(Practitioner, Practitioner.id == practitioner_locations.c.practitioner_id)
        .join(
            practitioner_appointment_types,
            and_(
                practitioner_appointment_types.c.practitioner_id == Practitioner.id,
                practitioner_appointment_types.c.appointment_type_id == appointment_type_id,
            ),
        )
        .where(Practitioner.clinic_id == clinic_id, Practitioner.active.is_(True))
        .order_by(practitioner_locations.c.practitioner_id, Location.id)
    )
    if practitioner_ids is not None:
        query = query.where(Practitioner.id.in_(practitioner_ids))
    if location_id is not None:
        query = query.where(Location.id == location_id)
    targets = [(pid, lid, zone(tz)) for pid, lid, tz in session.execute(query)]
    if practitioner_ids is not None:
        _require_known(session, clinic_id, Practitioner, practitioner_ids, "practitioner")
    if location_id is not None:
        _require_known(session, clinic_id, Location, [location_id], "location")

    plan = SearchPlan(
        clinic_id=clinic_id,
        appointment_type_id=appointment_type_id,
        step_s=clinic.slot_step_minutes * 60,
        notice_s=clinic.min_notice_minutes * 60,
        max_window_s=clinic.max_window_days * 86400,
        duration_s=appt_type.duration_minutes * 60,
        before_s=appt_type.buffer_before_minutes * 60,
        after_s=appt_type.buffer_after_minutes * 60,
        targets=targets,
    )
    if targets:
        rules = session.execute(
            select(
                WorkingHours.practitioner_id,
                WorkingHours.location_id,
                WorkingHours.weekday,
                WorkingHours.starts_at,
                WorkingHours.ends_at,
                WorkingHours.valid_from,
                WorkingHours.valid_until,
            ).where(WorkingHours.practitioner_id.in_(plan.practitioner_ids))
        )
        for pid, lid, weekday, starts, ends, valid_from, valid_until in rules:
            plan.rules.setdefault((pid, lid), []).append(
                _Rule(weekday, starts, ends, valid_from, valid_until)
            )
    return plan


def _require_known(
    session: Session,
    clinic_id: int,
    model: type[Practitioner] | type[Location],
    ids: list[int],
    kind: str,
) -> None:
    found = set(
        session.scalars(select(model.id).where(model.id.in_(ids), model.clinic_id == clinic_id))
    )
    for ident in ids:
        if ident not in found:
            raise NotFound(kind, ident)


@dataclass(frozen=True, slots=True)
class Ignore:
    """Busy time a write may disregard: its own hold, or the appointment it is moving."""

    hold_id: int | None = None
    appointment_id: int | None = None


def slots_in_window(
    session: Session,
    plan: SearchPlan,
    start: int,
    end: int,
    now: int,
    ignore: Ignore = Ignore(),
    include_busy: bool = True,
) -> list[Slot]:
    """Every free slot whose start is in [start, end) (epoch seconds), in time order."""
    if not plan.targets or end <= start:
        return []
    exceptions = _load_exceptions(session, plan, start, end)
    busy = _load_busy(session, plan, start, end, now, ignore) if include_busy else {}
    earliest = max(start, now + plan.notice_s)
    out: list[Slot] = []
    for pid, lid, tz in plan.targets:
        work: list[Interval] = []
        off: list[Interval] = []
        for day in local_dates(start, end + plan.duration_s, tz):
            _day_intervals(plan, exceptions.get(day, ()), pid, lid, day, tz, work, off)
        if not work:
            continue
        free = subtract(work, off + busy.get(pid, []))
        for a, b in free:
            for s in _starts(a, b, earliest, end, plan.duration_s, plan.step_s, tz):
                out.append(
                    Slot(
                        pid,
                        lid,
                        plan.appointment_type_id,
                        from_epoch(s),
                        from_epoch(s + plan.duration_s),
                    )
                )
    out.sort(key=lambda s: (s.starts_at, s.practitioner_id, s.location_id))
    return out


def _day_intervals(
    plan: SearchPlan,
    exceptions: tuple[ScheduleException, ...] | list[ScheduleException],
    pid: int,
    lid: int,
    day: date,
    tz: ZoneInfo,
    work: list[Interval],
    off: list[Interval],
) -> None:
    weekday = day.weekday()
    for rule in plan.rules.get((pid, lid), ()):
        if (
            rule.weekday == weekday
            and rule.valid_from <= day
            and (rule.valid_until is None or day <= rule.valid_until)
        ):
            work.append(_local_span(day, rule.starts_at, rule.ends_at, tz))
    for exc in exceptions:
        if exc.location_id is not None and exc.location_id != lid:
            continue
        if exc.kind == ExceptionKind.EXTRA_HOURS:
            if exc.practitioner_id == pid and exc.starts_at and exc.ends_at:
                work.append(_local_span(day, exc.starts_at, exc.ends_at, tz))
            continue
        if exc.kind == ExceptionKind.TIME_OFF and exc.practitioner_id != pid:
            continue
        if exc.kind == ExceptionKind.PUBLIC_HOLIDAY and exc.practitioner_id not in (None, pid):
            continue
        if exc.starts_at is None or exc.ends_at is None:
            off.append((local_instant(day, time(0), tz), local_day_end(day, tz)))
        else:
            off.append(_local_span(day, exc.starts_at, exc.ends_at, tz))


def _local_span(day: date, starts: time, ends: time, tz: ZoneInfo) -> Interval:
    return local_instant(day, starts, tz), local_instant(day, ends, tz)


def _starts(
    a: int, b: int, earliest: int, end: int, duration: int, step: int, tz: ZoneInfo
) -> list[int]:
    """Slot starts in free interval [a, b), on the local step grid, starting in [earliest, end)."""
    s = max(a, earliest)
    last = min(b - duration, end - 1)
    if s > last:
        return []
    offset = utc_offset_seconds(s, tz)
    if offset == utc_offset_seconds(last, tz):
        first = -(-(s + offset) // step) * step - offset
        return list(range(first, last + 1, step))
    # The interval crosses a UTC offset change: re-align to the local grid as we go.
    out: list[int] = []
    while True:
        offset = utc_offset_seconds(s, tz)
        aligned = -(-(s + offset) // step) * step - offset
        if aligned != s:
            s = aligned
            continue
        if s > last:
            return out
        out.append(s)
        s += step


def on_local_grid(instant: int, step_s: int, tz: ZoneInfo) -> bool:
    """True when `instant` falls on the step grid of the local clock in `tz`."""
    return (instant + utc_offset_seconds(instant, tz)) % step_s == 0


def _load_exceptions(
    session: Session, plan: SearchPlan, start: int, end: int
) -> dict[date, list[ScheduleException]]:
    # Local dates differ from UTC dates by at most a day either side.
    first = from_epoch(start).date() - timedelta(days=1)
    last = from_epoch(end + plan.duration_s).date() + timedelta(days=1)
    rows = session.scalars(
        select(ScheduleException).where(
            ScheduleException.clinic_id == plan.clinic_id,
            ScheduleException.on_date.between(first, last),
        )
    )
    by_day: dict[date, list[ScheduleException]] = defaultdict(list)
    for exc in rows:
        by_day[exc.on_date].append(exc)
    return by_day


def _load_busy(
    session: Session, plan: SearchPlan, start: int, end: int, now: int, ignore: Ignore
) -> dict[int, list[Interval]]:
    """Bookings and live holds that touch the window, inflated by the requested type's buffers.

    A slot [s, s+d) with this type's buffers collides with a blocked range [bf, bu) exactly when
    it meets [bf - after, bu + before); subtracting those ranges leaves only safe starts.
    """
    lo = from_epoch(start - plan.before_s)
    hi = from_epoch(end + plan.duration_s + plan.after_s)
    floor = from_epoch(start - plan.before_s - MAX_BLOCK_S)
    pids = plan.practitioner_ids
    appointments = select(
        Appointment.practitioner_id, Appointment.blocked_from, Appointment.blocked_until
    ).where(
        Appointment.practitioner_id.in_(pids),
        Appointment.status != AppointmentStatus.CANCELLED.value,
        Appointment.blocked_from < hi,
        Appointment.blocked_from >= floor,
        Appointment.blocked_until > lo,
    )
    if ignore.appointment_id is not None:
        appointments = appointments.where(Appointment.id != ignore.appointment_id)
    holds = select(Hold.practitioner_id, Hold.blocked_from, Hold.blocked_until).where(
        Hold.practitioner_id.in_(pids),
        Hold.expires_at > from_epoch(now),
        Hold.blocked_from < hi,
        Hold.blocked_from >= floor,
        Hold.blocked_until > lo,
        or_(literal(ignore.hold_id is None), Hold.id != (ignore.hold_id or 0)),
    )
    busy: dict[int, list[Interval]] = defaultdict(list)
    for pid, blocked_from, blocked_until in session.execute(union_all(appointments, holds)):
        busy[pid].append(
            (to_epoch(blocked_from) - plan.after_s, to_epoch(blocked_until) + plan.before_s)
        )
    return busy


def window_bounds(plan: SearchPlan, start: datetime, end: datetime) -> tuple[int, int]:
    """Validate a caller's window and return it as epoch seconds."""
    start_s = to_epoch(require_aware(start, "window start"))
    end_s = to_epoch(require_aware(end, "window end"))
    if end_s <= start_s:
        raise InvalidRequest("window end must be after its start")
    # A window of whole local days may be an hour longer across an autumn change.
    if end_s - start_s > plan.max_window_s + 3600:
        raise InvalidRequest(
            f"window longer than {plan.max_window_s // 86400} days; ask for a shorter one"
        )
    return start_s, end_s


def find_slots(
    session: Session, plan: SearchPlan, start: datetime, end: datetime, now: datetime
) -> list[Slot]:
    """All free slots starting in [start, end)."""
    start_s, end_s = window_bounds(plan, start, end)
    return slots_in_window(session, plan, start_s, end_s, to_epoch(now))


# Growing windows: the first few slots are usually today or tomorrow, so read little first.
_FIRST_WINDOWS_DAYS = (1, 2, 4, 7, 14, 14, 14, 14, 14, 14, 14)


def first_slots(
    session: Session,
    plan: SearchPlan,
    count: int,
    after: datetime,
    now: datetime,
    horizon_days: int = 90,
) -> list[Slot]:
    """The first `count` free slots at or after `after`, looking at most `horizon_days` ahead."""
    if count < 1:
        raise InvalidRequest("count must be at least 1")
    cursor = to_epoch(require_aware(after, "after"))
    horizon = cursor + horizon_days * 86400
    found: list[Slot] = []
    for days in _FIRST_WINDOWS_DAYS:
        if cursor >= horizon:
            break
        end = min(cursor + days * 86400, horizon)
        found.extend(slots_in_window(session, plan, cursor, end, to_epoch(now)))
        if len(found) >= count:
            break
        cursor = end
    else:
        while cursor < horizon and len(found) < count:
            end = min(cursor + 14 * 86400, horizon)
            found.extend(slots_in_window(session, plan, cursor, end, to_epoch(now)))
            cursor = end
    return found[:count]
