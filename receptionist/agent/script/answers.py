"""Short spoken answers about the clinic (`clinic_info`): hours and public holidays,
addresses, directions, parking, prices, policies and the script's FAQs.

The agent fetches these through a tool instead of carrying every fact in its instructions.
Questions about a day are answered for the clinic's own calendar: "are you open on Good
Friday?" names the holiday's next date (on or after the clinic's today) and says closed or
the hours; "are you open on Monday?" says so when the coming Monday is a public holiday.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta

from rapidfuzz import fuzz

from receptionist.agent.script.hours import WEEKDAYS, OpeningHours, TimeRange, speak_ranges
from receptionist.agent.script.locale import speak_date
from receptionist.agent.script.model import CallScript, Faq, Location
from receptionist.agent.script.public_holidays import holidays_named, same_holiday

NO_INFORMATION = (
    "I'm sorry, I don't have that information. I can take a message and have the team call "
    "you back."
)

_STOP_WORDS = frozenset(
    "a an and are at can do does for have how i if in is it me my of on or our the there to "
    "what when where which who will with you your we us any about".split()
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.casefold())


def _has(topic: str, *phrases: str) -> bool:
    return any(re.search(rf"\b{re.escape(phrase)}", topic) for phrase in phrases)


def _content(text: str) -> str:
    return " ".join(w for w in _words(text) if w not in _STOP_WORDS)


def _locations_for(script: CallScript, topic: str) -> tuple[Location, ...]:
    named = tuple(loc for loc in script.locations if loc.name.casefold() in topic)
    return named or script.locations


def _join_sentences(parts: Iterable[str]) -> str:
    return " ".join(p if p.endswith((".", "!", "?")) else f"{p}." for p in parts if p)


def _hours_answer(script: CallScript, topic: str, today: date) -> str:
    """A named holiday's or day's hours if the topic names one (a coming weekday that is a
    public holiday says so); a named location's own hours if it has them."""
    named = [loc for loc in script.locations if loc.name.casefold() in topic and loc.hours]
    places: list[tuple[str, OpeningHours]] = [(loc.name, loc.hours) for loc in named if loc.hours]
    if not places:
        places = [("we", script.hours)]
    mention = holidays_named(topic, script.holiday_calendar.names(_years(today)))
    rest = " ".join(mention.left)
    days = [i for i, day in enumerate(WEEKDAYS) if _has(rest, day)]
    parts: list[str] = []
    if mention.names:
        parts += _holiday_parts(script, places, mention.names, today, mention.occasion)
    elif _has(topic, "public holiday", "bank holiday"):
        parts += _holiday_policy(script, today)
    said: set[date] = set()
    for n, word in enumerate(_SOON):
        day = today + timedelta(days=n)
        if _has(rest, word) and day not in said:
            said.add(day)
            parts += _date_parts(script, places, day, today)
    about_a_day = bool(parts)
    for who, hours in places:
        for i in days:
            coming = today + timedelta(days=(i - today.weekday()) % 7)
            name = WEEKDAYS[i].capitalize()
            if not script.holidays_on(coming):
                parts.append(f"On {name}, {_state(who, hours.on(i))}")
                continue
            if coming not in said:  # said once for all the places asked about
                said.add(coming)
                parts += _date_parts(script, places, coming, today)
            parts.append(f"Other {name}s, {_state(who, hours.on(i))}")
        if not days and not about_a_day:
            verb = "we're" if who == "we" else f"{who} is"
            parts.append(f"{verb.capitalize()} open {hours.summary()}")
    about_holidays = mention.names or _has(topic, "public holiday", "bank holiday")
    if not named and not about_holidays and any(loc.hours for loc in script.locations):
        names = _and_list([loc.name for loc in script.locations if loc.hours is not None])
        parts.append(f"{names} {'have their' if ' and ' in names else 'has its'} own hours")
    return _join_sentences(parts)


_SOON = ("today", "tomorrow")


def _years(today: date) -> range:
    return range(today.year, today.year + 2)


def _state(who: str, ranges: tuple[TimeRange, ...]) -> str:
    """A place's state, for a sentence: we're open 8 am to 12 pm; Parramatta is closed."""
    verb = "we're" if who == "we" else f"{who} is"
    return f"{verb} open {speak_ranges(ranges)}" if ranges else f"{verb} closed"


