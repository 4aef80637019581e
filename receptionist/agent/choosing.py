"""Which of the offered times (or listed appointments) did the caller mean?

Callers pick by what they heard: "the Thursday", "the four o'clock one", "the 11:45", "the one
with Tom", "the massage", "the Parramatta one", "tomorrow's". Those words are weighed first,
all of them together; a position ("the first one", "the second", "the last") counts only
when nothing else in the words identifies an option. When the words fit none of the options,
or several, there is no choice: the caller is asked again with the candidates named. Nothing
here ever falls back to the first option.

Pure functions over `Option`s (local start, practitioner, type, location names), so the
guided engine and the tools' guard for model engines decide the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rapidfuzz import fuzz

from receptionist.agent.dates import DAY_ORDINALS, MONTH_NAMES, WEEKDAY_NAMES
from receptionist.agent.matching import fold


@dataclass(frozen=True)
class Option:
    """One offered slot or listed appointment as the caller heard it (local time)."""

    starts: datetime
    practitioner: str
    type: str
    location: str | None = None


@dataclass(frozen=True)
class Choice:
    """The option picked (`index`), or none; `fits` names the options the words still fit.

    `heard` says whether the words said anything that identifies options at all: with
    nothing heard, the caller is asked to choose; with words that fit none or several, the
    caller is asked again with those candidates named.
    """

    index: int | None
    fits: tuple[int, ...] = ()
    heard: bool = False


# Day and month words come from the date resolver's vocabulary, so both read them alike.
_WEEKDAYS = WEEKDAY_NAMES
_MONTHS = MONTH_NAMES
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_MINUTES = {
    "oh five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "twenty five": 25, "thirty": 30,
    "thirty five": 35, "forty": 40, "forty five": 45, "fifty": 50, "fifty five": 55,
}  # fmt: skip
_ORDINAL_WORDS = {
    "first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "1st": 0, "2nd": 1,
    "3rd": 2, "4th": 3, "5th": 4,
}  # fmt: skip
_DAY_ORDINALS = DAY_ORDINALS
_PARTS = {
    "morning": (0, 12), "afternoon": (12, 17), "arvo": (12, 17), "evening": (17, 24),
    "lunchtime": (11, 14),
}  # fmt: skip
_NUMBER = "|".join(_NUMBERS)
_MONTH = "|".join(_MONTHS)
_MINUTE = "|".join(sorted(_MINUTES, key=len, reverse=True))


@dataclass(frozen=True)
class _Time:
    hour: int  # 1-12 when `pm` is None, else 0-23
    minute: int | None
    pm: bool | None

    def fits(self, moment: datetime) -> bool:
        # An hour said alone ("four", "the 2 o'clock") is that hour on the dot: 4:15 is
        # not a guess we make for the caller.
        if moment.minute != (self.minute or 0):
            return False
        if self.pm is None:
            return moment.hour % 12 == self.hour % 12
        return moment.hour == self.hour


def _times(text: str) -> list[_Time]:
    """Clock times in the words: '4', '4pm', '11:45', 'four o'clock', 'half past ten'."""
    found: list[_Time] = []
    spoken = f" {text} "

    def add(hour: int, minute: int | None, suffix: str | None) -> None:
        if not 0 <= hour <= 23 or (minute is not None and not 0 <= minute <= 59):
            return
        pm: bool | None = None
        if suffix:
            pm = suffix.startswith("p")
            hour = hour % 12 + (12 if pm else 0)
        elif hour > 12 or hour == 0:
            pm = hour >= 12
        found.append(_Time(hour, minute, pm))

    taken: list[tuple[int, int]] = []  # "half past ten": its "ten" is not a time of its own
    for m in re.finditer(rf"\b(half|quarter) (past|to) ({_NUMBER}|\d{{1,2}})\b", spoken):
        taken.append(m.span())
        hour = _NUMBERS.get(m.group(3)) or int(m.group(3))
        past = 30 if m.group(1) == "half" else 15
        if m.group(2) == "to":
            hour, past = (hour - 1) or 12, 60 - past
        add(hour, past, None)
    for m in re.finditer(r"\b(\d{1,2})(?: (\d{2}))?(?: ?([ap]) ?m)?(?!\w)(?: o clock)?", text):
        if any(start <= m.start() + 1 < end for start, end in taken):
            continue
        after, before = text[m.end() :], text[: m.start()]
        if not (m.group(2) or m.group(3)) and (
            re.match(rf" (?:of )?(?:{_MONTH})\b", after) or re.search(rf"\b(?:{_MONTH}) $", before)
        ):
            continue  # "14 March", "March 14": a date, not a time
        add(int(m.group(1)), int(m.group(2)) if m.group(2) else None, m.group(3))
    for m in re.finditer(
        rf"\b({_NUMBER})(?: ({_MINUTE}|o ?clock))?(?: ([ap]) ?m)?\b(?! (?:of|weeks?|days?))",
        spoken,
    ):
        if any(start <= m.start() < end for start, end in taken):
            continue
        minute_words = m.group(2)
        minute: int | None = None
        if minute_words and "clock" in minute_words:
            minute = 0
        elif minute_words:
            minute = _MINUTES[minute_words]
        bare = minute is None and m.group(3) is None
        lead = _AT_ONE if m.group(1) == "one" else _AT_HOUR
        subject = (
            m.group(1) != "one"
            and _SUITS.match(spoken[m.end() :])
            and not re.search(r"\b(?:number|option)\s*$", spoken[: m.start()])
        )
        if bare and not lead.search(spoken[: m.start()]) and not subject:
            continue  # "the two of us", "the first one": a bare number word is not a time
        add(_NUMBERS[m.group(1)], minute, m.group(3))
    if re.search(r"\b(noon|midday)\b", text):
        found.append(_Time(12, 0, True))
    return found


