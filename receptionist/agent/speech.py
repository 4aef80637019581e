"""Speakable text: days, times and slots said the way a receptionist says them.

Everything the caller hears passes through here or through the call script, so there is
one place that decides "9:30 am" over "09:30" and "tomorrow, Tuesday 3 March" over a date.
No markdown, no ISO dates, no 24-hour clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

_MARKUP = re.compile(r"[*_`#>|\[\]]+")


def say_time(moment: datetime) -> str:
    """'9 am', '9:30 am', '12 pm' for a local time."""
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    if moment.minute:
        return f"{hour}:{moment.minute:02d} {suffix}"
    return f"{hour} {suffix}"


def say_day(day: date, today: date) -> str:
    """'today', 'tomorrow', 'Tuesday 3 March', with the year only when it is not this year."""
    label = f"{day.strftime('%A')} {day.day} {day.strftime('%B')}"
    if day.year != today.year:
        label += f" {day.year}"
    if day == today:
        return f"today, {label}"
    if day == today + timedelta(days=1):
        return f"tomorrow, {label}"
    return label


def say_when(moment: datetime, today: date) -> str:
    """'tomorrow, Tuesday 3 March at 9:30 am' for a local datetime."""
    return f"{say_day(moment.date(), today)} at {say_time(moment)}"


def join_words(items: Iterable[str], last: str = "or") -> str:
    """'a', 'a or b', 'a, b or c'."""
    words = [item for item in items if item]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


_CHUNK_MARKUP = re.compile(r"[*#`|\[\]_~]+|^\s*[-•]\s+", re.MULTILINE)


def speakable(piece: str) -> str:
    """A streamed piece of text made safe for text-to-speech without touching its spacing
    (pieces are joined by the listener): markdown marks and bullets dropped, newlines become
    spaces."""
    return _CHUNK_MARKUP.sub("", piece).replace("\n", " ")


def plain(text: str) -> str:
    """Strip markdown-ish markup and collapse whitespace, for text-to-speech."""
    return " ".join(_MARKUP.sub("", text).split())
