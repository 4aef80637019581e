"""The guided engine: a deterministic receptionist with no LLM.

It understands the common requests (book, move, cancel, "my appointments", hours and FAQs,
speak to someone, leave a message, goodbye), fills what it needs by asking, matches names
fuzzily, reads every write back and waits for a yes, and does everything through the same
tools as the LLM engines, so the same guardrails and trace apply. It is the embedded default
when no API key is configured, and the fallback when the LLM fails mid-call: it reads the
session (identified patient, offers, a pending read-back) and carries on from there.
"""

from __future__ import annotations

import enum
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from receptionist.agent.confirm import Reply, classify_reply
from receptionist.agent.engines.understand import (
    Intent,
    choose,
    choose_ordinal,
    identity,
    intents,
    introduced,
    spot_location,
    spot_practitioner,
    spot_type,
    wants_anyone,
    when_phrase,
    without_birth_date,
)
from receptionist.agent.policy import bookable_by_phone
from receptionist.agent.speech import join_words
from receptionist.agent.toolbox import Toolbox, ToolResult
from receptionist.agent.tools import describe_slot, speak_slots

GUIDED = "guided"

# "with Dr Robertson", "see Robertson": a name we don't know is still passed on, so the
# caller hears who we do have instead of being silently booked with someone else.
_NAMED = re.compile(
    r"\b(?:with|see)\s+(?:dr\.?\s+|doctor\s+)?([A-Z][a-z'\-]+)|\b(?:dr\.?|doctor)\s+([A-Z][a-z'\-]+)"
)


_NEEDS_IDENTITY = (Intent.BOOK, Intent.MOVE, Intent.CANCEL, Intent.LIST)


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
class _Request:
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


