"""How days, dates and times are read back to the caller ("Tuesday 3 March, at 9:30 am")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from receptionist.agent.dates.readings import _Days
from receptionist.agent.dates.windows import _DAY, _MINUTES_PER_DAY
from receptionist.agent.dates.words import _MONTHS, _SMALL_WORDS, _WEEKDAYS


def _say_time(minutes: int) -> str:
    """'9 am', '9:30 am', '12 pm', '3 pm'."""
    hour, minute = divmod(minutes % _MINUTES_PER_DAY, 60)
    suffix = "am" if hour < 12 else "pm"
    hour = hour % 12 or 12
    return f"{hour}:{minute:02d} {suffix}" if minute else f"{hour} {suffix}"


def _say_date(day: date, today: date) -> str:
    """'Tuesday 3 March', with the year only when it is not this year."""
    text = f"{_WEEKDAYS[day.weekday()].title()} {day.day} {_MONTHS[day.month - 1].title()}"
    return text if day.year == today.year else f"{text} {day.year}"


def _say_day(day: date, today: date) -> str:
    """'today, Monday 2 March', 'tomorrow, Tuesday 3 March' or 'Friday 6 March'."""
    if day == today:
        return f"today, {_say_date(day, today)}"
    if day == today + _DAY:
        return f"tomorrow, {_say_date(day, today)}"
    return _say_date(day, today)


def _say_range(first: date, last: date, today: date) -> str:
    """'Monday 9 to Sunday 15 March' or 'Monday 30 March to Sunday 5 April'."""
    if (first.year, first.month) != (last.year, last.month):
        return f"{_say_date(first, today)} to {_say_date(last, today)}"
    return f"{_WEEKDAYS[first.weekday()].title()} {first.day} to {_say_date(last, today)}"


def _say_count(number: int, unit: str) -> str:
    """'a week', 'two weeks', '12 days'."""
    if number == 1:
        return f"a {unit}"
    word = _SMALL_WORDS[number] if number < len(_SMALL_WORDS) else str(number)
    return f"{word} {unit}s"


def _say_or(options: Sequence[str]) -> str:
    """'A or B', 'A, B or C'."""
    return options[0] if len(options) == 1 else f"{', '.join(options[:-1])} or {options[-1]}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def _say_days(days: _Days, today: date) -> str:
    """A run of days as read back: its label, then its dates, or what it is called instead."""
    if days.spoken:
        return days.spoken
    if days.first == days.last:
        text = _say_day(days.first, today)
    else:
        text = _say_range(days.first, days.last, today)
    return f"{days.label}, {text}" if days.label else text
