"""The words callers use for days and times, and what speech-to-text makes of them.

Number words become digits here ("twenty first" -> "21th", "eleven forty-five" -> "11:45"),
clock idioms become clock times ("half past ten" -> "10:30", "quarter to three" -> "2:45",
"nine a m" -> "9 am"), and a few relative idioms become the forms the readers know ("a
fortnight" -> "2 weeks", "a week on Monday" -> "monday week"). A small table rather than a
number-words library, because dates and clocks need readings such libraries do not give:
adjacent numbers are a clock time or a date, not a sum ("ten thirty" is 10:30, not 40), "oh"
is a zero only between numbers, and "a" is one only before a unit ("a week").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator, Mapping, Sequence

from receptionist.agent.dates.windows import _PART_NAMES

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_NAMES: Mapping[str, int] = {
    **{name: i for i, name in enumerate(_WEEKDAYS)},
    "tues": 1,
    "tue": 1,
    "wed": 2,
    "weds": 2,
    "thurs": 3,
    "thur": 3,
    "thu": 3,
    "fri": 4,
}
_MONTHS = tuple(calendar.month_name[m].lower() for m in range(1, 13))
_MONTH_NAMES: Mapping[str, int] = {
    **{name: i + 1 for i, name in enumerate(_MONTHS)},
    **{name[:3]: i + 1 for i, name in enumerate(_MONTHS)},
    "sept": 9,
}

_WD = "(" + "|".join(sorted(_WEEKDAY_NAMES, key=len, reverse=True)) + ")"
_MON = "(" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + ")"

_UNITS: Mapping[str, int] = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS: Mapping[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_ORDINALS: Mapping[str, int] = {
    w: i + 1
    for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
        "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth".split()
    )
}
_ORDINAL_TENS: Mapping[str, int] = {"twentieth": 20, "thirtieth": 30}

# The day and month words other readers share (the chooser matches offered times with them).
WEEKDAY_NAMES: Mapping[str, int] = _WEEKDAY_NAMES
MONTH_NAMES: Mapping[str, int] = _MONTH_NAMES
DAY_ORDINALS: Mapping[str, int] = {
    **_ORDINALS,
    **_ORDINAL_TENS,
    **{f"twenty {w}": 20 + n for w, n in _ORDINALS.items() if n < 10},
    "thirty first": 31,
}
_SMALL_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

# Words that may be left over once every day and time has been read.
_FILLER = frozenset(
    """
    a an the on of in at for to and but is it be we i me my can could would will do does did if
    please maybe perhaps sometime ish um uh er erm ah hmm like so just well ok okay yeah yes
    any time day anytime sometimes probably possibly ideally preferably possible good great
    fine best suit suits works work better how about what around there then either later
    appointment booking book come free available earliest soon whenever thanks thank you
    """.split()
)


_HESITATION = re.compile(r"u+h*m+|u+h+|e+r+m*|a+h+|h+m+|m+")


# --- Normalising what speech-to-text gives us ----------------------------------------------


def _numbers_to_digits(tokens: Sequence[str]) -> list[str]:
    """'twenty one' -> '21', 'fourteenth' -> '14th', 'thirty first' -> '31st'."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if word in _TENS and 1 <= _UNITS.get(following, 0) <= 9:
            out.append(str(_TENS[word] + _UNITS[following]))
            i += 2
            continue
        if word in _TENS and _ORDINALS.get(following, 99) <= 9:
            out.append(f"{_TENS[word] + _ORDINALS[following]}th")
            i += 2
            continue
        if word in _TENS:
            out.append(str(_TENS[word]))
        elif word in _UNITS:
            out.append(str(_UNITS[word]))
        elif word in _ORDINALS:
            out.append(f"{_ORDINALS[word]}th")
        elif word in _ORDINAL_TENS:
            out.append(f"{_ORDINAL_TENS[word]}th")
        else:
            out.append(word)
        i += 1
    return out


