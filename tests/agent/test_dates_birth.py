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


# --- Said in words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("the fifth of July nineteen ninety", date(1990, 7, 5)),
        ("5th of July 1990", date(1990, 7, 5)),
        ("oh-five oh-seven ninety", date(1990, 7, 5)),  # 05/07/90, day first
        ("oh five oh seven nineteen ninety", date(1990, 7, 5)),
        ("zero five zero seven ninety", date(1990, 7, 5)),
        ("oh five oh seven one nine nine zero", date(1990, 7, 5)),
        ("July fifth, nineteen ninety", date(1990, 7, 5)),
        ("July the fifth nineteen ninety", date(1990, 7, 5)),
        ("twenty-third of March two thousand and one", date(2001, 3, 23)),
        ("twenty third of March two thousand one", date(2001, 3, 23)),
        ("fourteen three eighty-eight", date(1988, 3, 14)),
        ("the fourteenth of March nineteen eighty-eight", date(1988, 3, 14)),
        ("twelve four eighty-five", date(1985, 4, 12)),
        ("the first of June nineteen oh nine", date(1909, 6, 1)),
        ("second of June twenty twenty", date(2020, 6, 2)),
        ("first of May twenty ten", date(2010, 5, 1)),
        ("second of Feb ninety nine", date(1999, 2, 2)),
        ("the thirty first of December nineteen ninety nine", date(1999, 12, 31)),
        ("the twentieth of January two thousand", date(2000, 1, 20)),
        ("fifth of July, two thousand and twenty-five", date(2025, 7, 5)),
        ("I was born on the fifth of July nineteen ninety", date(1990, 7, 5)),
        # Two-digit years are never in the future: said on 2 March 2026.
        ("oh one oh one twenty five", date(2025, 1, 1)),
        ("oh one oh six twenty six", date(1926, 6, 1)),
        ("the first of June twenty-six", date(1926, 6, 1)),
        ("the second of March twenty six", date(2026, 3, 2)),  # born today
    ],
)
def test_date_of_birth_in_words(text: str, born: date) -> None:
    assert parse_date_of_birth(text, today=TODAY) == born


def test_date_of_birth_in_words_month_first() -> None:
    assert parse_date_of_birth("oh seven oh five ninety", today=TODAY, day_first=False) == date(
        1990, 7, 5
    )


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("the fifth of July", "And what year were you born?"),
        ("oh-five oh-seven", "And what year were you born?"),
        ("thirty first of February nineteen ninety", "Sorry, there's no 31 February."),
        ("the first of January twenty thirty", "That date is in the future."),
    ],
)
def test_date_of_birth_in_words_questions(text: str, question: str) -> None:
    with pytest.raises(DateQuestion) as raised:
        parse_date_of_birth(text, today=TODAY)
    assert raised.value.question.startswith(question)


@pytest.mark.parametrize("text", ["I'm forty-five", "two of us", "Room 4", "tomorrow at ten"])
def test_words_that_are_not_a_date_of_birth(text: str) -> None:
    with pytest.raises(DateNotUnderstood):
        parse_date_of_birth(text, today=TODAY)
