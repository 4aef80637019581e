"""Dates of birth, as said or typed: digits or words, day first or month first.

Unlike appointment days, a birth date is a plain calendar date with no zone, and it must be in
the past: a two-digit year is read in the century that makes the caller 0 to
`TWO_DIGIT_YEAR_MAX_AGE` years old, so "oh-five oh-seven ninety" is 5 July 1990 and, said in
2026, "3/3/26" is 1926, never a birthday still to come.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from receptionist.agent.dates.windows import (
    DOB_MAX_AGE_YEARS,
    TWO_DIGIT_YEAR_MAX_AGE,
    DateNotUnderstood,
    DateQuestion,
    _valid_date,
)
from receptionist.agent.dates.words import _MONTH_NAMES, _MONTHS, _numbers_to_digits

_DOB_AGAIN = "Could you tell me your date of birth again, with the day, month and year?"


def parse_date_of_birth(text: str, *, today: date, day_first: bool = True) -> date:
    """A date of birth as said or typed: "12 April 1985", "12th of April 1985", "April 12 1985",
    "12/04/1985", "12-4-85", "1985-04-12", "12 4 1985", "twelfth of April nineteen eighty-five",
    "April twelfth, eighty-five", "twelve four eighty-five", "oh-five oh-seven ninety" (05/07/90),
    "third of March two thousand and five", "nineteen oh five", "one nine eight five".

    A two-digit year is put in the century that makes the caller 0 to 110 years old and not yet
    to be born. A date in the future or more than 120 years ago, an impossible date or one
    without a year raises DateQuestion; anything else unreadable raises DateNotUnderstood.
    """
    day, month, year_text = _birth_parts(text, day_first)
    if not 1 <= month <= 12:
        raise DateQuestion(f"Sorry, I didn't catch that date. {_DOB_AGAIN}")
    born = _valid_date(_dob_year(year_text, month, day, today), month, day)
    if born is None:
        raise DateQuestion(f"Sorry, there's no {day} {_MONTHS[month - 1].title()}. {_DOB_AGAIN}")
    if born > today:
        raise DateQuestion(f"That date is in the future. {_DOB_AGAIN}")
    if _age(born, today) > DOB_MAX_AGE_YEARS:
        raise DateQuestion(f"That would make you over {DOB_MAX_AGE_YEARS}. {_DOB_AGAIN}")
    return born


def _birth_parts(text: str, day_first: bool) -> tuple[int, int, str]:
    """Day, month and the year as said (2 or 4 digits) of a date-of-birth-shaped phrase.

    Raises DateNotUnderstood when the words are not day, month and year, and DateQuestion when
    the year is missing; the month may still be out of range.
    """
    tokens = _dob_tokens(text)
    months = [_MONTH_NAMES[t] for t in tokens if t in _MONTH_NAMES]
    numbers = [t for t in tokens if t.isdigit()]
    if len(months) > 1 or len(tokens) != len(months) + len(numbers):
        raise DateNotUnderstood("Sorry, I didn't catch that date of birth.")
    if months:
        day_text, year_text = _dob_day_and_year(numbers)
        return int(day_text), months[0], year_text
    day_text, month_text, year_text = _dob_numeric(numbers, day_first)
    return int(day_text), int(month_text), year_text


def _dob_tokens(text: str) -> list[str]:
    """Words and numbers of a date of birth, fillers and ordinal endings gone."""
    text = re.sub(r"[\u2018\u2019'.,/\\-]", " ", text.lower())
    text = " ".join(_numbers_to_digits(text.split()))
    text = re.sub(r"\b(\d{1,2})(?:st|nd|rd|th)\b", r"\1", text)
    text = re.sub(r"\b([12]) (\d) (\d) (\d)\b", r"\1\2\3\4", text)  # "one nine eight five"
    text = re.sub(r"\b(?:oh|o|0) (\d)\b", r"0\1", text)  # "oh five", "nineteen oh five"
    text = re.sub(r"\b(19|20) (\d{2})\b(?! \d)", r"\1\2", text)  # "nineteen eighty five"
    text = re.sub(r"\b2 thousand(?: and)?(?: (\d{1,2}))?\b", _two_thousand, text)
    fillers = {"the", "of", "on", "in", "born", "i", "was", "its", "it", "is", "um", "uh", "er"}
    return [t for t in text.split() if t not in fillers]


def _two_thousand(match: re.Match[str]) -> str:
    return str(2000 + int(match[1] or 0))


def _dob_day_and_year(numbers: Sequence[str]) -> tuple[str, str]:
    if len(numbers) == 1 and len(numbers[0]) <= 2:
        raise DateQuestion("And what year were you born?")
    if len(numbers) != 2:
        raise DateNotUnderstood("Sorry, I didn't catch that date of birth.")
    first, second = numbers
    return (second, first) if len(first) == 4 else (first, second)


def _dob_numeric(numbers: Sequence[str], day_first: bool) -> tuple[str, str, str]:
    if len(numbers) == 2 and all(len(n) <= 2 for n in numbers):
        raise DateQuestion("And what year were you born?")
    if len(numbers) != 3:
        raise DateNotUnderstood("Sorry, I didn't catch that date of birth.")
    if len(numbers[0]) == 4:  # 1985-04-12
        year, month, day = numbers
        return day, month, year
    first, second, year = numbers
    day, month = (first, second) if day_first else (second, first)
    if int(month) > 12 >= int(day):  # only the other reading is a date
        day, month = month, day
    return day, month, year


def _dob_year(text: str, month: int, day: int, today: date) -> int:
    if len(text) == 4:
        return int(text)
    if len(text) > 2:
        raise DateNotUnderstood("Sorry, I didn't catch the year.")
    year = today.year // 100 * 100 + int(text)
    birthday = _valid_date(year, month, min(day, 28)) or date(year, month, 1)
    if birthday > today:
        year -= 100
    if today.year - year > TWO_DIGIT_YEAR_MAX_AGE:
        raise DateQuestion(f"Sorry, which year was that? {_DOB_AGAIN}")
    return year


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