def _split_ish(token: str) -> list[str]:
    """'threeish' -> ['three', 'ish']: only for words we know, so 'english' stays whole."""
    stem = token[:-3]
    known = stem in _UNITS or stem in _WEEKDAY_NAMES or stem in _PART_NAMES or stem.isdigit()
    if token.endswith("ish") and stem and (known or re.fullmatch(r"\d+(?:am|pm)", stem)):
        return [stem, "ish"]
    return [token]


_SUBSTITUTIONS: Sequence[tuple[str, str]] = (
    (r"\bfirst thing\b", "firstthing"),  # before "first" becomes "1th"
    (r"\bfirst (available|appointment)\b", "earliest"),
    (r"\b([ap])\s?\.\s?m\b\.?", r"\1m"),  # "3 p.m." -> "3 pm"
    (r"\b(\d{1,2})\.(\d{1,2})\.(\d{2,4})\b", r"\1/\2/\3"),  # 14.3.26
    (r"\b(\d{1,2})\.(\d{2})\b", r"\1:\2"),  # 9.30
    (r"(\d)\s*(am|pm)\b", r"\1 \2"),
    (
        r"\b(\d{1,2}(?::\d{2})?)(?: ?(am|pm))? ?- ?(\d{1,2}(?::\d{2})?) ?(am|pm)\b",
        r"between \1 \2 and \3 \4",
    ),
    (r"(\d)\s*-\s*(\d)", r"\1/\2"),  # 14-3 -> 14/3
    (r"[\u2018\u2019']", ""),
    (r"[^\w:/ ]", " "),
)

_BARE_CLOCK = (
    r"(?<![/:])\b(\d{1,2}) ([1-5]\d)\b(?![/:])"
    r"(?! (?:days?|weeks?|months?|years?|minutes?|mins?|hours?)\b)"
)


def _clock_pair(match: re.Match[str]) -> str:
    """'11 45' -> '11:45': an hour then minutes, as "eleven forty-five" is said.

    A 24-hour hour only with a quarter ("fourteen thirty"): "fourteen twelve" is more likely
    the 14th of December than 2:12 pm, so it is left to be asked about.
    """
    hour, minute = int(match[1]), int(match[2])
    if 1 <= hour <= 12 or (hour <= 23 and minute in (15, 30, 45)):
        return f"{match[1]}:{match[2]}"
    return match[0]


def _minutes_past(match: re.Match[str]) -> str:
    """'5 past 10' -> '10:05'."""
    return f"{match[2]}:{int(match[1]):02d}" if int(match[1]) < 60 else match[0]


