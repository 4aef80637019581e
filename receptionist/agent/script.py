"""Call scripts: what a clinic wants its receptionist to say, as validated YAML.

A clinic's script is a small YAML file (see `prompts/demo_clinic.yaml`) deep-merged over the
shipped `prompts/defaults.yaml`, then validated into a frozen `CallScript`. Mistakes are
reported the way a compiler reports them, with the file and the line of the offending key:

    clinic.yaml:12: policies.cancellation_notice_hours: Input should be a valid integer
    clinic.yaml:3: hours.wednsday: unknown key 'wednsday' (did you mean 'wednesday'?)

Unknown keys are errors, so a typo can never be silently ignored.

From a script come the LLM's system instructions (`render_instructions`, rendering
`prompts/instructions.j2`: persona, voice style, the rules the tools enforce, emergencies,
transfers; compact on purpose) and short spoken answers about the clinic (`clinic_info`: hours,
addresses, parking, prices, policies, FAQs), which the agent fetches through a tool instead of
carrying every fact in its instructions.

Opening hours are wall-clock times in the clinic's zone. The script does not name the zone
(the practice-management system does); callers pass it: `is_open(at, clinic_zone=...)`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import phonenumbers
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from rapidfuzz import fuzz

from prompts import data_file

__all__ = [
    "DEFAULT_EMERGENCY_NUMBER",
    "EMERGENCY_NUMBERS",
    "NO_INFORMATION",
    "WEEKDAYS",
    "CallScript",
    "Faq",
    "Location",
    "OpeningHours",
    "Persona",
    "Policies",
    "Price",
    "ScriptError",
    "ScriptIssue",
    "TimeRange",
    "Transfer",
    "clinic_info",
    "clinic_info_topics",
    "demo_script",
    "emergency_number",
    "load_script",
    "parse_script",
    "render_instructions",
]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# The number a caller should ring in an emergency, by ISO 3166 country; 112 elsewhere (it works
# on GSM mobiles almost everywhere, and is the EU number).
EMERGENCY_NUMBERS: dict[str, str] = {
    "AU": "000",
    "NZ": "111",
    "GB": "999",
    "IE": "112",
    "US": "911",
    "CA": "911",
}
DEFAULT_EMERGENCY_NUMBER = "112"
DEFAULT_EMERGENCY_TEXT = (
    "If anyone may be in danger or needs urgent medical help, the caller should hang up "
    "and call {number} now."
)

NO_INFORMATION = (
    "I'm sorry, I don't have that information. I can take a message and have the team call "
    "you back."
)

_LANGUAGE_NAMES = {
    "en-AU": "Australian English",
    "en-NZ": "New Zealand English",
    "en-GB": "British English",
    "en-IE": "Irish English",
    "en-US": "American English",
    "en-CA": "Canadian English",
}


def emergency_number(country: str) -> str:
    """The emergency number for an ISO 3166 alpha-2 country code (112 if not known)."""
    return EMERGENCY_NUMBERS.get(country.upper(), DEFAULT_EMERGENCY_NUMBER)


# ---------------------------------------------------------------------------------------------
# Field types


def _text(max_length: int) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Name = Annotated[str, _text(80)]
Short = Annotated[str, _text(160)]
Sentence = Annotated[str, _text(300)]
Answer = Annotated[str, _text(400)]


class TimeRange(NamedTuple):
    """Open from `start` (inclusive) to `end` (exclusive), clinic wall-clock time."""

    start: time
    end: time


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _parse_clock(text: str, whole: str) -> time:
    match = _CLOCK.match(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} in {whole!r} is not a 24-hour time like 08:30")
    return time(int(match[1]), int(match[2]))


def _parse_day_hours(value: object) -> object:
    """'08:00-18:00', '08:00-12:00, 13:00-17:00' or 'closed' -> tuple of TimeRange."""
    if isinstance(value, tuple):
        return value  # already parsed (built in Python)
    if isinstance(value, bool) or not isinstance(value, str):
        hint = ""
        if isinstance(value, int) and not isinstance(value, bool):
            hint = ' (quote times in YAML, e.g. "08:00-18:00": an unquoted 8:00 is a number)'
        raise ValueError(f"expected opening hours like '08:00-18:00' or 'closed'{hint}")
    text = value.strip()
    if text.lower() == "closed":
        return ()
    ranges: list[TimeRange] = []
    for part in text.split(","):
        pieces = re.split(r"\s*[-\u2013]\s*", part.strip())
        if len(pieces) != 2:
            raise ValueError(f"expected opening hours like '08:00-18:00' or 'closed', got {text!r}")
        start, end = (_parse_clock(piece, text) for piece in pieces)
        if end <= start:
            raise ValueError(f"{part.strip()!r} closes before it opens")
        if ranges and start < ranges[-1].end:
            raise ValueError(f"{text!r}: ranges must be in order and must not overlap")
        ranges.append(TimeRange(start, end))
    return tuple(ranges)


DayHours = Annotated[tuple[TimeRange, ...], BeforeValidator(_parse_day_hours)]


def _speak_time(at: time) -> str:
    hour = at.hour % 12 or 12
    suffix = "am" if at.hour < 12 else "pm"
    return f"{hour} {suffix}" if at.minute == 0 else f"{hour}:{at.minute:02d} {suffix}"


def _speak_ranges(ranges: tuple[TimeRange, ...]) -> str:
    return " and ".join(f"{_speak_time(r.start)} to {_speak_time(r.end)}" for r in ranges)


def _speak_days(first: int, last: int) -> str:
    names = [day.capitalize() for day in WEEKDAYS]
    if first == last:
        return names[first]
    if last == first + 1:
        return f"{names[first]} and {names[last]}"
    return f"{names[first]} to {names[last]}"


def _normal_e164(value: object, what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f'write the {what} in quotes, e.g. "+61 2 5550 4321" '
            "(YAML reads an unquoted +61... as a plain integer)"
        )
    if not isinstance(value, str):
        raise ValueError(f'the {what} must be a string like "+61 2 5550 4321"')
    text = value.strip()
    if not text.startswith("+"):
        raise ValueError(
            f"{text!r} is not in international E.164 form (start with + and the "
            "country code, e.g. +61 2 5550 4321)"
        )
    try:
        parsed = phonenumbers.parse(text, None)
        valid = phonenumbers.is_valid_number(parsed)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        raise ValueError(f"{text!r} is not a valid phone number (E.164)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _check_placeholders(text: str | None, allowed: str) -> str | None:
    if text is not None:
        for name in _PLACEHOLDER.findall(text):
            if name != allowed:
                raise ValueError(f"unknown placeholder {{{name}}}: only {{{allowed}}} is filled in")
    return text


# ---------------------------------------------------------------------------------------------
# The model


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Persona(_Model):
    """Who answers the phone."""

    name: Annotated[str, _text(40)]
    tone: Short = Field(description="How to sound, e.g. 'warm, calm and efficient'.")


class OpeningHours(_Model):
    """Weekly hours, clinic wall-clock time; every day is spelled out ('closed' if closed)."""

    monday: DayHours
    tuesday: DayHours
    wednesday: DayHours
    thursday: DayHours
    friday: DayHours
    saturday: DayHours
    sunday: DayHours

    def on(self, weekday: int) -> tuple[TimeRange, ...]:
        """The ranges open on `weekday` (0 = Monday, as `date.weekday()`)."""
        hours: tuple[TimeRange, ...] = getattr(self, WEEKDAYS[weekday])
        return hours

    def is_open_at(self, local: datetime) -> bool:
        """Open at the naive clinic wall-clock time `local`?"""
        at = local.time().replace(tzinfo=None)
        return any(r.start <= at < r.end for r in self.on(local.weekday()))

    def summary(self) -> str:
        """Speakable: 'Monday to Friday 8 am to 6 pm, Saturday 8 am to 12 pm, closed Sunday'."""
        days = [self.on(i) for i in range(7)]
        if all(d == days[0] for d in days):
            return f"every day {_speak_ranges(days[0])}" if days[0] else "closed every day"
        parts: list[str] = []
        first = 0
        for i in range(1, 8):
            if i < 7 and days[i] == days[first]:
                continue
            span = _speak_days(first, i - 1)
            hours = days[first]
            parts.append(f"{span} {_speak_ranges(hours)}" if hours else f"closed {span}")
            first = i
        return ", ".join(parts)


class Location(_Model):
    """A practice location: where it is and how to get there."""

    name: Name
    address: Short
    parking: Sentence | None = None
    directions: Sentence | None = None
    hours: OpeningHours | None = Field(
        default=None, description="Only if this location's hours differ from the clinic's."
    )


class Price(_Model):
    item: Annotated[str, _text(100)]
    price: Annotated[str, _text(60)] = Field(description="As it should be said, e.g. '$125'.")


class Faq(_Model):
    question: Annotated[str, _text(200)]
    answer: Answer
    keywords: tuple[Annotated[str, _text(40)], ...] = ()


class Policies(_Model):
    cancellation_notice_hours: int = Field(ge=0, le=336)
    late_cancellation: Sentence = Field(
        description="Relayed when a change is inside the notice period; {hours} is filled in."
    )
    new_patients: Sentence
    no_clinical_advice: Sentence
    emergency: Sentence | None = Field(
        default=None,
        description="Overrides the built-in emergency line; {number} is the country's number.",
    )

    @field_validator("late_cancellation")
    @classmethod
    def _hours_placeholder(cls, value: str) -> str:
        _check_placeholders(value, "hours")
        return value

    @field_validator("emergency")
    @classmethod
    def _number_placeholder(cls, value: str | None) -> str | None:
        return _check_placeholders(value, "number")


class Transfer(_Model):
    """Handing the call to a person."""

    number: str | None = Field(default=None, description="E.164; no number, no transfers.")
    when: tuple[Annotated[str, _text(80)], ...] = Field(default=(), max_length=12)
    only_during_hours: bool = True

    @field_validator("number", mode="before")
    @classmethod
    def _e164(cls, value: object) -> str | None:
        return None if value is None else _normal_e164(value, "transfer number")


_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Za-z]{2}|\d{3}))?$")
_ALPHA_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


class CallScript(_Model):
    """Everything a clinic wants said on its phone line."""

    clinic_name: Name
    greeting: Annotated[str, _text(200)] = Field(description="One or two sentences.")
    country: str = Field(description="ISO 3166 alpha-2, e.g. AU.")
    language: str = Field(default="en", description="BCP-47, e.g. en-AU; default en-<country>.")
    tts_voice: Annotated[str, _text(80)] | None = None
    persona: Persona
    hours: OpeningHours
    locations: tuple[Location, ...] = ()
    prices: tuple[Price, ...] = ()
    faqs: tuple[Faq, ...] = ()
    policies: Policies
    bookable_by_phone: Literal["all"] | tuple[str, ...] = Field(
        default="all",
        union_mode="left_to_right",
        description="'all', or appointment type names (matched case-insensitively).",
    )
    transfer: Transfer = Transfer()
    sms_sender: str | None = Field(
        default=None, description="E.164 number or alphanumeric sender id (up to 11 characters)."
    )

    @field_validator("greeting")
    @classmethod
    def _short_greeting(cls, value: str) -> str:
        if len(_SENTENCE_END.findall(value)) > 2:
            raise ValueError("a greeting is one or two sentences")
        return value

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: object) -> object:
        if isinstance(value, str):
            code = value.strip().upper()
            if code not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 country code, e.g. AU")
            return code
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        match = _LANGUAGE.match(value.strip())
        if match is None:
            raise ValueError(f"{value!r} is not a BCP-47 language tag like en-AU")
        lang, script, region = match.groups()
        parts = [lang.lower(), script.capitalize() if script else "", (region or "").upper()]
        return "-".join(p for p in parts if p)

    @field_validator("bookable_by_phone", mode="before")
    @classmethod
    def _bookable(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() == "all":
            return "all"
        if isinstance(value, list | tuple) and all(isinstance(v, str) and v.strip() for v in value):
            return tuple(v.strip() for v in value)
        raise ValueError("expected 'all' or a list of appointment type names")

    @field_validator("sms_sender", mode="before")
    @classmethod
    def _sender(cls, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, str) and not value.strip().startswith("+"):
            if _ALPHA_SENDER.match(value.strip()) is None:
                raise ValueError(
                    "an alphanumeric sender id is 1 to 11 letters, digits or spaces, "
                    "with at least one letter"
                )
            return value.strip()
        return _normal_e164(value, "SMS sender number")

    @model_validator(mode="before")
    @classmethod
    def _default_language(cls, data: Any) -> Any:
        """No language given: English as spoken in the clinic's country (en-AU for AU)."""
        if isinstance(data, dict) and data.get("language") is None:
            country = data.get("country")
            if (
                isinstance(country, str)
                and country.strip().upper() in phonenumbers.SUPPORTED_REGIONS
            ):
                return {**data, "language": f"en-{country.strip().upper()}"}
        return data

    @model_validator(mode="after")
    def _cross_checks(self) -> CallScript:
        override = self.policies.emergency
        known = EMERGENCY_NUMBERS.get(self.country)
        if override is not None and known is not None:
            if "{number}" not in override and not re.search(rf"(?<!\d){known}(?!\d)", override):
                raise PydanticCustomError(
                    "cross_field",
                    "{path}: {detail}",
                    {
                        "path": "policies.emergency",
                        "detail": f"must tell callers to call {known} in {self.country} "
                        "(or use the {number} placeholder)",
                    },
                )
        return self

    # -- derived facts ---------------------------------------------------------------------

    @property
    def emergency_number(self) -> str:
        return emergency_number(self.country)

    @property
    def emergency_instruction(self) -> str:
        """The emergency line to give, with the country's number in it."""
        text = self.policies.emergency or DEFAULT_EMERGENCY_TEXT
        return text.replace("{number}", self.emergency_number)

    @property
    def late_cancellation_notice(self) -> str:
        """The late-cancellation text to relay, notice hours filled in."""
        hours = str(self.policies.cancellation_notice_hours)
        return self.policies.late_cancellation.replace("{hours}", hours)

    def hours_summary(self) -> str:
        """The clinic's weekly hours, speakable."""
        return self.hours.summary()

    def is_open(self, at: datetime, clinic_zone: str | tzinfo | None = None) -> bool:
        """Is the clinic open at `at`?

        An aware `at` is converted to `clinic_zone` (required then); a naive `at` is taken to be
        clinic wall-clock time already. Public holidays are not known to the script.
        """
        return self.hours.is_open_at(_clinic_wall_time(at, clinic_zone))

    def can_transfer(self, at: datetime, clinic_zone: str | tzinfo | None = None) -> bool:
        """A transfer number is set and, if transfers are for opening hours only, it's open."""
        if self.transfer.number is None:
            return False
        return not self.transfer.only_during_hours or self.is_open(at, clinic_zone)

    def is_phone_bookable(self, type_name: str) -> bool:
        """May an appointment type (the PMS's name) be booked over the phone?"""
        if self.bookable_by_phone == "all":
            return True
        wanted = {name.casefold() for name in self.bookable_by_phone}
        return type_name.strip().casefold() in wanted

    def phone_bookable_types(self, type_names: Iterable[str]) -> list[str]:
        """The PMS's appointment types that may be booked by phone, in the order given."""
        return [name for name in type_names if self.is_phone_bookable(name)]


