"""Call scripts: public holidays by country and state, the clinic's rules on them, is_open,
and clinic_info's answers to holiday questions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from diary.clock import FixedClock
from receptionist.agent import policy
from receptionist.agent.script import CallScript, clinic_info, demo_script, parse_script
from receptionist.agent.toolbox import Clinic
from tests.agent.test_script import ANCHOR, MINIMAL, SYDNEY, line_of, only_issue

# -- which days --------------------------------------------------------------------------------


def test_the_demo_clinic_keeps_nsw_public_holidays() -> None:
    script = demo_script()
    assert (script.country, script.state) == ("AU", "NSW")
    assert script.holidays_on(date(2026, 4, 3)) == ("Good Friday",)
    assert script.holidays_on(date(2026, 10, 5)) == ("Labour Day",)  # en_AU spelling
    assert script.holidays_on(date(2026, 4, 2)) == ()
    # Bank Holiday (first Monday of August) closes banks, not clinics.
    assert script.holidays_on(date(2026, 8, 3)) == ()


def test_without_a_state_only_national_holidays_are_known() -> None:
    script = parse_script(MINIMAL)
    assert script.state is None
    assert script.holidays_on(date(2026, 12, 25)) == ("Christmas Day",)
    assert script.holidays_on(date(2026, 6, 8)) == ()  # the King's Birthday is by state


@pytest.mark.parametrize(
    ("given", "code"), [("NSW", "NSW"), ("nsw", "NSW"), (" vic ", "VIC"), ("Queensland", "QLD")]
)
def test_state_is_a_code_or_name_the_library_knows(given: str, code: str) -> None:
    assert parse_script(MINIMAL + f"state: {given!r}\n").state == code


def test_an_unknown_state_is_an_issue_on_its_line() -> None:
    text = MINIMAL + "state: NWS\n"
    issue = only_issue(text)
    assert (issue.line, issue.path) == (line_of(text, "state:"), "state")
    assert "'NWS' is not a state of AU the holidays library knows (ACT, NSW," in issue.message
    assert "did you mean 'NSW'?" in issue.message


def test_a_state_where_the_library_has_none() -> None:
    text = MINIMAL.replace("country: AU", "country: IE") + "state: Dublin\n"
    issue = only_issue(text)
    assert issue.path == "state"
    assert "no states for IE; leave state out" in issue.message


# -- what the clinic does on them ----------------------------------------------------------------


def test_closed_on_public_holidays_by_default() -> None:
    script = demo_script()
    assert script.public_holidays.closed
    assert script.hours_on(date(2026, 4, 3)) == ()  # Good Friday
    assert script.hours_on(date(2026, 4, 2)) == script.hours.on(3)  # the Thursday before
    assert not script.is_open(datetime(2026, 4, 3, 10, 0))
    assert not script.is_open(datetime(2026, 4, 6, 10, 0))  # Easter Monday
    assert not script.is_open(datetime(2026, 12, 25, 10, 0))
    assert script.is_open(datetime(2026, 4, 7, 10, 0))


def test_is_open_reads_the_holiday_in_the_clinic_zone() -> None:
    script = demo_script()
    # 23:00 UTC on Thursday 2 April is 10:00 on Good Friday in Sydney, but 1 pm on the
    # Thursday in Honolulu.
    assert not script.is_open(datetime(2026, 4, 2, 23, 0, tzinfo=UTC), SYDNEY)
    assert script.is_open(datetime(2026, 4, 2, 23, 0, tzinfo=UTC), "Pacific/Honolulu")


def test_no_transfers_on_a_public_holiday() -> None:
    script = demo_script()
    assert script.can_transfer(datetime(2026, 4, 2, 10, 0))
    assert not script.can_transfer(datetime(2026, 4, 3, 10, 0))


def test_the_demo_opens_on_the_one_anzac_monday_its_diary_works() -> None:
    script = demo_script()
    assert script.holidays_on(date(2026, 4, 27)) == ("ANZAC Day (observed)",)
    assert script.is_open(datetime(2026, 4, 27, 10, 0))
    # That exception is for the date: the next year's Monday holiday is closed.
    assert script.holidays_on(date(2027, 4, 26)) == ("ANZAC Day (observed)",)
    assert not script.is_open(datetime(2027, 4, 26, 10, 0))


def nsw(extra: str) -> CallScript:
    return parse_script(MINIMAL + "state: NSW\n" + extra)


def test_open_on_a_named_holiday_with_its_hours() -> None:
    script = nsw('public_holidays:\n  open:\n    easter saturday: "09:00-11:00"\n')
    assert script.is_open(datetime(2026, 4, 4, 10, 0))
    assert not script.is_open(datetime(2026, 4, 4, 11, 30))
    assert not script.is_open(datetime(2026, 4, 3, 10, 0))  # Good Friday is still closed


def test_a_clinic_that_keeps_its_usual_hours_on_holidays() -> None:
    script = nsw("public_holidays:\n  closed: false\n  open:\n    Christmas Day: closed\n")
    assert script.is_open(datetime(2026, 4, 3, 10, 0))
    assert not script.is_open(datetime(2026, 12, 25, 10, 0))


def test_an_unknown_holiday_name_is_an_issue_on_its_line() -> None:
    text = MINIMAL + 'state: NSW\npublic_holidays:\n  open:\n    Easter Satuday: "09:00-12:00"\n'
    issue = only_issue(text)
    assert issue.line == line_of(text, "Easter Satuday")
    assert issue.path == "public_holidays.open.Easter Satuday"
    assert issue.message == (
        "AU-NSW has no public holiday called 'Easter Satuday' (did you mean 'Easter Saturday'?)"
    )


def test_a_holiday_of_another_state_is_an_issue() -> None:
    text = MINIMAL + 'state: VIC\npublic_holidays:\n  open:\n    Bank Holiday: "09:00-12:00"\n'
    assert "AU-VIC has no public holiday called 'Bank Holiday'" in only_issue(text).message


def test_a_date_that_is_no_holiday_is_an_issue() -> None:
    text = MINIMAL + 'state: NSW\npublic_holidays:\n  open:\n    "2026-04-28": "09:00-12:00"\n'
    issue = only_issue(text)
    assert issue.line == line_of(text, "2026-04-28")
    assert issue.message == "2026-04-28 is not a public holiday in AU-NSW"


def test_bad_holiday_hours_name_the_holiday() -> None:
    text = MINIMAL + "state: NSW\npublic_holidays:\n  open:\n    Good Friday: 9\n"
    issue = only_issue(text)
    assert issue.path == "public_holidays.open"
    assert issue.message.startswith("Good Friday: expected opening hours like '08:00-18:00'")


# -- clinic_info ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        (
            "are you open on Good Friday?",
            "Good Friday is on Friday 3 April 2026, and we're closed.",
        ),
        (
            "are you open Easter Monday",
            "Easter Monday is on Monday 6 April 2026, and we're closed.",
        ),
        (
            "open on Christmas Day?",
            "Christmas Day is on Friday 25 December 2026, and we're closed.",
        ),
        ("are you open christmas", "Christmas Day is on Friday 25 December 2026"),
        ("xmas hours", "Christmas Day is on Friday 25 December 2026"),
        ("boxing day", "Boxing Day is on Saturday 26 December 2026, and we're closed."),
        ("are you open new year's day", "New Year's Day is on Friday 1 January 2027"),
        ("open on new years", "New Year's Day is on Friday 1 January 2027"),
        ("australia day", "Australia Day is on Tuesday 26 January 2027, and we're closed."),
        (
            "open on the King's Birthday",
            "King's Birthday is on Monday 8 June 2026, and we're closed",
        ),
        ("kings birthday long weekend", "King's Birthday is on Monday 8 June 2026"),
        ("are you open queens birthday", "King's Birthday is on Monday 8 June 2026"),
        ("labor day", "Labour Day is on Monday 5 October 2026, and we're closed."),
        ("Good Friday?", "Good Friday is on Friday 3 April 2026"),
        ("do you work on good friday", "Good Friday is on Friday 3 April 2026"),
        (
            "Parramatta hours on good friday",
            "Good Friday is on Friday 3 April 2026, and Parramatta",
        ),
    ],
)
def test_holiday_questions_name_the_holiday_its_date_and_the_hours(
    topic: str, expected: str
) -> None:
    assert expected in clinic_info(demo_script(), topic, today=ANCHOR)


def test_anzac_day_and_its_monday_holiday() -> None:
    answer = clinic_info(demo_script(), "what are your hours on Anzac Day", today=ANCHOR)
    assert answer == (
        "Anzac Day is on Saturday 25 April 2026, and we're closed. The Anzac Day public holiday "
        "is on Monday 27 April 2026, and we're open 7 am to 8 pm."
    )


def test_the_next_occurrence_is_on_or_after_the_clinics_today() -> None:
    script = demo_script()
    assert "Friday 3 April 2026" in clinic_info(script, "good friday", today=date(2026, 4, 3))
    assert "Friday 26 March 2027" in clinic_info(script, "good friday", today=date(2026, 4, 4))
    # A holiday on a weekend, and its Monday: both said, closed on both.
    answer = clinic_info(script, "are you open on christmas day", today=date(2027, 12, 1))
    assert answer == (
        "Christmas Day is on Saturday 25 December 2027, and we're closed. The Christmas Day "
        "public holiday is on Monday 27 December 2027, and we're closed."
    )
    # Once the day itself has passed, next year's: not this year's observed Monday with it.
    answer = clinic_info(script, "anzac day", today=date(2026, 4, 26))
    assert answer.startswith("The Anzac Day public holiday is on Monday 27 April 2026")


def test_easter_is_the_easter_weekend() -> None:
    answer = clinic_info(demo_script(), "are you open over Easter?", today=ANCHOR)
    assert answer == (
        "Good Friday is on Friday 3 April 2026, and we're closed. Easter Saturday is on Saturday "
        "4 April 2026, and we're closed. Easter Sunday is on Sunday 5 April 2026, and we're "
        "closed. Easter Monday is on Monday 6 April 2026, and we're closed."
    )
    # Halfway through Easter, the rest of this one (not next year's Good Friday).
    answer = clinic_info(demo_script(), "easter hours", today=date(2026, 4, 5))
    assert answer.startswith("Easter Sunday is on Sunday 5 April 2026")
    assert "2027" not in answer


def test_a_weekday_that_is_a_public_holiday() -> None:
    script = demo_script()
    answer = clinic_info(script, "are you open on Monday?", today=date(2026, 4, 1))
    assert answer.startswith(
        "Monday 6 April 2026 is Easter Monday, a public holiday, and we're closed. "
        "Other Mondays, we're open 7 am to 8 pm."
    )
    # The same question in an ordinary week keeps the weekday's answer.
    answer = clinic_info(script, "are you open on Monday?", today=date(2026, 4, 8))
    assert answer.startswith("On Monday, we're open 7 am to 8 pm.")
    assert answer == clinic_info(script, "are you open on Monday?", today=ANCHOR)


def test_a_weekday_that_is_a_holidays_monday_and_several_days_at_once() -> None:
    script = demo_script()
    answer = clinic_info(script, "monday hours at parramatta", today=date(2027, 4, 20))
    assert answer == (
        "Monday 26 April 2027 is the Anzac Day public holiday, and Parramatta is closed. "
        "Other Mondays, Parramatta is open 9 am to 6 pm."
    )
    answer = clinic_info(script, "are you open saturday and monday", today=date(2026, 12, 20))
    assert answer.startswith(
        "On Monday, we're open 7 am to 8 pm. Saturday 26 December 2026 is Boxing Day, a public "
        "holiday, and we're closed. Other Saturdays, we're open 8 am to 12 pm."
    )


def test_today_or_tomorrow_when_it_is_a_holiday() -> None:
    script = demo_script()
    answer = clinic_info(script, "are you open tomorrow?", today=date(2026, 4, 2))
    assert answer.startswith(
        "Tomorrow, Friday 3 April 2026, is Good Friday, a public holiday, and we're closed."
    )
    answer = clinic_info(script, "are you open today", today=date(2026, 4, 6))
    assert answer.startswith("Today, Monday 6 April 2026, is Easter Monday, a public holiday")
    # An ordinary today is the week's hours, as before.
    assert "Monday to Thursday 7 am to 8 pm" in clinic_info(script, "open today", today=ANCHOR)


def test_public_holidays_in_general() -> None:
    answer = clinic_info(demo_script(), "are you open on public holidays?", today=ANCHOR)
    assert answer == (
        "We're closed on public holidays, except Monday 27 April 2026, 7 am to 8 pm. "
        "The next is Good Friday, on Friday 3 April 2026."
    )
    later = clinic_info(demo_script(), "public holidays", today=date(2026, 5, 1))
    assert later == (
        "We're closed on public holidays. The next is King's Birthday, on Monday 8 June 2026."
    )


@pytest.mark.parametrize(
    "topic",
    [
        "are you open on christmas eve",  # not Christmas Day
        "okay good, and what about friday",  # not Good Friday
        "are you open on saturday",
        "are you in australia",  # not Australia Day
    ],
)
def test_words_that_only_look_like_a_holiday(topic: str) -> None:
    answer = clinic_info(demo_script(), topic, today=ANCHOR)
    assert "public holiday" not in answer
    assert "2026" not in answer


def test_another_country_and_its_way_of_saying_dates() -> None:
    text = (
        MINIMAL.replace("country: AU", "country: US").replace("Test Physio", "Bay PT")
        + "state: CA\n"
    )
    script = parse_script(text)
    answer = clinic_info(script, "are you open on thanksgiving?", today=ANCHOR)
    assert answer == "Thanksgiving Day is on Thursday, November 26, 2026, and we're closed."
    assert script.holidays_on(date(2026, 3, 31)) == ("Cesar Chavez Day",)


# -- through the agent's tool path ----------------------------------------------------------------


@pytest.mark.anyio
async def test_the_tools_answer_for_the_clinics_own_today(clinic: Clinic) -> None:
    assert "Friday 3 April 2026" in policy.clinic_info(clinic, "open on good friday?")
    clinic.now = FixedClock(datetime(2026, 4, 5, 2, 0, tzinfo=UTC)).now  # 12 pm Sunday, Sydney
    assert "Friday 26 March 2027" in policy.clinic_info(clinic, "open on good friday?")
    answer = policy.clinic_info(clinic, "open on monday")
    assert answer.startswith("Tomorrow, Monday 6 April 2026, is Easter Monday, a public holiday")
