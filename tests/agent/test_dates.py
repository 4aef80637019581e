"""The date/time phrase resolver: callers' words to windows in the clinic's zone.

Every case runs against a fixed clock. The anchors (Australia/Sydney, 2026):

- MON: Monday 2 March, 08:00 (AEDT, +11);
- SUN: Sunday 8 March, 10:00;
- FRI_PM: Friday 6 March, 15:30;
- EOM: Tuesday 31 March, 18:00, and EOM_CLOSED: the same day at 21:00, after closing;
- DST days: clocks go back on Sunday 5 April (03:00 AEDT -> 02:00 AEST, a 25-hour day) and
  forward on Sunday 4 October (02:00 AEST -> 03:00 AEDT, a 23-hour day).

Expected instants are written as wall times with explicit UTC offsets, so a test cannot agree
with the resolver by making the same zoneinfo mistake.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist.agent.dates import (
    DateNotUnderstood,
    DateQuestion,
    DateResolver,
    NextWeekday,
    TimeWindow,
    parse_date_of_birth,
)

SYDNEY = ZoneInfo("Australia/Sydney")
AEDT = timezone(timedelta(hours=11))
AEST = timezone(timedelta(hours=10))

MON = datetime(2026, 3, 2, 8, 0, tzinfo=AEDT)
SUN = datetime(2026, 3, 8, 10, 0, tzinfo=AEDT)
FRI_PM = datetime(2026, 3, 6, 15, 30, tzinfo=AEDT)
EOM = datetime(2026, 3, 31, 18, 0, tzinfo=AEDT)
EOM_CLOSED = datetime(2026, 3, 31, 21, 0, tzinfo=AEDT)
APR_10 = datetime(2026, 4, 10, 9, 0, tzinfo=AEST)
BEFORE_AUTUMN_CHANGE = datetime(2026, 4, 4, 9, 0, tzinfo=AEDT)  # Saturday
BEFORE_SPRING_CHANGE = datetime(2026, 10, 3, 9, 0, tzinfo=AEST)  # Saturday

NEAREST = NextWeekday.NEAREST
FOLLOWING = NextWeekday.FOLLOWING_WEEK
ASK = NextWeekday.ASK


def at(month: int, day: int, hour: int = 0, minute: int = 0, *, dst: bool = True) -> datetime:
    """A 2026 Sydney wall time with its offset written out (AEDT by default)."""
    return datetime(2026, month, day, hour, minute, tzinfo=AEDT if dst else AEST)


def resolver(
    now: datetime,
    mode: NextWeekday = NEAREST,
    *,
    day_first: bool = True,
    horizon_days: int = 90,
    open_from: time = time(7),
    open_until: time = time(20),
) -> DateResolver:
    return DateResolver(
        "Australia/Sydney",
        lambda: now,
        next_weekday=mode,
        day_first=day_first,
        horizon_days=horizon_days,
        open_from=open_from,
        open_until=open_until,
    )


def resolve(now: datetime, phrase: str | None, mode: NextWeekday = NEAREST) -> TimeWindow:
    return resolver(now, mode).resolve(phrase)


def hours(window: TimeWindow) -> float:
    """Real elapsed hours (same-zone datetimes subtract by wall clock in Python)."""
    return (window.end.astimezone(UTC) - window.start.astimezone(UTC)).total_seconds() / 3600


# (now, phrase, start, end, description), NextWeekday.NEAREST.
CASES: list[tuple[datetime, str | None, datetime, datetime, str]] = [
    # No preference: from now, two weeks.
    (MON, None, MON, at(3, 17), "in the next two weeks"),
    (MON, "", MON, at(3, 17), "in the next two weeks"),
    (MON, "any time", MON, at(3, 17), "in the next two weeks"),
    (MON, "ASAP please", MON, at(3, 17), "in the next two weeks"),
    (MON, "soonest", MON, at(3, 17), "in the next two weeks"),
    (MON, "the next available", MON, at(3, 17), "in the next two weeks"),
    (MON, "as soon as possible", MON, at(3, 17), "in the next two weeks"),
    # Named days.
    (MON, "today", MON, at(3, 3), "today, Monday 2 March"),
    (MON, "Tomorrow", at(3, 3), at(3, 4), "tomorrow, Tuesday 3 March"),
    (MON, "day after tomorrow", at(3, 4), at(3, 5), "Wednesday 4 March"),
    (MON, "the day after tomorrow", at(3, 4), at(3, 5), "Wednesday 4 March"),
    (MON, "next Tuesday", at(3, 3), at(3, 4), "tomorrow, Tuesday 3 March"),
    (MON, "this Thursday", at(3, 5), at(3, 6), "Thursday 5 March"),
    (MON, "Thursday", at(3, 5), at(3, 6), "Thursday 5 March"),
    (MON, "on Thursday, please", at(3, 5), at(3, 6), "Thursday 5 March"),
    (MON, "Thursday week", at(3, 12), at(3, 13), "Thursday 12 March"),
    (MON, "Thursday next week", at(3, 12), at(3, 13), "Thursday 12 March"),
    (MON, "a week today", at(3, 9), at(3, 10), "Monday 9 March"),
    (MON, "this Thursday arvo", at(3, 5, 12), at(3, 5, 17), "Thursday 5 March, in the afternoon"),
    (
        MON,
        "this Thursday afternoon",
        at(3, 5, 12),
        at(3, 5, 17),
        "Thursday 5 March, in the afternoon",
    ),
    (MON, "Monday morning", MON, at(3, 2, 12), "today, Monday 2 March, in the morning"),
    # Dates.
    (MON, "the 14th", at(3, 14), at(3, 15), "Saturday 14 March"),
    (MON, "14th", at(3, 14), at(3, 15), "Saturday 14 March"),
    (MON, "on the fourteenth", at(3, 14), at(3, 15), "Saturday 14 March"),
    (MON, "14 March", at(3, 14), at(3, 15), "Saturday 14 March"),
    (MON, "the 14th of March", at(3, 14), at(3, 15), "Saturday 14 March"),
    (MON, "March 14", at(3, 14), at(3, 15), "Saturday 14 March"),
    (MON, "March the 14th", at(3, 14), at(3, 15), "Saturday 14 March"),
    (MON, "14/3", at(3, 14), at(3, 15), "Saturday 14 March"),
    (MON, "14/03/2026", at(3, 14), at(3, 15), "Saturday 14 March"),
    (MON, "2026-03-14", at(3, 14), at(3, 15), "Saturday 14 March"),
    (MON, "Tuesday the 10th", at(3, 10), at(3, 11), "Tuesday 10 March"),
    (MON, "the 2nd", MON, at(3, 3), "today, Monday 2 March"),
    (MON, "the 1st", at(4, 1), at(4, 2), "Wednesday 1 April"),
    (MON, "the 31st", at(3, 31), at(4, 1), "Tuesday 31 March"),
    (MON, "1 May", at(5, 1, dst=False), at(5, 2, dst=False), "Friday 1 May"),
    # Relative spans.
    (MON, "in three days", at(3, 5), at(3, 6), "in three days, Thursday 5 March"),
    (
        MON,
        "in two weeks",
        at(3, 14),
        at(3, 19),
        "in about two weeks, Saturday 14 to Wednesday 18 March",
    ),
    (
        MON,
        "in 2 weeks' time",
        at(3, 14),
        at(3, 19),
        "in about two weeks, Saturday 14 to Wednesday 18 March",
    ),
    (
        MON,
        "a fortnight",
        at(3, 14),
        at(3, 19),
        "in about two weeks, Saturday 14 to Wednesday 18 March",
    ),
    (
        MON,
        "in a fortnight",
        at(3, 14),
        at(3, 19),
        "in about two weeks, Saturday 14 to Wednesday 18 March",
    ),
    (
        MON,
        "within 3 days",
        MON,
        at(3, 6),
        "within the next three days, Monday 2 to Thursday 5 March",
    ),
    (
        MON,
        "early next week",
        at(3, 9),
        at(3, 12),
        "early next week, Monday 9 to Wednesday 11 March",
    ),
    (MON, "later this week", at(3, 3), at(3, 9), "later this week, Tuesday 3 to Sunday 8 March"),
    (MON, "this week", MON, at(3, 9), "this week, Monday 2 to Sunday 8 March"),
    (MON, "next week", at(3, 9), at(3, 16), "next week, Monday 9 to Sunday 15 March"),
    (
        MON,
        "the week after next",
        at(3, 16),
        at(3, 23),
        "the week after next, Monday 16 to Sunday 22 March",
    ),
    (MON, "the weekend", at(3, 7), at(3, 9), "the weekend, Saturday 7 to Sunday 8 March"),
    (
        MON,
        "end of the month",
        at(3, 25),
        at(4, 1),
        "the end of the month, Wednesday 25 to Tuesday 31 March",
    ),
    (
        MON,
        "next month",
        at(4, 1),
        at(5, 1, dst=False),
        "next month, Wednesday 1 to Thursday 30 April",
    ),
    (
        MON,
        "early next month",
        at(4, 1),
        at(4, 8, dst=False),
        "early next month, Wednesday 1 to Tuesday 7 April",
    ),
    # Times of day, today while they last.
    (MON, "after 3pm", at(3, 2, 15), at(3, 2, 20), "today, Monday 2 March, after 3 pm"),
    (MON, "before 10", MON, at(3, 2, 10), "today, Monday 2 March, before 10 am"),
    (MON, "around 2", at(3, 2, 13), at(3, 2, 15), "today, Monday 2 March, around 2 pm"),
    (MON, "at 9:30", at(3, 2, 9, 30), at(3, 2, 10, 30), "today, Monday 2 March, at 9:30 am"),
    (MON, "first thing", MON, at(3, 2, 10), "today, Monday 2 March, first thing"),
    (
        MON,
        "first thing tomorrow",
        at(3, 3, 7),
        at(3, 3, 10),
        "tomorrow, Tuesday 3 March, first thing",
    ),
    (
        MON,
        "late afternoon",
        at(3, 2, 15),
        at(3, 2, 17),
        "today, Monday 2 March, in the late afternoon",
    ),
    (MON, "lunchtime", at(3, 2, 12), at(3, 2, 14), "today, Monday 2 March, at lunchtime"),
    (MON, "evening", at(3, 2, 17), at(3, 2, 20), "today, Monday 2 March, in the evening"),
    (MON, "tonight", at(3, 2, 17), at(3, 2, 20), "today, Monday 2 March, in the evening"),
    (
        MON,
        "between 2 and 4",
        at(3, 2, 14),
        at(3, 2, 16),
        "today, Monday 2 March, between 2 pm and 4 pm",
    ),
    (MON, "2-4pm", at(3, 2, 14), at(3, 2, 16), "today, Monday 2 March, between 2 pm and 4 pm"),
    (
        MON,
        "after 3 but before 5",
        at(3, 2, 15),
        at(3, 2, 17),
        "today, Monday 2 March, between 3 pm and 5 pm",
    ),
    (MON, "at 7:30 pm", at(3, 2, 19, 30), at(3, 2, 20), "today, Monday 2 March, at 7:30 pm"),
    # Bare hours: 1-6 pm, 7-11 am, zero-padded 24-hour; a day part decides.
    (MON, "at 8", at(3, 2, 8), at(3, 2, 9), "today, Monday 2 March, at 8 am"),
    (MON, "at 6", at(3, 2, 18), at(3, 2, 19), "today, Monday 2 March, at 6 pm"),
    (MON, "at 12", at(3, 2, 12), at(3, 2, 13), "today, Monday 2 March, at 12 pm"),
    (MON, "09:30", at(3, 2, 9, 30), at(3, 2, 10, 30), "today, Monday 2 March, at 9:30 am"),
    (MON, "evening at 7", at(3, 2, 19), at(3, 2, 20), "today, Monday 2 March, at 7 pm"),
    (MON, "morning at 11", at(3, 2, 11), at(3, 2, 12), "today, Monday 2 March, at 11 am"),
    # What speech-to-text gives us.
    (MON, "3 p.m.", at(3, 2, 15), at(3, 2, 16), "today, Monday 2 March, at 3 pm"),
    (MON, "3pm", at(3, 2, 15), at(3, 2, 16), "today, Monday 2 March, at 3 pm"),
    (MON, "three pm", at(3, 2, 15), at(3, 2, 16), "today, Monday 2 March, at 3 pm"),
    (MON, "15:00", at(3, 2, 15), at(3, 2, 16), "today, Monday 2 March, at 3 pm"),
    (MON, "3 o'clock", at(3, 2, 15), at(3, 2, 16), "today, Monday 2 March, at 3 pm"),
    (MON, "half past two", at(3, 2, 14, 30), at(3, 2, 15, 30), "today, Monday 2 March, at 2:30 pm"),
    (MON, "quarter to ten", at(3, 2, 9, 45), at(3, 2, 10, 45), "today, Monday 2 March, at 9:45 am"),
    (MON, "at two thirty", at(3, 2, 14, 30), at(3, 2, 15, 30), "today, Monday 2 March, at 2:30 pm"),
    (MON, "noon", at(3, 2, 12), at(3, 2, 13), "today, Monday 2 March, at 12 pm"),
    # Combinations and filler.
    (MON, "tomorrow after 3", at(3, 3, 15), at(3, 3, 20), "tomorrow, Tuesday 3 March, after 3 pm"),
    (
        MON,
        "next Tuesday morning",
        at(3, 3, 7),
        at(3, 3, 12),
        "tomorrow, Tuesday 3 March, in the morning",
    ),
    (MON, "Friday at 10", at(3, 6, 10), at(3, 6, 11), "Friday 6 March, at 10 am"),
    (
        MON,
        "umm maybe sometime Wednesday arvo, like 2ish",
        at(3, 4, 13),
        at(3, 4, 15),
        "Wednesday 4 March, around 2 pm",
    ),
    (
        MON,
        "for the 14th at 2-4pm",
        at(3, 14, 14),
        at(3, 14, 16),
        "Saturday 14 March, between 2 pm and 4 pm",
    ),
    (
        MON,
        "Could I come in on Friday at 10 a.m.?",
        at(3, 6, 10),
        at(3, 6, 11),
        "Friday 6 March, at 10 am",
    ),
    (
        MON,
        "the day after tomorrow in the morning",
        at(3, 4, 7),
        at(3, 4, 12),
        "Wednesday 4 March, in the morning",
    ),
    # "X or Y" that joins up.
    (
        MON,
        "next Tuesday or Wednesday",
        at(3, 3),
        at(3, 5),
        "tomorrow, Tuesday 3 March or Wednesday 4 March",
    ),
    (MON, "Thursday or Friday", at(3, 5), at(3, 7), "Thursday 5 March or Friday 6 March"),
    (MON, "Monday or Tuesday next week", at(3, 9), at(3, 11), "Monday 9 March or Tuesday 10 March"),
    (
        MON,
        "tomorrow morning or afternoon",
        at(3, 3, 7),
        at(3, 3, 17),
        "tomorrow, Tuesday 3 March, in the morning or in the afternoon",
    ),
    # Sunday.
    (SUN, "next Tuesday", at(3, 10), at(3, 11), "Tuesday 10 March"),
    (SUN, "Sunday", SUN, at(3, 9), "today, Sunday 8 March"),
    (SUN, "the weekend", SUN, at(3, 9), "the weekend, today, Sunday 8 March"),
    (SUN, "next weekend", at(3, 14), at(3, 16), "Saturday 14 to Sunday 15 March"),
    (
        SUN,
        "early next week",
        at(3, 9),
        at(3, 12),
        "early next week, Monday 9 to Wednesday 11 March",
    ),
    (SUN, "this week", SUN, at(3, 9), "this week, today, Sunday 8 March"),
    # Friday afternoon: what has gone today moves on.
    (FRI_PM, "Friday", FRI_PM, at(3, 7), "today, Friday 6 March"),
    (FRI_PM, "Friday morning", at(3, 13, 7), at(3, 13, 12), "Friday 13 March, in the morning"),
    (FRI_PM, "morning", at(3, 7, 7), at(3, 7, 12), "tomorrow, Saturday 7 March, in the morning"),
    (FRI_PM, "first thing", at(3, 7, 7), at(3, 7, 10), "tomorrow, Saturday 7 March, first thing"),
    (FRI_PM, "before 10", at(3, 7, 7), at(3, 7, 10), "tomorrow, Saturday 7 March, before 10 am"),
    (FRI_PM, "after 3", FRI_PM, at(3, 6, 20), "today, Friday 6 March, after 3 pm"),
    (FRI_PM, "next Friday", at(3, 13), at(3, 14), "Friday 13 March"),
    (
        FRI_PM,
        "end of the week",
        FRI_PM,
        at(3, 9),
        "the end of the week, Friday 6 to Sunday 8 March",
    ),
    # The 31st of a month, and after closing on it.
    (EOM, "end of the month", EOM, at(4, 1), "the end of the month, today, Tuesday 31 March"),
    (EOM, "the 31st", EOM, at(4, 1), "today, Tuesday 31 March"),
    (EOM, "the 30th", at(4, 30, dst=False), at(5, 1, dst=False), "Thursday 30 April"),
    (
        EOM_CLOSED,
        "end of the month",
        at(4, 24, dst=False),
        at(5, 1, dst=False),
        "the end of next month, Friday 24 to Thursday 30 April",
    ),
    (EOM_CLOSED, "the 31st", at(5, 31, dst=False), at(6, 1, dst=False), "Sunday 31 May"),
    (APR_10, "the 31st", at(5, 31, dst=False), at(6, 1, dst=False), "Sunday 31 May"),
]


@pytest.mark.parametrize(("now", "phrase", "start", "end", "description"), CASES)
def test_phrases(
    now: datetime, phrase: str | None, start: datetime, end: datetime, description: str
) -> None:
    window = resolve(now, phrase)
    assert (window.start, window.end, window.description) == (start, end, description)
    assert window.start.tzinfo == SYDNEY and window.end.tzinfo == SYDNEY


@pytest.mark.parametrize(
    ("now", "phrase", "mode", "start", "end"),
    [
        (MON, "next Tuesday", NEAREST, at(3, 3), at(3, 4)),
        (MON, "next Tuesday", FOLLOWING, at(3, 10), at(3, 11)),
        (MON, "next Tuesday morning", FOLLOWING, at(3, 10, 7), at(3, 10, 12)),
        (MON, "next Tuesday or Wednesday", FOLLOWING, at(3, 10), at(3, 12)),
        (MON, "next weekend", NEAREST, at(3, 7), at(3, 9)),
        (MON, "next weekend", FOLLOWING, at(3, 14), at(3, 16)),
        # Both readings agree: ASK answers.
        (MON, "next Monday", ASK, at(3, 9), at(3, 10)),
        (FRI_PM, "next Tuesday", ASK, at(3, 10), at(3, 11)),
        (FRI_PM, "next Friday", ASK, at(3, 13), at(3, 14)),
        (SUN, "next Tuesday", ASK, at(3, 10), at(3, 11)),
        (SUN, "next weekend", ASK, at(3, 14), at(3, 16)),
        (MON, "next Tuesday the 10th", ASK, at(3, 10), at(3, 11)),
        # Unaffected phrases.
        (MON, "Thursday", FOLLOWING, at(3, 5), at(3, 6)),
        (MON, "this Thursday", ASK, at(3, 5), at(3, 6)),
        (MON, "the 14th", ASK, at(3, 14), at(3, 15)),
    ],
)
def test_next_weekday_modes(
    now: datetime, phrase: str, mode: NextWeekday, start: datetime, end: datetime
) -> None:
    window = resolve(now, phrase, mode)
    assert (window.start, window.end) == (start, end)


@pytest.mark.parametrize(
    ("phrase", "question"),
    [
        ("next Tuesday", "Do you mean tomorrow, Tuesday 3 March, or Tuesday 10 March?"),
        ("next Tuesday morning", "Do you mean tomorrow, Tuesday 3 March, or Tuesday 10 March?"),
        (
            "next Tuesday or Wednesday",
            "Do you mean tomorrow, Tuesday 3 March or Wednesday 4 March, "
            "or Tuesday 10 March or Wednesday 11 March?",
        ),
        (
            "next weekend",
            "Do you mean Saturday 7 to Sunday 8 March, or Saturday 14 to Sunday 15 March?",
        ),
    ],
)
def test_ask_when_the_readings_differ(phrase: str, question: str) -> None:
    with pytest.raises(DateQuestion) as raised:
        resolve(MON, phrase, ASK)
    assert raised.value.question == question


def test_the_default_asks_about_next_weekday() -> None:
    plain = DateResolver("Australia/Sydney", lambda: MON)
    assert plain.next_weekday is ASK
    with pytest.raises(DateQuestion):
        plain.resolve("next Thursday")


@pytest.mark.parametrize(
    ("now", "phrase", "question"),
    [
        (MON, "yesterday", "Sunday 1 March has already passed. Which day coming up would suit?"),
        (
            MON,
            "last Tuesday",
            "Tuesday 24 February has already passed. Which day coming up would suit?",
        ),
        (
            MON,
            "3 March 2020",
            "Tuesday 3 March 2020 has already passed. Which day coming up would suit?",
        ),
        (MON, "1 March", "Sunday 1 March has already passed. Which day coming up would suit?"),
        (MON, "30 February", "There's no 30 February. Which date did you mean?"),
        (MON, "31/4", "There's no 31 April. Which date did you mean?"),
        (MON, "the 32nd", "There's no 32nd in any month. Which date did you mean?"),
        (
            MON,
            "in June",
            "I can only book up to 90 days ahead, that's up to Sunday 31 May. "
            "Which day before then would suit?",
        ),
        (
            MON,
            "14 March 2027",
            "I can only book up to 90 days ahead, that's up to Sunday 31 May. "
            "Which day before then would suit?",
        ),
        (
            MON,
            "at 9pm",
            "The clinic is open from 7 am to 8 pm. What time between those would suit?",
        ),
        (
            MON,
            "Wednesday the 10th",
            "Tuesday 10 March is a Tuesday, not a Wednesday. Which day did you mean?",
        ),
        (
            MON,
            "Monday or Friday",
            "Which would suit you better: today, Monday 2 March or Friday 6 March?",
        ),
        (
            MON,
            "tomorrow, Friday",
            "Tuesday 3 March is a Tuesday, not a Friday. Which day did you mean?",
        ),
        (
            MON,
            "tomorrow or the 14th",
            "Which would suit you better: tomorrow, Tuesday 3 March or Saturday 14 March?",
        ),
        (
            FRI_PM,
            "this morning",
            "That time has already passed today. "
            "Would tomorrow, Saturday 7 March, in the morning suit?",
        ),
        (
            FRI_PM,
            "today morning",
            "That time has already passed today. "
            "Would tomorrow, Saturday 7 March, in the morning suit?",
        ),
        (
            FRI_PM,
            "this Friday morning",
            "That time has already passed today. Would Friday 13 March, in the morning suit?",
        ),
        (
            EOM_CLOSED,
            "today",
            "We've closed for today. Would tomorrow, Wednesday 1 April suit?",
        ),
        (SUN, "later this week", "This week is nearly over. Would early next week suit?"),
    ],
)
def test_questions(now: datetime, phrase: str, question: str) -> None:
    with pytest.raises(DateQuestion) as raised:
        resolve(now, phrase)
    assert raised.value.question == question
    assert str(raised.value) == question


@pytest.mark.parametrize(
    "phrase",
    ["purple", "the blue one", "Tuesday purple", "next", "13 pm", "at 25:00", "7", "Friday 10"],
)
def test_not_understood(phrase: str) -> None:
    with pytest.raises(DateNotUnderstood) as raised:
        resolve(MON, phrase)
    assert str(raised.value) == "Sorry, I didn't catch a day or time there."


def test_question_and_not_understood_are_value_errors() -> None:
    assert issubclass(DateQuestion, ValueError)
    assert issubclass(DateNotUnderstood, ValueError)


# --- Daylight saving ------------------------------------------------------------------------


def test_whole_day_on_the_autumn_change_is_25_hours() -> None:
    window = resolve(BEFORE_AUTUMN_CHANGE, "tomorrow")
    assert window.start == datetime(2026, 4, 5, 0, 0, tzinfo=AEDT)
    assert window.end == datetime(2026, 4, 6, 0, 0, tzinfo=AEST)
    assert hours(window) == 25


def test_whole_day_on_the_spring_change_is_23_hours() -> None:
    window = resolve(BEFORE_SPRING_CHANGE, "tomorrow")
    assert window.start == datetime(2026, 10, 4, 0, 0, tzinfo=AEST)
    assert window.end == datetime(2026, 10, 5, 0, 0, tzinfo=AEDT)
    assert hours(window) == 23


@pytest.mark.parametrize(
    ("now", "phrase", "start", "end"),
    [
        # Wall times after the change carry the new offset.
        (BEFORE_AUTUMN_CHANGE, "Sunday morning", at(4, 5, 7, dst=False), at(4, 5, 12, dst=False)),
        (
            BEFORE_AUTUMN_CHANGE,
            "tomorrow at 9:30",
            at(4, 5, 9, 30, dst=False),
            at(4, 5, 10, 30, dst=False),
        ),
        (BEFORE_SPRING_CHANGE, "tomorrow morning", at(10, 4, 7), at(10, 4, 12)),
        # A week spanning the change: 7 * 24 + 1 hours.
        (at(3, 30), "this week", at(3, 30), at(4, 6, dst=False)),
        # "today", said in the small hours before the clocks go back.
        (at(4, 5, 1, 30), "today", at(4, 5, 1, 30), at(4, 6, dst=False)),
    ],
)
def test_windows_across_daylight_saving(
    now: datetime, phrase: str, start: datetime, end: datetime
) -> None:
    window = resolve(now, phrase)
    assert (window.start, window.end) == (start, end)


def test_this_week_across_the_autumn_change_is_an_hour_longer() -> None:
    assert hours(resolve(at(3, 30), "this week")) == 7 * 24 + 1


def test_repeated_wall_time_means_its_first_occurrence() -> None:
    night_owl = resolver(BEFORE_AUTUMN_CHANGE, open_from=time(0), open_until=time(23, 59))
    window = night_owl.resolve("tomorrow at 2:30 am")
    # Datetimes inside a fold never equal one in another zone (PEP 495): compare in UTC.
    assert window.start.astimezone(UTC) == datetime(2026, 4, 5, 2, 30, tzinfo=AEDT)
    assert window.end.astimezone(UTC) == datetime(2026, 4, 5, 3, 30, tzinfo=AEST)
    assert hours(window) == 2


def test_skipped_wall_time_means_the_jump() -> None:
    night_owl = resolver(BEFORE_SPRING_CHANGE, open_from=time(0), open_until=time(23, 59))
    window = night_owl.resolve("tomorrow at 2:30 am")
    assert window.start == datetime(2026, 10, 4, 3, 0, tzinfo=AEDT)  # 02:00-03:00 never happens
    assert window.end == datetime(2026, 10, 4, 3, 30, tzinfo=AEDT)


def test_midnight_that_never_happens() -> None:
    # Chile moves its clocks forward at midnight: Sunday 6 September 2026 starts at 01:00.
    santiago = ZoneInfo("America/Santiago")
    now = datetime(2026, 9, 5, 9, 0, tzinfo=timezone(timedelta(hours=-4)))
    window = DateResolver(santiago, lambda: now).resolve("tomorrow")
    assert window.start == datetime(2026, 9, 6, 1, 0, tzinfo=timezone(timedelta(hours=-3)))
    assert hours(window) == 23


# --- Options and invariants -----------------------------------------------------------------


def test_now_in_another_zone_is_converted() -> None:
    utc_now = MON.astimezone(UTC)
    window = DateResolver(SYDNEY, lambda: utc_now).resolve("today")
    assert (window.start, window.end) == (MON, at(3, 3))
    assert window.start.tzinfo == SYDNEY


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        DateResolver(SYDNEY, lambda: datetime(2026, 3, 2, 8)).resolve("today")


@pytest.mark.parametrize(
    ("day_first", "phrase", "start"),
    [
        (True, "3/4", at(4, 3)),
        (False, "3/4", at(3, 4)),
        (False, "14/3", at(3, 14)),  # only one reading is a date
        (True, "3/14", at(3, 14)),
    ],
)
def test_day_first(day_first: bool, phrase: str, start: datetime) -> None:
    assert resolver(MON, day_first=day_first).resolve(phrase).start == start


def test_horizon() -> None:
    short = resolver(MON, horizon_days=10)
    with pytest.raises(DateQuestion, match="10 days ahead, that's up to Thursday 12 March"):
        short.resolve("the 14th")
    window = short.resolve("next week")  # starts in time: cut short at the horizon
    assert (window.start, window.end) == (at(3, 9), at(3, 13))


def test_opening_hours_shape_day_parts() -> None:
    clinic = resolver(MON, open_from=time(8, 30), open_until=time(18))
    assert clinic.resolve("tomorrow morning").start == at(3, 3, 8, 30)
    assert clinic.resolve("tomorrow evening").end == at(3, 3, 18)
    assert clinic.resolve("tomorrow after 3").end == at(3, 3, 18)
    assert clinic.resolve("tomorrow before 10").start == at(3, 3, 8, 30)


@pytest.mark.parametrize(
    ("phrase", "daily", "start", "end"),
    [
        ("mornings next week", (time(7), time(12)), at(3, 9, 7), at(3, 15, 12)),
        ("Tuesday or Wednesday morning", (time(7), time(12)), at(3, 3, 7), at(3, 4, 12)),
        ("any afternoon", (time(12), time(17)), at(3, 2, 12), at(3, 16, 17)),
        ("next week", None, at(3, 9), at(3, 16)),
        ("tomorrow morning", None, at(3, 3, 7), at(3, 3, 12)),
    ],
)
def test_daily_times_over_several_days(
    phrase: str, daily: tuple[time, time] | None, start: datetime, end: datetime
) -> None:
    window = resolve(MON, phrase)
    assert (window.daily, window.start, window.end) == (daily, start, end)


def test_daily_description() -> None:
    window = resolve(MON, "mornings next week")
    assert window.description == "next week, Monday 9 to Sunday 15 March, in the mornings"


def test_resolver_validates_options() -> None:
    with pytest.raises(ValueError):
        DateResolver(SYDNEY, lambda: MON, open_from=time(20), open_until=time(7))
    with pytest.raises(ValueError):
        DateResolver(SYDNEY, lambda: MON, horizon_days=0)


INVARIANT_PHRASES = sorted({phrase or "" for _, phrase, *_ in CASES}) + [
    "next Tuesday",
    "next weekend",
    "this weekend",
    "in a month",
    "early April",
    "week after next",
]


@pytest.mark.parametrize(
    "now", [MON, SUN, FRI_PM, EOM, EOM_CLOSED, BEFORE_AUTUMN_CHANGE, BEFORE_SPRING_CHANGE]
)
@pytest.mark.parametrize("mode", list(NextWeekday))
def test_every_window_is_sane(now: datetime, mode: NextWeekday) -> None:
    """Across anchors and modes: a window is after now, non-empty, in the zone and speakable."""
    answered = 0
    for phrase in INVARIANT_PHRASES:
        try:
            window = resolve(now, phrase, mode)
        except DateQuestion as question:
            assert question.question.endswith("?")
            continue
        answered += 1
        assert window.start >= now, phrase
        assert window.end > window.start, phrase
        assert window.end <= now + timedelta(days=92), phrase
        assert window.start.tzinfo == SYDNEY == window.end.tzinfo, phrase
        assert window.description and not re.search(
            r"[*_`#\[\]|]|\d{4}-\d\d|\d\d:\d\d", window.description
        )
    assert answered > len(INVARIANT_PHRASES) // 2


# --- Dates of birth -------------------------------------------------------------------------

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("12 April 1985", date(1985, 4, 12)),
        ("12th of April 1985", date(1985, 4, 12)),
        ("the 12th of April, 1985", date(1985, 4, 12)),
        ("April 12 1985", date(1985, 4, 12)),
        ("April 12th, 1985", date(1985, 4, 12)),
        ("12/04/1985", date(1985, 4, 12)),
        ("12-4-85", date(1985, 4, 12)),
        ("1985-04-12", date(1985, 4, 12)),
        ("12 4 1985", date(1985, 4, 12)),
        ("12.4.1985", date(1985, 4, 12)),
        ("twelfth of April nineteen eighty-five", date(1985, 4, 12)),
        ("third of March two thousand and five", date(2005, 3, 3)),
        ("1/1/00", date(2000, 1, 1)),
        ("2/3/26", date(2026, 3, 2)),  # born today
        ("3/3/26", date(1926, 3, 3)),  # tomorrow in 2026: so 1926, aged 99
        ("25/12/85", date(1985, 12, 25)),
        ("29 February 2000", date(2000, 2, 29)),
    ],
)
def test_date_of_birth(text: str, born: date) -> None:
    assert parse_date_of_birth(text, today=TODAY) == born


@pytest.mark.parametrize(
    ("text", "born"),
    [("04/12/1985", date(1985, 4, 12)), ("25/12/1985", date(1985, 12, 25))],
)
def test_date_of_birth_month_first(text: str, born: date) -> None:
    assert parse_date_of_birth(text, today=TODAY, day_first=False) == born


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("1 January 2030", "That date is in the future."),
        ("3 March 2026", "That date is in the future."),
        ("1 January 1900", "That would make you over 120."),
        ("31 February 1990", "Sorry, there's no 31 February."),
        ("29 February 2001", "Sorry, there's no 29 February."),
        ("13/25/1985", "Sorry, I didn't catch that date."),
        ("12 April", "And what year were you born?"),
        ("12/4", "And what year were you born?"),
    ],
)
def test_date_of_birth_questions(text: str, question: str) -> None:
    with pytest.raises(DateQuestion) as raised:
        parse_date_of_birth(text, today=TODAY)
    assert raised.value.question.startswith(question)


@pytest.mark.parametrize("text", ["", "banana", "12 April 1985 1986", "April May 1985", "12/4/985"])
def test_date_of_birth_not_understood(text: str) -> None:
    with pytest.raises(DateNotUnderstood):
        parse_date_of_birth(text, today=TODAY)
