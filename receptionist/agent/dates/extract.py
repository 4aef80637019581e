"""Lifting the day/time words and a date of birth out of a whole sentence.

The guided engine hears sentences ("Can I move my Thursday one to next Friday at half past ten
please"), but `DateResolver.resolve` reads only day/time words. `when_phrase` keeps those
words, in order, and `split_birth_date` takes a date of birth out so it is neither read as a
booking day nor left inside a name. Neither turns words into dates: that stays the resolver's
and `parse_date_of_birth`'s job.

What `when_phrase` leaves out, on purpose:

- a number with nothing to make it a time or a date: "I'm forty-five", "two of us", "Room 4";
  a bare number is a time only after "at", "around", "after", "before", "by", "until",
  "from" or "between", before "am"/"pm"/"o'clock", or as an hour and minutes ("ten thirty")
  (so "at 4 Smith Street" still gives "at 4": the words alone cannot tell);
- "first", "second" and "third" alone ("the second one" is a position in a list), unless they
  follow "twenty"/"thirty", precede "of", or follow "on the" ("on the third");
- an appointment the caller already has, named by its day or time: after "my" ("my Thursday
  appointment") or before "one" ("the four o'clock one"), so a move or cancel request yields
  only the day wanted;
- the past and durations: "since Monday", "last Tuesday", "two weeks ago", and "for two weeks"
  (how long, not when).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from receptionist.agent.dates.birth import _birth_parts
from receptionist.agent.dates.windows import DateNotUnderstood, DateQuestion
from receptionist.agent.dates.words import (
    _MONTH_NAMES,
    _ORDINAL_TENS,
    _ORDINALS,
    _TENS,
    _UNITS,
    _WEEKDAYS,
)

# --- when_phrase -------------------------------------------------------------------------

_DAY_NAMES = frozenset(_WEEKDAYS) | {"tue", "tues", "wed", "weds", "thu", "thur", "thurs", "fri"}
# "may" is a month only next to a day number ("I may be late"); "mar" only as "March".
_MONTH_WORDS = frozenset(_MONTH_NAMES) - {"mar", "may"}
_ANCHORS = (
    _DAY_NAMES
    | _MONTH_WORDS
    | frozenset(
        """
        today tomorrow tonight yesterday morning mornings arvo afternoon afternoons evening
        evenings lunchtime lunch week weeks fortnight weekend month noon midday am pm asap soon
        soonest earliest days oclock
        """.split()
    )
)
_NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TENS) | {"oh"}
_CONNECTORS = _NUMBER_WORDS | frozenset(
    """
    next this on at the in after before around about by from of first early late later end
    half past quarter to o clock day a or and any time possible as ish until till couple few
    between mid coming following now thing m p hundred may
    """.split()
)
_ASAP_WORDS = frozenset("as soon possible asap soonest earliest next available any time".split())
_EDGE = frozenset("on at the in of to a or and by from as any".split())
_TIME_PREPOSITIONS = frozenset("at around about after before by until till from between".split())
_TIME_AFTER = frozenset("am pm oclock ish o hundred".split())
_MINUTE_WORDS = frozenset("fifteen twenty thirty forty fifty oh".split())
_HOUR_WORDS = frozenset(w for w, n in _UNITS.items() if 1 <= n <= 12)
_APPOINTMENT_NOUNS = frozenset("one ones appointment appointments booking session visit".split())
_OWNERS = frozenset("my our his her your".split())
_PAST = frozenset("since last".split())
_DURATION = _NUMBER_WORDS | frozenset(
    "a an couple few of the day days week weeks fortnight month months".split()
)
_UNIT_WORDS = frozenset("week fortnight couple few month".split())
_CLOCK_TOKEN = re.compile(r"\d{1,2}(?::\d{2}(?:am|pm)?|am|pm)|\d{1,2}/\d{1,2}(?:/\d{2,4})?")
_DAY_NUMBER = re.compile(r"\d{1,2}(?:st|nd|rd|th)")
_BARE_NUMBER = re.compile(r"\d{1,2}")
_ASAP_SAID = re.compile(r"\b(?:as soon as possible|asap|soonest|earliest|next available)\b")


def when_phrase(text: str) -> str | None:
    """The day/time words in a sentence, in order ("next tuesday morning"), or None.

    The words come back lower case, ready for `DateResolver.resolve`; "asap" when the caller
    only asked for the soonest. What is left out, and why, is in the module docstring.
    """
    tokens = _when_tokens(text)
    kept: list[str] = []
    for start, end in _runs(tokens):
        run = tokens[start:end]
        if _is_reference(tokens, start, end) or _is_past_or_duration(tokens, start, end):
            continue
        kept.extend(_trim(run))
    if _ASAP_SAID.search(" ".join(tokens)):
        rest = [t for t in kept if t not in _ASAP_WORDS]
        return " ".join(rest) if rest else "asap"
    return " ".join(kept) or None


def _when_tokens(text: str) -> list[str]:
    raw = re.sub(r"(\d)\s*([ap])\.?\s*m\b\.?", r"\1\2m", text.lower())
    raw = re.sub(r"\b([ap])\.\s?m\.", r"\1m", raw)  # "nine a.m."
    raw = re.sub(r"(\d{1,2})[.:](\d{2})", r"\1:\2", raw)
    found = re.findall(
        r"[a-z]+(?:['\u2019][a-z]+)?|\d{1,2}(?::\d{2})?(?:am|pm|st|nd|rd|th)?"
        r"(?:/\d{1,2}(?:/\d{2,4})?)?(?!\d)|\d+",
        raw,
    )
    return [t.replace("'", "").replace("\u2019", "") for t in found]


def _is_number(token: str) -> bool:
    return token in _NUMBER_WORDS or _BARE_NUMBER.fullmatch(token) is not None


def _is_anchor(tokens: Sequence[str], i: int) -> bool:
    """Whether token i makes the words around it a day or a time."""
    token = tokens[i]
    before = tokens[i - 1] if i > 0 else ""
    two_before = tokens[i - 2] if i > 1 else ""
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if token in _ANCHORS or _CLOCK_TOKEN.fullmatch(token) or _DAY_NUMBER.fullmatch(token):
        return True
    if token == "thing":
        return before == "first"
    if token == "may":  # the month, not the verb, only next to a day number
        return _is_number(after) or after in _ORDINALS or before in ("of", "in", "early", "late")
    if token in ("first", "second", "third"):
        if before in _TENS or before in _MONTH_NAMES or after == "of":
            return True  # "twenty first", "March third", "third of April"
        return before == "the" and (two_before == "on" or two_before in _MONTH_NAMES)
    if token in _ORDINALS or token in _ORDINAL_TENS:
        return True
    if _is_number(token):
        if before in _TIME_PREPOSITIONS or after in _TIME_AFTER:
            return True
        if before in ("past", "to") and (
            two_before in ("half", "quarter") or _is_number(two_before)
        ):
            return True
        if before == "half":  # "half ten"
            return True
        if after in ("a", "p") and i + 2 < len(tokens) and tokens[i + 2] == "m":
            return True
        hour = token in _HOUR_WORDS or (token.isdigit() and 1 <= int(token) <= 12)
        minutes = after in _MINUTE_WORDS or (after.isdigit() and len(after) == 2)
        return hour and minutes
    return False


def _runs(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """[start, end) of each stretch of day/time words that holds at least one anchor.

    "one" right after an anchor ("my Thursday one") ends the stretch: it names an appointment.
    """
    runs: list[tuple[int, int]] = []
    start: int | None = None
    anchored = False
    for i, token in enumerate(tokens):
        anchor = _is_anchor(tokens, i)
        ends_reference = token in ("one", "ones") and not anchor and i > 0 and anchored
        # "how about three" suggests a time; "about three" alone means roughly then.
        suggestion = token == "about" and i > 0 and tokens[i - 1] in ("how", "what")
        if (anchor or token in _CONNECTORS) and not ends_reference and not suggestion:
            start = i if start is None else start
            anchored = anchored or anchor
            continue
        if start is not None and anchored:
            runs.append((start, i))
        start, anchored = None, False
    if start is not None and anchored:
        runs.append((start, len(tokens)))
    return runs


def _is_reference(tokens: Sequence[str], start: int, end: int) -> bool:
    """An appointment already booked, named by its day or time: "my Thursday one"."""
    before = tokens[start - 1] if start > 0 else ""
    after = tokens[end] if end < len(tokens) else ""
    if before in _OWNERS:
        return True
    return after in _APPOINTMENT_NOUNS and (after.startswith("one") or tokens[start] == "the")


def _is_past_or_duration(tokens: Sequence[str], start: int, end: int) -> bool:
    """ "since Monday", "last Tuesday", "two weeks ago", "for two weeks"."""
    before = tokens[start - 1] if start > 0 else ""
    after = tokens[end] if end < len(tokens) else ""
    if before in _PAST or after == "ago":
        return True
    return before == "for" and all(t in _DURATION for t in tokens[start:end])


def _trim(run: list[str]) -> list[str]:
    """The run without linking words at its edges; "at" stays before a bare number ("at 4")."""
    while run and run[0] in _EDGE:
        if run[0] in ("at", "by", "from") and len(run) > 1 and _is_number(run[1]):
            break
        if run[0] == "a" and len(run) > 1 and run[1] in _UNIT_WORDS:
            break  # "a week from today", "a fortnight": the "a" is the number
        run = run[1:]
    while run and run[-1] in _EDGE:
        run = run[:-1]
    return run


# --- split_birth_date --------------------------------------------------------------------

_BIRTH_WORDS = (
    frozenset(_UNITS)
    | frozenset(_TENS)
    | frozenset(_ORDINALS)
    | frozenset(_ORDINAL_TENS)
    | frozenset(_MONTH_NAMES)
    | {"the", "of", "and", "oh", "o", "thousand"}
)
_BIRTH_TOKEN = re.compile(
    r"\d{1,4}(?:[/.\-]\d{1,4}){2}(?!\d)|\d+(?:st|nd|rd|th)?|[^\W\d_]+", re.IGNORECASE
)
_LONGEST_BIRTH_DATE = 12  # tokens: "the twenty third of March two thousand and twenty one"


def split_birth_date(text: str, *, day_first: bool = True) -> tuple[str | None, str]:
    """The date of birth said in `text`, as said, and the text without it.

    "Olivia Smith, the fourteenth of March nineteen eighty-eight" -> ("the fourteenth of March
    nineteen eighty-eight", "Olivia Smith, "). The longest stretch of date words that is a day,
    a month and a year is taken; without a year it is not a date of birth ("the 14th of
    March" is left, as a booking day). `parse_date_of_birth` reads what is found: a real date,
    or a question for an impossible one ("31 February 1990").
    """
    tokens = [(m.group(0).lower(), m.start(), m.end()) for m in _BIRTH_TOKEN.finditer(text)]
    best: tuple[int, int, int] | None = None  # (token count, start offset, end offset)
    for first in range(len(tokens)):
        if not _starts_birth_date(tokens, first):
            continue
        for last in range(min(len(tokens), first + _LONGEST_BIRTH_DATE) - 1, first - 1, -1):
            if not all(_birth_word(tokens[k][0]) for k in range(first, last + 1)):
                continue
            said = text[tokens[first][1] : tokens[last][2]]
            if _is_birth_date(said, day_first):
                if best is None or last - first + 1 > best[0]:
                    best = (last - first + 1, tokens[first][1], tokens[last][2])
                break
    if best is None:
        return None, text
    _, begin, finish = best
    return text[begin:finish], text[:begin] + text[finish:]


def _birth_word(token: str) -> bool:
    return token in _BIRTH_WORDS or token[:1].isdigit()


def _starts_birth_date(tokens: Sequence[tuple[str, int, int]], i: int) -> bool:
    token = tokens[i][0]
    if token == "the":
        return i + 1 < len(tokens) and tokens[i + 1][0] not in ("the", "of", "and")
    return _birth_word(token) and token not in ("of", "and", "thousand")


def _is_birth_date(said: str, day_first: bool) -> bool:
    """Day, month and a two- or four-digit year, whether or not that day exists."""
    try:
        day, month, year = _birth_parts(said, day_first)
    except (DateQuestion, DateNotUnderstood):
        return False
    if len(year) == 4 and not 1800 <= int(year) <= 2200:
        return False
    return 1 <= day <= 31 and 1 <= month <= 12 and len(year) in (2, 4)
