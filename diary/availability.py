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
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Executable,
    Integer,
    and_,
    bindparam,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

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
    UTCDateTime,
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


@dataclass(frozen=True, slots=True)
class _Exception:
    kind: str
    practitioner_id: int | None
    location_id: int | None
    starts_at: time | None
    ends_at: time | None


@dataclass(slots=True)
class SearchPlan:
    """Reference data for one availability search, loaded once however many windows it spans."""

    clinic_id: int
    appointment_type_id: int
    step_s: int
    notice_s: int
    max_window_s: int
    hold_s: int
    duration_s: int
    before_s: int
    after_s: int
    # (practitioner, location, zone) pairs that can take this appointment type
    targets: list[tuple[int, int, ZoneInfo]]
    rules: dict[tuple[int, int], list[_Rule]] = field(default_factory=dict)

    @property
    def practitioner_ids(self) -> list[int]:
        return sorted({p for p, _, _ in self.targets})


class epoch(FunctionElement[int]):
    """Whole epoch seconds of a UTC timestamp column, computed by the database.

    Reading busy time as integers skips parsing and converting thousands of datetimes in
    Python, which is most of the cost of a search on a busy diary.
    """

    type = Integer()
    inherit_cache = True
    name = "epoch"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; strftime reads that as UTC.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch, "postgresql")
def _epoch_postgresql(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS BIGINT)"


_PLAN_HEAD = (
    select(
        Clinic.slot_step_minutes,
        Clinic.min_notice_minutes,
        Clinic.max_window_days,
        Clinic.hold_minutes,
        AppointmentType.duration_minutes,
        AppointmentType.buffer_before_minutes,
        AppointmentType.buffer_after_minutes,
        AppointmentType.active,
    )
    .join(Clinic, Clinic.id == AppointmentType.clinic_id)
    .where(AppointmentType.id == bindparam("type_id"), Clinic.id == bindparam("clinic_id"))
)


@lru_cache(maxsize=4)
def _targets_statement(by_practitioner: bool, by_location: bool) -> Executable:
    """Who offers the type where, each with their weekly rules (an outer join: none is fine)."""
    pl, pat = practitioner_locations.c, practitioner_appointment_types.c
    rules = and_(
        WorkingHours.practitioner_id == pl.practitioner_id,
        WorkingHours.location_id == pl.location_id,
        or_(
            WorkingHours.valid_until.is_(None),
            WorkingHours.valid_until >= bindparam("not_before", type_=Date()),
        ),
    )
    query = (
        select(
            pl.practitioner_id,
            Location.id,
            Location.timezone,
            WorkingHours.weekday,
            WorkingHours.starts_at,
            WorkingHours.ends_at,
            WorkingHours.valid_from,
            WorkingHours.valid_until,
        )
        .join(Location, Location.id == pl.location_id)
        .join(Practitioner, Practitioner.id == pl.practitioner_id)
        .join(
            practitioner_appointment_types,
            and_(
                pat.practitioner_id == pl.practitioner_id,
                pat.appointment_type_id == bindparam("type_id"),
            ),
        )
        .outerjoin(WorkingHours, rules)
        .where(Practitioner.clinic_id == bindparam("clinic_id"), Practitioner.active.is_(True))
        .order_by(pl.practitioner_id, Location.id)
    )
    if by_practitioner:
        query = query.where(pl.practitioner_id.in_(bindparam("pids", expanding=True)))
    if by_location:
        query = query.where(Location.id == bindparam("location_id"))
    return query


def load_plan(
    session: Session,
    clinic_id: int,
    appointment_type_id: int,
    practitioner_ids: list[int] | None = None,
    location_id: int | None = None,
    not_before: date | None = None,
) -> SearchPlan:
    """Read the clinic and type, then who offers it where with their weekly rules (two queries).

    `not_before` skips weekly rules that ended before that date (old rosters).
    """
    conn = session.connection()
    row = conn.execute(_PLAN_HEAD, {"type_id": appointment_type_id, "clinic_id": clinic_id}).first()
    if row is None:
        if session.get(Clinic, clinic_id) is None:
            raise NotFound("clinic", clinic_id)
        raise NotFound("appointment type", appointment_type_id)
    step, notice, max_days, hold, duration, before, after, active = row
    if not active:
        raise InvalidRequest("appointment type is not active")
    plan = SearchPlan(
        clinic_id=clinic_id,
        appointment_type_id=appointment_type_id,
        step_s=step * 60,
        notice_s=notice * 60,
        max_window_s=max_days * 86400,
        hold_s=hold * 60,
        duration_s=duration * 60,
        before_s=before * 60,
        after_s=after * 60,
        targets=[],
    )
    statement = _targets_statement(practitioner_ids is not None, location_id is not None)
    params: dict[str, object] = {
        "clinic_id": clinic_id,
        "type_id": appointment_type_id,
        "not_before": not_before or date.min,
    }
    if practitioner_ids is not None:
        params["pids"] = practitioner_ids
    if location_id is not None:
        params["location_id"] = location_id
    seen: set[tuple[int, int]] = set()
    for pid, lid, tz, weekday, starts, ends, valid_from, valid_until in conn.execute(
        statement, params
    ):
        if (pid, lid) not in seen:
            seen.add((pid, lid))
            plan.targets.append((pid, lid, zone(tz)))
        if weekday is not None:
            plan.rules.setdefault((pid, lid), []).append(
                _Rule(weekday, starts, ends, valid_from, valid_until)
            )
    # Unknown ids are worth a query only when they explain an empty answer.
    if practitioner_ids is not None and not {p for p, _ in seen} >= set(practitioner_ids):
        _require_known(session, clinic_id, Practitioner, practitioner_ids, "practitioner")
    if location_id is not None and location_id not in {loc for _, loc in seen}:
        _require_known(session, clinic_id, Location, [location_id], "location")
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
    exceptions: tuple[_Exception, ...] | list[_Exception],
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


