"""Day expressions: named days, weekdays, dates, weeks, weekends, months and spans of time.

`read_days` takes each day expression out of a phrase and reads it into a `_DaySpec`; what
each one means is set out in the package docstring.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date

from receptionist.agent.dates.readings import _Context, _Days, _DaySpec
from receptionist.agent.dates.saying import _ordinal, _say_count
from receptionist.agent.dates.windows import (
    _DAY,
    MONTH_SLACK_DAYS,
    WEEKS_SLACK_DAYS,
    DateQuestion,
    _last_day,
    _month_after,
    _next_day_of_month,
    _valid_date,
)
from receptionist.agent.dates.words import _MON, _MONTH_NAMES, _MONTHS, _WD, _WEEKDAY_NAMES, _Words

FEW_DAYS = (2, 4)
""""in a few days": from this many days after today to that many."""


def read_days(words: _Words, context: _Context, day_first: bool) -> Iterator[_DaySpec]:
    """Every day expression in `words`, taken out of them; `day_first` reads "3/4" as 3 April."""
    today = context.today
    # Longer expressions first: "a week today" before "today", "next week" before "next".
    readers: Sequence[tuple[str, Callable[[re.Match[str]], _DaySpec | None]]] = (
        (r"\b(?:(\d+|a) )?weeks? (?:from )?(today|tomorrow)\b", lambda m: _week_from(m, today)),
        (r"\b(?:in )?few days(?: time)?\b", lambda m: _few_days(today)),
        (r"\bday after tomorrow\b", lambda m: _single(today + 2 * _DAY)),
        (r"\bday before yesterday\b", lambda m: _single(today - 2 * _DAY)),
        (r"\btomorrow\b", lambda m: _single(today + _DAY)),
        (r"\btoday\b", lambda m: _single(today)),
        (r"\byesterday\b", lambda m: _single(today - _DAY)),
        (
            r"\b(?:within|in next|over next|next) (\d+|a) (day|week)s?\b",
            lambda m: _within(m, today),
        ),
        (
            r"\b(?:in )?(\d+|a) (day|week|month)s?(?: time| from now| from today| away)?\b",
            lambda m: _in_time(m, today),
        ),
        (r"\bweek after next\b", lambda m: _week(today, 2, "the week after next")),
        (
            r"\b(?:early|start|beginning)(?: in)? next week\b",
            lambda m: _early_week(today, 1),
        ),
        (r"\b(?:late|later|end)(?: in)? next week\b", lambda m: _late_week(today, 1)),
        (r"\blater(?: in)? (?:this )?week\b", lambda m: _later_this_week(today)),
        (r"\b(?:end|late)(?: in)? (?:this )?week\b", lambda m: _late_week(today, 0)),
        (r"\bearly (?:in )?(?:this )?week\b", lambda m: _early_week(today, 0)),
        (r"\bnext weekend\b", lambda m: _next_weekend(today)),
        (r"\b(?:this )?(?:coming )?weekend\b", lambda m: _weekend(today)),
        (rf"\b{_WD}s? (next|this) week\b", lambda m: _day_in_week(today, m[1], m[2])),
        (rf"\b(next|this) week {_WD}s?\b", lambda m: _day_in_week(today, m[2], m[1])),
        (r"\blast week\b", lambda m: _week(today, -1, "last week")),
        (r"\bnext week\b", lambda m: _week(today, 1, "next week")),
        (r"\bthis week\b", lambda m: _this_week(today)),
        (r"\b(?:end|late) next month\b", lambda m: _month_end(today, 1)),
        (r"\b(?:early|start|beginning) next month\b", lambda m: _month_start(today)),
        (r"\bnext month\b", lambda m: _whole_month(today, 1, "next month")),
        (r"\b(?:end|late) (?:this )?month\b", lambda m: _month_end(today, 0)),
        (r"\b(?:later )?this month\b", lambda m: _whole_month(today, 0, "this month")),
        (r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b", lambda m: _iso_date(m, context)),
        (
            r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b",
            lambda m: _numeric_date(m, context, day_first),
        ),
        (
            rf"\b(\d{{1,2}})(?:th)? {_MON}(?! (?:be|not)\b)(?: (\d{{4}}))?\b",
            lambda m: _text_date(m[1], m[2], m[3], context),
        ),
        (
            rf"\b{_MON} (\d{{1,2}})(?:th)?(?! ?(?::|am\b|pm\b))(?: (\d{{4}}))?\b",
            lambda m: _text_date(m[2], m[1], m[3], context),
        ),
        (
            rf"\b(in |early |mid |late )?{_MON}(?: (\d{{4}}))?\b",
            lambda m: _named_month(m, today),
        ),
        (r"\b(\d{1,2})th\b", lambda m: _day_of_month(int(m[1]), today)),
        (
            rf"\b(?:(next|this coming|coming|this|last) )?{_WD}s?( week)?\b",
            lambda m: _weekday(m, today),
        ),
    )
    for pattern, reader in readers:
        for match in words.take_all(pattern):
            spec = reader(match)
            if spec is not None:
                yield spec


def _single(
    day: date, label: str = "", fallback: date | None = None, roll: bool = False
) -> _DaySpec:
    after = None if fallback is None else _Days(fallback, fallback)
    return _DaySpec((_Days(day, day, label, fallback=after, roll=roll),))


def _span(first: date, last: date, label: str = "", fallback: _Days | None = None) -> _DaySpec:
    return _DaySpec((_Days(first, last, label, fallback=fallback),))


def _week_from(match: re.Match[str], today: date) -> _DaySpec:
    """ "a week today", "two weeks from tomorrow": exactly that day, not roughly then."""
    weeks = 1 if match[1] in (None, "a") else int(match[1])
    start = today if match[2] == "today" else today + _DAY
    return _single(start + 7 * weeks * _DAY)


def _few_days(today: date) -> _DaySpec:
    """ "in a few days": a short span a few days on (`FEW_DAYS`)."""
    first, last = FEW_DAYS
    return _span(today + first * _DAY, today + last * _DAY, "in a few days")


def _within(match: re.Match[str], today: date) -> _DaySpec:
    """ "within two weeks", "in the next 3 days": from now to the end of that day."""
    number = 1 if match[1] == "a" else int(match[1])
    days = number * (7 if match[2] == "week" else 1)
    label = f"within the next {_say_count(number, match[2])}"
    return _span(today, today + days * _DAY, label)


def _in_time(match: re.Match[str], today: date) -> _DaySpec:
    """ "in three days": that day; "in two weeks", "in a month": roughly then."""
    number = 1 if match[1] == "a" else int(match[1])
    unit = match[2]
    if unit == "day":
        label = f"in {_say_count(number, 'day')}" if number > 1 else ""
        return _single(today + number * _DAY, label)
    if unit == "week":
        centre, slack = today + 7 * number * _DAY, WEEKS_SLACK_DAYS
    else:
        year, month = _month_after(today.year, today.month, number)
        centre = date(year, month, min(today.day, _last_day(year, month).day))
        slack = MONTH_SLACK_DAYS
    first = max(today, centre - slack * _DAY)
    return _span(first, centre + slack * _DAY, f"in about {_say_count(number, unit)}")


def _week(today: date, weeks: int, label: str) -> _DaySpec:
    monday = today - today.weekday() * _DAY + 7 * weeks * _DAY
    return _span(monday, monday + 6 * _DAY, label)


def _this_week(today: date) -> _DaySpec:
    sunday = today + (6 - today.weekday()) * _DAY
    next_week = _week(today, 1, "next week").readings[0]
    return _span(today, sunday, "this week", fallback=next_week)


def _early_week(today: date, weeks: int) -> _DaySpec:
    monday = today - today.weekday() * _DAY + 7 * weeks * _DAY
    label = "early next week" if weeks else "early this week"
    first = max(monday, today) if today <= monday + 2 * _DAY else monday
    return _span(first, monday + 2 * _DAY, label)


def _late_week(today: date, weeks: int) -> _DaySpec:
    thursday = today - today.weekday() * _DAY + (7 * weeks + 3) * _DAY
    label = "late next week" if weeks else "the end of the week"
    return _span(max(thursday, today), thursday + 3 * _DAY, label)


def _later_this_week(today: date) -> _DaySpec:
    if today.weekday() == 6:
        raise DateQuestion("This week is nearly over. Would early next week suit?")
    sunday = today + (6 - today.weekday()) * _DAY
    return _span(today + _DAY, sunday, "later this week")


def _weekend(today: date) -> _DaySpec:
    saturday = today + ((5 - today.weekday()) % 7) * _DAY
    if today.weekday() == 6:
        saturday = today - _DAY
    following = _Days(saturday + 7 * _DAY, saturday + 8 * _DAY, "next weekend")
    return _span(max(saturday, today), saturday + _DAY, "the weekend", following)


def _next_weekend(today: date) -> _DaySpec:
    nearest = today + ((4 - today.weekday()) % 7 + 1) * _DAY
    following = today - today.weekday() * _DAY + 12 * _DAY
    readings = tuple(
        _Days(saturday, saturday + _DAY) for saturday in dict.fromkeys((nearest, following))
    )
    return _DaySpec(readings)


def _day_in_week(today: date, weekday_name: str, which: str) -> _DaySpec:
    weekday = _WEEKDAY_NAMES[weekday_name]
    monday = today - today.weekday() * _DAY + (7 if which == "next" else 0) * _DAY
    return _DaySpec((_Days(monday + weekday * _DAY, monday + weekday * _DAY),), weekday)


def _weekday(match: re.Match[str], today: date) -> _DaySpec:
    which, weekday, week = match[1], _WEEKDAY_NAMES[match[2]], bool(match[3])
    ahead = (weekday - today.weekday()) % 7
    coming = today + ahead * _DAY
    nearest = today + ((weekday - today.weekday() - 1) % 7 + 1) * _DAY
    if which == "last":
        back = (today.weekday() - weekday - 1) % 7 + 1
        return _DaySpec((_Days(today - back * _DAY, today - back * _DAY),), weekday)
    if which == "next":
        following = today - today.weekday() * _DAY + (7 + weekday) * _DAY
        days = list(dict.fromkeys((nearest, following)))
    elif which in ("coming", "this coming"):
        days = [nearest]
    else:
        days = [coming]
    if week:  # "Tuesday week": a week after Tuesday
        days = [day + 7 * _DAY for day in days]
    later = _Days(days[0] + 7 * _DAY, days[0] + 7 * _DAY)
    roll = which is None and not week
    readings = tuple(
        _Days(day, day, fallback=later if which in (None, "this") else None, roll=roll)
        for day in days
    )
    return _DaySpec(readings, weekday)


def _month_end(today: date, months: int) -> _DaySpec:
    year, month = _month_after(today.year, today.month, months)
    last = _last_day(year, month)
    label = "the end of next month" if months else "the end of the month"
    after = None
    if not months:
        after = _month_end(today, 1).readings[0]
    first = max(last - 6 * _DAY, today)
    return _DaySpec((_Days(first, last, label, fallback=after, roll=True),))


def _month_start(today: date) -> _DaySpec:
    year, month = _month_after(today.year, today.month)
    first = date(year, month, 1)
    return _span(first, first + 6 * _DAY, "early next month")


def _whole_month(today: date, months: int, label: str) -> _DaySpec:
    year, month = _month_after(today.year, today.month, months)
    return _span(max(date(year, month, 1), today), _last_day(year, month), label)


def _named_month(match: re.Match[str], today: date) -> _DaySpec | None:
    prefix = (match[1] or "").strip()
    month = _MONTH_NAMES[match[2]]
    if match[2] == "may" and not prefix and not match[3]:
        return None  # "may" the verb: filler
    year = int(match[3]) if match[3] else today.year + (month < today.month)
    last = _last_day(year, month)
    first, until = {
        "early": (1, 10),
        "mid": (11, 20),
        "late": (21, last.day),
    }.get(prefix, (1, last.day))
    label = "" if prefix in ("", "in") else f"{prefix} {_MONTHS[month - 1].title()}"
    start, end = date(year, month, first), date(year, month, until)
    return _span(max(start, today) if end >= today else start, end, label)


def _day_of_month(day: int, today: date) -> _DaySpec:
    if not 1 <= day <= 31:
        raise DateQuestion(f"There's no {_ordinal(day)} in any month. Which date did you mean?")
    found = _next_day_of_month(day, today)
    return _single(found, fallback=_next_day_of_month(day, found + _DAY), roll=True)


def _iso_date(match: re.Match[str], context: _Context) -> _DaySpec:
    return _calendar_date(int(match[3]), int(match[2]), int(match[1]), context)


def _numeric_date(match: re.Match[str], context: _Context, day_first: bool) -> _DaySpec:
    first, second = int(match[1]), int(match[2])
    day, month = (first, second) if day_first else (second, first)
    if month > 12 >= day:  # only one reading is a date: "14/3" in the US, "3/14" here
        day, month = month, day
    year = None if match[3] is None else int(match[3])
    if year is not None and year < 100:
        year += 2000
    return _calendar_date(day, month, year, context)


def _text_date(day: str, month: str, year: str | None, context: _Context) -> _DaySpec:
    return _calendar_date(
        int(day), _MONTH_NAMES[month], None if year is None else int(year), context
    )


def _calendar_date(day: int, month: int, year: int | None, context: _Context) -> _DaySpec:
    """A date, with or without a year; without, the next one that is not past."""
    today = context.today
    if not 1 <= month <= 12:
        raise DateQuestion("Sorry, I didn't catch that date. Which day and month did you mean?")
    said = f"{day} {_MONTHS[month - 1].title()}"
    if year is not None:
        exact = _valid_date(year, month, day)
        if exact is None:
            raise DateQuestion(f"There's no {said} {year}. Which date did you mean?")
        return _single(exact)
    this_year = _valid_date(today.year, month, day)
    next_year = _valid_date(today.year + 1, month, day)
    if this_year is None and next_year is None:
        raise DateQuestion(f"There's no {said}. Which date did you mean?")
    if this_year is not None and this_year >= today:
        return _single(this_year)
    if next_year is not None and (next_year <= context.last_day or this_year is None):
        return _single(next_year)
    assert this_year is not None
    return _single(this_year)  # passed this year, next year's too far: ask
