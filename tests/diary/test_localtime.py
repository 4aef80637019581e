"""Wall-clock to instant conversion and interval arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from diary import InvalidRequest
from diary.intervals import merge, subtract
from diary.localtime import from_epoch, local_dates, local_instant, require_aware, to_epoch, zone


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected"),
    [
        # ordinary days
        ("Australia/Sydney", date(2026, 3, 2), time(9), utc(2026, 3, 1, 22)),
        ("Australia/Brisbane", date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16, 30)),
        # spring gaps: a wall time that never happens means the instant the clocks jumped
        ("Australia/Sydney", date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16)),
        ("Europe/London", date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1)),
        ("America/New_York", date(2026, 3, 8), time(2, 15), utc(2026, 3, 8, 7)),
        # autumn folds: the first occurrence
        ("Australia/Sydney", date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30)),
        ("Europe/London", date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30)),
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
    ],
)
def test_local_instant(tz: str, day: date, at: time, expected: datetime) -> None:
    assert from_epoch(local_instant(day, at, zone(tz))) == expected


def test_local_dates_covers_every_local_day_touched() -> None:
    sydney = zone("Australia/Sydney")
    start = to_epoch(utc(2026, 3, 1, 12, 59))  # 23:59 on 1 March in Sydney
    end = to_epoch(utc(2026, 3, 2, 13, 1))  # 00:01 on 3 March
    assert local_dates(start, end, sydney) == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]


def test_unknown_zone_and_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        zone("Mars/Olympus_Mons")
    with pytest.raises(InvalidRequest):
        require_aware(datetime(2026, 3, 2, 9), "start")
    assert require_aware(datetime(2026, 3, 2, 9, tzinfo=zone("Australia/Sydney")), "s") == (
        utc(2026, 3, 1, 22)
    )


def test_merge_and_subtract() -> None:
    assert merge([(5, 7), (1, 3), (2, 4), (7, 8), (9, 9)]) == [(1, 4), (5, 8)]
    assert subtract([(0, 10)], [(2, 3), (5, 7)]) == [(0, 2), (3, 5), (7, 10)]
    assert subtract([(0, 10), (20, 30)], [(5, 25)]) == [(0, 5), (25, 30)]
    assert subtract([(0, 10)], [(-5, 0), (10, 15)]) == [(0, 10)]
    assert subtract([(0, 10)], [(0, 10)]) == []
    assert subtract([(0, 10)], []) == [(0, 10)]
