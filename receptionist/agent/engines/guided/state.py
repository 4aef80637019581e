"""The guided engine's state for one call: where the conversation stands and what was asked.

`Steps` is the base the engine's parts share (booking, caller, the flow itself): the stage,
the request being filled, and the few steps each part calls in the others.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from pms_adapters.types import Appointment, Slot
from receptionist.agent.choosing import Choice
from receptionist.agent.describe import caller_picks
from receptionist.agent.engines.guided.intents import Intent
from receptionist.agent.toolbox import Toolbox, ToolResult


class Stage(enum.StrEnum):
    OPEN = "open"  # waiting to hear what the caller wants
    IDENTITY = "identity"  # asked for full name and date of birth
    NEW_PATIENT = "new_patient"  # asked whether they are new to the clinic
    TYPE = "type"  # asked which kind of appointment
    WHEN = "when"  # asked which day and time
    CHOOSE = "choose"  # offered times, waiting for a pick
    WHICH = "which"  # listed appointments, waiting for which one
    CONFIRM = "confirm"  # read back a write, waiting for yes
    MESSAGE_NAME = "message_name"
    MESSAGE_TEXT = "message_text"
    ANYTHING_ELSE = "anything_else"


@dataclass
class Request:
    """What the caller asked for, filled in as they say it."""

    intent: Intent | None = None
    type_name: str | None = None
    practitioner: str | None = None
    location: str | None = None
    when: str | None = None
    appointment_ref: str | None = None
    appointment_when: str | None = None  # the day of the appointment to change, if said
    appointment_said: str | None = None  # the caller's words naming it ("my 4 o'clock one")
    slot_ref: str | None = None
    offers: list[str] = field(default_factory=list)
    pending_identity: tuple[str, str, str] | None = None
    # A name or a date of birth said on its own, kept until the other half comes.
    said_name: str | None = None
    said_birth_date: str | None = None
    message_name: str | None = None


# What the receptionist can do, said when the caller and the flow keep missing each other.
OPTIONS = (
    "I can book, change or cancel an appointment, take a message for the team, or put you "
    "through to someone. Which would you like?"
)


class Steps(abc.ABC):
    """The state every part of the guided engine reads and the steps they call in each other."""

    stage: Stage
    request: Request
    _listed_types: list[str]
    # Misunderstandings in a row, and whether this turn was one (set by `again`).
    _misses: int = 0
    _missed_now: bool = False
    _deferred: bool = False  # the caller put the last read-back off once

    @abc.abstractmethod
    def _split_when(self, box: Toolbox, text: str) -> None:
        """Which appointment the caller's words name, and to when."""

    def again(self, question: str) -> str:
        """Ask again after a misunderstanding; the second in a row offers the options instead,
        so the caller is never asked the same question over and over."""
        self._misses += 1
        self._missed_now = True
        if self._misses >= 2:
            self.stage = Stage.OPEN
            return "Sorry, I'm not getting this right. " + OPTIONS
        return question

    def details(self) -> tuple[str | None, ...]:
        """What the caller has asked for so far: a change means they corrected something."""
        r = self.request
        return (r.when, r.practitioner, r.type_name, r.location)

    async def picked(self, box: Toolbox, text: str, items: Sequence[Slot | Appointment]) -> Choice:
        """Which of these (as the caller heard them) the words pick."""
        return (await caller_picks(box, [text], items))[0]

    @abc.abstractmethod
    async def _search(self, box: Toolbox) -> str:
        """Look for times that fit the request and offer them."""

    @abc.abstractmethod
    async def _advance(self, box: Toolbox) -> str:
        """Ask for the next missing piece, or act."""

    @abc.abstractmethod
    async def _trouble(self, box: Toolbox, result: ToolResult) -> str:
        """A tool said no for a reason the flow can't fix."""

    @abc.abstractmethod
    def _note_details(self, box: Toolbox, text: str) -> None:
        """Remember any type, practitioner, place or time the caller mentioned."""

    @abc.abstractmethod
    def _ask_message(self, box: Toolbox) -> str:
        """Start taking a message."""

    @abc.abstractmethod
    async def _offer_message(self, box: Toolbox) -> str:
        """Say we can't sort it out here and offer a message."""