_WORD_SUBSTITUTIONS: Sequence[tuple[str, str | Callable[[re.Match[str]], str]]] = (
    (r"\b(\d{1,2}(?::\d{2})?) ([ap]) m\b", r"\1 \2m"),  # "nine a m": letters spoken apart
    (r"\b(?:a )?couple (?:of )?(day|week)s?\b", r"2 \1s"),
    (r"\b(?:a )?fortnights?\b", "2 weeks"),
    (
        r"\b(?:from |between )?(\d{1,2}(?::\d{2})?)(?: ([ap]m))? (?:to|till|until) "
        r"(\d{1,2}(?::\d{2})?) ([ap]m)\b",
        r"between \1 \2 and \3 \4",
    ),
    (r"\bo clock\b", "oclock"),
    # "nine in the morning", "seven at night": a bare hour named by its part of the day.
    (
        r"\b(\d{1,2}(?::\d{2})?) (?:in (?:the )?|at )(morning|afternoon|arvo|evening|night)\b",
        r"at \1 \2",
    ),
    (r"\b(?:oh|o|0) (\d) hundred(?: hours)?\b", r"0\1:00"),  # "oh nine hundred"
    (r"\b(\d{1,2}) hundred(?: hours)?\b", r"\1:00"),  # "fifteen hundred"
    (r"\b(\d{1,2}) (?:oh|o|0) ([1-9])\b", r"\1:0\2"),  # "nine oh five"
    (rf"\b(?:a|1) week (?:on |from )?{_WD}\b", r"\1 week"),  # "a week on Monday"
    (r"\bthis time next week\b", "1 week today"),
    (r"\b(?:a )?few days\b", "few days"),
    (r"\b(0\d)([0-5]\d)\b", r"\1:\2"),  # "0930"
    (r"\b12 (?:noon|midday)\b", "12:00"),
    (r"\b(?:noon|midday)\b", "12:00"),
    (r"\b(\d{1,2}) ?oclock\b", r"\1:00"),
    (r"\bhalf past (\d{1,2})\b", r"\1:30"),
    (r"\bquarter (?:past|after) (\d{1,2})\b", r"\1:15"),
    (r"\b(\d{1,2}) (?:minutes )?past (\d{1,2})\b", _minutes_past),
    (r"\bhalf (\d{1,2})\b", r"\1:30"),
    (r"\b(\d{1,2}(?::\d{2})?(?: [ap]m)?) ish\b", r"around \1"),
    (r"\b(\d{1,2}) (\d{2})(?= [ap]m\b)", r"\1:\2"),
    (
        r"\b(at|after|before|around|about|by|until|till|from|between|and) (\d{1,2}) ([0-5]\d)\b",
        r"\1 \2:\3",
    ),
    (_BARE_CLOCK, _clock_pair),
    (r"\bthe (\d{1,2})\b(?! ?(?::|am\b|pm\b|/|days?\b|weeks?\b|months?\b))", r"\1th"),
    (r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1th"),
)

_PRE_FILLER = frozenset(
    "the on of please sometime maybe perhaps for ish um uh er erm ah hmm".split()
)


def _quarter_to(text: str) -> str:
    """'quarter to 10' -> '9:45', '10 minutes to 3' -> '2:50', 'twenty to four' -> '3:40'.

    Without "minutes" only 5, 10, 20 and 25 are read this way, and never after "from" or
    "between", so "from ten to four" stays a range.
    """

    def replace(match: re.Match[str]) -> str:
        if match[1]:
            minutes = 15
        elif match[2]:
            minutes = int(match[2])
        else:
            minutes = int(match[3])
            before = text[: match.start()].split()[-1:]
            if minutes not in (5, 10, 20, 25) or before in (["from"], ["between"]):
                return match[0]
        hour = int(match[4])
        if not 1 <= minutes <= 59 or not 1 <= hour <= 23:
            return match[0]
        return f"{hour - 1 or 12}:{60 - minutes:02d}"

    pattern = r"\b(?:(quarter)|(\d{1,2}) (?:minutes|mins)|(\d{1,2})) to (\d{1,2})\b(?!:)"
    return re.sub(pattern, replace, text)


def _normalise(text: str) -> str:
    """Lower case, digits for number words, punctuation and filler words gone."""
    text = text.lower()
    for pattern, replacement in _SUBSTITUTIONS:
        text = re.sub(pattern, replacement, text)
    tokens = [part for token in text.split() for part in _split_ish(token)]
    text = " ".join(_numbers_to_digits(tokens))
    for word_pattern, word_replacement in _WORD_SUBSTITUTIONS:
        text = re.sub(word_pattern, word_replacement, text)
    text = _quarter_to(text)
    return " ".join(word for word in text.split() if word not in _PRE_FILLER)


class _Words:
    """The phrase being read: each part is taken out as it is understood."""

    def __init__(self, text: str) -> None:
        self.text = f" {text} "

    def take(self, pattern: str) -> re.Match[str] | None:
        match = re.search(pattern, self.text)
        if match is not None:
            self.text = f"{self.text[: match.start()]} {self.text[match.end() :]}"
        return match

    def take_all(self, pattern: str) -> Iterator[re.Match[str]]:
        while (match := self.take(pattern)) is not None:
            yield match

    def leftover(self) -> list[str]:
        return [w for w in self.text.split() if w not in _FILLER and not _HESITATION.fullmatch(w)]
