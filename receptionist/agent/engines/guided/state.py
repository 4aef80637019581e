"""The guided engine's state for one call: where the conversation stands and what was asked.

`Steps` is the base the engine's parts share (booking, caller, the flow itself): the stage,
the request being filled, and the few steps each part calls in the others.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass, field

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
    appointment_when: str | None = None
    slot_ref: str | None = None
    offers: list[str] = field(default_factory=list)
    pending_identity: tuple[str, str, str] | None = None
    message_name: str | None = None


class Steps(abc.ABC):
    """The state every part of the guided engine reads and the steps they call in each other."""

    stage: Stage
    request: Request
    _listed_types: list[str]

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