# A bare number word is a time only after a word that leads to one: "the four", "at four";
# "one" only after "at" ("the one at four" is not one o'clock).
_AT_HOUR = re.compile(r"\b(at|the|for|around|about)\s*$")
# ... or as what suits: "three's great", "four is fine", "ten works".
_SUITS = re.compile(
    r"\s*(?:is|would|will|sounds|works|fine|good|great|perfect|suits|please|thanks|ok|okay)\b"
)
_AT_ONE = re.compile(r"\b(at|around|about)\s*$")


def _days(text: str, today: date) -> tuple[set[int], set[date], set[int]]:
    """Weekdays, whole dates and days of the month the words name."""
    words = text.split()
    weekdays = {_WEEKDAYS[w.removesuffix("s")] for w in words if w.removesuffix("s") in _WEEKDAYS}
    weekdays |= {_WEEKDAYS[w] for w in words if w in _WEEKDAYS}
    dates: set[date] = set()
    if "today" in words or "todays" in words:
        dates.add(today)
    if "tomorrow" in words or "tomorrows" in words:
        dates.add(today + timedelta(days=1))
    days: set[int] = set()
    for m in re.finditer(r"\b(\d{1,2}) ?(?:st|nd|rd|th)\b", text):
        days.add(int(m.group(1)))
    for phrase, day in sorted(_DAY_ORDINALS.items(), key=lambda kv: -len(kv[0])):
        # "the third" is a position; "Tuesday the third" or "the third of March" a date
        if re.search(rf"\b(?:{'|'.join(_WEEKDAYS)}) (?:the )?{phrase}\b", text) or re.search(
            rf"\b{phrase} (?:of )?(?:{'|'.join(_MONTHS)})\b", text
        ):
            days.add(day)
    for m in re.finditer(rf"\b({'|'.join(_MONTHS)}) (?:the )?(\d{{1,2}})\b", text):
        days.add(int(m.group(2)))
    for m in re.finditer(rf"\b(\d{{1,2}}) (?:of )?({'|'.join(_MONTHS)})\b", text):
        days.add(int(m.group(1)))
    return weekdays, dates, days


def _spoken(said: str) -> str:
    """Folded words with the spoken shortcuts undone: "three's", "o'clock's", "half ten"."""
    said = re.sub(r"\bo ?clocks?\b", "o clock", said)
    said = re.sub(rf"\b({_NUMBER}|midday|noon)s\b", r"\1", said)
    return re.sub(rf"\bhalf ({_NUMBER}|\d{{1,2}})\b", r"half past \1", said)


_TO = re.compile(
    r"\b(?<!want )(?<!need )(?<!like )(?<!going )(?<!have )(?<!able )(?:to|till|until)\s"
)
_PART_OF_DAY = re.compile(r"\b(?:morning|arvo|afternoon|evening|lunch\w*|later|earlier)\b")


def split_move(text: str, today: date) -> tuple[str, str]:
    """ "Move my Wednesday one to Friday at 10": the words naming the appointment, and the
    new time ("" when none is said). "I want to move ..." is not split at "want to"."""
    for m in reversed(list(_TO.finditer(text.lower()))):
        after = text[m.end() :]
        if names_a_day(after, today) or names_a_time(after) or _PART_OF_DAY.search(after.lower()):
            return text[: m.start()], after
    return text, ""


def names_a_time(text: str) -> bool:
    """Whether the words name a clock time ("the four o'clock", "11:45")."""
    return bool(_times(_spoken(fold(text))))


def names_a_day(text: str, today: date) -> bool:
    """Whether the words name a day (weekday, date, today or tomorrow), not only a time."""
    folded = fold(text)
    ordinal = "|".join(sorted(_DAY_ORDINALS, key=len, reverse=True))
    return any(_days(folded, today)) or bool(
        re.search(
            rf"\b(?:the|on) (?:{ordinal})\b|\b(?:next|this) (?:week|month|weekend)\b|"
            rf"\bweek(?:s)? (?:from|today|on)\b|\bfortnight\b",
            folded,
        )
    )


