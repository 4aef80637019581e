"""Scenario files: what the caller says, what a scripted model does, what must hold at the end.

The format
==========
A scenario is one YAML file (``*.yaml``; a directory is read in file-name order). Unknown keys
are errors everywhere, so a typo never silently weakens a case.

Every scenario is played against the demo clinic: the demo seed (``diary.seed``) anchored on
**Monday 2 March 2026**, with the clock fixed at **8:00 am Australia/Sydney** that day, and the
demo clinic's call script. Dates and times in a file are local to the clinic (Sydney), and
"tomorrow" in a caller's words is Tuesday 3 March 2026. The seed at this anchor is a public
fixture: its rows do not change, so a file written against it keeps its meaning.

Top level:

``name`` (required)
    Unique within the directory; what ``receptionist eval`` reports.
``summary`` (required)
    One or two sentences: what the call is and what must happen.
``caller_number``
    The caller ID the call comes from (E.164), or absent for a withheld number.
``caller`` (required)
    The caller's turns, in order. The call ends early if the receptionist ends it.
``model``
    For replaying the OpenAI engine offline: per caller turn, the list of steps the scripted
    model takes, each exactly one of ``say: text``, ``call: {tool: {arguments}}`` (several
    tools in one mapping are parallel calls) or ``raw: {tool: "arguments text"}`` (malformed
    arguments on purpose). When given it has one entry per caller turn. Not used by the guided
    engine or by a real model.
``given``
    The diary the call starts from, applied before the call through the PMS adapter contract
    only (so it means the same on the built-in diary, Cliniko and Nookal). Cancellations are
    applied first, then bookings. If any entry cannot be applied exactly (unknown patient,
    practitioner, type or location; the slot is not free; nothing or more than one
    appointment to cancel), the case fails with a ``given:`` message and is not played.

    ``cancel``: a list of ``{patient, date, time}``: ``patient`` is a full name as the diary
    has it, ``date`` a local date (``2026-03-05``), ``time`` an optional local start time
    (``"13:00"``; needed when the patient has more than one appointment that day).

    ``add``: a list of ``{patient, practitioner, type, date, time, location}``: full names of
    a patient and a practitioner, the appointment type's name as the PMS has it
    (``Physiotherapy follow-up``), a local date and start time that must be a free slot, and
    optionally the location's name (``Surry Hills``).
``pms_down``
    ``true``: the practice system is unreachable from the first caller turn on.
``expect`` (required)
    What must be true at the end, below.

``expect``:

``outcome`` (required)
    The call's outcome, one of ``booked``, ``moved``, ``cancelled``, ``message``,
    ``transferred``, ``info``, ``abandoned`` (``receptionist.agent.session.Outcome``).
``booked`` / ``cancelled``
    Exactly these appointments are new / gone, and no others. Each is ``{patient,
    practitioner, type, date, starts, between}``: only ``patient`` is required; ``starts`` is
    an exact local start time, ``between: ["07:00", "12:00"]`` a half-open local range.
``moved``
    Exactly these moves: ``{patient, from_date, to_date, between}``.
``registered``
    First names of the new patients registered during the call (their number must match).
``messages``
    How many messages were taken (default 0).
``transferred``
    Whether the call was handed to a person (default false).
``tools``
    Tools that must have run successfully, in this order (others may run in between).
``refused``
    Tools that must have been refused at least once.
``model_refused``
    Like ``refused``, checked only when the OpenAI engine drives the call.
``notice``
    ``true`` / ``false``: a late-change notice was (not) relayed.
``identified``
    The full name the caller was identified as.
``said``
    Regular expressions (Python syntax, case-insensitive), each of which must match at least
    one of the agent's turns (the greeting included). YAML single quotes keep backslashes:
    ``'\\b000\\b'``.
``not_said``
    Regular expressions none of which may match any of the agent's turns.

Whatever a scenario says, every call is also checked for the forbidden outcomes: a write
without the caller's yes or without a read-back before it, another patient's details in what
the agent said or a tool returned, a double booking, and a phantom outcome (see
``receptionist.evals.judge`` and ``receptionist.evals.claims``). Apart from ``said`` and
``not_said``, wording is never judged.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from receptionist.agent.session import Outcome

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

    @field_validator("outcome")
    @classmethod
    def _outcome(cls, outcome: str) -> str:
        known = [o.value for o in Outcome]
        if outcome not in known:
            raise ValueError(f"outcome {outcome!r} is not one of {', '.join(known)}")
        return outcome

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
    """Every scenario in the directory, sorted by file name; `ValueError` naming the file
    when one is not valid YAML or not a valid scenario."""
    scenarios = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            scenarios.append(Scenario.model_validate(data))
        except (ValueError, yaml.YAMLError) as exc:  # pydantic's ValidationError is a ValueError
            raise ValueError(f"{path.name}: {exc}") from exc
    names = [s.name for s in scenarios]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate scenario names: {sorted(duplicates)}")
    return scenarios