def _zone(clinic_zone: str | tzinfo) -> tzinfo:
    if isinstance(clinic_zone, tzinfo):
        return clinic_zone
    try:
        return ZoneInfo(clinic_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {clinic_zone!r}") from exc


def _clinic_wall_time(at: datetime, clinic_zone: str | tzinfo | None) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        return at
    if clinic_zone is None:
        raise ValueError("an aware datetime needs clinic_zone to be read as clinic time")
    return at.astimezone(_zone(clinic_zone)).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------------
# Loading, with line numbers


@dataclass(frozen=True)
class ScriptIssue:
    """One problem in a script: where (line of the offending key, dotted path) and what."""

    line: int | None
    path: str
    message: str
    source: str = "<string>"

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScriptError(ValueError):
    """A script that does not load: every issue found, each with its line."""

    def __init__(self, errors: list[ScriptIssue]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(issue) for issue in self.errors))


Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class _Document:
    data: dict[str, Any]
    lines: dict[Loc, int]
    source: str


def _compose(text: str, source: str) -> _Document:
    """Parse YAML keeping each key's (and each list item's) 1-based line number."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Loc, int] = {}
        issues: list[ScriptIssue] = []
        if node is not None:
            _collect_lines(node, (), lines, issues, source)
        if issues:
            raise ScriptError(issues)
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ": ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        line = None if mark is None else mark.line + 1
        raise ScriptError([ScriptIssue(line, "", f"YAML syntax error: {what}", source)]) from None
    except yaml.YAMLError as exc:
        raise ScriptError([ScriptIssue(None, "", f"YAML syntax error: {exc}", source)]) from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        line = None if node is None else node.start_mark.line + 1
        message = "a call script is a YAML mapping of keys to values"
        raise ScriptError([ScriptIssue(line, "", message, source)])
    return _Document(data, lines, source)


def _collect_lines(
    node: yaml.Node, path: Loc, lines: dict[Loc, int], issues: list[ScriptIssue], source: str
) -> None:
    if len(path) > 32:
        return  # aliases can make a tree deeper than any script is
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            if key in seen and key != "<<":
                dotted = _dotted((*path, key))
                message = f"duplicate key (first given on line {seen[key]})"
                issues.append(ScriptIssue(line, dotted, message, source))
            seen.setdefault(key, line)
            lines.setdefault((*path, key), line)
            _collect_lines(value_node, (*path, key), lines, issues, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.setdefault((*path, index), item.start_mark.line + 1)
            _collect_lines(item, (*path, index), lines, issues, source)


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _deep_merge(base: Any, over: Any) -> Any:
    """`over` on top of `base`: mappings merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _deep_merge(base[key], value) if key in base else value
        return merged
    return over


