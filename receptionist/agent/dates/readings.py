"""What a phrase was read as, on its way to a window: private to the package.

A phrase is read into `_Alternative`s (one per side of "X or Y"), each a `_DaySpec` (one or
two readings of the days, two for "next Tuesday") and a `_Clock` (a stretch of each day).
`_build` turns one reading into a `_Resolved`: instants in UTC plus the words to read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class _Clock:
    """A stretch of each day in minutes after midnight, and how it is said."""

    start: int
    end: int
    words: str  # after one day: "in the morning"
    plural: str  # after several days: "in the mornings"
    explicit: bool  # a clock time was said, which names the window better than a day part


@dataclass(frozen=True)
class _Days:
    """A run of local dates, how to say it, and what comes next once it has passed."""

    first: date
    last: date
    label: str = ""  # said before the dates: "next week, Monday 9 to Sunday 15 March"
    spoken: str = ""  # said instead of the dates: "in the next two weeks"
    fallback: _Days | None = None
    roll: bool = False  # once passed, move on to `fallback` without asking


@dataclass(frozen=True)
class _DaySpec:
    """What one day expression can mean: one reading, or [nearest, following week]."""

    readings: tuple[_Days, ...]
    weekday: int | None = None  # set when the words named a weekday


@dataclass(frozen=True)
class _Alternative:
    """One side of "X or Y"."""

    days: _DaySpec | None
    clock: _Clock | None
    asap: bool


@dataclass(frozen=True)
class _Context:
    now: datetime  # UTC
    today: date  # in the clinic's zone
    last_day: date  # the last day within the horizon
    limit: datetime  # UTC: the end of `last_day`


@dataclass(frozen=True)
class _Resolved:
    start: datetime  # UTC
    end: datetime  # UTC
    first_day: date
    last_day: date
    span: tuple[int, int] | None  # the clock's minutes, None for whole days
    day_words: str
    clock_words: str

    @property
    def description(self) -> str:
        return f"{self.day_words}, {self.clock_words}" if self.clock_words else self.day_words

    @property
    def daily(self) -> tuple[int, int] | None:
        return self.span if self.span and self.first_day != self.last_day else None
