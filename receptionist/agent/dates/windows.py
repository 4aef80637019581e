"""What the resolver answers with, and the clock it works on.

`TimeWindow` is the answer; `DateQuestion` and `DateNotUnderstood` are the two ways of not
answering (both `ValueError`s). `NextWeekday` is a clinic's setting for "next Tuesday". The
parts of the day, the tuning constants and the wall-time arithmetic in the clinic's zone live
here too, because every other module of the package reads them.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ASAP_DAYS = 14
""""asap", "any time" and no phrase at all: from now to the end of the day this many days on."""

WEEKS_SLACK_DAYS = 2
""""in two weeks" is the day two weeks from today, this many days either side."""

MONTH_SLACK_DAYS = 3
""""in a month" is the same date next month, this many days either side."""

AT_LENGTH = timedelta(hours=1)
""""at 9:30" is a window this long starting then."""

AROUND_MARGIN = timedelta(hours=1)
""""around 2" is a window this far either side of 2 pm."""

DOB_MAX_AGE_YEARS = 120
"""A date of birth further back than this is asked about again."""

TWO_DIGIT_YEAR_MAX_AGE = 110
"""A two-digit birth year is read in the century that makes the caller 0 to this many years old."""


class DayPart(enum.StrEnum):
    """A named part of the day."""

    MORNING = "morning"
    EARLY_MORNING = "early morning"
    LATE_MORNING = "late morning"
    AFTERNOON = "afternoon"
    EARLY_AFTERNOON = "early afternoon"
    LATE_AFTERNOON = "late afternoon"
    LUNCHTIME = "lunchtime"
    EVENING = "evening"
    FIRST_THING = "first thing"


DAY_PARTS: Mapping[DayPart, tuple[time | None, time | None]] = {
    DayPart.MORNING: (None, time(12)),
    DayPart.EARLY_MORNING: (None, time(9)),
    DayPart.LATE_MORNING: (time(10), time(12)),
    DayPart.AFTERNOON: (time(12), time(17)),
    DayPart.EARLY_AFTERNOON: (time(12), time(15)),
    DayPart.LATE_AFTERNOON: (time(15), time(17)),
    DayPart.LUNCHTIME: (time(12), time(14)),
    DayPart.EVENING: (time(17), None),
    DayPart.FIRST_THING: (None, time(10)),
}
"""Each part of the day as (from, until) wall times; None is the clinic's opening/closing time."""

# How each part is said after a day ("Tuesday 3 March, in the morning"), for one day and for
# several ("next week, ..., in the mornings").
_PART_WORDS: Mapping[DayPart, tuple[str, str]] = {
    DayPart.MORNING: ("in the morning", "in the mornings"),
    DayPart.EARLY_MORNING: ("early in the morning", "early in the mornings"),
    DayPart.LATE_MORNING: ("late in the morning", "late in the mornings"),
    DayPart.AFTERNOON: ("in the afternoon", "in the afternoons"),
    DayPart.EARLY_AFTERNOON: ("early in the afternoon", "early in the afternoons"),
    DayPart.LATE_AFTERNOON: ("in the late afternoon", "in the late afternoons"),
    DayPart.LUNCHTIME: ("at lunchtime", "at lunchtime"),
    DayPart.EVENING: ("in the evening", "in the evenings"),
    DayPart.FIRST_THING: ("first thing", "first thing"),
}

# The words callers use for each part, and whether a bare hour said with it is am or pm.
_PART_NAMES: Mapping[str, DayPart] = {
    "early morning": DayPart.EARLY_MORNING,
    "late morning": DayPart.LATE_MORNING,
    "mid morning": DayPart.LATE_MORNING,
    "morning": DayPart.MORNING,
    "early afternoon": DayPart.EARLY_AFTERNOON,
    "late afternoon": DayPart.LATE_AFTERNOON,
    "late arvo": DayPart.LATE_AFTERNOON,
    "afternoon": DayPart.AFTERNOON,
    "arvo": DayPart.AFTERNOON,
    "lunchtime": DayPart.LUNCHTIME,
    "lunch time": DayPart.LUNCHTIME,
    "lunch": DayPart.LUNCHTIME,
    "evening": DayPart.EVENING,
    "night": DayPart.EVENING,
    "after work": DayPart.EVENING,
    "firstthing": DayPart.FIRST_THING,
}
_AM_PARTS = {DayPart.MORNING, DayPart.EARLY_MORNING, DayPart.LATE_MORNING, DayPart.FIRST_THING}

_DAY = timedelta(days=1)
_MINUTES_PER_DAY = 24 * 60


class NextWeekday(enum.StrEnum):
    """What "next <weekday>" (and "next weekend") means.

    Said on Monday 2 March: NEAREST reads "next Tuesday" as tomorrow, 3 March; FOLLOWING_WEEK
    reads it as Tuesday 10 March, in next calendar week; ASK asks which. Said on Friday 6
    March, both readings are Tuesday 10 March, so ASK answers without asking.
    """

    NEAREST = "nearest"
    FOLLOWING_WEEK = "following_week"
    ASK = "ask"


@dataclass(frozen=True)
class TimeWindow:
    """Where to look for appointments: [start, end) in the clinic's zone.

    `daily`, when set, narrows a window of several days to those wall times on each day
    ("mornings next week"); `start` and `end` are still the whole span. Python subtracts two
    datetimes in the same zone by wall clock: measure real durations in UTC.
    """

    start: datetime
    end: datetime
    description: str
    daily: tuple[time, time] | None = None


class DateQuestion(ValueError):
    """The phrase was read, but the caller must be asked: ambiguous, impossible or out of range."""

    def __init__(self, question: str) -> None:
        super().__init__(question)
        self.question = question


class DateNotUnderstood(ValueError):
    """Not a day or time we can read."""

    def __init__(self, message: str = "Sorry, I didn't catch a day or time there.") -> None:
        super().__init__(message)


# --- Wall times to instants, and calendar arithmetic ---------------------------------------


def _instant(naive: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time `naive` in `tz`: first occurrence in a fold, jump in a gap."""
    first = naive.replace(tzinfo=tz).astimezone(UTC)  # fold=0 is the first occurrence
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # In a spring-forward gap fold=0 and fold=1 land either side of the jump; find the jump:
    # the first whole second whose wall time is at or past `naive`.
    low, high = sorted((int(naive.replace(tzinfo=tz, fold=1).timestamp()), int(first.timestamp())))
    while low < high:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(low, UTC)


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _month_after(year: int, month: int, months: int = 1) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_day_of_month(day: int, start: date) -> date:
    """The first date on or after `start` that is the `day`th of its month (day <= 31)."""
    year, month = start.year, start.month
    while True:
        candidate = _valid_date(year, month, day)
        if candidate is not None and candidate >= start:
            return candidate
        year, month = _month_after(year, month)
