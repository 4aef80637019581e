"""Date and time phrases, as callers say them, resolved into windows in the clinic's time zone.

The language model never does date arithmetic. When a caller says "next Tuesday arvo", the agent
passes those words to a tool and `DateResolver.resolve` turns them into a `TimeWindow`: an aware
start and end in the clinic's zone and a short description to read back ("Tuesday 10 March, in
the afternoon"). Words that are not a day or time raise `DateNotUnderstood`. A phrase that can
be read but is ambiguous, impossible, already past or too far ahead raises `DateQuestion`, whose
`.question` is a short question the agent can put to the caller as it stands.

What the phrases mean (days are local dates in the clinic's zone; weeks run Monday to Sunday):

- No phrase, "any time", "asap", "soonest", "next available": from now to the end of the day
  two weeks from today (`ASAP_DAYS`). "Any morning" is the same span, mornings only.
- "today", "tomorrow", "day after tomorrow": that whole day, midnight to midnight, so 23 or 25
  hours long on a daylight-saving change day. "Tonight" is this evening.
- A day said without a time is the whole day; it counts as passed once the clinic has closed.
- "Thursday": the next Thursday on or after today; today only while time that fits remains,
  otherwise next week's. "This Thursday" is the same day but asks, rather than moves on, when
  it has passed. "Thursday week" is seven days after "Thursday"; "Thursday next week" is the
  Thursday of next calendar week.
- "next Thursday": see `NextWeekday`. The default is `NextWeekday.ASK`: said on a Monday,
  "next Tuesday" is tomorrow to some callers and the Tuesday after to others, and a clinic that
  books the wrong one costs the patient a wasted trip and the clinic an empty slot. The two
  readings only differ when the weekday still falls in the current week; then the agent asks
  "Do you mean tomorrow, Tuesday 3 March, or Tuesday 10 March?", one turn, as a careful
  receptionist would. When they agree (said on a Friday, say) it simply answers.
- "the 14th", "14th": the next 14th on or after today, skipping months too short to have it
  ("the 31st" in April is 31 May). "14 March", "March 14", "14/3" (`day_first`): this year's,
  or next year's once this year's has passed (if that is beyond the horizon, it asks: "Sunday
  1 March has already passed"); with a year, exactly that date. A weekday said with a date
  ("Tuesday the 10th") must match it, or the agent asks; it also settles "next Tuesday".
- A time of day with a span of days ("mornings next week", "any afternoon") sets
  `TimeWindow.daily`: start and end cover the span, `daily` the wall times on each day.
- "in three days": that day. "in two weeks", "in a fortnight", "in 2 weeks' time": the five
  days centred on the day two weeks from today (`WEEKS_SLACK_DAYS` either side), because
  callers mean roughly then. "in a month": the week centred on the same date next month.
  "within two weeks", "in the next 3 days": from now to the end of that day.
- "this week": now to Sunday. "next week": Monday to Sunday of next week. "early next week":
  Monday to Wednesday. "later this week": tomorrow to Sunday. "end of the week": Thursday (or
  today, if later) to Sunday. "week after next": the week after next week.
- "the weekend", "this weekend": the coming Saturday and Sunday (today to Sunday at the
  weekend). "next weekend" follows the `NextWeekday` rule, as "next Saturday" would.
- "end of the month": the last seven days of this month, from now when already inside them;
  once the clinic has closed on the month's last day it means next month's last seven days.
  "next month": all of next month. "early next month": its first seven days.
- "X or Y": each is resolved; when together they form one unbroken stretch ("Tuesday or
  Wednesday", "tomorrow morning or afternoon") the window covers both. Alternatives with the
  same time of day on consecutive days ("Tuesday or Wednesday morning") give a window with
  `daily` set. Otherwise the agent asks which suits better. A bare weekday takes "next"/"this"
  from its neighbour: "next Tuesday or Wednesday" is "next Tuesday or next Wednesday".

Times of day (`DAY_PARTS`; `None` means the clinic's opening or closing time):

- morning: opening to 12:00; afternoon/arvo: 12:00-17:00; late afternoon: 15:00-17:00;
  lunchtime: 12:00-14:00; evening: 17:00 to closing; first thing: opening to 10:00.
- "at 9:30": 9:30 to 10:30 (`AT_LENGTH`), so slots starting in that hour can be offered.
  "around 2": 1 pm to 3 pm (`AROUND_MARGIN` either side). "after 3pm": 3 pm to closing.
  "before 10": opening to 10 am. "between 2 and 4": 2 pm to 4 pm.
- A bare hour with no am/pm is read as a clinic would: 1 to 6 is afternoon (1 pm to 6 pm), 7 to
  11 is morning, 12 is midday, 13 to 23 and zero-padded hours ("09:30") are 24-hour times. A
  day part overrides this: "morning at 6" is 6 am and "evening at 7" is 7 pm.
- Times are clipped to opening hours; a time wholly outside them asks back.
- A time with no day means today while time that fits remains, otherwise tomorrow: "first
  thing" at 9:30 am is 9:30-10:00 today, at 11 am it is tomorrow's.

Every window starts no earlier than now. A window wholly in the past ("this morning" at 3 pm,
"last Tuesday", "3 March 2020") asks back, offering the next option in words where there is an
obvious one. Nothing more than `horizon_days` ahead is offered: a window starting later asks
back, a window running past it is cut short.

Windows are built from local wall times with `zoneinfo`: a wall time the clocks skip (the
spring-forward gap) means the instant they jumped; one they repeat means its first occurrence.
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "AROUND_MARGIN",
    "ASAP_DAYS",
    "AT_LENGTH",
    "DAY_PARTS",
    "DOB_MAX_AGE_YEARS",
    "MONTH_SLACK_DAYS",
    "TWO_DIGIT_YEAR_MAX_AGE",
    "WEEKS_SLACK_DAYS",
    "DateNotUnderstood",
    "DateQuestion",
    "DateResolver",
    "DayPart",
    "NextWeekday",
    "TimeWindow",
    "parse_date_of_birth",
]

ASAP_DAYS = 14
""""asap", "any time" and no phrase at all: from now to the end of the day this many days on."""

WEEKS_SLACK_DAYS = 2
""""in two weeks" is the day two weeks from today, this many days either side."""

MONTH_SLACK_DAYS = 3
""""in a month" is the same date next month, this many days either side."""

AT_LENGTH = timedelta(hours=1)
""""at 9:30" is a window this long starting then."""

AROUND_MARGIN = timedelta(hours=1)
""""around 2" is a window this far either side of 2 pm."""

DOB_MAX_AGE_YEARS = 120
"""A date of birth further back than this is asked about again."""

TWO_DIGIT_YEAR_MAX_AGE = 110
"""A two-digit birth year is read in the century that makes the caller 0 to this many years old."""


class DayPart(enum.StrEnum):
    """A named part of the day."""

    MORNING = "morning"
    EARLY_MORNING = "early morning"
    LATE_MORNING = "late morning"
    AFTERNOON = "afternoon"
    EARLY_AFTERNOON = "early afternoon"
    LATE_AFTERNOON = "late afternoon"
    LUNCHTIME = "lunchtime"
    EVENING = "evening"
    FIRST_THING = "first thing"


DAY_PARTS: Mapping[DayPart, tuple[time | None, time | None]] = {
    DayPart.MORNING: (None, time(12)),
    DayPart.EARLY_MORNING: (None, time(9)),
    DayPart.LATE_MORNING: (time(10), time(12)),
    DayPart.AFTERNOON: (time(12), time(17)),
    DayPart.EARLY_AFTERNOON: (time(12), time(15)),
    DayPart.LATE_AFTERNOON: (time(15), time(17)),
    DayPart.LUNCHTIME: (time(12), time(14)),
    DayPart.EVENING: (time(17), None),
    DayPart.FIRST_THING: (None, time(10)),
}
"""Each part of the day as (from, until) wall times; None is the clinic's opening/closing time."""

