"""Weekly opening hours: parsed from '08:00-18:00' / 'closed', asked, and said aloud.

Hours are wall-clock times in the clinic's zone; the script does not name the zone (the
practice-management system does). Public holidays are in `public_holidays`.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, NamedTuple

from pydantic import BeforeValidator

from receptionist.agent.script.fields import ScriptModel

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class TimeRange(NamedTuple):
    """Open from `start` (inclusive) to `end` (exclusive), clinic wall-clock time."""

    start: time
    end: time


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _parse_clock(text: str, whole: str) -> time:
    match = _CLOCK.match(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} in {whole!r} is not a 24-hour time like 08:30")
    return time(int(match[1]), int(match[2]))


def parse_day_hours(value: object) -> object:
    """'08:00-18:00', '08:00-12:00, 13:00-17:00' or 'closed' -> tuple of TimeRange."""
    if isinstance(value, tuple):
        return value  # already parsed (built in Python)
    if isinstance(value, bool) or not isinstance(value, str):
        hint = ""
        if isinstance(value, int) and not isinstance(value, bool):
            hint = ' (quote times in YAML, e.g. "08:00-18:00": an unquoted 8:00 is a number)'
        raise ValueError(f"expected opening hours like '08:00-18:00' or 'closed'{hint}")
    text = value.strip()
    if text.lower() == "closed":
        return ()
    ranges: list[TimeRange] = []
    for part in text.split(","):
        pieces = re.split(r"\s*[-\u2013]\s*", part.strip())
        if len(pieces) != 2:
            raise ValueError(f"expected opening hours like '08:00-18:00' or 'closed', got {text!r}")
        start, end = (_parse_clock(piece, text) for piece in pieces)
        if end <= start:
            raise ValueError(f"{part.strip()!r} closes before it opens")
        if ranges and start < ranges[-1].end:
            raise ValueError(f"{text!r}: ranges must be in order and must not overlap")
        ranges.append(TimeRange(start, end))
    return tuple(ranges)


DayHours = Annotated[tuple[TimeRange, ...], BeforeValidator(parse_day_hours)]


def open_at(ranges: tuple[TimeRange, ...], local: datetime) -> bool:
    """Is the naive clinic wall-clock time `local` inside one of `ranges`?"""
    at = local.time().replace(tzinfo=None)
    return any(r.start <= at < r.end for r in ranges)


def speak_time(at: time) -> str:
    """'8 am', '12:30 pm'."""
    hour = at.hour % 12 or 12
    suffix = "am" if at.hour < 12 else "pm"
    return f"{hour} {suffix}" if at.minute == 0 else f"{hour}:{at.minute:02d} {suffix}"


def speak_ranges(ranges: tuple[TimeRange, ...]) -> str:
    """'8 am to 12 pm and 1 pm to 5 pm'."""
    return " and ".join(f"{speak_time(r.start)} to {speak_time(r.end)}" for r in ranges)


def _speak_days(first: int, last: int) -> str:
    names = [day.capitalize() for day in WEEKDAYS]
    if first == last:
        return names[first]
    if last == first + 1:
        return f"{names[first]} and {names[last]}"
    return f"{names[first]} to {names[last]}"


class OpeningHours(ScriptModel):
    """Weekly hours, clinic wall-clock time; every day is spelled out ('closed' if closed)."""

    monday: DayHours
    tuesday: DayHours
    wednesday: DayHours
    thursday: DayHours
    friday: DayHours
    saturday: DayHours
    sunday: DayHours

    def on(self, weekday: int) -> tuple[TimeRange, ...]:
        """The ranges open on `weekday` (0 = Monday, as `date.weekday()`)."""
        hours: tuple[TimeRange, ...] = getattr(self, WEEKDAYS[weekday])
        return hours

    def is_open_at(self, local: datetime) -> bool:
        """Open at the naive clinic wall-clock time `local` (by the week; holidays aside)?"""
        return open_at(self.on(local.weekday()), local)

    def summary(self) -> str:
        """Speakable: 'Monday to Friday 8 am to 6 pm, Saturday 8 am to 12 pm, closed Sunday'."""
        days = [self.on(i) for i in range(7)]
        if all(d == days[0] for d in days):
            return f"every day {speak_ranges(days[0])}" if days[0] else "closed every day"
        parts: list[str] = []
        first = 0
        for i in range(1, 8):
            if i < 7 and days[i] == days[first]:
                continue
            span = _speak_days(first, i - 1)
            hours = days[first]
            parts.append(f"{span} {speak_ranges(hours)}" if hours else f"closed {span}")
            first = i
        return ", ".join(parts)