def _on_day(script: CallScript, places: Sequence[tuple[str, OpeningHours]], day: date) -> str:
    """What each place does on `day`, for a sentence: "we're closed"."""
    names = script.holidays_on(day)
    states = [
        _state(who, script.public_holidays.hours_on(day, names, hours.on(day.weekday())))
        for who, hours in places
    ]
    return _and_list(states)


def _say_holiday(name: str) -> str:
    """A library name as it is said: 'ANZAC Day (observed)' -> 'the Anzac Day public holiday'."""
    # Speech engines spell out words in capitals, so ANZAC is said as a word.
    spoken = re.sub(r"\b[A-Z]{4,}\b", lambda m: m[0].capitalize(), name)
    observed = re.fullmatch(r"(.*?)\s*\(observed\)", spoken)
    return f"the {observed[1]} public holiday" if observed else spoken


def _holiday_parts(
    script: CallScript,
    places: Sequence[tuple[str, OpeningHours]],
    names: Sequence[str],
    today: date,
    occasion: bool = False,
) -> list[str]:
    """For each holiday named, its next date and what the clinic does then; a holiday's
    observed day comes with it when it falls in the same week."""
    upcoming = script.holiday_calendar.upcoming(today)
    firsts: list[tuple[date, str]] = []
    for name in names:
        found = next((day for day, other in upcoming if other == name), None)
        if found is not None:
            firsts.append((found, name))
    firsts.sort()
    kept: list[tuple[date, str]] = []
    for day, name in firsts:
        related = [d for d, other in kept if same_holiday(other, name)]
        if related and day - related[0] > timedelta(days=7):
            continue  # next year's observed day, not this one's
        if (day, name) not in kept:
            kept.append((day, name))
    if occasion:
        # "Easter": this Easter's holidays, not next year's Good Friday when it has passed.
        kept = [(d, n) for d, n in kept if d - kept[0][0] <= timedelta(days=7)]
    parts = []
    for day, name in kept[:4]:
        spoken = _say_holiday(name)
        parts.append(
            f"{spoken[:1].upper()}{spoken[1:]} is on {speak_date(day, script.country)}, "
            f"and {_on_day(script, places, day)}"
        )
    return parts


def _date_parts(
    script: CallScript,
    places: Sequence[tuple[str, OpeningHours]],
    day: date,
    today: date,
) -> list[str]:
    """A public holiday on a coming `day` the caller asked about, said; nothing otherwise."""
    names = script.holidays_on(day)
    if not names:
        return []
    when = {0: "Today", 1: "Tomorrow"}.get((day - today).days, "")
    spoken = speak_date(day, script.country)
    holiday = _and_list([_say_holiday(name) for name in names])
    holiday += "," if holiday.endswith("public holiday") else ", a public holiday,"
    lead = f"{when}, {spoken}," if when else spoken
    return [f"{lead} is {holiday} and {_on_day(script, places, day)}"]


def _holiday_policy(script: CallScript, today: date) -> list[str]:
    """What the clinic does on public holidays, and the next one."""
    rules = script.public_holidays
    parts = [
        "We're closed on public holidays"
        if rules.closed
        else "We keep our usual hours on public holidays"
    ]
    # A date's exception is said only while it is still to come.
    exceptions = [e for e in rules.open if e.on is None or e.on >= today]
    if exceptions:
        opened = [
            f"{_say_holiday(e.name) if e.on is None else speak_date(e.on, script.country)}, "
            f"{speak_ranges(e.hours) if e.hours else 'closed'}"
            for e in exceptions
        ]
        parts[0] += f", except {_and_list(opened)}"
    upcoming = script.holiday_calendar.upcoming(today)
    if upcoming:
        day, name = upcoming[0]
        parts.append(f"The next is {_say_holiday(name)}, on {speak_date(day, script.country)}")
    return parts


def _and_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _address_answer(script: CallScript, topic: str, today: date) -> str:
    locations = _locations_for(script, topic)
    if not locations:
        return ""
    with_directions = _has(topic, "direction", "get there", "find", "how do i get")
    parts: list[str] = []
    if len(locations) > 1:
        count = len(locations)
        parts.append(f"We have {_NUMBER_WORDS[count] if count < 10 else count} locations")
    for loc in locations:
        parts.append(f"{loc.name} is at {loc.address}")
        if with_directions and loc.directions:
            parts.append(loc.directions)
    return _join_sentences(parts)