@lru_cache(maxsize=1)
def _defaults() -> _Document:
    return _compose(data_file("defaults.yaml").read_text(encoding="utf-8"), "defaults.yaml")


def parse_script(text: str, *, source: str = "<string>", defaults: bool = True) -> CallScript:
    """Validate a script given as YAML text (merged over the shipped defaults unless told not
    to); raises ScriptError with every issue, each with the line of its key in `source`."""
    clinic = _compose(text, source)
    base = _defaults() if defaults else None
    data = _deep_merge(base.data, clinic.data) if base is not None else clinic.data
    try:
        return CallScript.model_validate(data)
    except ValidationError as exc:
        issues = [_issue(error, clinic, base) for error in exc.errors()]
        issues.sort(key=lambda issue: (issue.source != clinic.source, issue.line or 0))
        raise ScriptError(issues) from None


def load_script(path: Path | str, *, defaults: bool = True) -> CallScript:
    """Validate the script in the YAML file at `path` (see `parse_script`)."""
    return parse_script(Path(path).read_text(encoding="utf-8"), source=str(path), defaults=defaults)


@lru_cache(maxsize=1)
def demo_script() -> CallScript:
    """The demo clinic's script (`prompts/demo_clinic.yaml`), Harbourside Physio."""
    text = data_file("demo_clinic.yaml").read_text(encoding="utf-8")
    return parse_script(text, source="demo_clinic.yaml")