class GuidedEngine:
    """One call's guided receptionist."""

    name = GUIDED

    def __init__(self) -> None:
        self.stage = Stage.OPEN
        self.request = _Request()
        self._misunderstood = 0
        self._listed_types: list[str] = []
        self._started = False

    def said(self, text: str) -> None:
        """Nothing to remember: the session holds what matters."""

    async def respond(self, box: Toolbox, caller_text: str) -> AsyncIterator[str]:
        self._resume(box)
        yield await self._step(box, caller_text)

    # -- taking over from another engine ------------------------------------------------------

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

    # -- one caller utterance -----------------------------------------------------------------

    async def _step(self, box: Toolbox, text: str) -> str:
        heard = intents(text)
        if Intent.EMERGENCY in heard:
            return box.clinic.script.emergency_instruction + " Is there anything else?"
        if Intent.GOODBYE in heard and self.stage not in (Stage.MESSAGE_NAME, Stage.MESSAGE_TEXT):
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
            switched = self._switch(heard)
            if switched is None:
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
            self._misunderstood += 1
            if self._misunderstood >= 3:
                return await self._offer_message(box)
            return (
                "Sorry, I didn't catch that. I can book, move or cancel an appointment, or "
                "answer questions about the clinic. What would you like to do?"
            )
        self._misunderstood = 0
        intent = heard[0]
        if intent is Intent.GOODBYE or (
            self.stage is Stage.ANYTHING_ELSE
            and intent is Intent.INFO
            and classify_reply(text) is Reply.NO
        ):
            return await self._goodbye(box)
        if intent is Intent.ADVICE:
            return (
                f"{box.clinic.script.policies.no_clinical_advice} "
                "Would you like me to book you in to see someone?"
            )
        if intent is Intent.INFO:
            result = await box.call("clinic_info", {"topic": text})
            self.stage = Stage.ANYTHING_ELSE
            return f"{result.say} Is there anything else I can help with?"
        if intent is Intent.TRANSFER:
            return await self._transfer(box, text)
        if intent is Intent.MESSAGE:
            return self._ask_message(box)
        self.request = _Request(intent=intent)
        self._note_details(box, without_birth_date(text))
        self._split_when(without_birth_date(text))
        named = introduced(text)
        if named is not None and box.session.patient is None and intent in _NEEDS_IDENTITY:
            await box.clinic.reference()
            return await self._on_identity(
                box, f"{named.first_name} {named.last_name} {named.date_of_birth}"
            )
        return await self._advance(box)

    def _split_when(self, text: str) -> None:
        """For a move or cancel: which appointment ("my Wednesday one") and to when."""
        intent = self.request.intent
        if intent is Intent.CANCEL:
            self.request.appointment_when = self.request.when
            self.request.when = None
        elif intent is Intent.MOVE:
            before, sep, after = text.lower().rpartition(" to ")
            if sep:
                self.request.appointment_when = when_phrase(before)
                self.request.when = when_phrase(after)
            else:
                self.request.appointment_when = self.request.when
                self.request.when = None

    def _note_details(self, box: Toolbox, text: str) -> None:
        """Remember any type, practitioner, place or time the caller mentioned."""
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
            named = _NAMED.search(text)
            name = (named.group(1) or named.group(2)) if named else None
            if name and not spot_type(name, types) and name.lower() not in ("someone", "anyone"):
                self.request.practitioner = name  # the tool will ask back
        place = spot_location(text, locations)
        if place is not None:
            self.request.location = place.name
        when = when_phrase(text)
        if when:
            self.request.when = when

    # -- the flow -------------------------------------------------------------------------------

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

    async def _on_identity(self, box: Toolbox, text: str) -> str:
        found = identity(text)
        if found is None or not found.first_name:
            return "Sorry, could I have your first and last name, and your date of birth?"
        if not found.date_of_birth:
            return "Thanks. And your date of birth, please?"
        name = f"{found.first_name} {found.last_name}"
        result = await box.call(
            "identify_caller", {"full_name": name, "date_of_birth": found.date_of_birth}
        )
        if result.data.get("error"):
            return await self._trouble(box, result)
        if result.ok:
            self._note_details(box, without_birth_date(text))
            greeting = f"Thanks, {result.data.get('first_name', found.first_name)}. "
            return greeting + await self._advance(box)
        if result.data.get("matches") == 0 and self.request.intent is Intent.BOOK:
            self.request.pending_identity = (found.first_name, found.last_name, found.date_of_birth)
            self.stage = Stage.NEW_PATIENT
            return (
                "I can't find a record with that name and date of birth. "
                "Is this your first visit with us?"
            )
        if "Too many" in result.say or result.data.get("matches") == "several":
            return await self._offer_message(box)
        return (
            "I couldn't find you with those details. Could you say your full name and date "
            "of birth again?"
        )

    async def _on_new_patient(self, box: Toolbox, text: str) -> str:
        reply = classify_reply(text)
        details = self.request.pending_identity
        if reply is Reply.YES and details is not None:
            first, last, born = details
            result = await box.call(
                "register_patient",
                {"first_name": first, "last_name": last, "date_of_birth": born},
            )
            if not result.ok:
                return await self._trouble(box, result)
            self.request.pending_identity = None
            return f"Welcome, {first}. " + await self._advance(box)
        self.stage = Stage.IDENTITY
        return "No problem. Could you spell your surname for me and give your date of birth again?"

    def _phone_bookable(self, box: Toolbox) -> bool:
        types = box.clinic.known()[2]
        kind = next((t for t in types if t.name == self.request.type_name), None)
        return kind is None or bookable_by_phone(box.clinic.script, kind)

    def _ask_type(self, box: Toolbox) -> str:
        kinds = [t for t in box.clinic.known()[2] if bookable_by_phone(box.clinic.script, t)]
        if box.session.patient_is_new:
            kinds = [t for t in kinds if t.new_patients_allowed]
            if len(kinds) == 1:
                self.request.type_name = kinds[0].name
                self.stage = Stage.WHEN
                return (
                    f"As a new patient you'll need a {kinds[0].name}. What day and time suit you?"
                )
        self.stage = Stage.TYPE
        self._listed_types = [t.name for t in kinds]
        return f"Which type of appointment would you like: {join_words(self._listed_types)}?"

    async def _on_type(self, box: Toolbox, text: str) -> str:
        types = box.clinic.known()[2]
        kind = spot_type(text, types)
        listed = self._listed_types or [t.name for t in types]
        if kind is None:
            picked = choose_ordinal(text, len(listed))
            if picked is None:
                return "Sorry, which one: " + join_words(listed) + "?"
            kind = next(t for t in types if t.name == listed[picked])
        self.request.type_name = kind.name
        self._note_details(box, text)
        return await self._advance(box)

    async def _on_when(self, box: Toolbox, text: str) -> str:
        self._note_details(box, text)
        if self.request.when is None:
            if classify_reply(text) is Reply.YES or "any" in text.lower():
                self.request.when = "asap"
            else:
                return "Which day suits you best, and morning or afternoon?"
        return await self._search(box)

    async def _search(self, box: Toolbox) -> str:
        request = self.request
        arguments: dict[str, str] = {}
        if request.type_name:
            arguments["appointment_type"] = request.type_name
        if request.practitioner:
            arguments["practitioner"] = request.practitioner
        if request.location:
            arguments["location"] = request.location
        if request.when:
            arguments["when"] = request.when
        if request.intent is Intent.MOVE and request.appointment_ref:
            arguments["appointment"] = request.appointment_ref
        result = await box.call("find_availability", arguments)
        if not result.ok:
            return await self._search_refused(box, result)
        offers = list(result.data.get("offers", []))
        if not offers:
            self.request.when = None
            self.stage = Stage.WHEN
            who = f" with {request.practitioner}" if request.practitioner else ""
            return (
                f"Sorry, I can't see anything{who} {result.data.get('window', 'then')} or in the "
                "two weeks after. Would another day or practitioner suit?"
            )
        request.offers = offers
        self.stage = Stage.CHOOSE
        spoken = await speak_slots(box, [box.session.offers[ref] for ref in offers])
        lead = "The nearest I have is" if result.data.get("widened") else "I have"
        if len(offers) == 1:
            return f"{lead} {spoken}. Would that suit?"
        return f"{lead} {spoken}. Which would suit you?"

    async def _search_refused(self, box: Toolbox, result: ToolResult) -> str:
        if "not_bookable" in result.data:
            self.stage = Stage.ANYTHING_ELSE
            return (
                f"Sorry, a {result.data['not_bookable']} can't be booked over the phone. "
                "I can put you through to the team or take a message. Which would you prefer?"
            )
        if result.data.get("new_patient_type"):
            self.request.type_name = result.data["new_patient_type"]
            return (
                f"That one is for existing patients, so as a new patient you'll need a "
                f"{self.request.type_name}. " + await self._search(box)
            )
        if result.say.startswith("Ask the caller: "):
            self.request.when = None
            self.stage = Stage.WHEN
            return result.say.removeprefix("Ask the caller: ")
        if result.say.startswith("I couldn't work out"):
            self.request.when = None
            self.stage = Stage.WHEN
            return "Sorry, which day and time would suit you?"
        if result.say.startswith("Which practitioner"):
            self.request.practitioner = None
            self.stage = Stage.WHEN
            return result.say.replace("The options are", "We have") + " Or anyone?"
        return await self._trouble(box, result)

    async def _on_choose(self, box: Toolbox, text: str) -> str:
        request = self.request
        starts = [
            box.session.offers[ref].starts_at.astimezone(box.clinic.zone) for ref in request.offers
        ]
        picked = choose(text, starts)
        if picked is None and len(starts) == 1 and classify_reply(text) is Reply.YES:
            picked = 0
        if picked is None:
            before = (request.when, request.practitioner, request.type_name)
            self._note_details(box, text)
            if (request.when, request.practitioner, request.type_name) != before:
                return await self._search(box)
            if (
                classify_reply(text) is Reply.NO
                or "later" in text.lower()
                or "earlier" in text.lower()
            ):
                request.when = None
                self.stage = Stage.WHEN
                return "No problem. What other day or time would suit?"
            return "Sorry, which of those times would you like?"
        request.slot_ref = request.offers[picked]
        if request.intent is Intent.MOVE:
            assert request.appointment_ref is not None
            return await self._write(
                box,
                "reschedule_appointment",
                {"appointment": request.appointment_ref, "slot": request.slot_ref},
            )
        return await self._write(box, "book_appointment", {"slot": request.slot_ref})

    async def _write(self, box: Toolbox, tool: str, arguments: dict[str, object]) -> str:
        """First call: the read-back to say. The write itself waits for the caller's yes."""
        result = await box.call(tool, arguments)
        if result.data.get("needs_confirmation"):
            self.stage = Stage.CONFIRM
            readback = str(result.data["readback"])
            return f"Just to confirm: {readback}"
        if result.ok:
            return await self._done(box, result)
        return await self._trouble(box, result)

    async def _on_confirm(self, box: Toolbox, text: str) -> str:
        request = self.request
        reply = classify_reply(text)
        tool, arguments = self._pending_write()
        if reply is Reply.YES:
            result = await box.call(tool, {**arguments, "confirmed": True})
            if result.ok:
                return await self._done(box, result)
            return await self._trouble(box, result)
        box.session.pending = None
        if request.intent is Intent.CANCEL:
            self.stage = Stage.ANYTHING_ELSE
            return "Okay, I've left it as it is. Is there anything else I can help with?"
        request.slot_ref = None
        before = request.when
        self._note_details(box, text)
        if request.when != before and request.when is not None:
            return await self._search(box)
        request.when = None
        self.stage = Stage.WHEN
        return "No problem, I haven't booked anything. What day and time would suit instead?"

    def _pending_write(self) -> tuple[str, dict[str, object]]:
        request = self.request
        if request.intent is Intent.CANCEL:
            return "cancel_appointment", {"appointment": request.appointment_ref}
        if request.intent is Intent.MOVE:
            return "reschedule_appointment", {
                "appointment": request.appointment_ref,
                "slot": request.slot_ref,
            }
        return "book_appointment", {"slot": request.slot_ref}

    async def _done(self, box: Toolbox, result: ToolResult) -> str:
        self.stage = Stage.ANYTHING_ELSE
        words = {
            Intent.BOOK: "You're booked in",
            Intent.MOVE: "Done, I've moved it",
            Intent.CANCEL: "That's cancelled",
        }[self.request.intent or Intent.BOOK]
        ref = result.data.get("appointment")
        detail = ""
        if ref and self.request.intent is not Intent.CANCEL:
            detail = f": {await describe_slot(box, box.session.appointments[ref])}"
        notice = result.data.get("notice") or ""
        notice_text = f" {notice}" if notice else ""
        self.request = _Request()
        return f"{words}{detail}.{notice_text} Is there anything else I can help with?"

    async def _list(self, box: Toolbox) -> str:
        result = await box.call("list_appointments", {})
        if not result.ok:
            return await self._trouble(box, result)
        refs = result.data.get("appointments", [])
        self.stage = Stage.ANYTHING_ELSE
        if not refs:
            return "I can't see any upcoming appointments for you. Would you like to book one?"
        spoken = [await describe_slot(box, box.session.appointments[ref]) for ref in refs]
        noun = "appointment" if len(spoken) == 1 else "appointments"
        return (
            f"You have {len(spoken)} upcoming {noun}: {join_words(spoken, 'and')}. Anything else?"
        )

    async def _which(self, box: Toolbox) -> str:
        narrowed = self.request.appointment_when
        result = await box.call("list_appointments", {"when": narrowed} if narrowed else {})
        if narrowed and (not result.ok or not result.data.get("appointments")):
            self.request.appointment_when = None
            result = await box.call("list_appointments", {})
        if not result.ok:
            return await self._trouble(box, result)
        refs = list(result.data.get("appointments", []))
        if not refs:
            self.stage = Stage.ANYTHING_ELSE
            return "I can't see any upcoming appointments for you. Is there anything else?"
        if len(refs) == 1:
            self.request.appointment_ref = refs[0]
            if self.request.intent is Intent.MOVE:
                current = await describe_slot(box, box.session.appointments[refs[0]])
                if self.request.when is None:
                    self.stage = Stage.WHEN
                    return f"I can see your {current}. When would you like to move it to?"
            return await self._advance(box)
        self.request.offers = refs
        self.stage = Stage.WHICH
        spoken = [await describe_slot(box, box.session.appointments[ref]) for ref in refs]
        return f"You have {join_words(spoken, 'and')}. Which one?"

    async def _on_which(self, box: Toolbox, text: str) -> str:
        refs = self.request.offers
        starts = [box.session.appointments[r].starts_at.astimezone(box.clinic.zone) for r in refs]
        picked = choose(text, starts)
        if picked is None:
            return "Sorry, which appointment do you mean? You can say the day or the time."
        self.request.appointment_ref = refs[picked]
        self.request.offers = []
        return await self._advance(box)

    # -- transfer, messages, goodbye ----------------------------------------------------------

    async def _transfer(self, box: Toolbox, text: str) -> str:
        result = await box.call("transfer_to_human", {"reason": "caller asked for a person"})
        if result.ok:
            return "Of course, I'll put you through now."
        return "Sorry, there's no one available to take the call right now. " + self._ask_message(
            box
        )

    def _ask_message(self, box: Toolbox) -> str:
        self.request = _Request(intent=Intent.MESSAGE)
        patient = box.session.patient
        if patient is not None:
            self.request.message_name = f"{patient.first_name} {patient.last_name}"
            self.stage = Stage.MESSAGE_TEXT
            return "I can take a message. What would you like me to pass on?"
        self.stage = Stage.MESSAGE_NAME
        return "I can take a message for the team. May I have your name?"

    async def _offer_message(self, box: Toolbox) -> str:
        return "I'm sorry, I'm not able to sort that out for you myself. " + self._ask_message(box)

    async def _on_message_name(self, box: Toolbox, text: str) -> str:
        found = identity(text)
        name = (
            f"{found.first_name} {found.last_name}" if found and found.first_name else text.strip()
        )
        self.request.message_name = name[:100] or "Caller"
        self.stage = Stage.MESSAGE_TEXT
        return "Thanks. What would you like me to pass on?"

    async def _on_message_text(self, box: Toolbox, text: str) -> str:
        result = await box.call(
            "take_message",
            {"caller_name": self.request.message_name or "Caller", "message": text},
        )
        self.request = _Request()
        self.stage = Stage.ANYTHING_ELSE
        if not result.ok:
            return "Sorry, I couldn't save that message. Please call back during opening hours."
        return (
            "Thanks, I've passed that on and the team will call you back on this number. "
            "Is there anything else?"
        )

    async def _goodbye(self, box: Toolbox) -> str:
        await box.call("end_call", {})
        self.stage = Stage.OPEN
        return f"Thanks for calling {box.clinic.script.clinic_name}. Bye for now."

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