# How each part is said after a day ("Tuesday 3 March, in the morning"), for one day and for
# several ("next week, ..., in the mornings").
_PART_WORDS: Mapping[DayPart, tuple[str, str]] = {
    DayPart.MORNING: ("in the morning", "in the mornings"),
    DayPart.EARLY_MORNING: ("early in the morning", "early in the mornings"),
    DayPart.LATE_MORNING: ("late in the morning", "late in the mornings"),
    DayPart.AFTERNOON: ("in the afternoon", "in the afternoons"),
    DayPart.EARLY_AFTERNOON: ("early in the afternoon", "early in the afternoons"),
    DayPart.LATE_AFTERNOON: ("in the late afternoon", "in the late afternoons"),
    DayPart.LUNCHTIME: ("at lunchtime", "at lunchtime"),
    DayPart.EVENING: ("in the evening", "in the evenings"),
    DayPart.FIRST_THING: ("first thing", "first thing"),
}

# The words callers use for each part, and whether a bare hour said with it is am or pm.
_PART_NAMES: Mapping[str, DayPart] = {
    "early morning": DayPart.EARLY_MORNING,
    "late morning": DayPart.LATE_MORNING,
    "mid morning": DayPart.LATE_MORNING,
    "morning": DayPart.MORNING,
    "early afternoon": DayPart.EARLY_AFTERNOON,
    "late afternoon": DayPart.LATE_AFTERNOON,
    "late arvo": DayPart.LATE_AFTERNOON,
    "afternoon": DayPart.AFTERNOON,
    "arvo": DayPart.AFTERNOON,
    "lunchtime": DayPart.LUNCHTIME,
    "lunch time": DayPart.LUNCHTIME,
    "lunch": DayPart.LUNCHTIME,
    "evening": DayPart.EVENING,
    "night": DayPart.EVENING,
    "after work": DayPart.EVENING,
    "firstthing": DayPart.FIRST_THING,
}
_AM_PARTS = {DayPart.MORNING, DayPart.EARLY_MORNING, DayPart.LATE_MORNING, DayPart.FIRST_THING}

_DAY = timedelta(days=1)
_MINUTES_PER_DAY = 24 * 60

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
# "may" is a month only where it cannot be the verb ("I may be free").
_MON_GUARD = r"(?!(?<=\bmay) (?:be|not|have|need|want|come)\b)"

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


class NextWeekday(enum.StrEnum):
    """What "next <weekday>" (and "next weekend") means.

    Said on Monday 2 March: NEAREST reads "next Tuesday" as tomorrow, 3 March; FOLLOWING_WEEK
    reads it as Tuesday 10 March, in next calendar week; ASK asks which. Said on Friday 6
    March, both readings are Tuesday 10 March, so ASK answers without asking.
    """

    NEAREST = "nearest"
    FOLLOWING_WEEK = "following_week"
    ASK = "ask"


@dataclass(frozen=True)
class TimeWindow:
    """Where to look for appointments: [start, end) in the clinic's zone.

    `daily`, when set, narrows a window of several days to those wall times on each day
    ("mornings next week"); `start` and `end` are still the whole span. Python subtracts two
    datetimes in the same zone by wall clock: measure real durations in UTC.
    """

    start: datetime
    end: datetime
    description: str
    daily: tuple[time, time] | None = None


class DateQuestion(ValueError):
    """The phrase was read, but the caller must be asked: ambiguous, impossible or out of range."""

    def __init__(self, question: str) -> None:
        super().__init__(question)
        self.question = question


class DateNotUnderstood(ValueError):
    """Not a day or time we can read."""

    def __init__(self, message: str = "Sorry, I didn't catch a day or time there.") -> None:
        super().__init__(message)


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