def _issue(error: Any, clinic: _Document, base: _Document | None) -> ScriptIssue:
    loc: Loc = tuple(error["loc"])
    message: str = error["msg"]
    kind: str = error["type"]
    if kind == "cross_field":
        path_text: str = error["ctx"]["path"]
        loc = tuple(path_text.split("."))
        message = error["ctx"]["detail"]
    elif kind == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}" if loc else "unknown key"
        hint = difflib.get_close_matches(str(loc[-1]), _fields_at(loc[:-1]), n=1, cutoff=0.6)
        if hint:
            message += f" (did you mean {hint[0]!r}?)"
    elif kind == "missing":
        message = "required, but not given"
    message = message.removeprefix("Value error, ")
    source, line = _locate(loc, clinic, base)
    return ScriptIssue(line, _dotted(loc), message, source)


def _locate(loc: Loc, clinic: _Document, base: _Document | None) -> tuple[str, int | None]:
    """The file and line to blame: the key itself in the clinic's file, else in the defaults,
    else the nearest enclosing key in the clinic's file."""
    if loc in clinic.lines:
        return clinic.source, clinic.lines[loc]
    if base is not None and loc in base.lines:
        return base.source, base.lines[loc]
    for end in range(len(loc) - 1, 0, -1):
        if loc[:end] in clinic.lines:
            return clinic.source, clinic.lines[loc[:end]]
    return clinic.source, None


