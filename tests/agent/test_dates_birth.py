"""Dates of birth as said or typed: `parse_date_of_birth`, digits and words."""

from __future__ import annotations

from datetime import date

import pytest

from receptionist.agent.dates import DateNotUnderstood, DateQuestion, parse_date_of_birth

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
