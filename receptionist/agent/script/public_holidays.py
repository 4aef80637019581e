"""Public holidays: which days they are (the `holidays` library, by the script's country and
state) and what the clinic does on them (the script's `public_holidays`).

The library knows each country's public holidays and, where they differ, each state's or
province's (`state: NSW` for New South Wales; ISO 3166-2 codes or the library's aliases). A
holiday's name is the library's, in the script's language where the library has it (en_AU
says "Labour Day", en_US "Labor Day"). A clinic is closed on public holidays unless it says
`closed: false`; `open:` lists the holidays it opens on anyway, by name (every year) or by
date (that day only, e.g. "2026-04-27"), with their hours.

Callers name holidays as they speak (`holidays_named`): folded, "labor" and "labour" alike,
"Christmas" for Christmas Day, "Queen's Birthday" for the King's, and a plural or a dropped
letter forgiven; "Easter" alone is the whole Easter weekend.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Annotated, NamedTuple, cast

import holidays
from pydantic import BeforeValidator, Field
from rapidfuzz import fuzz

from receptionist.agent.script.fields import ScriptModel
from receptionist.agent.script.hours import TimeRange, parse_day_hours


class HolidayHours(NamedTuple):
    """The hours (empty: closed) on the public holiday called `name`, or on the one date
    `name` gives in ISO form (2026-04-27)."""

    name: str
    hours: tuple[TimeRange, ...]

    @property
    def on(self) -> date | None:
        """The date this exception is for, if it names a date rather than a holiday."""
        try:
            return date.fromisoformat(self.name)
        except ValueError:
            return None


def _parse_open(value: object) -> object:
    """`{Easter Saturday: "08:00-12:00"}` -> (HolidayHours, ...); hours as for a weekday."""
    if isinstance(value, tuple):
        return value  # already parsed (built in Python)
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ValueError(
            'expected holiday names with their hours, e.g. Easter Saturday: "08:00-12:00"'
        )
    parsed: list[HolidayHours] = []
    for key, hours in value.items():
        # YAML reads an unquoted 2026-04-27 as a date: that is the date form, too.
        name = key.isoformat() if isinstance(key, date) else key
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{name!r} is not a holiday name")
        try:
            ranges = cast(tuple[TimeRange, ...], parse_day_hours(hours))
        except ValueError as exc:
            raise ValueError(f"{name.strip()}: {exc}") from None
        parsed.append(HolidayHours(name.strip(), ranges))
    return tuple(parsed)


class PublicHolidays(ScriptModel):
    """What the clinic does on public holidays."""

    closed: bool = Field(
        default=True, description="Closed on public holidays, except those listed under open."
    )
    open: Annotated[tuple[HolidayHours, ...], BeforeValidator(_parse_open)] = Field(
        default=(),
        description="Holidays the clinic opens on anyway, by name, with hours ('closed' too).",
    )

    def hours_on(
        self, day: date, names: Sequence[str], usual: tuple[TimeRange, ...]
    ) -> tuple[TimeRange, ...]:
        """The hours on `day`, which is the holidays `names` (none: an ordinary day, `usual`).
        An exception for that date comes before one for the holiday's name."""
        if not names:
            return usual
        wanted = {fold_name(name) for name in names}
        by_name = None
        for exception in self.open:
            if exception.on == day:
                return exception.hours
            if by_name is None and fold_name(exception.name) in wanted:
                by_name = exception.hours
        if by_name is not None:
            return by_name
        return () if self.closed else usual


def fold_name(name: str) -> str:
    """A holiday name for comparing: case, apostrophes and spacing aside."""
    return " ".join(
        re.findall(r"[a-z0-9]+", name.casefold().replace("\u2019", "'").replace("'", ""))
    )


# -- the library ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def known_states(country: str) -> tuple[str, ...] | None:
    """The state codes the library knows for `country` (None: no holidays for it at all)."""
    supported = holidays.list_supported_countries()
    if country not in supported:
        return None
    return tuple(supported[country])


def state_code(country: str, given: str) -> str:
    """The library's code for the state `given` (code or alias, any case) in `country`, or
    ValueError saying which states the library knows there."""
    states = known_states(country)
    if states is None:
        raise ValueError(f"the holidays library has no public holidays for {country}")
    if not states:
        raise ValueError(f"the holidays library has no states for {country}; leave state out")
    entity = holidays.country_holidays(country).__class__
    aliases: dict[str, str] = {**{s: s for s in states}, **entity.subdivisions_aliases}
    by_fold = {alias.casefold(): code for alias, code in aliases.items()}
    code = by_fold.get(given.strip().casefold())
    if code is not None:
        return code
    hint = difflib.get_close_matches(given.strip().casefold(), list(by_fold), n=1, cutoff=0.6)
    known = ", ".join(states)
    message = f"{given!r} is not a state of {country} the holidays library knows ({known})"
    if hint:
        message += f"; did you mean {by_fold[hint[0]]!r}?"
    raise ValueError(message)


