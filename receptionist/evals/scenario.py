"""Scenario files: what the caller says, what a scripted model does, what must hold at the end."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCENARIO_DIR = Path(__file__).parent / "scenarios"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelStep(_Model):
    """One scripted model response: text, or tool calls (several means parallel calls)."""

    say: str | None = None
    call: dict[str, dict[str, Any]] | None = None
    raw: dict[str, str] | None = Field(None, description="tool name -> raw arguments text")

    @model_validator(mode="after")
    def _one(self) -> ModelStep:
        if sum(x is not None for x in (self.say, self.call, self.raw)) != 1:
            raise ValueError("a model step is exactly one of say, call or raw")
        return self


class ExpectedAppointment(_Model):
    patient: str
    practitioner: str | None = None
    type: str | None = None
    date: dt.date | None = None
    between: tuple[dt.time, dt.time] | None = None
    starts: dt.time | None = None


class ExpectedMove(_Model):
    patient: str
    from_date: dt.date
    to_date: dt.date | None = None
    between: tuple[dt.time, dt.time] | None = None


class Expect(_Model):
    outcome: str
    booked: tuple[ExpectedAppointment, ...] = ()
    cancelled: tuple[ExpectedAppointment, ...] = ()
    moved: tuple[ExpectedMove, ...] = ()
    registered: tuple[str, ...] = ()
    messages: int = 0
    transferred: bool = False
    tools: tuple[str, ...] = Field(default=(), description="must run successfully, in order")
    refused: tuple[str, ...] = Field(default=(), description="must have been refused at least once")
    model_refused: tuple[str, ...] = Field(
        default=(), description="refused at least once when the scripted model drives the call"
    )
    notice: bool | None = Field(None, description="a late-change notice was relayed (or not)")
    identified: str | None = None
    said: tuple[str, ...] = Field(default=(), description="each matches some agent turn")
    not_said: tuple[str, ...] = Field(default=(), description="none matches any agent turn")

    @field_validator("said", "not_said")
    @classmethod
    def _patterns(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {pattern!r}: {exc}") from exc
        return patterns


class GivenAppointment(_Model):
    """An appointment booked before the call, in the clinic's local time."""

    patient: str
    practitioner: str
    type: str
    date: dt.date
    time: dt.time
    location: str | None = None


class GivenCancellation(_Model):
    """An appointment cancelled before the call: the patient's one on that date (and time)."""

    patient: str
    date: dt.date
    time: dt.time | None = None


class Given(_Model):
    """The diary the call starts from: the demo seed, then these cancellations and bookings."""

    cancel: tuple[GivenCancellation, ...] = ()
    add: tuple[GivenAppointment, ...] = ()


class Scenario(_Model):
    name: str
    summary: str
    caller_number: str | None = None
    caller: tuple[str, ...]
    model: tuple[tuple[ModelStep, ...], ...] | None = None
    given: Given = Given()
    expect: Expect
    pms_down: bool = False

    @model_validator(mode="after")
    def _paired(self) -> Scenario:
        if self.model is not None and len(self.model) != len(self.caller):
            raise ValueError(
                f"model has {len(self.model)} turns for {len(self.caller)} caller turns"
            )
        return self


def load_scenarios(directory: Path = SCENARIO_DIR) -> list[Scenario]:
    """Every scenario in the directory, sorted by file name."""
    scenarios = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        try:
            scenarios.append(Scenario.model_validate(data))
        except ValueError as exc:
            raise ValueError(f"{path.name}: {exc}") from exc
    names = [s.name for s in scenarios]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate scenario names: {sorted(duplicates)}")
    return scenarios