def _fields_at(loc: Loc) -> list[str]:
    """Field names of the model found by following `loc` from CallScript (for hints)."""
    model: type[BaseModel] | None = CallScript
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = None if field is None else _model_in(field.annotation)
    return [] if model is None else list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


# ---------------------------------------------------------------------------------------------
# Instructions


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=True,
    )
    return environment.from_string(data_file("instructions.j2").read_text(encoding="utf-8"))


def _speak_date(day: date, country: str) -> str:
    weekday = day.strftime("%A")
    month = day.strftime("%B")
    if country == "US":
        return f"{weekday}, {month} {day.day}, {day.year}"
    return f"{weekday} {day.day} {month} {day.year}"


def render_instructions(
    script: CallScript,
    *,
    today: date,
    clinic_zone: str,
    appointment_types: Sequence[str] = (),
) -> str:
    """The LLM's system instructions for a call to this clinic.

    `today` is the date in the clinic's zone `clinic_zone` (an IANA name); `appointment_types`
    are the PMS's type names (to say which can be booked by phone; without them the script's
    own list is used).
    """
    _zone(clinic_zone)  # fail early on a typo
    if appointment_types:
        phone_types = script.phone_bookable_types(appointment_types)
        other_types = [name for name in appointment_types if name not in phone_types]
    else:
        phone_types = [] if script.bookable_by_phone == "all" else list(script.bookable_by_phone)
        other_types = []
    return _template().render(
        script=script,
        clinic_name=script.clinic_name,
        persona=script.persona,
        language=_LANGUAGE_NAMES.get(script.language, script.language),
        today=_speak_date(today, script.country),
        zone_label=clinic_zone.rsplit("/", 1)[-1].replace("_", " "),
        clinic_zone=clinic_zone,
        all_bookable=script.bookable_by_phone == "all" and not appointment_types,
        phone_types=phone_types,
        other_types=other_types,
        cancellation_notice=script.late_cancellation_notice,
        no_clinical_advice=script.policies.no_clinical_advice,
        emergency=script.emergency_instruction,
        transfer=script.transfer,
        hours_summary=script.hours_summary(),
    )


