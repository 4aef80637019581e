"""Call scripts: weekly opening hours, is_open and transfers."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from receptionist.agent.script import (
    CallScript,
    demo_script,
    parse_script,
)
from tests.agent.test_script import MINIMAL, SYDNEY

# -- opening hours ----------------------------------------------------------------------------


def test_demo_hours_summary() -> None:
    script = demo_script()
    assert script.hours_summary() == (
        "Monday to Thursday 7 am to 8 pm, Friday 8 am to 6 pm, Saturday 8 am to 12 pm, "
        "closed Sunday"
    )


def _hours(**days: str) -> CallScript:
    text = MINIMAL
    for day, value in days.items():
        lines = [
            f"  {day}: {value}" if line.startswith(f"  {day}:") else line
            for line in text.splitlines()
        ]
        text = "\n".join(lines) + "\n"
    return parse_script(text)


def test_hours_summary_collapses_equal_days() -> None:
    assert _hours().hours_summary() == (
        "Monday to Friday 8 am to 6 pm, Saturday 8 am to 12 pm, closed Sunday"
    )
    split = _hours(
        tuesday='"08:30-12:00, 13:00-17:45"',
        saturday="closed",
        wednesday='"08:30-12:00,13:00-17:45"',
    )
    assert split.hours_summary() == (
        "Monday 8 am to 6 pm, Tuesday and Wednesday 8:30 am to 12 pm and 1 pm to 5:45 pm, "
        "Thursday and Friday 8 am to 6 pm, closed Saturday and Sunday"
    )
    every = _hours(saturday='"08:00-18:00"', sunday='"08:00-18:00"')
    assert every.hours_summary() == "every day 8 am to 6 pm"
    closed = dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), "closed")
    assert _hours(**closed, saturday="closed").hours_summary() == "closed every day"
    midnight = _hours(sunday='"00:00-00:30"')
    assert midnight.hours_summary().endswith("Sunday 12 am to 12:30 am")


def test_is_open_with_clinic_wall_time() -> None:
    script = demo_script()  # Monday 07:00-20:00, Saturday 08:00-12:00, Sunday closed
    assert script.is_open(datetime(2026, 3, 2, 7, 0))
    assert script.is_open(datetime(2026, 3, 2, 19, 59))
    assert not script.is_open(datetime(2026, 3, 2, 20, 0))  # closing time is exclusive
    assert not script.is_open(datetime(2026, 3, 2, 6, 59))
    assert script.is_open(datetime(2026, 3, 7, 11, 30))
    assert not script.is_open(datetime(2026, 3, 7, 12, 0))
    assert not script.is_open(datetime(2026, 3, 8, 10, 0))


def test_is_open_converts_aware_instants_to_the_clinic_zone() -> None:
    script = demo_script()
    # Sunday 21:00 UTC is Monday 08:00 in Sydney (AEDT, +11): open.
    sunday_night_utc = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)
    assert script.is_open(sunday_night_utc, SYDNEY)
    assert script.is_open(sunday_night_utc, ZoneInfo(SYDNEY))
    # The same instant is Sunday 21:00 in London: closed there.
    assert not script.is_open(sunday_night_utc, "Europe/London")
    # After daylight saving ends (5 April 2026) Sydney is +10: 21:00 UTC Sunday is 07:00 Monday
    # (13 April: the Monday before is Easter Monday, when the clinic is closed).
    assert script.is_open(datetime(2026, 4, 12, 21, 0, tzinfo=UTC), SYDNEY)
    assert not script.is_open(datetime(2026, 4, 12, 20, 59, tzinfo=UTC), SYDNEY)
    assert not script.is_open(datetime(2026, 4, 5, 21, 0, tzinfo=UTC), SYDNEY)


def test_is_open_needs_a_zone_for_aware_instants() -> None:
    script = demo_script()
    with pytest.raises(ValueError, match="clinic_zone"):
        script.is_open(datetime(2026, 3, 1, 21, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="unknown time zone"):
        script.is_open(datetime(2026, 3, 1, 21, 0, tzinfo=UTC), "Australia/Sydnee")


def test_can_transfer_only_with_a_number_and_during_hours() -> None:
    demo = demo_script()
    assert demo.can_transfer(datetime(2026, 3, 2, 9, 0))
    assert not demo.can_transfer(datetime(2026, 3, 8, 9, 0))  # Sunday
    assert not parse_script(MINIMAL).can_transfer(datetime(2026, 3, 2, 9, 0))  # no number
    anytime = parse_script(
        MINIMAL + 'transfer:\n  number: "+61255504321"\n  only_during_hours: false\n'
    )
    assert anytime.can_transfer(datetime(2026, 3, 8, 9, 0))
