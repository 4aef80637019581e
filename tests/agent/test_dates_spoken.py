"""Days and times as speech-to-text gives them: in words, not digits.

Anchors and helpers are shared with tests/agent/test_dates.py (see its docstring): MON is
Monday 2 March 2026, 08:00 in Sydney; FRI_PM is Friday 6 March, 15:30.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from receptionist.agent.dates import DateNotUnderstood, DateQuestion, NextWeekday
from tests.agent.test_dates import (
    BEFORE_AUTUMN_CHANGE,
    BEFORE_SPRING_CHANGE,
    EOM_CLOSED,
    FRI_PM,
    MON,
    SUN,
    at,
    resolve,
    resolver,
)

TODAY = "today, Monday 2 March"

# (phrase, start, end, description), said at MON.
TIMES: list[tuple[str, datetime, datetime, str]] = [
    ("four o'clock", at(3, 2, 16), at(3, 2, 17), f"{TODAY}, at 4 pm"),
    ("four o clock", at(3, 2, 16), at(3, 2, 17), f"{TODAY}, at 4 pm"),
    ("at four", at(3, 2, 16), at(3, 2, 17), f"{TODAY}, at 4 pm"),
    ("half past ten", at(3, 2, 10, 30), at(3, 2, 11, 30), f"{TODAY}, at 10:30 am"),
    ("half ten", at(3, 2, 10, 30), at(3, 2, 11, 30), f"{TODAY}, at 10:30 am"),
    ("quarter to three", at(3, 2, 14, 45), at(3, 2, 15, 45), f"{TODAY}, at 2:45 pm"),
    ("quarter past nine", at(3, 2, 9, 15), at(3, 2, 10, 15), f"{TODAY}, at 9:15 am"),
    ("eleven forty-five", at(3, 2, 11, 45), at(3, 2, 12, 45), f"{TODAY}, at 11:45 am"),
    ("ten thirty", at(3, 2, 10, 30), at(3, 2, 11, 30), f"{TODAY}, at 10:30 am"),
    ("twelve thirty", at(3, 2, 12, 30), at(3, 2, 13, 30), f"{TODAY}, at 12:30 pm"),
    ("three fifteen", at(3, 2, 15, 15), at(3, 2, 16, 15), f"{TODAY}, at 3:15 pm"),
    ("fourteen thirty", at(3, 2, 14, 30), at(3, 2, 15, 30), f"{TODAY}, at 2:30 pm"),
    ("nine oh five", at(3, 2, 9, 5), at(3, 2, 10, 5), f"{TODAY}, at 9:05 am"),
    ("nine a m", at(3, 2, 9), at(3, 2, 10), f"{TODAY}, at 9 am"),
    ("two p m", at(3, 2, 14), at(3, 2, 15), f"{TODAY}, at 2 pm"),
    ("ten a.m.", at(3, 2, 10), at(3, 2, 11), f"{TODAY}, at 10 am"),
    ("midday", at(3, 2, 12), at(3, 2, 13), f"{TODAY}, at 12 pm"),
    ("noon", at(3, 2, 12), at(3, 2, 13), f"{TODAY}, at 12 pm"),
    ("twelve noon", at(3, 2, 12), at(3, 2, 13), f"{TODAY}, at 12 pm"),
    ("five past ten", at(3, 2, 10, 5), at(3, 2, 11, 5), f"{TODAY}, at 10:05 am"),
    ("twenty-five past nine", at(3, 2, 9, 25), at(3, 2, 10, 25), f"{TODAY}, at 9:25 am"),
    ("ten to four", at(3, 2, 15, 50), at(3, 2, 16, 50), f"{TODAY}, at 3:50 pm"),
    ("twenty to four", at(3, 2, 15, 40), at(3, 2, 16, 40), f"{TODAY}, at 3:40 pm"),
    ("from ten to four", at(3, 2, 10), at(3, 2, 16), f"{TODAY}, between 10 am and 4 pm"),
    ("nine in the morning", at(3, 2, 9), at(3, 2, 10), f"{TODAY}, at 9 am"),
    ("four in the afternoon", at(3, 2, 16), at(3, 2, 17), f"{TODAY}, at 4 pm"),
    ("seven in the evening", at(3, 2, 19), at(3, 2, 20), f"{TODAY}, at 7 pm"),
    ("oh nine hundred", at(3, 2, 9), at(3, 2, 10), f"{TODAY}, at 9 am"),
    ("fifteen hundred hours", at(3, 2, 15), at(3, 2, 16), f"{TODAY}, at 3 pm"),
    (
        "tomorrow at eleven forty five",
        at(3, 3, 11, 45),
        at(3, 3, 12, 45),
        "tomorrow, Tuesday 3 March, at 11:45 am",
    ),
    ("Friday at half past ten", at(3, 6, 10, 30), at(3, 6, 11, 30), "Friday 6 March, at 10:30 am"),
    ("three thirty on Friday", at(3, 6, 15, 30), at(3, 6, 16, 30), "Friday 6 March, at 3:30 pm"),
]

# (now, phrase, start, end, description).
DAYS: list[tuple[datetime, str, datetime, datetime, str]] = [
    (MON, "the twenty first", at(3, 21), at(3, 22), "Saturday 21 March"),
    (MON, "the twenty-first of March", at(3, 21), at(3, 22), "Saturday 21 March"),
    (MON, "March the third", at(3, 3), at(3, 4), "tomorrow, Tuesday 3 March"),
    (MON, "the thirty first", at(3, 31), at(4, 1), "Tuesday 31 March"),
    (MON, "April the first", at(4, 1), at(4, 2), "Wednesday 1 April"),
    (MON, "a week from today", at(3, 9), at(3, 10), "Monday 9 March"),
    (MON, "a week today", at(3, 9), at(3, 10), "Monday 9 March"),
    (MON, "this time next week", at(3, 9), at(3, 10), "Monday 9 March"),
    (MON, "a week from tomorrow", at(3, 10), at(3, 11), "Tuesday 10 March"),
    (MON, "two weeks today", at(3, 16), at(3, 17), "Monday 16 March"),
    (MON, "a fortnight today", at(3, 16), at(3, 17), "Monday 16 March"),
    (MON, "three weeks from today", at(3, 23), at(3, 24), "Monday 23 March"),
    (FRI_PM, "a week on Monday", at(3, 16), at(3, 17), "Monday 16 March"),
    (FRI_PM, "Monday week", at(3, 16), at(3, 17), "Monday 16 March"),
    (
        FRI_PM,
        "a week on Monday at ten thirty",
        at(3, 16, 10, 30),
        at(3, 16, 11, 30),
        "Monday 16 March, at 10:30 am",
    ),
    (FRI_PM, "first thing Monday", at(3, 9, 7), at(3, 9, 10), "Monday 9 March, first thing"),
    (
        MON,
        "in a fortnight",
        at(3, 14),
        at(3, 19),
        "in about two weeks, Saturday 14 to Wednesday 18 March",
    ),
    (
        MON,
        "in a couple of weeks",
        at(3, 14),
        at(3, 19),
        "in about two weeks, Saturday 14 to Wednesday 18 March",
    ),
    (
        MON,
        "end of the month",
        at(3, 25),
        at(4, 1),
        "the end of the month, Wednesday 25 to Tuesday 31 March",
    ),
    (
        MON,
        "the week after next",
        at(3, 16),
        at(3, 23),
        "the week after next, Monday 16 to Sunday 22 March",
    ),
    (MON, "in a couple of days", at(3, 4), at(3, 5), "in two days, Wednesday 4 March"),
    (
        MON,
        "in a few days",
        at(3, 4),
        at(3, 7),
        "in a few days, Wednesday 4 to Friday 6 March",
    ),
]


@pytest.mark.parametrize(("phrase", "start", "end", "description"), TIMES)
def test_times_in_words(phrase: str, start: datetime, end: datetime, description: str) -> None:
    window = resolve(MON, phrase)
    assert (window.start, window.end, window.description) == (start, end, description)


@pytest.mark.parametrize(("now", "phrase", "start", "end", "description"), DAYS)
def test_days_in_words(
    now: datetime, phrase: str, start: datetime, end: datetime, description: str
) -> None:
    window = resolve(now, phrase)
    assert (window.start, window.end, window.description) == (start, end, description)


def test_a_date_in_words_beyond_this_season() -> None:
    window = resolver(MON, horizon_days=365).resolve("fourteenth of December")
    assert (window.start, window.end) == (at(12, 14), at(12, 15))
    assert window.description == "Monday 14 December"


def test_a_date_in_words_past_the_horizon_asks() -> None:
    with pytest.raises(DateQuestion) as raised:
        resolve(MON, "fourteenth of December")
    assert raised.value.question.startswith("I can only book up to 90 days ahead")


@pytest.mark.parametrize(
    "phrase",
    [
        "I'm forty-five",
        "forty five",
        "two of us",
        "Room 4",
        "room fourteen",
        "five",
        "for 30 minutes",
        "in twenty minutes",
        "a thirty minute appointment",
        "fourteen three eighty-eight",  # a date of birth is not a booking day
        "fourteen twelve",  # 14/12 or 2:12 pm? asked, not guessed
        "number twelve",
        "two people",
    ],
)
def test_numbers_that_are_not_days_or_times(phrase: str) -> None:
    with pytest.raises(DateNotUnderstood):
        resolve(MON, phrase)


@pytest.mark.parametrize(
    "now", [MON, SUN, FRI_PM, EOM_CLOSED, BEFORE_AUTUMN_CHANGE, BEFORE_SPRING_CHANGE]
)
@pytest.mark.parametrize("mode", list(NextWeekday))
def test_spoken_windows_are_sane(now: datetime, mode: NextWeekday) -> None:
    """Every spoken form, at every anchor and in every mode: a window after now, or a question."""
    for phrase in [p for p, *_ in TIMES] + [p for _, p, *_ in DAYS]:
        try:
            window = resolve(now, phrase, mode)
        except DateQuestion as question:
            assert question.question.endswith("?"), phrase
            continue
        assert now <= window.start < window.end, phrase
