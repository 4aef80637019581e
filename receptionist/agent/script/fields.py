"""The building blocks every part of a call script is made of: a strict frozen model base,
bounded text types and the placeholder check."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints


class ScriptModel(BaseModel):
    """A part of a call script: unknown keys are errors (a typo is never silently ignored),
    and a loaded script never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def text(max_length: int) -> Any:
    """Constraints for a stripped, non-empty string of at most `max_length` characters."""
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Name = Annotated[str, text(80)]
Short = Annotated[str, text(160)]
Sentence = Annotated[str, text(300)]
Answer = Annotated[str, text(400)]

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_placeholders(value: str | None, allowed: str) -> str | None:
    """`value` unchanged, or ValueError if it has a `{placeholder}` other than `{allowed}`."""
    if value is not None:
        for name in _PLACEHOLDER.findall(value):
            if name != allowed:
                raise ValueError(f"unknown placeholder {{{name}}}: only {{{allowed}}} is filled in")
    return value
