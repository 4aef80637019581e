"""Available times, computed the way Cliniko's online bookings do it (as far as the fake goes).

Working time is the practitioner's weekly hours at the business (local wall-clock times in the
business's zone) plus availability blocks, minus unavailable blocks and minus every live
appointment the practitioner has at any business (widened by the fake's hidden buffers).
Starts lie on a grid of `slot_step_minutes` from local midnight, the whole appointment must
fit, and nothing starts before now plus the minimum notice or past the "how far ahead"
horizon.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.fakes.cliniko.records import AppointmentType, Business, Practitioner
from tests.fakes.cliniko.state import FakeCliniko

Span = tuple[datetime, datetime]


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def _subtract(spans: list[Span], busy: list[Span]) -> list[Span]:
    result = spans
    for b_start, b_end in _merge(busy):
        cut: list[Span] = []
        for start, end in result:
            if b_end <= start or b_start >= end:
                cut.append((start, end))
                continue
            if start < b_start:
                cut.append((start, b_start))
            if b_end < end:
                cut.append((b_end, end))
        result = cut
    return result


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _aligned(instant: datetime, step: int, tz: ZoneInfo) -> datetime:
    """The first grid point (every `step` minutes from local midnight) at or after `instant`."""
    local = instant.astimezone(tz)
    minutes = local.hour * 60 + local.minute + (1 if local.second or local.microsecond else 0)
    minutes = -(-minutes // step) * step
    midnight = datetime.combine(local.date(), time(0), tzinfo=tz)
    return (midnight + timedelta(minutes=minutes)).astimezone(UTC)


def working_time(
    fake: FakeCliniko,
    business: Business,
    practitioner: Practitioner,
    first: date,
    last: date,
    kind: AppointmentType | None = None,
) -> list[Span]:
    """The practitioner's free working time at the business over local days first..last.

    With `kind`, each appointment also blocks its own type's buffers and `kind`'s (the fake's
    hidden buffers, see `records.AppointmentType`), as the diary does."""
    tz = ZoneInfo(business.time_zone_identifier)
    weekly = fake.hours.get((practitioner.id, business.id), {})
    spans: list[Span] = []
    day = first
    while day <= last:
        for start, end in weekly.get(day.isoweekday(), []):
            spans.append((_local(day, start, tz), _local(day, end, tz)))
        day += timedelta(days=1)
    range_start, range_end = (
        _local(first, time(0), tz),
        _local(last + timedelta(days=1), time(0), tz),
    )
    spans += [
        (b.starts_at, b.ends_at)
        for b in fake.availability_blocks
        if b.practitioner_id == practitioner.id
        and b.business_id == business.id
        and b.starts_at < range_end
        and b.ends_at > range_start
    ]
    before = timedelta(minutes=kind.buffer_before_minutes if kind else 0)
    after = timedelta(minutes=kind.buffer_after_minutes if kind else 0)
    busy = []
    for a in fake.live_appointments(practitioner.id):
        own = fake.appointment_types.get(a.appointment_type_id)
        own_before = timedelta(minutes=own.buffer_before_minutes if own else 0)
        own_after = timedelta(minutes=own.buffer_after_minutes if own else 0)
        busy.append((a.starts_at - own_before - after, a.ends_at + own_after + before))
    busy += [
        (b.starts_at, b.ends_at)
        for b in fake.unavailable_blocks
        if b.practitioner_id == practitioner.id and b.business_id in (None, business.id)
    ]
    return _subtract(_merge(spans), busy)


def available_times(
    fake: FakeCliniko,
    business: Business,
    practitioner: Practitioner,
    kind: AppointmentType,
    first: date,
    last: date,
) -> list[datetime]:
    """Bookable starts on local days first..last, in time order."""
    settings = fake.settings
    tz = ZoneInfo(business.time_zone_identifier)
    now = fake.now()
    notice = timedelta(minutes=settings.min_notice_minutes)
    if kind.online_bookings_lead_time_hours:
        notice = max(notice, timedelta(hours=kind.online_bookings_lead_time_hours))
    earliest = now + notice
    today = now.astimezone(tz).date()
    horizon = _local(today + timedelta(days=settings.max_days_ahead + 1), time(0), tz)
    step = timedelta(minutes=settings.slot_step_minutes)
    duration = timedelta(minutes=kind.duration_in_minutes)
    starts: list[datetime] = []
    for start, end in working_time(fake, business, practitioner, first, last, kind):
        at = _aligned(max(start, earliest), settings.slot_step_minutes, tz)
        while at + duration <= end and at < horizon:
            if first <= at.astimezone(tz).date() <= last:
                starts.append(at)
            at += step
    return sorted(set(starts))
