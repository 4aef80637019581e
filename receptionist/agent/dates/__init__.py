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
- Dates said in words read as their digits would: "fourteenth of December", "the twenty
  first", "March the third", "April first", "the thirty-first".
- "in three days", "in a couple of days": that day. "in a few days": the days two to four
  days from today (`FEW_DAYS`). "in two weeks", "in a fortnight", "in a couple of weeks", "in
  2 weeks' time", "two weeks from now": the five days centred on the day two weeks from today
  (`WEEKS_SLACK_DAYS` either side), because callers mean roughly then. "in a month": the week
  centred on the same date next month. "within two weeks", "in the next 3 days": from now to
  the end of that day.
- Weeks counted from a named day mean exactly that day: "a week today", "a week from today"
  and "this time next week" are seven days from today; "two weeks today", "a fortnight
  today", "three weeks from today" that many weeks on; "a week from tomorrow" counts from
  tomorrow. "a week on Monday", "a week from Monday" are "Monday week".
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
  day part overrides this: "morning at 6" is 6 am and "evening at 7" is 7 pm, and so do "nine
  in the morning", "four in the afternoon" and "seven in the evening".
- Clock times in words are "at" that time, under the rule above: "four o'clock", "at four"
  (4 pm); "half past ten", "half ten" (10:30); "quarter past nine" (9:15); "quarter to three"
  (2:45); "five past ten" (10:05); "ten to four", "twenty to four" (3:50, 3:40: without
  "minutes" only 5, 10, 20 and 25 to the hour, and never after "from" or "between", so "from
  ten to four" is 10 am to 4 pm); an hour then minutes, "eleven forty-five", "ten thirty",
  "nine oh five" (11:45, 10:30, 9:05); "nine a m", "two p m", "9 a.m."; "midday", "noon",
  "twelve noon" (12 pm); "oh nine hundred", "fifteen hundred hours" (9 am, 3 pm).
- A number with nothing to make it a day or a time is not understood, so the agent asks
  rather than guesses: "I'm forty-five", "two of us", "Room 4", "for 30 minutes", and a date
  of birth such as "fourteen three eighty-eight".
- Times are clipped to opening hours; a time wholly outside them asks back.
- A time with no day means today while time that fits remains, otherwise tomorrow: "first
  thing" at 9:30 am is 9:30-10:00 today, at 11 am it is tomorrow's.

Every window starts no earlier than now. A window wholly in the past ("this morning" at 3 pm,
"last Tuesday", "3 March 2020") asks back, offering the next option in words where there is an
obvious one. Nothing more than `horizon_days` ahead is offered: a window starting later asks
back, a window running past it is cut short.

Windows are built from local wall times with `zoneinfo`: a wall time the clocks skip (the
spring-forward gap) means the instant they jumped; one they repeat means its first occurrence.

Dates of birth (`parse_date_of_birth`) are plain dates, in digits or words, day first unless
`day_first=False`: "the fifth of July nineteen ninety", "5th of July 1990", "July fifth,
nineteen ninety", "twenty-third of March two thousand and one", "fourteen three eighty-eight"
(14/3/88). "Oh" and "zero" are the digit 0, so "oh-five oh-seven ninety" is 05/07/90, 5 July
1990; a year may be said in pairs ("nineteen ninety", "twenty ten", "nineteen oh nine"), in
thousands ("two thousand and one") or digit by digit ("one nine nine zero"). A two-digit year
is in the century that makes the caller 0 to `TWO_DIGIT_YEAR_MAX_AGE` years old, never a date
still to come: said in March 2026, "first of June twenty-six" is 1 June 1926.

In whole sentences, `when_phrase` keeps the day/time words for the resolver ("Can I move my
Thursday one to next Friday at half past ten" -> "next friday at half past ten": the Thursday
is the appointment being moved) and `split_birth_date` takes out a date of birth; what each
leaves out, and why, is in `receptionist.agent.dates.extract`.

The package, by concept: `windows` (the answer, the errors, day parts, the clinic's clock),
`words` (vocabulary and normalising what speech-to-text gives), `days` and `times` (reading),
`readings` and `saying` (what was read, and how it is said back), `resolver`, `birth`,
`extract`. Number words are read with our own small table, not a number-words library:
dates and clocks need readings such libraries do not give (adjacent numbers are a clock time
or a date, not one sum: "ten thirty" is 10:30, "nineteen ninety" is 1990; "oh" is a zero only
between numbers; "first" is an ordinal or a position by context).
"""

from __future__ import annotations

from receptionist.agent.dates.birth import parse_date_of_birth
from receptionist.agent.dates.days import FEW_DAYS
from receptionist.agent.dates.extract import split_birth_date, when_phrase
from receptionist.agent.dates.resolver import DateResolver
from receptionist.agent.dates.windows import (
    AROUND_MARGIN,
    ASAP_DAYS,
    AT_LENGTH,
    DAY_PARTS,
    DOB_MAX_AGE_YEARS,
    MONTH_SLACK_DAYS,
    TWO_DIGIT_YEAR_MAX_AGE,
    WEEKS_SLACK_DAYS,
    DateNotUnderstood,
    DateQuestion,
    DayPart,
    NextWeekday,
    TimeWindow,
)
from receptionist.agent.dates.words import DAY_ORDINALS, MONTH_NAMES, WEEKDAY_NAMES

__all__ = [
    "DAY_ORDINALS",
    "MONTH_NAMES",
    "WEEKDAY_NAMES",
    "AROUND_MARGIN",
    "ASAP_DAYS",
    "AT_LENGTH",
    "DAY_PARTS",
    "DOB_MAX_AGE_YEARS",
    "FEW_DAYS",
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
    "split_birth_date",
    "when_phrase",
]