# ---------------------------------------------------------------------------------------------
# Clinic facts, spoken


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


def _hours_answer(script: CallScript, topic: str) -> str:
    """A named day if the topic names one; a named location's own hours if it has them."""
    named = [loc for loc in script.locations if loc.name.casefold() in topic and loc.hours]
    places: list[tuple[str, OpeningHours]] = [(loc.name, loc.hours) for loc in named if loc.hours]
    if not places:
        places = [("we", script.hours)]
    days = [i for i, day in enumerate(WEEKDAYS) if _has(topic, day)]
    parts: list[str] = []
    for who, hours in places:
        verb = "we're" if who == "we" else f"{who} is"
        if days:
            for i in days:
                ranges = hours.on(i)
                state = f"open {_speak_ranges(ranges)}" if ranges else "closed"
                parts.append(f"On {WEEKDAYS[i].capitalize()}, {verb} {state}")
        else:
            parts.append(f"{verb.capitalize()} open {hours.summary()}")
    if not named and any(loc.hours is not None for loc in script.locations):
        names = _and_list([loc.name for loc in script.locations if loc.hours is not None])
        parts.append(f"{names} {'have their' if ' and ' in names else 'has its'} own hours")
    return _join_sentences(parts)


def _and_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _address_answer(script: CallScript, topic: str) -> str:
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


