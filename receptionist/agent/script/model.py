"""The call script's model: `CallScript` and the parts a clinic describes itself with.

Hours are in `hours`, public holidays in `public_holidays`, policies and transfers in
`policies`; loading YAML with line numbers is in `loading`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from receptionist.agent.script.fields import Answer, Name, ScriptModel, Sentence, Short, text
from receptionist.agent.script.hours import OpeningHours, TimeRange, open_at
from receptionist.agent.script.locale import (
    DEFAULT_EMERGENCY_TEXT,
    EMERGENCY_NUMBERS,
    emergency_number,
)
from receptionist.agent.script.policies import Policies, Transfer, normal_e164
from receptionist.agent.script.public_holidays import (
    HolidayCalendar,
    PublicHolidays,
    fold_name,
    holiday_calendar,
    state_code,
)


class Persona(ScriptModel):
    """Who answers the phone."""

    name: Annotated[str, text(40)]
    tone: Short = Field(description="How to sound, e.g. 'warm, calm and efficient'.")


class Location(ScriptModel):
    """A practice location: where it is and how to get there."""

    name: Name
    address: Short
    parking: Sentence | None = None
    directions: Sentence | None = None
    hours: OpeningHours | None = Field(
        default=None, description="Only if this location's hours differ from the clinic's."
    )


class Price(ScriptModel):
    """One price list entry, said as written."""

    item: Annotated[str, text(100)]
    price: Annotated[str, text(60)] = Field(description="As it should be said, e.g. '$125'.")


class Faq(ScriptModel):
    """A question callers ask, the clinic's answer, and words that point to it."""

    question: Annotated[str, text(200)]
    answer: Answer
    keywords: tuple[Annotated[str, text(40)], ...] = ()


_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Za-z]{2}|\d{3}))?$")
_ALPHA_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


class CallScript(ScriptModel):
    """Everything a clinic wants said on its phone line."""

    clinic_name: Name
    greeting: Annotated[str, text(200)] = Field(description="One or two sentences.")
    country: str = Field(description="ISO 3166 alpha-2, e.g. AU.")
    language: str = Field(default="en", description="BCP-47, e.g. en-AU; default en-<country>.")
    state: str | None = Field(
        default=None,
        description="State or province for public holidays (e.g. NSW); none: national only.",
    )
    tts_voice: Annotated[str, text(80)] | None = None
    persona: Persona
    hours: OpeningHours
    public_holidays: PublicHolidays = PublicHolidays()
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

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, value: object, info: ValidationInfo) -> object:
        country = info.data.get("country")
        if value is None or not isinstance(value, str) or not isinstance(country, str):
            return value  # a bad country is reported on its own
        return state_code(country, value)

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
        return normal_e164(value, "SMS sender number")

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
                detail = (
                    f"must tell callers to call {known} in {self.country} "
                    "(or use the {number} placeholder)"
                )
                raise _cross_field(("policies", "emergency"), detail)
        self._check_holiday_names()
        return self

    def _check_holiday_names(self) -> None:
        """Every holiday the script opens on is one the library knows here, by name."""
        if not self.public_holidays.open:
            return
        calendar = self.holiday_calendar
        this_year = date.today().year
        # A few years either side: some holidays are not every year (an observed day, a
        # one-off), and names change (the Queen's Birthday became the King's in 2023).
        names = calendar.names(range(this_year - 2, this_year + 4))
        where = self.country + (f"-{self.state}" if self.state else "")
        by_fold = {fold_name(name): name for name in names}
        for exception in self.public_holidays.open:
            loc = ("public_holidays", "open", exception.name)
            if exception.on is not None:
                if not calendar.on(exception.on):
                    detail = f"{exception.name} is not a public holiday in {where}"
                    raise _cross_field(loc, detail)
                continue
            if fold_name(exception.name) in by_fold:
                continue
            detail = f"{where} has no public holiday called {exception.name!r}"
            hint = _closest(fold_name(exception.name), list(by_fold))
            if hint is not None:
                detail += f" (did you mean {by_fold[hint]!r}?)"
            elif not names:
                detail = f"the holidays library has no public holidays for {where}"
            raise _cross_field(loc, detail)

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

    @property
    def holiday_calendar(self) -> HolidayCalendar:
        """The public holidays for the script's country and state."""
        return holiday_calendar(self.country, self.state, self.language)

    def holidays_on(self, day: date) -> tuple[str, ...]:
        """The names of the public holidays on `day` (none on an ordinary day)."""
        return self.holiday_calendar.on(day)

    def hours_on(self, day: date) -> tuple[TimeRange, ...]:
        """The clinic's hours on `day`: the week's, unless it is a public holiday."""
        usual = self.hours.on(day.weekday())
        return self.public_holidays.hours_on(day, self.holidays_on(day), usual)

    def is_open(self, at: datetime, clinic_zone: str | tzinfo | None = None) -> bool:
        """Is the clinic open at `at` (public holidays included)?

        An aware `at` is converted to `clinic_zone` (required then); a naive `at` is taken to be
        clinic wall-clock time already.
        """
        local = _clinic_wall_time(at, clinic_zone)
        return open_at(self.hours_on(local.date()), local)

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


def _cross_field(loc: tuple[str, ...], detail: str) -> PydanticCustomError:
    """An error found across fields, reported at `loc` (see `loading`)."""
    return PydanticCustomError(
        "cross_field", "{path}: {detail}", {"path": ".".join(loc), "loc": loc, "detail": detail}
    )


def _closest(word: str, choices: list[str]) -> str | None:
    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


def zone(clinic_zone: str | tzinfo) -> tzinfo:
    """The zone named `clinic_zone` (an IANA name), or ValueError if there is none."""
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
    return at.astimezone(zone(clinic_zone)).replace(tzinfo=None)
