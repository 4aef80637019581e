"""The guided engine: a deterministic receptionist with no LLM.

It understands the common requests (book, move, cancel, "my appointments", hours and FAQs,
speak to someone, leave a message, goodbye), fills what it needs by asking, matches names
fuzzily, reads every write back and waits for a yes, and does everything through the same
tools as the LLM engines, so the same guardrails and trace apply. It is the embedded default
when no API key is configured, and the fallback when the LLM fails mid-call: it reads the
session (identified patient, offers, a pending read-back) and carries on from there.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from receptionist.agent.choosing import names_a_day, split_move
from receptionist.agent.confirm import Reply, classify_reply
from receptionist.agent.dates import split_birth_date, when_phrase
from receptionist.agent.describe import speak_slots
from receptionist.agent.engines.guided.booking import BookingSteps
from receptionist.agent.engines.guided.caller import CallerSteps
from receptionist.agent.engines.guided.intents import Intent, asked_outright, intents
from receptionist.agent.engines.guided.state import OPTIONS, Request, Stage
from receptionist.agent.engines.guided.understand import (
    NAMED,
    identity,
    introduced,
    introduced_name,
    refine_when,
    spot_location,
    spot_practitioner,
    spot_type,
    wants_anyone,
    without_birth_date,
)
from receptionist.agent.matching import fold, mentions
from receptionist.agent.toolbox import Toolbox, ToolResult

GUIDED = "guided"

_REFERENCE = re.compile(r"\b(?:my|one|ones)\b", re.IGNORECASE)

_NO_ADVICE = (
    "I'm sorry, I can't give medical advice over the phone: the practitioner will assess that "
    "at your appointment. Would you like me to book you in?"
)
_BYE = ["bye", "goodbye", "thats all", "thats everything", "hang up", "gotta go", "have to go"]
_QUESTION = re.compile(r"^\W*(what|when|where|how|is|are|do|does|can|could|should|will)\b", re.I)

_NEEDS_IDENTITY = (Intent.BOOK, Intent.MOVE, Intent.CANCEL, Intent.LIST)


class GuidedEngine(BookingSteps, CallerSteps):
    """One call's guided receptionist."""

    name = GUIDED

    def __init__(self) -> None:
        self.stage = Stage.OPEN
        self.request = Request()
        self._listed_types: list[str] = []
        self._started = False
        self._last_reply = ""

    def said(self, text: str) -> None:
        """Nothing to remember: the session holds what matters."""

    async def respond(self, box: Toolbox, caller_text: str) -> AsyncIterator[str]:
        self._resume(box)
        yield await self._step(box, caller_text)

    def _resume(self, box: Toolbox) -> None:
        """Pick up a call another engine started: what was asked for, who is calling, the
        times on offer and any read-back awaiting a yes. Runs once, before the first reply."""
        if self._started:
            return
        self._started = True
        session = box.session
        earlier = [t.text for t in session.transcript if t.role == "caller"][:-1]
        if not earlier:
            return
        for text in earlier:
            heard = [i for i in intents(text) if i in _NEEDS_IDENTITY]
            if self.request.intent is None and heard:
                self.request.intent = heard[0]
            if self.request.intent is not None:
                self._note_details(box, without_birth_date(text))
        pending = session.pending
        if pending is not None and pending.action == "register":
            # A registration read back and not answered yet: asked again, from their name.
            session.pending = pending = None
            if session.patient is None:
                self.request.intent = self.request.intent or Intent.BOOK
                self.stage = Stage.IDENTITY
                return
        if pending is not None:
            self.request.intent = {
                "book": Intent.BOOK, "reschedule": Intent.MOVE, "cancel": Intent.CANCEL,
            }[pending.action]  # fmt: skip
            self.request.slot_ref = pending.slot_ref
            self.request.appointment_ref = pending.appointment_ref
            self.stage = Stage.CONFIRM
            return
        if self.request.intent is None:
            return
        if session.patient is None:
            self.stage = Stage.IDENTITY
            return
        offers = next(
            (e.data["offers"] for e in reversed(session.trace)
             if e.name == "find_availability" and e.ok and e.data.get("offers")),
            None,
        )  # fmt: skip
        if offers and self.request.intent in (Intent.BOOK, Intent.MOVE):
            self.request.offers = list(offers)
            self.stage = Stage.CHOOSE

    async def _step(self, box: Toolbox, text: str) -> str:
        self._missed_now = False
        reply = await self._turn(box, text)
        if not self._missed_now:
            self._misses = 0
        self._last_reply = reply
        return reply

    def _asks_aside(self, text: str) -> bool:
        """Whether a question may be answered in passing: never while taking a message, and
        while asking for a name only a real question ("Olivia Park" is a name, not parking)."""
        if self.stage in (Stage.MESSAGE_NAME, Stage.MESSAGE_TEXT):
            return False
        if self.stage is Stage.IDENTITY:
            has_birth_date = split_birth_date(text)[0] is not None
            return not has_birth_date and (
                text.rstrip().endswith("?") or bool(_QUESTION.match(text))
            )
        return True

    async def _aside(self, box: Toolbox, text: str, intent: Intent) -> str:
        """A question in the middle of a flow ("is there parking?", "should I rest it?"): answer
        it, then put the question we were waiting on again, so the caller carries on."""
        if intent is Intent.ADVICE:
            answer = _NO_ADVICE.removesuffix(" Would you like me to book you in?")
        else:
            answer = (await box.call("clinic_info", {"topic": text})).say
        if self.stage is Stage.CONFIRM:
            tool, arguments = self._pending_write()
            return await self._write(box, tool, arguments, lead=f"{answer} ")
        if self.stage is Stage.CHOOSE:
            slots = [box.session.offers[ref] for ref in self.request.offers]
            return f"{answer} So, I have {await speak_slots(box, slots)}. Which would suit you?"
        asked = [s for s in re.split(r"(?<=[.?!])\s+", self._last_reply) if s.endswith("?")]
        return f"{answer} {asked[-1] if asked else 'Where were we?'}"

    async def _turn(self, box: Toolbox, text: str) -> str:
        heard = intents(text)
        if Intent.EMERGENCY in heard:
            number = box.clinic.script.emergency_number
            # Said to the caller, at once, whatever the flow was doing. A read-back waiting
            # for a yes is dropped: an "okay" after this line is not a yes to it.
            box.session.pending = None
            if self.stage is Stage.CONFIRM:
                self.stage = Stage.ANYTHING_ELSE
            return (
                f"That sounds like an emergency. Please hang up and call {number} now, or ask "
                f"someone with you to call {number}. If no one is in danger, I'm still here."
            )
        # "No thanks" to a read-back answers it (nothing is written); "bye" ends the call
        leaving = Intent.GOODBYE in heard and (
            self.stage is not Stage.CONFIRM or mentions(text, _BYE)
        )
        if leaving and self.stage not in (Stage.MESSAGE_NAME, Stage.MESSAGE_TEXT):
            box.session.pending = None
            return await self._goodbye(box)
        handler = {
            Stage.IDENTITY: self._on_identity,
            Stage.NEW_PATIENT: self._on_new_patient,
            Stage.TYPE: self._on_type,
            Stage.WHEN: self._on_when,
            Stage.CHOOSE: self._on_choose,
            Stage.WHICH: self._on_which,
            Stage.CONFIRM: self._on_confirm,
            Stage.MESSAGE_NAME: self._on_message_name,
            Stage.MESSAGE_TEXT: self._on_message_text,
        }.get(self.stage)
        if handler is not None:
            switched = self._switch(asked_outright(text))
            aside = heard[0] if heard and heard[0] in (Intent.INFO, Intent.ADVICE) else None
            if switched is None and aside is not None and self._asks_aside(text):
                return await self._aside(box, text, aside)
            if switched is None:
                if self.stage in (Stage.IDENTITY, Stage.NEW_PATIENT, Stage.TYPE, Stage.WHEN):
                    # Anything said out of order is kept: "Olivia Smith, and Sarah if she's free"
                    self._note_details(box, without_birth_date(text))
                return await handler(box, text)
        return await self._on_open(box, text, heard)

    def _switch(self, heard: list[Intent]) -> Intent | None:
        """A new request mid-flow ("actually, can I just leave a message")."""
        for intent in (Intent.TRANSFER, Intent.MESSAGE, Intent.CANCEL, Intent.MOVE):
            if intent in heard and intent is not self.request.intent:
                if self.stage in (Stage.MESSAGE_NAME, Stage.MESSAGE_TEXT):
                    return None
                if intent is Intent.TRANSFER and self.stage is Stage.IDENTITY:
                    return intent
                if intent in (Intent.MOVE,) and self.stage is Stage.CHOOSE:
                    return None  # "a different time" while choosing means another search
                return intent
        return None

    async def _on_open(self, box: Toolbox, text: str, heard: list[Intent]) -> str:
        if not heard:
            if self.stage is Stage.ANYTHING_ELSE and classify_reply(text) is Reply.NO:
                return await self._goodbye(box)
            self._misses += 1
            self._missed_now = True
            if self._misses >= 3:
                return await self._hand_over(box)
            if self._misses == 2:
                return "Sorry, I'm still not sure what you need. " + OPTIONS
            return (
                "Sorry, I didn't catch that. I can book, move or cancel an appointment, or "
                "answer questions about the clinic. What would you like to do?"
            )
        intent = heard[0]
        if intent is Intent.GOODBYE or (
            self.stage is Stage.ANYTHING_ELSE
            and intent is Intent.INFO
            and classify_reply(text) is Reply.NO
        ):
            return await self._goodbye(box)
        if intent is Intent.ADVICE:
            return _NO_ADVICE
        if intent is Intent.INFO:
            result = await box.call("clinic_info", {"topic": text})
            self.stage = Stage.ANYTHING_ELSE
            return f"{result.say} Is there anything else I can help with?"
        if intent is Intent.TRANSFER:
            return await self._transfer(box, text)
        if intent is Intent.MESSAGE:
            return self._ask_message(box)
        self.request = Request(intent=intent)
        self._note_details(box, without_birth_date(text))
        self._split_when(box, without_birth_date(text))
        named = introduced(text)
        said_name = introduced_name(text)
        if said_name is not None and named is None:
            self.request.said_name = " ".join(said_name)  # "Mia Nguyen here": the date comes next
        if named is not None and box.session.patient is None and intent in _NEEDS_IDENTITY:
            await box.clinic.reference()
            return await self._on_identity(
                box, f"{named.first_name} {named.last_name} {named.date_of_birth}"
            )
        return await self._advance(box)

    def _split_when(self, box: Toolbox, text: str) -> None:
        """For a move or cancel: the words naming the appointment ("my Wednesday one", "the
        four o'clock") and, for a move, when to ("... to Friday afternoon")."""
        request = self.request
        if request.intent not in (Intent.CANCEL, Intent.MOVE):
            return
        named, request.when = text, None
        if request.intent is Intent.MOVE:
            named, after = split_move(text, box.clinic.today())
            request.when = when_phrase(after or text)
        request.appointment_said = named
        # The day the appointment is on narrows the list; "my" and "one" mark a reference,
        # which `when_phrase` leaves out on purpose, so they go first here.
        day = when_phrase(_REFERENCE.sub(" ", named))
        if day and names_a_day(day, box.clinic.today()):
            request.appointment_when = day

    async def _hand_over(self, box: Toolbox) -> str:
        """We keep missing each other: a person if one is free, otherwise a message."""
        self._misses = 0
        result = await box.call("transfer_to_human", {"reason": "could not understand the caller"})
        if result.ok:
            return "Sorry about that. Let me put you through to someone who can help."
        return await self._offer_message(box)

    def _own_name(self, text: str, box: Toolbox) -> set[str]:
        """The caller's own name, as said or identified: never a practitioner's."""
        names = [self.request.said_name or ""]
        if self.request.pending_identity is not None:
            names.append(" ".join(self.request.pending_identity[:2]))
        names.append(" ".join(introduced_name(text) or ()))
        said = identity(text) if self.stage is Stage.IDENTITY else None
        if said is not None:
            names.append(f"{said.first_name} {said.last_name}")
        said_words = {word for name in names for word in fold(name).split()}
        return said_words | box.session.patient_name_words()

    def _note_details(self, box: Toolbox, text: str) -> None:
        """Remember any type, practitioner, place or time the caller mentioned."""
        own = self._own_name(text, box)
        if own:
            text = " ".join(w for w in text.split() if fold(w) not in own)
        locations, practitioners, types = box.clinic.known()
        kind = spot_type(text, types)
        if kind is not None:
            self.request.type_name = kind.name
        who = spot_practitioner(text, practitioners)
        if who is not None:
            self.request.practitioner = who.name
        elif wants_anyone(text):
            self.request.practitioner = None
        else:
            named = NAMED.search(text)
            name = (named.group(1) or named.group(2)) if named else None
            if name and not spot_type(name, types) and name.lower() not in ("someone", "anyone"):
                self.request.practitioner = name  # the tool will ask back
        place = spot_location(text, locations)
        if place is not None:
            self.request.location = place.name
        when = when_phrase(text)
        if when:
            self.request.when = refine_when(self.request.when, when, box.clinic.today())

    async def _advance(self, box: Toolbox) -> str:
        """Ask for the next missing piece, or act."""
        await box.clinic.reference()
        request = self.request
        intent = request.intent
        if intent in (Intent.BOOK, Intent.MOVE, Intent.CANCEL, Intent.LIST):
            if box.session.patient is None:
                self.stage = Stage.IDENTITY
                return "Sure. Can I have your full name and date of birth, please?"
        if intent is Intent.LIST:
            return await self._list(box)
        if intent in (Intent.MOVE, Intent.CANCEL) and request.appointment_ref is None:
            return await self._which(box)
        if intent is Intent.CANCEL:
            assert request.appointment_ref is not None
            return await self._write(
                box, "cancel_appointment", {"appointment": request.appointment_ref}
            )
        if intent is Intent.BOOK and request.type_name is None:
            return self._ask_type(box)
        if intent is Intent.BOOK and not self._phone_bookable(box):
            self.stage = Stage.ANYTHING_ELSE
            return (
                f"Sorry, a {request.type_name} can't be booked over the phone. I can put you "
                "through to the team or take a message. Which would you prefer?"
            )
        if request.when is None:
            self.stage = Stage.WHEN
            verb = "move it to" if intent is Intent.MOVE else "come in"
            return f"What day and time would you like to {verb}?"
        return await self._search(box)

    async def _trouble(self, box: Toolbox, result: ToolResult) -> str:
        """A tool said no for a reason the flow can't fix: say so honestly, offer a message."""
        error = result.data.get("error")
        if error == "SlotUnavailable":
            self.request.slot_ref = None
            self.stage = Stage.WHEN
            return "Sorry, that time has just gone. What other day or time would suit?"
        if error == "WriteOutcomeUnknown":
            self.stage = Stage.ANYTHING_ELSE
            return (
                "Sorry, I couldn't confirm that with the diary, so I won't promise it's done. "
                "The team will confirm with you. " + self._ask_message(box)
            )
        if error is not None:
            return "Sorry, I can't reach the diary right now. " + self._ask_message(box)
        if "not identified" in result.say:
            self.stage = Stage.IDENTITY
            return "Can I have your full name and date of birth, please?"
        return "Sorry, I wasn't able to do that. " + self._ask_message(box)