def _parking_answer(script: CallScript, topic: str) -> str:
    locations = [loc for loc in _locations_for(script, topic) if loc.parking]
    if not locations:
        return ""
    if len(locations) == 1:
        return _join_sentences([locations[0].parking or ""])
    return _join_sentences(f"At {loc.name}, {_lower_first(loc.parking or '')}" for loc in locations)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _price_answer(script: CallScript, topic: str) -> str:
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


_TopicAnswer = Callable[[CallScript, str], str]

_BUILT_IN_TOPICS: tuple[tuple[tuple[str, ...], _TopicAnswer], ...] = (
    (
        ("cancel", "reschedul", "late fee", "no show", "missed appointment"),
        lambda s, t: _join_sentences(
            [
                f"We ask for {s.policies.cancellation_notice_hours} hours' notice to cancel "
                "or change an appointment",
                s.late_cancellation_notice,
            ]
        ),
    ),
    (
        ("new patient", "first visit", "first appointment", "first time", "never been"),
        lambda s, t: s.policies.new_patients,
    ),
    (("parking", "park", "car "), _parking_answer),
    (
        ("address", "where", "location", "direction", "get there", "find you", "located"),
        _address_answer,
    ),
    (
        ("hour", "open", "close", "closing", "opening", "times", "weekend", "saturday", "sunday"),
        _hours_answer,
    ),
    (("price", "cost", "fee", "how much", "charge", "pay", "expensive"), _price_answer),
    (("emergency", "urgent"), lambda s, t: s.emergency_instruction),
)


def clinic_info(script: CallScript, topic: str) -> str:
    """A short, speakable answer about the clinic on `topic` (hours, address, directions,
    parking, prices, cancellation policy, new patients, or one of the FAQs), or
    NO_INFORMATION when the script doesn't cover it."""
    text = " ".join(_words(topic))
    if not text:
        return NO_INFORMATION
    faq = _faq_by_keywords(script, text)
    if faq is not None:
        return faq.answer
    answers: list[str] = []
    for phrases, answer in _BUILT_IN_TOPICS:
        if _has(text + " ", *phrases):
            spoken = answer(script, text)
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
    topics = ["opening hours"]
    if script.locations:
        topics += ["address", "directions"]
    if any(loc.parking for loc in script.locations):
        topics.append("parking")
    if script.prices:
        topics.append("prices")
    topics += ["cancellation policy", "new patients"]
    topics += [faq.question for faq in script.faqs]
    return topics
