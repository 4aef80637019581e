"""Times of day: day parts ("arvo"), clock times ("half past ten") and clauses ("after 3").

Each is read into a `_Clock`, a stretch of every day in minutes after midnight; the clocks
said in one phrase are intersected and kept within the clinic's opening hours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from receptionist.agent.dates.readings import _Clock
from receptionist.agent.dates.saying import _say_or, _say_time
from receptionist.agent.dates.windows import (
    _MINUTES_PER_DAY,
    _PART_NAMES,
    _PART_WORDS,
    AROUND_MARGIN,
    AT_LENGTH,
    DAY_PARTS,
    DateNotUnderstood,
    DateQuestion,
    DayPart,
    _minutes,
)
from receptionist.agent.dates.words import _Words

_PART = (
    r"\b(?:(this) |in |during |over |at )?(tonight|"
    + "|".join(sorted(_PART_NAMES, key=len, reverse=True))
    + r")s?\b"
)
_T = r"(\d{1,2}(?::\d{2})?(?: [ap]m)?)"
_TIME_CLAUSES: Sequence[tuple[str, str]] = (
    ("between", rf"\b(?:between|from) {_T} (?:and|to|till|until|/) {_T}\b"),
    ("after", rf"\b(?:after|from|not before|no earlier than|later than) {_T}\b"),
    ("before", rf"\b(?:before|by|until|till|not after|no later than) {_T}\b"),
    ("around", rf"\b(?:around|about|approximately|roughly) {_T}\b"),
    ("at", rf"\bat {_T}\b"),
    ("at", r"\b(\d{1,2}(?::\d{2})? [ap]m)\b"),
    ("at", r"\b(\d{1,2}:\d{2})\b"),
)


def read_times(words: _Words, hint: str | None) -> Iterator[_Clock]:
    """Every clock time and time clause in `words`, taken out of them."""
    for kind, pattern in _TIME_CLAUSES:
        for match in words.take_all(pattern):
            if kind == "between":
                yield _between(match[1], match[2], hint)
                continue
            at = _read_clock_time(match[1], hint)
            said = _say_time(at)
            if kind == "after":
                yield _Clock(at, _MINUTES_PER_DAY, f"after {said}", f"after {said}", True)
            elif kind == "before":
                yield _Clock(0, at, f"before {said}", f"before {said}", True)
            elif kind == "around":
                margin = int(AROUND_MARGIN.total_seconds()) // 60
                yield _Clock(at - margin, at + margin, f"around {said}", f"around {said}", True)
            else:
                length = int(AT_LENGTH.total_seconds()) // 60
                yield _Clock(at, at + length, f"at {said}", f"at {said}", True)


def _between(first: str, second: str, hint: str | None) -> _Clock:
    end = _read_clock_time(second, hint)
    start = _read_clock_time(first, hint)
    suffix = re.search(r"[ap]m$", second)
    if suffix and not re.search(r"[ap]m$", first):
        # "between 8 and 9 pm": the am/pm said once covers both, where that makes sense.
        same = _read_clock_time(f"{first} {suffix[0]}", hint)
        start = same if same < end else start
    if start >= end:
        raise DateQuestion(
            f"Did you mean from {_say_time(start)} to {_say_time(end)}? Which time would suit?"
        )
    words = f"between {_say_time(start)} and {_say_time(end)}"
    return _Clock(start, end, words, words, True)


def part_clock(part: DayPart, opening: int, closing: int) -> _Clock:
    """The stretch `part` covers, with None read as the clinic's opening or closing time."""
    start, end = DAY_PARTS[part]
    words, plural = _PART_WORDS[part]
    return _Clock(
        opening if start is None else _minutes(start),
        closing if end is None else _minutes(end),
        words,
        plural,
        False,
    )


def intersect(clocks: Sequence[_Clock], opening: int, closing: int) -> _Clock | None:
    """The time every clock allows, within opening hours; None when no time was said."""
    if not clocks:
        return None
    start = max(c.start for c in clocks)
    end = min(c.end for c in clocks)
    if start >= end:
        said = _say_or([c.words for c in clocks]).replace(" or ", " and ")
        raise DateQuestion(f"Sorry, {said} don't fit together. Which time would suit?")
    explicit = [c for c in clocks if c.explicit]
    if len(explicit) > 1:
        words = plural = f"between {_say_time(start)} and {_say_time(end)}"
    else:
        chosen = explicit[0] if explicit else min(clocks, key=lambda c: c.end - c.start)
        words, plural = chosen.words, chosen.plural
    start, end = max(start, opening), min(end, closing)
    if start >= end:
        raise DateQuestion(
            f"The clinic is open from {_say_time(opening)} to {_say_time(closing)}. "
            "What time between those would suit?"
        )
    return _Clock(start, end, words, plural, bool(explicit))


def _read_clock_time(text: str, hint: str | None) -> int:
    """Minutes after midnight for '3', '3 pm', '9:30', '15:00', with a clinic's guess at am/pm.

    No am/pm: 1-6 is afternoon, 7-11 morning, 12 midday, 0 and 13-23 and zero-padded hours
    ("09:30") are 24-hour times. `hint` ("am"/"pm", from a day part said with it) overrides.
    """
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(?: ([ap]m))?", text)
    if match is None:
        raise DateNotUnderstood()
    hour, minute, suffix = int(match[1]), int(match[2] or 0), match[3]
    if minute > 59:
        raise DateNotUnderstood()
    if suffix:
        if not 1 <= hour <= 12:
            raise DateNotUnderstood()
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif match[1].startswith("0") or hour == 0 or hour >= 13:
        if hour > 23:
            raise DateNotUnderstood()
    elif hour != 12 and (hint == "pm" or (hint is None and hour <= 6)):
        hour += 12
    return hour * 60 + minute
