"""The clinic's policies (notice, new patients, clinical advice, emergencies) and transfers."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from pydantic import Field, field_validator

from receptionist.agent.script.fields import ScriptModel, Sentence, check_placeholders, text


def normal_e164(value: object, what: str) -> str:
    """A phone number from the script in E.164 form, or ValueError saying how to write it."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f'write the {what} in quotes, e.g. "+61 2 5550 4321" '
            "(YAML reads an unquoted +61... as a plain integer)"
        )
    if not isinstance(value, str):
        raise ValueError(f'the {what} must be a string like "+61 2 5550 4321"')
    number = value.strip()
    if not number.startswith("+"):
        raise ValueError(
            f"{number!r} is not in international E.164 form (start with + and the "
            "country code, e.g. +61 2 5550 4321)"
        )
    try:
        parsed = phonenumbers.parse(number, None)
        valid = phonenumbers.is_valid_number(parsed)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        raise ValueError(f"{number!r} is not a valid phone number (E.164)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class Policies(ScriptModel):
    """What the receptionist relays about notice, new patients, advice and emergencies."""

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
        check_placeholders(value, "hours")
        return value

    @field_validator("emergency")
    @classmethod
    def _number_placeholder(cls, value: str | None) -> str | None:
        return check_placeholders(value, "number")


class Transfer(ScriptModel):
    """Handing the call to a person."""

    number: str | None = Field(default=None, description="E.164; no number, no transfers.")
    when: tuple[Annotated[str, text(80)], ...] = Field(default=(), max_length=12)
    only_during_hours: bool = True

    @field_validator("number", mode="before")
    @classmethod
    def _e164(cls, value: object) -> str | None:
        return None if value is None else normal_e164(value, "transfer number")
