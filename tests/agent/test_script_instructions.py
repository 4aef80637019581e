"""Call scripts: the LLM's system instructions."""

from __future__ import annotations

from datetime import date

import pytest

from receptionist.agent.script import (
    demo_script,
    parse_script,
    render_instructions,
)
from tests.agent.test_script import DEMO_TYPES, MINIMAL, SYDNEY

# -- instructions -----------------------------------------------------------------------------


def test_render_instructions_for_the_demo_clinic() -> None:
    text = render_instructions(
        demo_script(), today=date(2026, 3, 2), clinic_zone=SYDNEY, appointment_types=DEMO_TYPES
    )
    for expected in [
        "You are Ruby",
        "Harbourside Physio",
        "Today is Monday 2 March 2026",
        "Sydney time (Australia/Sydney)",
        "one or two short sentences",
        "no markdown",
        "full name and date of birth",
        "Never reveal anything about anyone else",
        "find_availability the caller's own words",
        "Never work out dates yourself",
        "Offer only slots that find_availability returned",
        "read the details back",
        "confirmed=true",
        "only when the tool says so",
        "cancellation policy notice",
        "24 hours' notice",
        "can't reach the diary",
        "clinic_info",
        "Never give clinical advice",
        "call 000",
        "Clinical pilates assessment can't be booked by phone",
        "Transfer the call",
        "the caller asks to speak to a person",
        "Monday to Thursday 7 am to 8 pm",
    ]:
        assert expected in text, expected
    assert "Book by phone only: Initial physiotherapy consultation" in text
    # Facts come from clinic_info, not the instructions.
    assert "HICAPS" not in text
    assert "$125" not in text
    assert "Crown Street" not in text
    # Compact (the token budget is checked with bench/o200k.py; ~4 characters a token).
    assert len(text) < 3200
    assert "{{" not in text and "{%" not in text and "\n\n\n" not in text


def test_render_instructions_without_transfer_or_type_list() -> None:
    text = render_instructions(parse_script(MINIMAL), today=date(2026, 12, 25), clinic_zone=SYDNEY)
    assert "Today is Friday 25 December 2026" in text
    assert "Any appointment type can be booked by phone" in text
    assert "You can't transfer calls" in text
    assert "Transfer the call" not in text


def test_render_instructions_american_date_and_script_type_list() -> None:
    text = MINIMAL.replace("country: AU", "country: US") + "bookable_by_phone: [Massage]\n"
    rendered = render_instructions(
        parse_script(text), today=date(2026, 7, 4), clinic_zone="America/New_York"
    )
    assert "Today is Saturday, July 4, 2026" in rendered
    assert "New York time" in rendered
    assert "Book by phone only: Massage." in rendered
    assert "call 911" in rendered


def test_render_instructions_rejects_an_unknown_zone() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        render_instructions(demo_script(), today=date(2026, 3, 2), clinic_zone="Mars/Base")
