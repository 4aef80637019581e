"""Choosing among offered times and listed appointments: by what was named, never a guess."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from receptionist.agent.choosing import Option, pick
from tests.conftest import SYDNEY

TODAY = date(2026, 3, 2)  # a Monday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SYDNEY)


FOLLOW_UP = "Physiotherapy follow-up"
MASSAGE = "Remedial massage"

# Tuesday 9 am Sarah, Tuesday 4 pm Sarah, Thursday 11:45 Tom: the diary's usual spread.
OFFERS = [
    Option(at(3, 9), "Sarah Chen", FOLLOW_UP, "Surry Hills"),
    Option(at(3, 16), "Sarah Chen", FOLLOW_UP, "Surry Hills"),
    Option(at(5, 11, 45), "Tom Nguyen", FOLLOW_UP, "Parramatta"),
]
# Two appointments, as a caller who wants to cancel one hears them listed.
APPOINTMENTS = [
    Option(at(4, 10), "Sarah Chen", FOLLOW_UP, "Surry Hills"),
    Option(at(6, 16), "Priya Patel", MASSAGE, "Surry Hills"),
]


@pytest.mark.parametrize(
    ("said", "index"),
    [
        ("The Thursday one", 2),
        ("Thursday please", 2),
        ("the 11:45", 2),
        ("11.45 is good", 2),
        ("quarter to twelve", 2),
        ("eleven forty five", 2),
        ("the four o'clock one", 1),
        ("4pm", 1),
        ("the 4 pm please", 1),
        ("I'll take the four", 1),
        ("the one at four", 1),
        ("9 am", 0),
        ("the nine o'clock", 0),
        ("the morning one on Tuesday", 0),
        ("Tuesday afternoon", 1),
        ("the one with Tom", 2),
        ("Tom please", 2),
        ("the Parramatta one", 2),
        ("Thursday the 5th", 2),
        ("the 5th", 2),
        ("the fifth of March", 2),
        ("tomorrow at 4", 1),
        ("the first one", 0),
        ("the second", 1),
        ("the last one", 2),
        ("option two", 1),
        ("number three please", 2),
        ("the first Tuesday one", 0),
        ("the second Tuesday one", 1),
        ("3", 2),
        ("not the first one, the second", 1),
        ("the later one", 2),
    ],
)
def test_a_pick_by_what_was_named(said: str, index: int) -> None:
    choice = pick(said, OFFERS, TODAY)
    assert choice.index == index, choice


@pytest.mark.parametrize(
    ("said", "fits"),
    [
        ("Tuesday", (0, 1)),  # two on Tuesday: ask which
        ("the one with Sarah", (0, 1)),
        ("tomorrow", (0, 1)),
        ("Wednesday", ()),  # none on Wednesday: never the first
        ("the 2 o'clock", ()),
        ("with Priya", ()),
        ("the 10 am", ()),
        ("Friday at 4", ()),
    ],
)
def test_words_that_fit_none_or_several_pick_nothing(said: str, fits: tuple[int, ...]) -> None:
    choice = pick(said, OFFERS, TODAY, elsewhere=["Priya Patel", "James Wilson"])
    assert choice.index is None
    assert choice.heard
    assert choice.fits == fits


@pytest.mark.parametrize(
    "said",
    [
        "yes",
        "sounds good",
        "hmm",
        "what was that?",
        "",
        "um ok",
        "anything later?",
        "not the first",
    ],
)
def test_words_that_name_nothing_pick_nothing(said: str) -> None:
    choice = pick(said, OFFERS, TODAY)
    assert choice.index is None
    assert not choice.heard


@pytest.mark.parametrize(
    ("said", "index"),
    [
        ("Cancel the Friday one", 1),
        ("the massage", 1),
        ("the one with Priya", 1),
        ("my four o'clock", 1),
        ("the four o'clock one", 1),  # "one" is not the first
        ("the 10 o'clock", 0),
        ("Wednesday's", 0),
        ("the physio one", None),  # "physio" is not a whole word of either type
        ("the second one", 1),
        ("the Wednesday the 4th", 0),
    ],
)
def test_choosing_which_appointment(said: str, index: int | None) -> None:
    assert pick(said, APPOINTMENTS, TODAY).index == index


def test_a_date_is_not_read_as_a_time() -> None:
    offers = [
        Option(at(14, 14), "Sarah Chen", FOLLOW_UP),
        Option(at(16, 9), "Sarah Chen", FOLLOW_UP),
    ]
    assert pick("the 14 March one", offers, TODAY).index == 0
    assert pick("March 16", offers, TODAY).index == 1


def test_a_lone_digit_is_a_keypad_press() -> None:
    offers = [
        Option(at(3, 14), "Sarah Chen", FOLLOW_UP),
        Option(at(3, 15), "Sarah Chen", FOLLOW_UP),
    ]
    assert pick("2", offers, TODAY).index == 1  # the second option, not the 2 pm
    assert pick("3", offers, TODAY).index == 1  # no third option: the 3 pm
    assert pick("9", offers, TODAY).index is None


def test_an_hour_said_alone_is_that_hour_on_the_dot() -> None:
    offers = [
        Option(at(4, 12), "James O'Brien", FOLLOW_UP),
        Option(at(4, 13, 30), "James O'Brien", FOLLOW_UP),
        Option(at(4, 14, 30), "James O'Brien", FOLLOW_UP),
    ]
    assert pick("The 2 o'clock one", offers, TODAY).index is None  # not the 2:30
    assert pick("the two", offers, TODAY).index is None
    assert pick("half past two", offers, TODAY).index == 2
    assert pick("midday's good", offers, TODAY).index == 0
    assert pick("1:30", offers, TODAY).index == 1
