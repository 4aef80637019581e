"""What the guided engine reads in a caller's words: the request, names, days and choices.

Deterministic and small on purpose: names spotted against the clinic's own lists (fuzzy, so
speech-to-text spellings still match), the kind of appointment, a name plus date of birth, and
a time said on its own refining a day said earlier. Intents are in `intents`, picks among
offers in `receptionist.agent.choosing`, day and time words in `receptionist.agent.dates`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pms_adapters.types import AppointmentType, Location, Practitioner
from receptionist.agent.choosing import name_said, names_a_day
from receptionist.agent.dates import split_birth_date
from receptionist.agent.matching import TYPE_SYNONYMS, fold, mentions

# -- names ----------------------------------------------------------------------------------

_ANYONE = ["anyone", "any one", "anybody", "whoever", "no preference", "dont mind", "any physio"]


def wants_anyone(text: str) -> bool:
    return mentions(text, _ANYONE)


def _words(text: str) -> list[str]:
    return fold(text).split()


def spot_practitioner(text: str, practitioners: Sequence[Practitioner]) -> Practitioner | None:
    """The one practitioner whose name was said, if exactly one was."""
    hits = [p for p in practitioners if name_said(fold(text), p.name)]
    return hits[0] if len(hits) == 1 else None


def spot_location(text: str, locations: Sequence[Location]) -> Location | None:
    """The one location whose name was said, if exactly one was."""
    hits = [loc for loc in locations if name_said(fold(text), loc.name)]
    return hits[0] if len(hits) == 1 else None


_FIRST_VISIT = re.compile(
    r"\b(first|new patient|new)\s+(visit|appointment|consult\w*|session|time)\b"
)


def spot_type(text: str, types: Sequence[AppointmentType]) -> AppointmentType | None:
    """The type whose distinctive words (or a synonym of them) the caller used."""
    text = _FIRST_VISIT.sub("initial", fold(text))
    said = {TYPE_SYNONYMS.get(word, word) for word in _words(text)}
    said |= {fold(TYPE_SYNONYMS.get(word, word)) for word in _words(text)}
    counts: dict[str, int] = {}
    for kind in types:
        for word in set(_words(kind.name)):
            counts[word] = counts.get(word, 0) + 1
    hits = []
    for kind in types:
        distinctive = {w for w in _words(kind.name) if counts[w] == 1}
        distinctive |= {fold(w) for w in distinctive}
        if {"follow", "up"} <= set(_words(kind.name)):
            distinctive.add("follow up")
        if said & distinctive or any(fold(s) in distinctive for s in said):
            hits.append(kind)
    return hits[0] if len(hits) == 1 else None


# -- who is calling -------------------------------------------------------------------------

# "with Dr Robertson", "see Robertson": a name we don't know is still passed on, so the
# caller hears who we do have instead of being silently booked with someone else.
NAMED = re.compile(
    r"\b(?:with|see)\s+(?:dr\.?\s+|doctor\s+)?([A-Z][a-z'\-]+)|\b(?:dr\.?|doctor)\s+([A-Z][a-z'\-]+)"
)


_NAME_NOISE = {
    "my", "name", "names", "is", "its", "it", "im", "i", "am", "this", "the", "and", "born",
    "on", "date", "of", "birth", "dob", "birthday", "yes", "yeah", "hi", "hello", "sure",
    "speaking", "here", "thanks", "thank", "you", "ok", "okay", "um", "uh", "er", "so",
    "well", "called", "call", "me", "from", "was", "in", "new", "patient", "oh", "ah", "sorry",
    "righto", "right", "actually", "yep", "yup", "gday", "hiya", "hey", "mate", "please",
    "thats", "that", "just", "umm", "erm", "cheers", "good", "morning", "afternoon",
    "there", "no", "nah", "certainly", "course", "a", "an", "to", "for", "can", "could", "be",
    "with", "want", "like", "book", "need", "get", "see", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "today", "tomorrow", "next",
    "week", "evening", "arvo", "january", "february", "march", "april", "june", "july",
    "august", "september", "october", "november", "december", "follow", "up", "appointment",
}  # fmt: skip


def without_birth_date(text: str) -> str:
    """The words with any date of birth taken out (so it is not read as a booking day)."""
    return split_birth_date(text)[1]


_INTRODUCED = re.compile(
    r"\b(?i:this is|my name is|my name's|name is|i'm|i am|it's)\s+"
    r"([A-Z][\w'\-]+)\s+([A-Z][\w'\-]+)"
    r"|\b([A-Z][\w'\-]+)\s+([A-Z][\w'\-]+)\s+(?i:here|speaking)\b"
)


def _name_groups(named: re.Match[str]) -> tuple[str, str]:
    first, last = named.group(1, 2) if named.group(1) else named.group(3, 4)
    return first, last


def introduced_name(text: str) -> tuple[str, str] | None:
    """ "This is Mia Nguyen ...": the first and last name a caller gave for themselves."""
    named = _INTRODUCED.search(text)
    return _name_groups(named) if named else None


def introduced(text: str) -> Identity | None:
    """ "This is Sophie King, born 22 May 1977": a name introduced in passing, with its date."""
    named = _INTRODUCED.search(text)
    dob, _ = split_birth_date(text)
    if named is None or dob is None:
        return None
    return Identity(*_name_groups(named), dob)


@dataclass(frozen=True)
class Identity:
    first_name: str
    last_name: str
    date_of_birth: str | None


def identity(text: str) -> Identity | None:
    """A name of at least two words, and a date of birth if one was said."""
    dob, rest = split_birth_date(text)
    rest = NAMED.sub(" ", rest)  # "with Sarah" names a practitioner, not the caller
    words = [
        w for w in re.findall(r"[^\W\d_]+(?:['\-][^\W\d_]+)*", rest)
        if w.lower().replace("'", "") not in _NAME_NOISE
    ]  # fmt: skip
    if len(words) < 2:
        return Identity("", "", dob) if dob else None
    capitalised = [w for w in words if w[:1].isupper()]
    if len(capitalised) >= 2 and len(capitalised) < len(words):
        words = capitalised  # "ok so it's Jack Williams": the name is what is capitalised
    first, last = words[0], " ".join(words[1:3]) if len(words) > 2 else words[1]
    if len(words) > 2:
        last = words[-1]
    return Identity(first.capitalize() if first.islower() else first,
                    last.capitalize() if last.islower() else last, dob)  # fmt: skip


# -- a time said after a day ------------------------------------------------------------

_DAY_WORD = re.compile(
    r"(?:today|tomorrow|tonight|next|this|week|weeks|fortnight|weekend|month|from|a|the|of|"
    r"after|in|two|couple|(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?s?|"
    r"\d{1,2}(?:st|nd|rd|th)?|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"eleventh|twelfth|\w+teenth|twentieth|twenty|thirtieth|thirty|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)"
)
_CONNECTOR = {"from", "a", "the", "of", "after", "in"}


def _day_part(phrase: str, today: date) -> str:
    """The words of a phrase that name its day ("next monday" of "first thing next monday")."""
    runs: list[list[str]] = [[]]
    for word in phrase.split():
        if _DAY_WORD.fullmatch(word):
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    for run in runs:
        while run and run[-1] in _CONNECTOR:
            run.pop()
        while run and run[0] in _CONNECTOR - {"a"}:
            run.pop(0)
        if run and names_a_day(" ".join(run), today):
            return " ".join(run)
    return ""


def refine_when(before: str | None, said: str, today: date) -> str:
    """A time said on its own refines the day already asked for ("Wednesday evening", then
    "six o'clock" is Wednesday at six), rather than replacing it with today at six."""
    if before is None or names_a_day(said, today):
        return said
    day = _day_part(before, today)
    if not day:
        return said
    joiner = " at " if said[:1].isdigit() or said.split()[0] in _NUMBER_WORDS else " "
    return f"{day}{joiner}{said}"


_NUMBER_WORDS = {
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "half", "quarter", "noon", "midday",
}  # fmt: skip