_WORD_SUBSTITUTIONS: Sequence[tuple[str, str]] = (
    (r"\bfirst thing\b", "firstthing"),  # before "first" becomes "1th"
    (r"\bfirst (available|appointment)\b", "earliest"),
    (r"\bfirst thing\b", "firstthing"),
    (r"\b(?:a )?couple (?:of )?(day|week)s?\b", r"2 \1s"),
    (r"\b(?:a )?fortnights?\b", "2 weeks"),
    (
        r"\b(?:from |between )?(\d{1,2}(?::\d{2})?)(?: ([ap]m))? (?:to|till|until) "
        r"(\d{1,2}(?::\d{2})?) ([ap]m)\b",
        r"between \1 \2 and \3 \4",
    ),
    (r"\b(0\d)([0-5]\d)\b", r"\1:\2"),  # "0930"
    (r"\b12 (?:noon|midday)\b", "12:00"),
    (r"\b(?:noon|midday)\b", "12:00"),
    (r"\b(\d{1,2}) ?oclock\b", r"\1:00"),
    (r"\bhalf past (\d{1,2})\b", r"\1:30"),
    (r"\bquarter (?:past|after) (\d{1,2})\b", r"\1:15"),
    (r"\b(\d{1,2}) (?:minutes )?past (\d{1,2})\b", r"\2:\1"),
    (r"\bhalf (\d{1,2})\b", r"\1:30"),
    (r"\b(\d{1,2}(?::\d{2})?(?: [ap]m)?) ish\b", r"around \1"),
    (r"\b(\d{1,2}) (\d{2})(?= [ap]m\b)", r"\1:\2"),
    (
        r"\b(at|after|before|around|about|by|until|till|from|between|and) (\d{1,2}) ([0-5]\d)\b",
        r"\1 \2:\3",
    ),
    (r"\bthe (\d{1,2})\b(?! ?(?::|am\b|pm\b|/|days?\b|weeks?\b|months?\b))", r"\1th"),
    (r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1th"),
)

_PRE_FILLER = frozenset(
    "the on of please sometime maybe perhaps for ish um uh er erm ah hmm".split()
)


def _quarter_to(text: str) -> str:
    """'quarter to 10' -> '9:45', '10 minutes to 3' -> '2:50'."""

    def replace(match: re.Match[str]) -> str:
        minutes = 15 if match[1] else int(match[2])
        hour = int(match[3])
        if not 1 <= minutes <= 59 or not 1 <= hour <= 23:
            return match[0]
        return f"{hour - 1 or 12}:{60 - minutes:02d}"

    return re.sub(r"\b(?:(quarter)|(\d{1,2}) minutes) to (\d{1,2})\b", replace, text)


def _normalise(text: str) -> str:
    """Lower case, digits for number words, punctuation and filler words gone."""
    text = text.lower()
    for pattern, replacement in _SUBSTITUTIONS:
        text = re.sub(pattern, replacement, text)
    tokens = [part for token in text.split() for part in _split_ish(token)]
    text = " ".join(_numbers_to_digits(tokens))
    for pattern, replacement in _WORD_SUBSTITUTIONS:
        text = re.sub(pattern, replacement, text)
    text = _quarter_to(text)
    return " ".join(word for word in text.split() if word not in _PRE_FILLER)


# --- Saying days and times ---------------------------------------------------------------


def _say_time(minutes: int) -> str:
    """'9 am', '9:30 am', '12 pm', '3 pm'."""
    hour, minute = divmod(minutes % _MINUTES_PER_DAY, 60)
    suffix = "am" if hour < 12 else "pm"
    hour = hour % 12 or 12
    return f"{hour}:{minute:02d} {suffix}" if minute else f"{hour} {suffix}"


def _say_date(day: date, today: date) -> str:
    """'Tuesday 3 March', with the year only when it is not this year."""
    text = f"{_WEEKDAYS[day.weekday()].title()} {day.day} {_MONTHS[day.month - 1].title()}"
    return text if day.year == today.year else f"{text} {day.year}"


def _say_day(day: date, today: date) -> str:
    """'today, Monday 2 March', 'tomorrow, Tuesday 3 March' or 'Friday 6 March'."""
    if day == today:
        return f"today, {_say_date(day, today)}"
    if day == today + _DAY:
        return f"tomorrow, {_say_date(day, today)}"
    return _say_date(day, today)


def _say_range(first: date, last: date, today: date) -> str:
    """'Monday 9 to Sunday 15 March' or 'Monday 30 March to Sunday 5 April'."""
    if (first.year, first.month) != (last.year, last.month):
        return f"{_say_date(first, today)} to {_say_date(last, today)}"
    return f"{_WEEKDAYS[first.weekday()].title()} {first.day} to {_say_date(last, today)}"


def _say_count(number: int, unit: str) -> str:
    """'a week', 'two weeks', '12 days'."""
    if number == 1:
        return f"a {unit}"
    word = _SMALL_WORDS[number] if number < len(_SMALL_WORDS) else str(number)
    return f"{word} {unit}s"


def _say_or(options: Sequence[str]) -> str:
    """'A or B', 'A, B or C'."""
    return options[0] if len(options) == 1 else f"{', '.join(options[:-1])} or {options[-1]}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- Wall times to instants --------------------------------------------------------------


def _instant(naive: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time `naive` in `tz`: first occurrence in a fold, jump in a gap."""
    first = naive.replace(tzinfo=tz).astimezone(UTC)  # fold=0 is the first occurrence
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # In a spring-forward gap fold=0 and fold=1 land either side of the jump; find the jump:
    # the first whole second whose wall time is at or past `naive`.
    low, high = sorted((int(naive.replace(tzinfo=tz, fold=1).timestamp()), int(first.timestamp())))
    while low < high:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(low, UTC)


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _month_after(year: int, month: int, months: int = 1) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_day_of_month(day: int, start: date) -> date:
    """The first date on or after `start` that is the `day`th of its month (day <= 31)."""
    year, month = start.year, start.month
    while True:
        candidate = _valid_date(year, month, day)
        if candidate is not None and candidate >= start:
            return candidate
        year, month = _month_after(year, month)


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


# --- What a phrase was read as -----------------------------------------------------------


@dataclass(frozen=True)
class _Clock:
    """A stretch of each day in minutes after midnight, and how it is said."""

    start: int
    end: int
    words: str  # after one day: "in the morning"
    plural: str  # after several days: "in the mornings"
    explicit: bool  # a clock time was said, which names the window better than a day part


@dataclass(frozen=True)
class _Days:
    """A run of local dates, how to say it, and what comes next once it has passed."""

    first: date
    last: date
    label: str = ""  # said before the dates: "next week, Monday 9 to Sunday 15 March"
    spoken: str = ""  # said instead of the dates: "in the next two weeks"
    fallback: _Days | None = None
    roll: bool = False  # once passed, move on to `fallback` without asking


@dataclass(frozen=True)
class _DaySpec:
    """What one day expression can mean: one reading, or [nearest, following week]."""

    readings: tuple[_Days, ...]
    weekday: int | None = None  # set when the words named a weekday


@dataclass(frozen=True)
class _Alternative:
    """One side of "X or Y"."""

    days: _DaySpec | None
    clock: _Clock | None
    asap: bool


@dataclass(frozen=True)
class _Context:
    now: datetime  # UTC
    today: date  # in the clinic's zone
    last_day: date  # the last day within the horizon
    limit: datetime  # UTC: the end of `last_day`


@dataclass(frozen=True)
class _Resolved:
    start: datetime  # UTC
    end: datetime  # UTC
    first_day: date
    last_day: date
    span: tuple[int, int] | None  # the clock's minutes, None for whole days
    day_words: str
    clock_words: str

    @property
    def description(self) -> str:
        return f"{self.day_words}, {self.clock_words}" if self.clock_words else self.day_words

    @property
    def daily(self) -> tuple[int, int] | None:
        return self.span if self.span and self.first_day != self.last_day else None


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


_ASAP = (
    r"\b(?:any ?time|asap|as soon as possible|soonest|next available|first available|earliest"
    r"(?: available)?|whenever|no preference|next appointment|any day|any)\b"
)
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


def _share_modifiers(parts: list[str]) -> list[str]:
    """'next tuesday or wednesday' -> 'next wednesday'; 'monday or tuesday next week' too."""
    starts_bare = re.compile(rf"{_WD}s?\b")
    first = re.match(rf"(next|this coming|coming|this) {_WD}s?\b", parts[0])
    if first is not None:
        parts = [parts[0]] + [f"{first[1]} {p}" if starts_bare.match(p) else p for p in parts[1:]]
    last = re.search(rf"\b{_WD}s? ((?:next|this) week)$", parts[-1])
    if last is not None:
        parts = [f"{p} {last[2]}" if starts_bare.fullmatch(p) else p for p in parts[:-1]] + [
            parts[-1]
        ]
    return parts


def _share_days_and_times(alternatives: list[_Alternative]) -> list[_Alternative]:
    """'tomorrow morning or afternoon': the day carries forward; 'Tuesday or Wednesday
    morning': a time said last applies to the alternatives before it that have none."""
    shared: list[_Alternative] = []
    days: _DaySpec | None = next((a.days for a in alternatives if a.days), None)
    last_clock = alternatives[-1].clock
    for alternative in alternatives:
        days = alternative.days or days
        clock = alternative.clock or last_clock
        shared.append(_Alternative(days, clock, alternative.asap))
    return shared


def _join(earlier: _Resolved, later: _Resolved) -> _Resolved | None:
    """One window covering both, if together they leave no gap; else None."""
    span: tuple[int, int] | None
    if earlier.span == later.span and later.first_day <= earlier.last_day + _DAY:
        span = earlier.span  # the same times on the same or consecutive days
    elif earlier.daily is None and later.daily is None and later.start <= earlier.end:
        span = None  # one unbroken stretch of time
    else:
        return None
    return _Resolved(
        start=earlier.start,
        end=max(earlier.end, later.end),
        first_day=earlier.first_day,
        last_day=max(earlier.last_day, later.last_day),
        span=span,
        day_words="",
        clock_words="",
    )


def _say_together(options: Sequence[_Resolved]) -> tuple[str, str]:
    """Day and clock words for alternatives joined into one window."""
    days = list(dict.fromkeys(o.day_words for o in options))
    clocks = list(dict.fromkeys(o.clock_words for o in options))
    if len(days) == 1:
        return days[0], _say_or(clocks) if all(clocks) else ""
    if len(clocks) == 1:
        return _say_or(days), clocks[0]
    return _say_or([o.description for o in options]), ""


# --- The resolver ------------------------------------------------------------------------


class DateResolver:
    """Reads callers' day and time phrases into `TimeWindow`s in one clinic's time zone.

    `now` is called once per `resolve` and must return an aware datetime (any zone).
    `next_weekday` defaults to ASK (see the module docstring for why); `day_first` reads "3/4"
    as 3 April (Australia, the UK, New Zealand), False as March 4. Nothing starting more than
    `horizon_days` after today is offered, and times are kept within `open_from`-`open_until`.
    """

    def __init__(
        self,
        zone: str | ZoneInfo,
        now: Callable[[], datetime],
        *,
        next_weekday: NextWeekday = NextWeekday.ASK,
        day_first: bool = True,
        horizon_days: int = 90,
        open_from: time = time(7),
        open_until: time = time(20),
    ) -> None:
        if horizon_days < 1:
            raise ValueError("horizon_days must be at least 1")
        if open_from >= open_until:
            raise ValueError("open_from must be before open_until")
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        self.now = now
        self.next_weekday = NextWeekday(next_weekday)
        self.day_first = day_first
        self.horizon_days = horizon_days
        self.open_from = open_from
        self.open_until = open_until
        self._open = _minutes(open_from)
        self._close = _minutes(open_until)

    def resolve(self, phrase: str | None) -> TimeWindow:
        """The window `phrase` means; raises DateQuestion or DateNotUnderstood."""
        context = self._context()
        alternatives = self._read(_normalise(phrase or ""), context)
        if self.next_weekday is NextWeekday.ASK:
            resolved = self._resolve_asking(alternatives, context)
        else:
            reading = 0 if self.next_weekday is NextWeekday.NEAREST else 1
            resolved = self._combine(alternatives, reading, context)
        daily = None
        if resolved.daily is not None:
            daily = (self._time_of(resolved.daily[0]), self._time_of(resolved.daily[1]))
        return TimeWindow(
            start=resolved.start.astimezone(self.zone),
            end=resolved.end.astimezone(self.zone),
            description=resolved.description,
            daily=daily,
        )

    # --- Reading ---------------------------------------------------------------------

    def _context(self) -> _Context:
        now = self.now()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now() must return a timezone-aware datetime")
        today = now.astimezone(self.zone).date()
        last_day = today + timedelta(days=self.horizon_days)
        return _Context(now.astimezone(UTC), today, last_day, self._wall(last_day + _DAY, 0))

    def _read(self, text: str, context: _Context) -> list[_Alternative]:
        parts = [part.strip() for part in re.split(r"\b(?:or|either)\b", text)]
        parts = [part for part in parts if part] or [""]
        parts = _share_modifiers(parts)
        return _share_days_and_times([self._read_one(part, context) for part in parts])

    def _read_one(self, text: str, context: _Context) -> _Alternative:
        words = _Words(text)
        asap = any(True for _ in words.take_all(_ASAP))
        specs: list[_DaySpec] = []
        clocks: list[_Clock] = []
        hint: str | None = None
        for match in words.take_all(_PART):
            part = DayPart.EVENING if match[2] == "tonight" else _PART_NAMES[match[2]]
            if match[1] or match[2] == "tonight":  # "this morning", "tonight"
                specs.append(self._single(context.today))
            clocks.append(self._part_clock(part))
            hint = "am" if part in _AM_PARTS else "pm"
        specs.extend(self._read_days(words, context))
        clocks.extend(self._read_times(words, hint))
        if words.leftover():
            raise DateNotUnderstood()
        return _Alternative(self._one_day(specs, context), self._intersect(clocks), asap)

    def _read_days(self, words: _Words, context: _Context) -> Iterator[_DaySpec]:
        today = context.today
        readers: Sequence[tuple[str, Callable[[re.Match[str]], _DaySpec | None]]] = (
            (r"\b(?:a |1 )?week (today|tomorrow)\b", lambda m: self._week_from(m, today)),
            (r"\bday after tomorrow\b", lambda m: self._single(today + 2 * _DAY)),
            (r"\bday before yesterday\b", lambda m: self._single(today - 2 * _DAY)),
            (r"\btomorrow\b", lambda m: self._single(today + _DAY)),
            (r"\btoday\b", lambda m: self._single(today)),
            (r"\byesterday\b", lambda m: self._single(today - _DAY)),
            (
                r"\b(?:within|in next|over next|next) (\d+|a) (day|week)s?\b",
                lambda m: self._within(m, today),
            ),
            (
                r"\b(?:in )?(\d+|a) (day|week|month)s?(?: time| from now| from today| away)?\b",
                lambda m: self._in_time(m, today),
            ),
            (r"\bweek after next\b", lambda m: self._week(today, 2, "the week after next")),
            (
                r"\b(?:early|start|beginning)(?: in)? next week\b",
                lambda m: self._early_week(today, 1),
            ),
            (r"\b(?:late|later|end)(?: in)? next week\b", lambda m: self._late_week(today, 1)),
            (r"\blater(?: in)? (?:this )?week\b", lambda m: self._later_this_week(today)),
            (r"\b(?:end|late)(?: in)? (?:this )?week\b", lambda m: self._late_week(today, 0)),
            (r"\bearly (?:in )?(?:this )?week\b", lambda m: self._early_week(today, 0)),
            (r"\bnext weekend\b", lambda m: self._next_weekend(today)),
            (r"\b(?:this )?(?:coming )?weekend\b", lambda m: self._weekend(today)),
            (rf"\b{_WD}s? (next|this) week\b", lambda m: self._day_in_week(today, m[1], m[2])),
            (rf"\b(next|this) week {_WD}s?\b", lambda m: self._day_in_week(today, m[2], m[1])),
            (r"\blast week\b", lambda m: self._week(today, -1, "last week")),
            (r"\bnext week\b", lambda m: self._week(today, 1, "next week")),
            (r"\bthis week\b", lambda m: self._this_week(today)),
            (r"\b(?:end|late) next month\b", lambda m: self._month_end(today, 1)),
            (r"\b(?:early|start|beginning) next month\b", lambda m: self._month_start(today)),
            (r"\bnext month\b", lambda m: self._whole_month(today, 1, "next month")),
            (r"\b(?:end|late) (?:this )?month\b", lambda m: self._month_end(today, 0)),
            (r"\b(?:later )?this month\b", lambda m: self._whole_month(today, 0, "this month")),
            (r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b", lambda m: self._iso_date(m, context)),
            (
                r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b",
                lambda m: self._numeric_date(m, context),
            ),
            (
                rf"\b(\d{{1,2}})(?:th)? {_MON}(?! (?:be|not)\b)(?: (\d{{4}}))?\b",
                lambda m: self._text_date(m[1], m[2], m[3], context),
            ),
            (
                rf"\b{_MON} (\d{{1,2}})(?:th)?(?! ?(?::|am\b|pm\b))(?: (\d{{4}}))?\b",
                lambda m: self._text_date(m[2], m[1], m[3], context),
            ),
            (
                rf"\b(in |early |mid |late )?{_MON}(?: (\d{{4}}))?\b",
                lambda m: self._named_month(m, today),
            ),
            (r"\b(\d{1,2})th\b", lambda m: self._day_of_month(int(m[1]), today)),
            (
                rf"\b(?:(next|this coming|coming|this|last) )?{_WD}s?( week)?\b",
                lambda m: self._weekday(m, today),
            ),
        )
        for pattern, reader in readers:
            for match in words.take_all(pattern):
                spec = reader(match)
                if spec is not None:
                    yield spec

    def _read_times(self, words: _Words, hint: str | None) -> Iterator[_Clock]:
        for kind, pattern in _TIME_CLAUSES:
            for match in words.take_all(pattern):
                if kind == "between":
                    yield self._between(match[1], match[2], hint)
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

    def _between(self, first: str, second: str, hint: str | None) -> _Clock:
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

    def _part_clock(self, part: DayPart) -> _Clock:
        start, end = DAY_PARTS[part]
        words, plural = _PART_WORDS[part]
        return _Clock(
            self._open if start is None else _minutes(start),
            self._close if end is None else _minutes(end),
            words,
            plural,
            False,
        )

    def _intersect(self, clocks: Sequence[_Clock]) -> _Clock | None:
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
        start, end = max(start, self._open), min(end, self._close)
        if start >= end:
            raise DateQuestion(
                f"The clinic is open from {_say_time(self._open)} to {_say_time(self._close)}. "
                "What time between those would suit?"
            )
        return _Clock(start, end, words, plural, bool(explicit))

    def _one_day(self, specs: Sequence[_DaySpec], context: _Context) -> _DaySpec | None:
        """One day expression from several ("Tuesday the 10th"), or a question."""
        if len(specs) <= 1:
            return specs[0] if specs else None
        dates = [s for s in specs if s.weekday is None]
        weekdays = [s for s in specs if s.weekday is not None]
        if len(dates) == 1 and len(dates[0].readings) == 1:
            day = dates[0].readings[0]
            if day.first == day.last:
                for spec in weekdays:
                    if spec.weekday != day.first.weekday():
                        said = _WEEKDAYS[spec.weekday or 0].title()
                        raise DateQuestion(
                            f"{_say_date(day.first, context.today)} is a "
                            f"{_WEEKDAYS[day.first.weekday()].title()}, not a {said}. "
                            "Which day did you mean?"
                        )
                return dates[0]
        options = [self._say_days(s.readings[0], context.today) for s in specs]
        raise DateQuestion(f"Sorry, which day did you mean: {_say_or(options)}?")

    # --- Day expressions ---------------------------------------------------------------

    @staticmethod
    def _single(
        day: date, label: str = "", fallback: date | None = None, roll: bool = False
    ) -> _DaySpec:
        after = None if fallback is None else _Days(fallback, fallback)
        return _DaySpec((_Days(day, day, label, fallback=after, roll=roll),))

    @staticmethod
    def _span(first: date, last: date, label: str = "", fallback: _Days | None = None) -> _DaySpec:
        return _DaySpec((_Days(first, last, label, fallback=fallback),))

    @staticmethod
    def _week_from(match: re.Match[str], today: date) -> _DaySpec:
        start = today if match[1] == "today" else today + _DAY
        return DateResolver._single(start + 7 * _DAY)

    def _within(self, match: re.Match[str], today: date) -> _DaySpec:
        """ "within two weeks", "in the next 3 days": from now to the end of that day."""
        number = 1 if match[1] == "a" else int(match[1])
        days = number * (7 if match[2] == "week" else 1)
        label = f"within the next {_say_count(number, match[2])}"
        return self._span(today, today + days * _DAY, label)

    def _in_time(self, match: re.Match[str], today: date) -> _DaySpec:
        """ "in three days": that day; "in two weeks", "in a month": roughly then."""
        number = 1 if match[1] == "a" else int(match[1])
        unit = match[2]
        if unit == "day":
            label = f"in {_say_count(number, 'day')}" if number > 1 else ""
            return self._single(today + number * _DAY, label)
        if unit == "week":
            centre, slack = today + 7 * number * _DAY, WEEKS_SLACK_DAYS
        else:
            year, month = _month_after(today.year, today.month, number)
            centre = date(year, month, min(today.day, _last_day(year, month).day))
            slack = MONTH_SLACK_DAYS
        first = max(today, centre - slack * _DAY)
        return self._span(first, centre + slack * _DAY, f"in about {_say_count(number, unit)}")

    def _week(self, today: date, weeks: int, label: str) -> _DaySpec:
        monday = today - today.weekday() * _DAY + 7 * weeks * _DAY
        return self._span(monday, monday + 6 * _DAY, label)

    def _this_week(self, today: date) -> _DaySpec:
        sunday = today + (6 - today.weekday()) * _DAY
        next_week = self._week(today, 1, "next week").readings[0]
        return self._span(today, sunday, "this week", fallback=next_week)

    def _early_week(self, today: date, weeks: int) -> _DaySpec:
        monday = today - today.weekday() * _DAY + 7 * weeks * _DAY
        label = "early next week" if weeks else "early this week"
        first = max(monday, today) if today <= monday + 2 * _DAY else monday
        return self._span(first, monday + 2 * _DAY, label)

    def _late_week(self, today: date, weeks: int) -> _DaySpec:
        thursday = today - today.weekday() * _DAY + (7 * weeks + 3) * _DAY
        label = "late next week" if weeks else "the end of the week"
        return self._span(max(thursday, today), thursday + 3 * _DAY, label)

    def _later_this_week(self, today: date) -> _DaySpec:
        if today.weekday() == 6:
            raise DateQuestion("This week is nearly over. Would early next week suit?")
        sunday = today + (6 - today.weekday()) * _DAY
        return self._span(today + _DAY, sunday, "later this week")

    def _weekend(self, today: date) -> _DaySpec:
        saturday = today + ((5 - today.weekday()) % 7) * _DAY
        if today.weekday() == 6:
            saturday = today - _DAY
        following = _Days(saturday + 7 * _DAY, saturday + 8 * _DAY, "next weekend")
        return self._span(max(saturday, today), saturday + _DAY, "the weekend", following)

    def _next_weekend(self, today: date) -> _DaySpec:
        nearest = today + ((4 - today.weekday()) % 7 + 1) * _DAY
        following = today - today.weekday() * _DAY + 12 * _DAY
        readings = tuple(
            _Days(saturday, saturday + _DAY) for saturday in dict.fromkeys((nearest, following))
        )
        return _DaySpec(readings)

    def _day_in_week(self, today: date, weekday_name: str, which: str) -> _DaySpec:
        weekday = _WEEKDAY_NAMES[weekday_name]
        monday = today - today.weekday() * _DAY + (7 if which == "next" else 0) * _DAY
        return _DaySpec((_Days(monday + weekday * _DAY, monday + weekday * _DAY),), weekday)

    def _weekday(self, match: re.Match[str], today: date) -> _DaySpec:
        which, weekday, week = match[1], _WEEKDAY_NAMES[match[2]], bool(match[3])
        ahead = (weekday - today.weekday()) % 7
        coming = today + ahead * _DAY
        nearest = today + ((weekday - today.weekday() - 1) % 7 + 1) * _DAY
        if which == "last":
            back = (today.weekday() - weekday - 1) % 7 + 1
            return _DaySpec((_Days(today - back * _DAY, today - back * _DAY),), weekday)
        if which == "next":
            following = today - today.weekday() * _DAY + (7 + weekday) * _DAY
            days = list(dict.fromkeys((nearest, following)))
        elif which in ("coming", "this coming"):
            days = [nearest]
        else:
            days = [coming]
        if week:  # "Tuesday week": a week after Tuesday
            days = [day + 7 * _DAY for day in days]
        later = _Days(days[0] + 7 * _DAY, days[0] + 7 * _DAY)
        roll = which is None and not week
        readings = tuple(
            _Days(day, day, fallback=later if which in (None, "this") else None, roll=roll)
            for day in days
        )
        return _DaySpec(readings, weekday)

    def _month_end(self, today: date, months: int) -> _DaySpec:
        year, month = _month_after(today.year, today.month, months)
        last = _last_day(year, month)
        label = "the end of next month" if months else "the end of the month"
        after = None
        if not months:
            after = self._month_end(today, 1).readings[0]
        first = max(last - 6 * _DAY, today)
        return _DaySpec((_Days(first, last, label, fallback=after, roll=True),))

    def _month_start(self, today: date) -> _DaySpec:
        year, month = _month_after(today.year, today.month)
        first = date(year, month, 1)
        return self._span(first, first + 6 * _DAY, "early next month")

    def _whole_month(self, today: date, months: int, label: str) -> _DaySpec:
        year, month = _month_after(today.year, today.month, months)
        return self._span(max(date(year, month, 1), today), _last_day(year, month), label)

    def _named_month(self, match: re.Match[str], today: date) -> _DaySpec | None:
        prefix = (match[1] or "").strip()
        month = _MONTH_NAMES[match[2]]
        if match[2] == "may" and not prefix and not match[3]:
            return None  # "may" the verb: filler
        year = int(match[3]) if match[3] else today.year + (month < today.month)
        last = _last_day(year, month)
        first, until = {
            "early": (1, 10),
            "mid": (11, 20),
            "late": (21, last.day),
        }.get(prefix, (1, last.day))
        label = "" if prefix in ("", "in") else f"{prefix} {_MONTHS[month - 1].title()}"
        start, end = date(year, month, first), date(year, month, until)
        return self._span(max(start, today) if end >= today else start, end, label)

    def _day_of_month(self, day: int, today: date) -> _DaySpec:
        if not 1 <= day <= 31:
            raise DateQuestion(f"There's no {_ordinal(day)} in any month. Which date did you mean?")
        found = _next_day_of_month(day, today)
        return self._single(found, fallback=_next_day_of_month(day, found + _DAY), roll=True)

    def _iso_date(self, match: re.Match[str], context: _Context) -> _DaySpec:
        return self._calendar_date(int(match[3]), int(match[2]), int(match[1]), context)

    def _numeric_date(self, match: re.Match[str], context: _Context) -> _DaySpec:
        first, second = int(match[1]), int(match[2])
        day, month = (first, second) if self.day_first else (second, first)
        if month > 12 >= day:  # only one reading is a date: "14/3" in the US, "3/14" here
            day, month = month, day
        year = None if match[3] is None else int(match[3])
        if year is not None and year < 100:
            year += 2000
        return self._calendar_date(day, month, year, context)

    def _text_date(self, day: str, month: str, year: str | None, context: _Context) -> _DaySpec:
        return self._calendar_date(
            int(day), _MONTH_NAMES[month], None if year is None else int(year), context
        )

    def _calendar_date(self, day: int, month: int, year: int | None, context: _Context) -> _DaySpec:
        """A date, with or without a year; without, the next one that is not past."""
        today = context.today
        if not 1 <= month <= 12:
            raise DateQuestion("Sorry, I didn't catch that date. Which day and month did you mean?")
        said = f"{day} {_MONTHS[month - 1].title()}"
        if year is not None:
            exact = _valid_date(year, month, day)
            if exact is None:
                raise DateQuestion(f"There's no {said} {year}. Which date did you mean?")
            return self._single(exact)
        this_year = _valid_date(today.year, month, day)
        next_year = _valid_date(today.year + 1, month, day)
        if this_year is None and next_year is None:
            raise DateQuestion(f"There's no {said}. Which date did you mean?")
        if this_year is not None and this_year >= today:
            return self._single(this_year)
        if next_year is not None and (next_year <= context.last_day or this_year is None):
            return self._single(next_year)
        assert this_year is not None
        return self._single(this_year)  # passed this year, next year's too far: ask

    # --- Resolving ---------------------------------------------------------------------

    def _resolve_asking(self, alternatives: list[_Alternative], context: _Context) -> _Resolved:
        """Resolve both readings of "next <weekday>"; ask back when they differ."""
        outcomes: list[_Resolved | DateQuestion] = []
        for reading in (0, 1):
            try:
                outcomes.append(self._combine(alternatives, reading, context))
            except DateQuestion as question:
                outcomes.append(question)
        nearest, following = outcomes
        if isinstance(nearest, _Resolved) and isinstance(following, _Resolved):
            if (nearest.start, nearest.end) == (following.start, following.end):
                return nearest
            if nearest.clock_words == following.clock_words:
                options = (nearest.day_words, following.day_words)
            else:
                options = (nearest.description, following.description)
            raise DateQuestion(f"Do you mean {options[0]}, or {options[1]}?")
        if isinstance(nearest, _Resolved):
            return nearest
        if isinstance(following, _Resolved):
            return following
        raise nearest

    def _combine(
        self, alternatives: list[_Alternative], reading: int, context: _Context
    ) -> _Resolved:
        """One window for "X or Y" when they join up; otherwise ask which suits better."""
        resolved = [self._resolve_one(a, reading, context) for a in alternatives]
        if len(resolved) == 1:
            return resolved[0]
        ordered = sorted(resolved, key=lambda r: (r.start, r.end))
        joined: _Resolved | None = ordered[0]
        for later in ordered[1:]:
            joined = None if joined is None else _join(joined, later)
        if joined is None:
            options = [r.description for r in resolved]
            raise DateQuestion(f"Which would suit you better: {_say_or(options)}?")
        day_words, clock_words = _say_together(resolved)
        return _Resolved(
            joined.start,
            joined.end,
            joined.first_day,
            joined.last_day,
            joined.span,
            day_words,
            clock_words,
        )

    def _resolve_one(self, alternative: _Alternative, reading: int, context: _Context) -> _Resolved:
        today = context.today
        clock = alternative.clock
        if alternative.days is not None:
            readings = alternative.days.readings
            days = readings[min(reading, len(readings) - 1)]
        elif alternative.asap or clock is None:
            spoken = f"in the next {_say_count(ASAP_DAYS // 7, 'week')}"
            if ASAP_DAYS % 7:
                spoken = f"in the next {ASAP_DAYS} days"
            days = _Days(today, today + ASAP_DAYS * _DAY, spoken=spoken)
        else:  # a time with no day: today while it lasts, then tomorrow
            days = _Days(today, today, fallback=_Days(today + _DAY, today + _DAY), roll=True)
        return self._build(days, clock, context)

    def _build(self, days: _Days, clock: _Clock | None, context: _Context) -> _Resolved:
        if clock is None:
            start = self._wall(days.first, 0)
            end = self._wall(days.last + _DAY, 0)
            usable_until = self._wall(days.last, self._close)
        else:
            start = self._wall(days.first, clock.start)
            end = usable_until = self._wall(days.last, clock.end)
        if context.now >= usable_until:
            if days.roll and days.fallback is not None:
                return self._build(days.fallback, clock, context)
            raise DateQuestion(self._passed(days, clock, context))
        if start >= context.limit:
            raise DateQuestion(
                f"I can only book up to {self.horizon_days} days ahead, that's up to "
                f"{_say_date(context.last_day, context.today)}. Which day before then would suit?"
            )
        several = days.first != days.last
        return _Resolved(
            start=max(start, context.now),
            end=min(end, context.limit),
            first_day=days.first,
            last_day=days.last,
            span=None if clock is None else (clock.start, clock.end),
            day_words=self._say_days(days, context.today),
            clock_words="" if clock is None else clock.plural if several else clock.words,
        )

    def _passed(self, days: _Days, clock: _Clock | None, context: _Context) -> str:
        """The question for a window that is wholly in the past."""
        if days.last == context.today:
            said = "That time has already passed today." if clock else "We've closed for today."
        else:
            said = f"{_capitalise(self._say_days(days, context.today))} has already passed."
        fallback = days.fallback
        if fallback is None and days.last == context.today:
            fallback = _Days(context.today + _DAY, context.today + _DAY)
        if fallback is None:
            return f"{said} Which day coming up would suit?"
        offer = self._say_days(fallback, context.today)
        if clock is not None:
            several = fallback.first != fallback.last
            offer = f"{offer}, {clock.plural if several else clock.words}"
        return f"{said} Would {offer} suit?"

    @staticmethod
    def _say_days(days: _Days, today: date) -> str:
        if days.spoken:
            return days.spoken
        if days.first == days.last:
            text = _say_day(days.first, today)
        else:
            text = _say_range(days.first, days.last, today)
        return f"{days.label}, {text}" if days.label else text

    def _wall(self, day: date, minutes: int) -> datetime:
        """The UTC instant of `minutes` after local midnight starting `day` (1440 = next day)."""
        extra, minutes = divmod(minutes, _MINUTES_PER_DAY)
        naive = datetime.combine(day + extra * _DAY, time(minutes // 60, minutes % 60))
        return _instant(naive, self.zone)

    @staticmethod
    def _time_of(minutes: int) -> time:
        return time(23, 59) if minutes >= _MINUTES_PER_DAY else time(minutes // 60, minutes % 60)


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


# --- Dates of birth ----------------------------------------------------------------------

_DOB_AGAIN = "Could you tell me your date of birth again, with the day, month and year?"


def parse_date_of_birth(text: str, *, today: date, day_first: bool = True) -> date:
    """A date of birth as said or typed: "12 April 1985", "12th of April 1985", "April 12 1985",
    "12/04/1985", "12-4-85", "1985-04-12", "12 4 1985", "twelfth of April nineteen eighty-five".

    A two-digit year is put in the century that makes the caller 0 to 110 years old and not yet
    to be born. A date in the future or more than 120 years ago, an impossible date or one
    without a year raises DateQuestion; anything else unreadable raises DateNotUnderstood.
    """
    tokens = _dob_tokens(text)
    months = [_MONTH_NAMES[t] for t in tokens if t in _MONTH_NAMES]
    numbers = [t for t in tokens if t.isdigit()]
    if len(months) > 1 or len(tokens) != len(months) + len(numbers):
        raise DateNotUnderstood("Sorry, I didn't catch that date of birth.")
    if months:
        day_text, year_text = _dob_day_and_year(numbers)
        month = months[0]
    else:
        day_text, month_text, year_text = _dob_numeric(numbers, day_first)
        month = int(month_text)
    day = int(day_text)
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


def _dob_tokens(text: str) -> list[str]:
    """Words and numbers of a date of birth, fillers and ordinal endings gone."""
    text = re.sub(r"[\u2018\u2019'.,/\\-]", " ", text.lower())
    text = " ".join(_numbers_to_digits(text.split()))
    text = re.sub(r"\b(\d{1,2})(?:st|nd|rd|th)\b", r"\1", text)
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