def _parking_answer(script: CallScript, topic: str, today: date) -> str:
    locations = [loc for loc in _locations_for(script, topic) if loc.parking]
    if not locations:
        return ""
    if len(locations) == 1:
        return _join_sentences([locations[0].parking or ""])
    return _join_sentences(f"At {loc.name}, {_lower_first(loc.parking or '')}" for loc in locations)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _price_answer(script: CallScript, topic: str, today: date) -> str:
    if not script.prices:
        return ""
    content = _content(topic)
    scored = [(fuzz.partial_token_set_ratio(_content(p.item), content), p) for p in script.prices]
    best_score = max(score for score, _ in scored)
    if content and best_score >= 80:
        chosen = [p for score, p in scored if score == best_score]
    else:
        chosen = list(script.prices)
    return _join_sentences(f"{p.item} is {p.price}" for p in chosen)


def _faq_by_keywords(script: CallScript, topic: str) -> Faq | None:
    best: tuple[int, Faq] | None = None
    for faq in script.faqs:
        hits = sum(1 for kw in faq.keywords if _has(topic, kw.casefold()))
        if hits and (best is None or hits > best[0]):
            best = (hits, faq)
    return None if best is None else best[1]


def _faq_by_similarity(script: CallScript, topic: str) -> Faq | None:
    content = _content(topic)
    if not content:
        return None
    best: tuple[float, Faq] | None = None
    for faq in script.faqs:
        score = fuzz.token_set_ratio(content, _content(faq.question))
        if score >= 75 and (best is None or score > best[0]):
            best = (score, faq)
    return None if best is None else best[1]


_TopicAnswer = Callable[[CallScript, str, date], str]

_BUILT_IN_TOPICS: tuple[tuple[tuple[str, ...], _TopicAnswer], ...] = (
    (
        ("cancel", "reschedul", "late fee", "no show", "missed appointment"),
        lambda s, t, d: _join_sentences(
            [
                f"We ask for {s.policies.cancellation_notice_hours} hours' notice to cancel "
                "or change an appointment",
                s.late_cancellation_notice,
            ]
        ),
    ),
    (
        ("new patient", "first visit", "first appointment", "first time", "never been"),
        lambda s, t, d: s.policies.new_patients,
    ),
    (("parking", "park", "car "), _parking_answer),
    (
        ("address", "where", "location", "direction", "get there", "find you", "located"),
        _address_answer,
    ),
    (
        (
            "hour",
            "open",
            "close",
            "closing",
            "opening",
            "times",
            "weekend",
            "saturday",
            "sunday",
            "public holiday",
            "bank holiday",
        ),
        _hours_answer,
    ),
    (("price", "cost", "fee", "how much", "charge", "pay", "expensive"), _price_answer),
    (("emergency", "urgent"), lambda s, t, d: s.emergency_instruction),
)


def clinic_info(script: CallScript, topic: str, *, today: date | None = None) -> str:
    """A short, speakable answer about the clinic on `topic` (hours and public holidays,
    address, directions, parking, prices, cancellation policy, new patients, or one of the
    FAQs), or NO_INFORMATION when the script doesn't cover it.

    `today` is the clinic's local date, for questions about a day ("are you open on Good
    Friday?" is about the next Good Friday); the system's date when not given (previews).
    """
    text = " ".join(_words(topic))
    if not text:
        return NO_INFORMATION
    today = today or date.today()
    faq = _faq_by_keywords(script, text)
    if faq is not None:
        return faq.answer
    # A holiday named on its own ("Good Friday?") is a question about the hours then.
    names = script.holiday_calendar.names(_years(today))
    about_holiday = bool(holidays_named(text, names).names)
    answers: list[str] = []
    for phrases, answer in _BUILT_IN_TOPICS:
        if _has(text + " ", *phrases) or (about_holiday and answer is _hours_answer):
            spoken = answer(script, text, today)
            if spoken and spoken not in answers:
                answers.append(spoken)
        if len(answers) == 2:
            break
    if answers:
        return " ".join(answers)
    faq = _faq_by_similarity(script, text)
    if faq is not None:
        return faq.answer
    return NO_INFORMATION


def clinic_info_topics(script: CallScript) -> list[str]:
    """The topics `clinic_info` can answer for this script (for the tool's description)."""
    topics = ["opening hours", "public holidays"]
    if script.locations:
        topics += ["address", "directions"]
    if any(loc.parking for loc in script.locations):
        topics.append("parking")
    if script.prices:
        topics.append("prices")
    topics += ["cancellation policy", "new patients"]
    topics += [faq.question for faq in script.faqs]
    return topics
