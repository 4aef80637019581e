"""Call scripts: clinic_info's spoken answers about the clinic."""

from __future__ import annotations

import pytest

from receptionist.agent.script import (
    NO_INFORMATION,
    clinic_info,
    clinic_info_topics,
    demo_script,
    parse_script,
)
from tests.agent.test_script import ANCHOR, MINIMAL

# -- clinic facts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("opening hours", "We're open Monday to Thursday 7 am to 8 pm"),
        ("are you open on Saturday?", "On Saturday, we're open 8 am to 12 pm"),
        ("hours at Parramatta", "Parramatta is open Monday to Friday 9 am to 6 pm"),
        ("address", "Surry Hills is at 12 Crown Street"),
        ("where is the Parramatta clinic", "Parramatta is at 88 Church Street"),
        ("directions to Surry Hills", "Central Station"),
        ("parking", "At Parramatta, there are three free patient spaces"),
        ("parking at surry hills", "street parking on Crown Street"),
        ("prices", "A 45-minute initial physiotherapy consultation is $125"),
        ("how much is a remedial massage", "A 60-minute remedial massage is $130."),
        ("cancellation policy", "24 hours' notice"),
        ("new patients", "New patients are very welcome"),
        ("do I need a referral", "you don't need a referral"),
        ("health fund rebate", "HICAPS"),
        ("Medicare EPC plan", "Medicare pays a rebate"),
        ("DVA gold card", "DVA Gold and White Card"),
        ("what should I wear", "comfortable"),
        ("how long is the first appointment", "about 45 minutes"),
        ("workers compensation", "certificate of capacity"),
        ("emergency", "call 000"),
    ],
)
def test_clinic_info_answers(topic: str, expected: str) -> None:
    answer = clinic_info(demo_script(), topic, today=ANCHOR)
    assert expected in answer
    assert len(answer) < 400


def test_clinic_info_single_price_is_just_that_price() -> None:
    answer = clinic_info(demo_script(), "how much is a remedial massage")
    assert answer == "A 60-minute remedial massage is $130."


@pytest.mark.parametrize("topic", ["do you do dry needling", "is there a cafe nearby", "", "??"])
def test_clinic_info_says_when_it_does_not_know(topic: str) -> None:
    assert clinic_info(demo_script(), topic) == NO_INFORMATION


def test_clinic_info_without_locations_or_prices() -> None:
    script = parse_script(MINIMAL)
    assert clinic_info(script, "prices") == NO_INFORMATION
    assert clinic_info(script, "parking") == NO_INFORMATION
    assert "Monday to Friday 8 am to 6 pm" in clinic_info(script, "hours")


def test_clinic_info_topics_list_the_faqs() -> None:
    topics = clinic_info_topics(demo_script())
    assert topics[:6] == [
        "opening hours",
        "public holidays",
        "address",
        "directions",
        "parking",
        "prices",
    ]
    assert "Do I need a referral?" in topics
