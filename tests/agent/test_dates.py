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

from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist.agent.dates import (
    DateQuestion,
    DateResolver,
    NextWeekday,
    TimeWindow,
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
