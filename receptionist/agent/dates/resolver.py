"""The resolver: a caller's phrase, through readings, to one `TimeWindow` or a question.

`DateResolver.resolve` reads the phrase (days in `days`, times in `times`), resolves each
side of "X or Y", joins them when they make one stretch, and for "next <weekday>" under
`NextWeekday.ASK` resolves both readings and asks when they differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from receptionist.agent.dates.days import _single, read_days
from receptionist.agent.dates.readings import (
    _Alternative,
    _Clock,
    _Context,
    _Days,
    _DaySpec,
    _Resolved,
)
from receptionist.agent.dates.saying import _capitalise, _say_count, _say_date, _say_days, _say_or
from receptionist.agent.dates.times import _PART, intersect, part_clock, read_times
from receptionist.agent.dates.windows import (
    _AM_PARTS,
    _DAY,
    _MINUTES_PER_DAY,
    _PART_NAMES,
    ASAP_DAYS,
    DateNotUnderstood,
    DateQuestion,
    DayPart,
    NextWeekday,
    TimeWindow,
    _instant,
    _minutes,
)
from receptionist.agent.dates.words import _WD, _WEEKDAYS, _normalise, _Words

_ASAP = (
    r"\b(?:any ?time|asap|as soon as possible|soonest|next available|first available|earliest"
    r"(?: available)?|whenever|no preference|next appointment|any day|any)\b"
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


class DateResolver:
    """Reads callers' day and time phrases into `TimeWindow`s in one clinic's time zone.

    `now` is called once per `resolve` and must return an aware datetime (any zone).
    `next_weekday` defaults to ASK (see the package docstring for why); `day_first` reads "3/4"
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
                specs.append(_single(context.today))
            clocks.append(part_clock(part, self._open, self._close))
            hint = "am" if part in _AM_PARTS else "pm"
        specs.extend(read_days(words, context, self.day_first))
        clocks.extend(read_times(words, hint))
        if words.leftover():
            raise DateNotUnderstood()
        return _Alternative(
            self._one_day(specs, context), intersect(clocks, self._open, self._close), asap
        )

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
        options = [_say_days(s.readings[0], context.today) for s in specs]
        raise DateQuestion(f"Sorry, which day did you mean: {_say_or(options)}?")

    # --- Day expressions ---------------------------------------------------------------
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
            day_words=_say_days(days, context.today),
            clock_words="" if clock is None else clock.plural if several else clock.words,
        )

    def _passed(self, days: _Days, clock: _Clock | None, context: _Context) -> str:
        """The question for a window that is wholly in the past."""
        if days.last == context.today:
            said = "That time has already passed today." if clock else "We've closed for today."
        else:
            said = f"{_capitalise(_say_days(days, context.today))} has already passed."
        fallback = days.fallback
        if fallback is None and days.last == context.today:
            fallback = _Days(context.today + _DAY, context.today + _DAY)
        if fallback is None:
            return f"{said} Which day coming up would suit?"
        offer = _say_days(fallback, context.today)
        if clock is not None:
            several = fallback.first != fallback.last
            offer = f"{offer}, {clock.plural if several else clock.words}"
        return f"{said} Would {offer} suit?"

    def _wall(self, day: date, minutes: int) -> datetime:
        """The UTC instant of `minutes` after local midnight starting `day` (1440 = next day)."""
        extra, minutes = divmod(minutes, _MINUTES_PER_DAY)
        naive = datetime.combine(day + extra * _DAY, time(minutes // 60, minutes % 60))
        return _instant(naive, self.zone)

    @staticmethod
    def _time_of(minutes: int) -> time:
        return time(23, 59) if minutes >= _MINUTES_PER_DAY else time(minutes // 60, minutes % 60)
