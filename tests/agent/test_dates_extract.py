"""Day/time words and dates of birth lifted out of whole sentences.

`when_phrase` must give words the resolver reads as the caller meant (checked by resolving
them at MON, Monday 2 March 2026, 08:00 in Sydney), and nothing for numbers that are not a
day or time. `split_birth_date` must find what `parse_date_of_birth` reads.
"""

from __future__ import annotations

from datetime import date

import pytest

from receptionist.agent.dates import parse_date_of_birth, split_birth_date, when_phrase
from tests.agent.test_dates import MON, resolve


@pytest.mark.parametrize(
    ("said", "phrase"),
    [
        # The guided engine's cases, kept as they were.
        ("I'd like a follow-up with Sarah next Tuesday morning please", "next tuesday morning"),
        ("Can I come in tomorrow after 3", "tomorrow after 3"),
        ("something on the 14th at 2pm", "14th at 2pm"),
        ("in two weeks", "two weeks"),
        ("as soon as possible", "asap"),
        ("a massage with Priya", None),
        # Words as speech-to-text gives them.
        ("I'd like a follow-up with Sarah tomorrow morning", "tomorrow morning"),
        (
            "Can I move my Thursday one to next Friday at half past ten please",
            "next friday at half past ten",
        ),
        ("could I come at four", "at four"),
        ("is four o'clock free", "four oclock"),
        ("eleven forty-five would be great", "eleven forty five"),
        ("maybe ten thirty on Friday", "ten thirty on friday"),
        ("nine a m tomorrow", "nine a m tomorrow"),
        ("can I come at 9 a.m. tomorrow", "9am tomorrow"),
        ("how about quarter to three", "quarter to three"),
        ("around midday", "around midday"),
        ("what about three thirty", "three thirty"),
        ("nine in the morning please", "nine in the morning"),
        ("um tomorrow, er, at three", "tomorrow at three"),
        ("the twenty first if you can", "twenty first"),
        ("March the third", "march the third"),
        ("on the third", "third"),
        ("I'd like to book for the fourteenth of December", "fourteenth of december"),
        ("something a week from today", "a week from today"),
        ("in a fortnight please", "a fortnight"),
        ("sometime in a couple of days", "a couple of days"),
        ("first thing Monday", "first thing monday"),
        ("the week after next is best", "week after next"),
        ("Monday week at ten thirty", "monday week at ten thirty"),
        ("towards the end of the month", "end of the month"),
        ("the 5th of May", "5th of may"),
        ("earliest available with Tom", "asap"),
        # Not a day or time.
        ("I'm forty-five", None),
        ("there's two of us", None),
        ("I'm in Room 4", None),
        ("my number is 0412 345 678", None),
        ("I need two appointments", None),
        ("I may be a bit late", None),
        ("the second one please", None),
        ("cancel the four o'clock one", None),
        ("cancel my Thursday appointment", None),
        ("I've had back pain for two weeks", None),
        ("it started two weeks ago", None),
        ("I saw her last Tuesday", None),
        ("I've been in pain since Monday", None),
    ],
)
def test_when_phrase(said: str, phrase: str | None) -> None:
    assert when_phrase(said) == phrase


@pytest.mark.parametrize(
    ("said", "description"),
    [
        (
            "Can I move my Thursday one to next Friday at half past ten please",
            "Friday 6 March, at 10:30 am",
        ),
        (
            "I'd like a follow-up with Sarah tomorrow morning",
            "tomorrow, Tuesday 3 March, in the morning",
        ),
        ("eleven forty-five would be great", "today, Monday 2 March, at 11:45 am"),
        ("a week from today if possible", "Monday 9 March"),
        ("in a fortnight please", "in about two weeks, Saturday 14 to Wednesday 18 March"),
        ("the twenty first if you can", "Saturday 21 March"),
        ("March the third", "tomorrow, Tuesday 3 March"),
        ("could we do quarter past nine on the 14th", "Saturday 14 March, at 9:15 am"),
        ("two p m tomorrow", "tomorrow, Tuesday 3 March, at 2 pm"),
    ],
)
def test_when_phrase_resolves_as_meant(said: str, description: str) -> None:
    phrase = when_phrase(said)
    assert phrase is not None
    assert resolve(MON, phrase).description == description


TODAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("said", "found", "rest", "born"),
    [
        (
            "Olivia Smith, the fourteenth of March nineteen eighty-eight",
            "the fourteenth of March nineteen eighty-eight",
            "Olivia Smith, ",
            date(1988, 3, 14),
        ),
        (
            "It's Olivia Smith, 14 March 1988",
            "14 March 1988",
            "It's Olivia Smith, ",
            date(1988, 3, 14),
        ),
        ("Zoë Müller 9/1/1994", "9/1/1994", "Zoë Müller ", date(1994, 1, 9)),
        ("Ken Wu, 1985-04-12", "1985-04-12", "Ken Wu, ", date(1985, 4, 12)),
        ("Ava Day 12.4.85", "12.4.85", "Ava Day ", date(1985, 4, 12)),
        (
            "This is Sophie King, born 22 May 1977",
            "22 May 1977",
            "This is Sophie King, born ",
            date(1977, 5, 22),
        ),
        (
            "Jack Brown oh-five oh-seven ninety",
            "oh-five oh-seven ninety",
            "Jack Brown ",
            date(1990, 7, 5),
        ),
        (
            "Mia Nguyen, fourteen three eighty-eight",
            "fourteen three eighty-eight",
            "Mia Nguyen, ",
            date(1988, 3, 14),
        ),
        (
            "Tom Lee born July fifth, nineteen ninety thanks",
            "July fifth, nineteen ninety",
            "Tom Lee born  thanks",
            date(1990, 7, 5),
        ),
        (
            "twenty-third of March two thousand and one",
            "twenty-third of March two thousand and one",
            "",
            date(2001, 3, 23),
        ),
        ("Ben Ho, 5th of July 1990.", "5th of July 1990", "Ben Ho, .", date(1990, 7, 5)),
        (
            "Mary May, the second of May nineteen fifty",
            "the second of May nineteen fifty",
            "Mary May, ",
            date(1950, 5, 2),
        ),
    ],
)
def test_split_birth_date(said: str, found: str, rest: str, born: date) -> None:
    assert split_birth_date(said) == (found, rest)
    assert parse_date_of_birth(found, today=TODAY) == born


def test_split_birth_date_keeps_an_impossible_date_for_the_question() -> None:
    assert split_birth_date("Ann Lee 31 February 1990") == ("31 February 1990", "Ann Lee ")


@pytest.mark.parametrize(
    "said",
    [
        "Olivia Smith",
        "I'm forty-five",
        "two of us",
        "Room 4",
        "call me on 0412 345 678",
        "Olivia Smith, booking for the 14th of March",  # no year: a booking day
        "tomorrow at ten thirty",
    ],
)
def test_split_birth_date_finds_none(said: str) -> None:
    assert split_birth_date(said) == (None, said)
