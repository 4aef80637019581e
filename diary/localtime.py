"""Wall-clock rules to instants, with daylight-saving gaps and folds handled on purpose.

Rules are stored as local dates and times in a location's IANA zone; everything the diary
computes with is an instant. `local_instant` is the one place where the two meet:

- a wall time that happens twice (the autumn fold) means its first occurrence;
- a wall time that never happens (the spring gap) means the instant the clocks jumped, so a
  shift "01:00-05:00" on the spring-forward night in Sydney is 01:00 AEST to 05:00 AEDT, three
  real hours, and no slot can start inside the gap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from diary.errors import InvalidRequest


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or InvalidRequest if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidRequest(f"unknown time zone {name!r}") from exc


def require_aware(value: datetime, what: str) -> datetime:
    """Return `value` in UTC, or raise InvalidRequest if it has no time zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRequest(f"{what} must be timezone-aware")
    return value.astimezone(UTC)


def to_epoch(value: datetime) -> int:
    """Whole seconds since the epoch for an aware datetime."""
    return int(value.timestamp())  # callers pass aware datetimes (see require_aware)


def from_epoch(seconds: int) -> datetime:
    """Aware UTC datetime for whole seconds since the epoch."""
    return datetime.fromtimestamp(seconds, UTC)


def utc_offset_seconds(seconds: int, tz: ZoneInfo) -> int:
    """The zone's UTC offset, in seconds, at the instant `seconds`."""
    offset = from_epoch(seconds).astimezone(tz).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def local_instant(day: date, at: time, tz: ZoneInfo) -> int:
    """Epoch seconds of wall time `at` on `day` in `tz` (first occurrence; gap -> jump)."""
    return _local_instant(day, at, tz)


@lru_cache(maxsize=65536)
def _local_instant(day: date, at: time, tz: ZoneInfo) -> int:
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == naive:
        return to_epoch(utc)
    # In a gap: fold=0 and fold=1 land either side of the jump. Find the jump itself: the
    # first instant whose wall time is at or past `naive`.
    lo = to_epoch(naive.replace(tzinfo=tz, fold=1).astimezone(UTC))
    hi = to_epoch(utc)
    lo, hi = min(lo, hi), max(lo, hi)
    while lo < hi:
        mid = (lo + hi) // 2
        if from_epoch(mid).astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid + 1
    return lo


def local_day_end(day: date, tz: ZoneInfo) -> int:
    """Epoch seconds of the local midnight that ends `day` (23 or 25 hours after DST days)."""
    return local_instant(day + timedelta(days=1), time(0), tz)


def local_dates(start: int, end: int, tz: ZoneInfo) -> list[date]:
    """Every local date in `tz` that overlaps the instants [start, end)."""
    first = from_epoch(start).astimezone(tz).date()
    last = from_epoch(max(start, end - 1)).astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
