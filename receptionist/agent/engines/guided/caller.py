"""Who is calling and what else they need: identity, their appointments, messages, goodbye."""

from __future__ import annotations

from receptionist.agent.confirm import Reply, classify_reply
from receptionist.agent.describe import describe_slot
from receptionist.agent.engines.guided.intents import Intent
from receptionist.agent.engines.guided.state import Request, Stage, Steps
from receptionist.agent.engines.guided.understand import Identity, identity, without_birth_date
from receptionist.agent.speech import join_words
from receptionist.agent.toolbox import Toolbox

# What a new patient says when asked "Is this your first visit with us?"
_FIRST_VISIT = "Yes, I'm new, a new patient, my first time, first visit here, never been before."
_CANT_CONFIRM = "I'm sorry, I can't confirm your details over the phone. "
_CANT_MATCH = "I'm sorry, I can't match those details myself. "


class CallerSteps(Steps):
    """Identity and registration, listing and picking appointments, messages, goodbye."""

    async def _on_identity(self, box: Toolbox, text: str) -> str:
        found = identity(text)
        request = self.request
        name = f"{found.first_name} {found.last_name}" if found and found.first_name else None
        born = found.date_of_birth if found else None
        # Name and date of birth may come in either order, in separate turns.
        name = name or request.said_name
        born = born or request.said_birth_date
        request.said_name, request.said_birth_date = name, born
        if name is None and born is None:
            return self.again(
                "Sorry, could I have your first and last name, and your date of birth?"
            )
        if name is None:
            return "Thanks. And your first and last name, please?"
        if born is None:
            return "Thanks. And your date of birth, please?"
        first, _, last = name.partition(" ")
        found = Identity(first, last, born)
        result = await box.call("identify_caller", {"full_name": name, "date_of_birth": born})
        request.said_name = request.said_birth_date = None
        if result.data.get("error"):
            return await self._trouble(box, result)
        if result.ok:
            self._note_details(box, without_birth_date(text))
            greeting = f"Thanks, {result.data.get('first_name', found.first_name)}. "
            return greeting + await self._advance(box)
        if result.data.get("locked"):
            return await self._locked_out(box)
        if result.data.get("needs_staff"):
            return await self._locked_out(box, _CANT_MATCH)
        if result.data.get("recheck"):
            request.said_name = name  # only the date of birth is asked again
            return "Sorry, could you tell me your date of birth once more, day, month and year?"
        if result.data.get("matches") == 0 and self.request.intent is Intent.BOOK:
            self.request.pending_identity = (first, last, born)
            self.stage = Stage.NEW_PATIENT
            readback = result.data.get("readback", name)
            return (
                f"I can't find a record for {readback}. If I have that right, is this your "
                "first visit with us?"
            )
        if result.data.get("matches") == "several":
            return await self._offer_message(box)
        return (
            "I couldn't find you with those details. Could you say your full name and date "
            "of birth again?"
        )

    async def _locked_out(self, box: Toolbox, lead: str = _CANT_CONFIRM) -> str:
        """Identity can't be settled here (too many tries, or details close to another
        record's): a person if one is free, else a message."""
        result = await box.call("transfer_to_human", {"reason": "caller could not be identified"})
        if result.ok:
            self.request = Request()
            self.stage = Stage.ANYTHING_ELSE
            return lead + "Let me put you through to the team, they can help."
        return lead + self._ask_message(box)

    async def _on_new_patient(self, box: Toolbox, text: str) -> str:
        reply = classify_reply(text, _FIRST_VISIT)
        details = self.request.pending_identity
        if reply is Reply.YES and details is not None:
            first, last, born = details
            result = await box.call(
                "register_patient",
                {"first_name": first, "last_name": last, "date_of_birth": born},
            )
            if result.ok:
                self.request.pending_identity = None
                if result.data.get("existing"):
                    return f"Thanks, {first}, I've found you. " + await self._advance(box)
                return f"Welcome, {first}. " + await self._advance(box)
            if result.data.get("locked"):
                return await self._locked_out(box)
            if result.data.get("needs_staff"):
                return await self._locked_out(box, _CANT_MATCH)
            self.stage = Stage.IDENTITY
            if result.data.get("recheck"):
                self.request.pending_identity = None
                self.request.said_name = f"{first} {last}"
                return "Sorry, could you tell me your date of birth once more, day, month and year?"
            if result.data.get("needs_confirmation"):
                # The read-back had not been put (or not answered): put it now.
                self.stage = Stage.NEW_PATIENT
                return (
                    f"Just to check, that's {result.data['readback']}, and this is your first "
                    "visit with us?"
                )
            if "error" in result.data or "several" in str(result.data.get("matches")):
                return await self._trouble(box, result)
        self.stage = Stage.IDENTITY
        self.request.pending_identity = None
        return "No problem. Could you spell your surname for me and give your date of birth again?"

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
        """Which of the caller's appointments: the one their words named, or ask."""
        request = self.request
        narrowed = request.appointment_when
        result = await box.call("list_appointments", {"when": narrowed} if narrowed else {})
        if narrowed and (not result.ok or not result.data.get("appointments")):
            request.appointment_when = None
            result = await box.call("list_appointments", {})
        if not result.ok:
            return await self._trouble(box, result)
        refs = list(result.data.get("appointments", []))
        if not refs:
            self.stage = Stage.ANYTHING_ELSE
            return "I can't see any upcoming appointments for you. Is there anything else?"
        request.offers = refs
        self.stage = Stage.WHICH
        said, request.appointment_said = request.appointment_said, None
        if said:
            return await self._on_which(box, said, first=True)
        if len(refs) == 1:
            return await self._picked_appointment(box, refs[0])
        spoken = [await describe_slot(box, box.session.appointments[ref]) for ref in refs]
        return f"You have {join_words(spoken, 'and')}. Which one?"

    async def _picked_appointment(self, box: Toolbox, ref: str) -> str:
        self.request.appointment_ref = ref
        self.request.offers = []
        if self.request.intent is Intent.MOVE and self.request.when is None:
            current = await describe_slot(box, box.session.appointments[ref])
            self.stage = Stage.WHEN
            return f"I can see your {current}. When would you like to move it to?"
        return await self._advance(box)

    async def _on_which(self, box: Toolbox, text: str, *, first: bool = False) -> str:
        refs = self.request.offers
        listed = [box.session.appointments[r] for r in refs]
        choice = await self.picked(box, text, listed)
        if choice.index is not None:
            return await self._picked_appointment(box, refs[choice.index])
        if first and not choice.heard and len(refs) == 1:
            return await self._picked_appointment(box, refs[0])  # the read-back names it
        candidates = [listed[i] for i in choice.fits] if len(choice.fits) > 1 else listed
        said = [await describe_slot(box, item) for item in candidates]
        if first:
            lead = "I can't see that one. " if choice.heard and not choice.fits else ""
            return f"{lead}You have {join_words(said, 'and')}. Which one?"
        lead = "Sorry, I can't see that one. " if choice.heard and not choice.fits else ""
        return self.again(
            f"{lead}Which appointment do you mean: {join_words(said)}? You can say the day or "
            "the time."
        )

    async def _transfer(self, box: Toolbox, text: str) -> str:
        result = await box.call("transfer_to_human", {"reason": "caller asked for a person"})
        if result.ok:
            return "Of course, I'll put you through now."
        return "Sorry, there's no one available to take the call right now. " + self._ask_message(
            box
        )

    def _ask_message(self, box: Toolbox) -> str:
        self.request = Request(intent=Intent.MESSAGE)
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
        self.request = Request()
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
