"""What the guided engine reads in a caller's words: the request, names, days and choices.

Deterministic and small on purpose: keyword intents, names spotted against the clinic's own
lists (fuzzy, so speech-to-text spellings still match), the date/time words lifted out of a
sentence for the date resolver, a pick among offered times, and a name plus date of birth.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz

from pms_adapters.types import AppointmentType, Location, Practitioner
from receptionist.agent.matching import TYPE_SYNONYMS, fold, mentions

# -- names ----------------------------------------------------------------------------------

_ANYONE = ["anyone", "any one", "anybody", "whoever", "no preference", "dont mind", "any physio"]


def wants_anyone(text: str) -> bool:
    return mentions(text, _ANYONE)


def _words(text: str) -> list[str]:
    return fold(text).split()


def _word_hit(word: str, said: Sequence[str]) -> bool:
    if len(word) < 3:
        return False
    return any(fuzz.ratio(word, other) >= (100 if len(word) <= 4 else 84) for other in said)


def spot_practitioner(text: str, practitioners: Sequence[Practitioner]) -> Practitioner | None:
    said = _words(text)
    hits = [p for p in practitioners if any(_word_hit(w, said) for w in _words(p.name))]
    return hits[0] if len(hits) == 1 else None


def spot_location(text: str, locations: Sequence[Location]) -> Location | None:
    said = _words(text)
    hits = [loc for loc in locations if any(_word_hit(w, said) for w in _words(loc.name))]
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


# -- days and times -------------------------------------------------------------------------

_MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
]  # fmt: skip
_DAYS = [
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue",
    "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
]  # fmt: skip
_ANCHORS = set(_MONTHS) | set(_DAYS) | {
    "today", "tomorrow", "tonight", "morning", "arvo", "afternoon", "evening", "lunchtime",
    "lunch", "week", "weeks", "fortnight", "weekend", "month", "noon", "midday", "am", "pm",
    "asap", "soon", "soonest", "earliest", "days", "thing", "yesterday",
}  # fmt: skip
_CONNECTORS = {
    "next", "this", "on", "at", "the", "in", "after", "before", "around", "about", "by",
    "from", "of", "first", "early", "late", "later", "end", "half", "past", "quarter", "to",
    "oclock", "o", "clock", "day", "a", "two", "three", "four", "five", "six", "couple",
    "one", "ten", "eleven", "twelve", "seven", "eight", "nine", "or", "and", "any", "time",
    "possible", "as", "ish", "until", "till",
}  # fmt: skip
_ASAP_WORDS = {
    "as",
    "soon",
    "possible",
    "asap",
    "soonest",
    "earliest",
    "next",
    "available",
    "any",
    "time",
}
_EDGE = {"on", "at", "the", "in", "of", "to", "a", "or", "and", "by", "from", "as", "any"}
_TIME_TOKEN = re.compile(r"^(\d{1,2}(:\d{2})?(am|pm)?|\d{1,2}(st|nd|rd|th)|\d{1,2}/\d{1,2})$")


def when_phrase(text: str) -> str | None:
    """The day/time words in a sentence, in order ("next tuesday morning"), or None."""
    raw = re.sub(r"(\d)\s*([ap])\.?\s*m\b\.?", r"\1\2m", text.lower())
    raw = re.sub(r"(\d{1,2})[.:](\d{2})", r"\1:\2", raw)
    tokens = re.findall(
        r"[a-z]+(?:'[a-z]+)?|\d{1,2}(?::\d{2})?(?:am|pm|st|nd|rd|th)?(?:/\d{1,2})?", raw
    )
    tokens = [t.replace("'", "") for t in tokens]
    runs: list[list[str]] = [[]]
    for token in tokens:
        if token in _ANCHORS or token in _CONNECTORS or _TIME_TOKEN.match(token):
            runs[-1].append(token)
        elif runs[-1]:
            runs.append([])
    kept: list[str] = []
    for run in runs:
        if any(t in _ANCHORS or _TIME_TOKEN.match(t) for t in run):
            while run and run[0] in _EDGE:
                run.pop(0)
            while run and run[-1] in _EDGE:
                run.pop()
            kept.extend(run)
    if mentions(text, ["as soon as possible", "asap", "soonest", "earliest", "next available"]):
        rest = [t for t in kept if t not in _ASAP_WORDS]
        return " ".join(rest) if rest else "asap"
    return " ".join(kept) or None


# -- choosing among offers ------------------------------------------------------------------

_ORDINALS = {
    "first": 0, "1st": 0, "one": 0, "earliest": 0, "second": 1, "2nd": 1, "two": 1,
    "middle": 1, "third": 2, "3rd": 2, "three": 2,
}  # fmt: skip
_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\b")


def choose_ordinal(text: str, count: int) -> int | None:
    """ "The first one", "the second", "the last": a position in a list said aloud."""
    words = fold(text).split()
    for word in words:
        if word in ("last", "latest") and count > 1:
            return count - 1
        if word in _ORDINALS and word not in ("one", "two", "three") and _ORDINALS[word] < count:
            return _ORDINALS[word]
    return None


def choose(text: str, offered: Sequence[datetime]) -> int | None:
    """Which offered start (local datetimes, in order) the caller picked, if clear."""
    folded = fold(text)
    words = folded.split()
    if not offered:
        return None
    if words and words[0].isdigit() and len(words) == 1 and 1 <= int(words[0]) <= len(offered):
        return int(words[0]) - 1  # a keypad press
    for match in _TIME.finditer(text.lower()):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour > 23 or minute > 59:
            continue
        hits = [
            i for i, start in enumerate(offered)
            if start.minute == minute and start.hour % 12 == hour % 12
        ]  # fmt: skip
        if len(hits) == 1:
            return hits[0]
    for word in words:
        if word in ("last", "latest", "later one") and len(offered) > 1:
            return len(offered) - 1
        if word in _ORDINALS and _ORDINALS[word] < len(offered):
            if word in ("one", "two", "three") and "one" not in words[-2:]:
                continue
            return _ORDINALS[word]
    for i, start in enumerate(offered):
        day = start.strftime("%A").lower()
        if day in words and sum(1 for s in offered if s.strftime("%A").lower() == day) == 1:
            return i
    return None


# -- who is calling -------------------------------------------------------------------------

_DOB = re.compile(
    r"(\d{1,2}(?:st|nd|rd|th)?\s*(?:of\s+)?(?:" + "|".join(_MONTHS) + r")[a-z]*,?\s*\d{2,4}"
    r"|(?:" + "|".join(_MONTHS) + r")[a-z]*\s+\d{1,2}(?:st|nd|rd|th)?,?\s*\d{2,4}"
    r"|\d{1,4}[/\-.]\d{1,2}[/\-.]\d{1,4}"
    r"|\d{1,2}\s+\d{1,2}\s+\d{4})",
    re.IGNORECASE,
)
_NAME_NOISE = {
    "my", "name", "names", "is", "its", "it", "im", "i", "am", "this", "the", "and", "born",
    "on", "date", "of", "birth", "dob", "birthday", "yes", "yeah", "hi", "hello", "sure",
    "speaking", "here", "thanks", "thank", "you", "ok", "okay", "um", "uh", "er", "so",
    "well", "called", "call", "me", "from", "was", "in", "new", "patient",
}  # fmt: skip


def without_birth_date(text: str) -> str:
    """The words with any date of birth taken out (so it is not read as a booking day)."""
    return _DOB.sub(" ", text)


_INTRODUCED = re.compile(
    r"\b(?i:this is|my name is|my name's|name is|i'm|i am|it's)\s+"
    r"([A-Z][\w'\-]+)\s+([A-Z][\w'\-]+)"
)


def introduced_name(text: str) -> tuple[str, str] | None:
    """ "This is Mia Nguyen ...": the first and last name a caller gave for themselves."""
    named = _INTRODUCED.search(text)
    return (named.group(1), named.group(2)) if named else None


def introduced(text: str) -> Identity | None:
    """ "This is Sophie King, born 22 May 1977": a name introduced in passing, with its date."""
    named = _INTRODUCED.search(text)
    dob = _DOB.search(text)
    if named is None or dob is None:
        return None
    return Identity(named.group(1), named.group(2), dob.group(0))


@dataclass(frozen=True)
class Identity:
    first_name: str
    last_name: str
    date_of_birth: str | None


def identity(text: str) -> Identity | None:
    """A name of at least two words, and a date of birth if one was said."""
    dob_match = _DOB.search(text)
    dob = dob_match.group(0) if dob_match else None
    rest = text if dob_match is None else text[: dob_match.start()] + " " + text[dob_match.end() :]
    words = [
        w for w in re.findall(r"[^\W\d_]+(?:['\-][^\W\d_]+)*", rest)
        if w.lower().replace("'", "") not in _NAME_NOISE
    ]  # fmt: skip
    if len(words) < 2:
        return Identity("", "", dob) if dob else None
    first, last = words[0], " ".join(words[1:3]) if len(words) > 2 else words[1]
    if len(words) > 2:
        last = words[-1]
    return Identity(first.capitalize() if first.islower() else first,
                    last.capitalize() if last.islower() else last, dob)  # fmt: skip