def name_said(text: str, name: str) -> bool:
    """Whether a word of `name` (a person, type or place) was said in the folded `text`,
    allowing for speech-to-text spelling ("Sara" for Sarah)."""
    said = text.split()
    for part in fold(name).split():
        if len(part) < 3 or part in ("with", "and", "the", "for"):
            continue
        if any(fuzz.ratio(part, word) >= (100 if len(part) <= 4 else 85) for word in said):
            return True
    return False


def _distinctive(names: Sequence[str]) -> list[set[str]]:
    """For each name, the words no other name in the list has."""
    words = [set(fold(name).split()) for name in names]
    return [
        {w for w in own if len(w) > 2 and all(w not in other for other in words if other != own)}
        for own in words
    ]


_NOT = {"not", "but", "except", "than", "besides", "apart", "dont", "isnt"}


def said_position(text: str, count: int) -> int | None:
    """ "The first one", "the second", "the last", "option two", a keypad digit."""
    words = text.split()
    if len(words) == 1 and words[0].isdigit() and 1 <= int(words[0]) <= count:
        return int(words[0]) - 1
    for i, word in enumerate(words):
        if _NOT.intersection(words[max(0, i - 2) : i]):
            continue  # "not the first one, the second": the first is ruled out, not picked
        after = words[i + 1 : i + 2]
        # "the later one" picks; "anything later?" asks for another search
        if word in ("later", "earlier") and after not in (["one"], ["time"]):
            continue
        if word in ("last", "latest", "later") and count > 1:
            return count - 1
        if word in ("earliest", "earlier"):
            return 0
        if word in _ORDINAL_WORDS and _ORDINAL_WORDS[word] < count:
            return _ORDINAL_WORDS[word]
    m = re.search(rf"\b(?:number|option) ({_NUMBER}|\d)\b", text)
    if m:
        index = (_NUMBERS.get(m.group(1)) or int(m.group(1))) - 1
        return index if 0 <= index < count else None
    return None


def pick(
    text: str, options: Sequence[Option], today: date, elsewhere: Sequence[str] = ()
) -> Choice:
    """The option the caller's words identify, by what they name first, by position last.

    `elsewhere` holds the clinic's other names (practitioners, types, places): one of those
    said, and none of the options' own, means the words fit none of the options.
    """
    said = _spoken(fold(text))
    if not options or not said:
        return Choice(None)
    fits = set(range(len(options)))
    heard = False

    def narrow(test: list[bool]) -> None:
        nonlocal fits, heard
        heard = True
        fits &= {i for i, ok in enumerate(test) if ok}

    weekdays, dates, days = _days(said, today)
    if weekdays:
        narrow([o.starts.weekday() in weekdays for o in options])
    if dates:
        narrow([o.starts.date() in dates for o in options])
    if days:
        narrow([o.starts.day in days for o in options])
    times = _times(said)
    if times:
        narrow([any(t.fits(o.starts) for t in times) for o in options])
    parts = [span for word, span in _PARTS.items() if word in said.split()]
    if parts and len({_part(o.starts) for o in options}) > 1:
        narrow([any(lo <= o.starts.hour < hi for lo, hi in parts) for o in options])
    for names in ([o.practitioner for o in options], [o.type for o in options]):
        if len(set(names)) > 1:
            hits = [name_said(said, name) for name in names]
            if any(hits):
                narrow(hits)
    places = [o.location or "" for o in options]
    if len(set(places)) > 1:
        own = _distinctive(places)
        hits = [
            bool(words & set(said.split())) or name_said(said, place)
            for words, place in zip(own, places, strict=True)
        ]
        if any(hits):
            narrow(hits)
    if said.isdigit():  # a keypad press (a relay sends a digit as it is): the position
        position = said_position(said, len(options))
        if position is not None:
            return Choice(position, (position,), True)
    theirs = {fold(n) for o in options for n in (o.practitioner, o.type, o.location or "")}
    others = [name for name in elsewhere if fold(name) not in theirs]
    if any(name_said(said, name) for name in others) and not any(
        name_said(said, name) for name in theirs if name
    ):
        narrow([False] * len(options))  # a practitioner, type or place none of them has
    ordered = sorted(fits)
    position = said_position(said, len(ordered) if heard else len(options))
    if heard:
        if len(ordered) == 1:
            return Choice(ordered[0], tuple(ordered), True)
        if len(ordered) > 1 and position is not None:
            return Choice(ordered[position], tuple(ordered), True)
        return Choice(None, tuple(ordered), True)
    if position is not None:
        return Choice(position, (position,), True)
    return Choice(None)


def _part(moment: datetime) -> str:
    return next(word for word, (lo, hi) in _PARTS.items() if lo <= moment.hour < hi)