_EXCEPTIONS = select(
    ScheduleException.on_date,
    ScheduleException.kind,
    ScheduleException.practitioner_id,
    ScheduleException.location_id,
    ScheduleException.starts_at,
    ScheduleException.ends_at,
).where(
    ScheduleException.clinic_id == bindparam("clinic_id"),
    ScheduleException.on_date.between(bindparam("first"), bindparam("last")),
)


def _load_exceptions(
    session: Session, plan: SearchPlan, start: int, end: int
) -> dict[date, list[_Exception]]:
    # Local dates differ from UTC dates by at most a day either side.
    first = from_epoch(start).date() - timedelta(days=1)
    last = from_epoch(end + plan.duration_s).date() + timedelta(days=1)
    rows = session.connection().execute(
        _EXCEPTIONS, {"clinic_id": plan.clinic_id, "first": first, "last": last}
    )
    by_day: dict[date, list[_Exception]] = defaultdict(list)
    for on_date, kind, pid, lid, starts, ends in rows:
        by_day[on_date].append(_Exception(kind, pid, lid, starts, ends))
    return by_day


def _busy_statement() -> Executable:
    def blocking(model: type[Appointment] | type[Hold]) -> list[ColumnElement[bool]]:
        return [
            model.practitioner_id.in_(bindparam("pids", expanding=True)),
            model.blocked_from < bindparam("hi", type_=UTCDateTime()),
            model.blocked_from >= bindparam("floor", type_=UTCDateTime()),
            model.blocked_until > bindparam("lo", type_=UTCDateTime()),
        ]

    appointments = select(
        Appointment.practitioner_id,
        epoch(Appointment.blocked_from),
        epoch(Appointment.blocked_until),
    ).where(
        *blocking(Appointment),
        Appointment.status != AppointmentStatus.CANCELLED.value,
        Appointment.id != bindparam("ignore_appointment"),
    )
    holds = select(Hold.practitioner_id, epoch(Hold.blocked_from), epoch(Hold.blocked_until)).where(
        *blocking(Hold),
        Hold.expires_at > bindparam("now", type_=UTCDateTime()),
        Hold.id != bindparam("ignore_hold"),
    )
    return union_all(appointments, holds)


# Built once: constructing SQL expressions costs more than running them on a hot path.
_BUSY = _busy_statement()


def _load_busy(
    session: Session, plan: SearchPlan, start: int, end: int, now: int, ignore: Ignore
) -> dict[int, list[Interval]]:
    """Bookings and live holds that touch the window, inflated by the requested type's buffers.

    A slot [s, s+d) with this type's buffers collides with a blocked range [bf, bu) exactly when
    it meets [bf - after, bu + before); subtracting those ranges leaves only safe starts.
    """
    params = {
        "pids": plan.practitioner_ids,
        "lo": from_epoch(start - plan.before_s),
        "hi": from_epoch(end + plan.duration_s + plan.after_s),
        "floor": from_epoch(start - plan.before_s - MAX_BLOCK_S),
        "now": from_epoch(now),
        "ignore_appointment": -1 if ignore.appointment_id is None else ignore.appointment_id,
        "ignore_hold": -1 if ignore.hold_id is None else ignore.hold_id,
    }
    busy: dict[int, list[Interval]] = defaultdict(list)
    after, before = plan.after_s, plan.before_s
    for pid, blocked_from, blocked_until in session.connection().execute(_BUSY, params):
        busy[pid].append((blocked_from - after, blocked_until + before))
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


# Growing windows (in hours): the first few slots are usually within hours, so read little
# first, then widen quickly; past the list, fortnights.
_FIRST_WINDOWS_HOURS = (6, 18, 48, 96, 168, 336)


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
    step = 0
    while cursor < horizon and len(found) < count:
        hours = _FIRST_WINDOWS_HOURS[min(step, len(_FIRST_WINDOWS_HOURS) - 1)]
        end = min(cursor + hours * 3600, horizon)
        found.extend(slots_in_window(session, plan, cursor, end, to_epoch(now)))
        cursor = end
        step += 1
    return found[:count]