@dataclass(frozen=True)
class HolidayCalendar:
    """The public holidays of one country (and state), named in one language."""

    country: str
    state: str | None = None
    language: str | None = None

    def year(self, year: int) -> dict[date, tuple[str, ...]]:
        """Every public holiday in `year`: date -> names (usually one)."""
        return _year(self.country, self.state, self.language, year)

    def on(self, day: date) -> tuple[str, ...]:
        """The public holidays on `day` (none on an ordinary day)."""
        return self.year(day.year).get(day, ())

    def names(self, years: Iterable[int]) -> set[str]:
        """Every holiday name the library gives in `years`."""
        return {name for year in years for names in self.year(year).values() for name in names}

    def upcoming(self, today: date, days: int = 400) -> list[tuple[date, str]]:
        """(date, name) for each holiday from `today` (included) for `days` days, in order."""
        last = today + timedelta(days=days)
        return [
            (day, name)
            for year in range(today.year, last.year + 1)
            for day, names in sorted(self.year(year).items())
            if today <= day <= last
            for name in names
        ]


@lru_cache(maxsize=32)
def holiday_calendar(country: str, state: str | None, language: str) -> HolidayCalendar:
    """The calendar for a script's country, state and BCP-47 language (the library's own
    language for the country when it has no names in `language`)."""
    if known_states(country) is None:
        return HolidayCalendar(country, state)
    supported = holidays.country_holidays(country).__class__.supported_languages
    wanted = language.replace("-", "_")
    chosen = next((lang for lang in (wanted, wanted.split("_")[0]) if lang in supported), None)
    return HolidayCalendar(country, state, chosen)


@lru_cache(maxsize=64)
def _year(
    country: str, state: str | None, language: str | None, year: int
) -> dict[date, tuple[str, ...]]:
    if known_states(country) is None:
        return {}
    calendar = holidays.country_holidays(
        country, subdiv=state, years=year, language=language, categories=holidays.PUBLIC
    )
    return {day: tuple(calendar.get_list(day)) for day in sorted(calendar)}


# -- holidays in what callers say ----------------------------------------------------------

# Words as speech-to-text writes them, mapped to the library's (both sides go through this).
_SPELLINGS = {
    "labor": "labour",
    "xmas": "christmas",
    "years": "year",
    "kings": "king",
    "queens": "king",  # callers still say the Queen's Birthday
    "queen": "king",
    "anzacs": "anzac",
    "sovereigns": "king",
}
_IGNORED = frozenset({"the", "s", "observed", "public"})
# "Christmas" is Christmas Day, but "Australia" is not Australia Day, "Labour" not Labour Day
# and "veterans" not Veterans Day: 'day' may be left out only after words said for nothing else.
_DAY_OPTIONAL_AFTER = frozenset(
    {"christmas", "anzac", "boxing", "year", "thanksgiving", "waitangi", "remembrance"}
)
_EASTER = ("easter", "good friday")


def _tokens(text: str) -> list[str]:
    words = fold_name(text).split()
    return [_SPELLINGS.get(word, word) for word in words if word not in _IGNORED]


def _same_word(said: str, name: str) -> bool:
    if said == name:
        return True
    return min(len(said), len(name)) >= 5 and fuzz.ratio(said, name) >= 88


def _said(key: Sequence[str], words: Sequence[str]) -> range | None:
    """Where the holiday name `key` occurs in `words` (a run, 'day' optional where it may be)."""
    for start in range(len(words)):
        at, matched = start, True
        for index, part in enumerate(key):
            if at < len(words) and _same_word(words[at], part):
                at += 1
            elif part == "day" and index and key[index - 1] in _DAY_OPTIONAL_AFTER:
                continue
            else:
                matched = False
                break
        if matched and at > start:
            if at < len(words) and words[at] == "eve":
                continue  # Christmas Eve is not Christmas Day
            return range(start, at)
    return None


class Mention(NamedTuple):
    """The holidays a caller named, the words left once they are taken out, and whether they
    named an occasion ("Easter") rather than the holidays themselves."""

    names: list[str]
    left: list[str]
    occasion: bool = False


def holidays_named(text: str, names: Iterable[str]) -> Mention:
    """Which of the holiday `names` a caller's `text` mentions (each name once; a holiday's
    "(observed)" day comes with it)."""
    words = _tokens(text)
    found: list[str] = []
    used: set[int] = set()
    by_key: dict[tuple[str, ...], list[str]] = {}
    for name in sorted(names):
        by_key.setdefault(tuple(_tokens(name)), []).append(name)
    # Longer names first, so "Easter Monday" is taken before any shorter name inside it.
    for key in sorted(by_key, key=len, reverse=True):
        span = _said(key, words)
        if span is not None and not used.intersection(span):
            used.update(span)
            found.extend(by_key[key])
    occasion = not found and "easter" in words
    if occasion:
        found = [n for n in sorted(names) if any(part in fold_name(n) for part in _EASTER)]
        used.update(i for i, word in enumerate(words) if word == "easter")
    left = [word for i, word in enumerate(words) if i not in used]
    return Mention(found, left, occasion)


def same_holiday(a: str, b: str) -> bool:
    """Is `a` the holiday `b`, or its observed day (or the other way round)?"""
    return _tokens(a) == _tokens(b)
