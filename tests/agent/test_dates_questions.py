"""The resolver's questions, refusals, daylight-saving edges, options and invariants.

Anchors and helpers are shared with tests/agent/test_dates.py (see its docstring).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist.agent.dates import DateNotUnderstood, DateQuestion, DateResolver, NextWeekday
from tests.agent.test_dates import (
    AEDT,
    AEST,
    BEFORE_AUTUMN_CHANGE,
    BEFORE_SPRING_CHANGE,
    CASES,
    EOM,
    EOM_CLOSED,
    FRI_PM,
    MON,
    SUN,
    SYDNEY,
    at,
    hours,
    resolve,
    resolver,
)


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
