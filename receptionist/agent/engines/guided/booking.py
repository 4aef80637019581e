"""Booking and moving in the guided engine: which type, when, the search, the pick, the yes."""

from __future__ import annotations

from receptionist.agent.choosing import names_a_day, names_a_time, said_position
from receptionist.agent.confirm import Reply, classify_reply, puts_off
from receptionist.agent.describe import describe_slot, speak_slots
from receptionist.agent.engines.guided.intents import Intent
from receptionist.agent.engines.guided.state import OPTIONS, Request, Stage, Steps
from receptionist.agent.engines.guided.understand import spot_type
from receptionist.agent.matching import fold, mentions
from receptionist.agent.policy import bookable_by_phone
from receptionist.agent.speech import join_words
from receptionist.agent.toolbox import Toolbox, ToolResult


class BookingSteps(Steps):
    """Type, day and time, the offers, the caller's pick, the read-back and the write."""

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
            picked = said_position(fold(text), len(listed))
            if picked is None:
                return "Sorry, which one: " + join_words(listed) + "?"
            kind = next(t for t in types if t.name == listed[picked])
        self.request.type_name = kind.name
        self._note_details(box, text)
        return await self._advance(box)

    async def _on_when(self, box: Toolbox, text: str) -> str:
        self._note_details(box, text)
        if self.request.when is None:
            if classify_reply(text) is Reply.YES or mentions(text, ["any", "anytime", "whenever"]):
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
            current = box.session.appointments[request.appointment_ref]
            when = arguments.get("when")
            if when and when != "asap" and not names_a_day(when, box.clinic.today()):
                # "push it back to the arvo": the appointment's own day, not today
                day = current.starts_at.astimezone(box.clinic.zone)
                arguments["when"] = f"{day.day} {day:%B} {when}"
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
        slots = [box.session.offers[ref] for ref in request.offers]
        choice = await self.picked(box, text, slots)
        picked = choice.index
        if picked is None and len(slots) == 1 and classify_reply(text) is Reply.YES:
            picked = 0
        if picked is None:
            if len(choice.fits) > 1:  # "the Tuesday one" with two on Tuesday: which?
                fitting = [slots[i] for i in choice.fits]
                return self.again(f"Sorry, which one: {await speak_slots(box, fitting)}?")
            before = self.details()
            self._note_details(box, text)
            if self.details() != before:
                return await self._search(box)  # a new day, time or person: search again
            if classify_reply(text) is Reply.NO or mentions(text, ["later", "earlier", "other"]):
                request.when = None
                self.stage = Stage.WHEN
                return "No problem. What other day or time would suit?"
            spoken = await speak_slots(box, slots)
            if choice.heard:
                return self.again(f"Sorry, I don't have that one. I have {spoken}. Which suits?")
            return self.again(f"Sorry, which of those times would you like? {spoken}.")
        request.slot_ref = request.offers[picked]
        if request.intent is Intent.MOVE:
            assert request.appointment_ref is not None
            return await self._write(
                box,
                "reschedule_appointment",
                {"appointment": request.appointment_ref, "slot": request.slot_ref},
            )
        return await self._write(box, "book_appointment", {"slot": request.slot_ref})

    async def _write(
        self, box: Toolbox, tool: str, arguments: dict[str, object], lead: str = ""
    ) -> str:
        """First call: the read-back to say. The write itself waits for the caller's yes."""
        result = await box.call(tool, arguments)
        if result.data.get("needs_confirmation"):
            self.stage = Stage.CONFIRM
            readback = str(result.data["readback"])
            return f"{lead}Just to confirm: {readback}"
        if result.ok:
            return await self._done(box, result)
        return await self._trouble(box, result)

    async def _on_confirm(self, box: Toolbox, text: str) -> str:
        request = self.request
        deferred, self._deferred = self._deferred, False
        pending = box.session.pending
        reply = classify_reply(text, pending.readback if pending else None)
        tool, arguments = self._pending_write()
        if reply is Reply.YES:
            result = await box.call(tool, {**arguments, "confirmed": True})
            if result.ok:
                return await self._done(box, result)
            return await self._trouble(box, result)
        before = self.details()
        self._note_details(box, text)
        corrected = self.details() != before
        if reply is Reply.UNCLEAR and not corrected and puts_off(text):
            if deferred:  # put off twice: leave it
                box.session.pending = None
                self.stage = Stage.ANYTHING_ELSE
                return "No problem, I've left it as it is. Is there anything else I can help with?"
            # The read-back is given again, and only a plain yes to it will do.
            self._deferred = True
            return await self._write(
                box, tool, arguments, lead="No problem, take your time: nothing has changed. "
            )
        if reply is Reply.UNCLEAR and not corrected:
            # A question or a mumble: nothing is written; read it back once more.
            if self._misses >= 1:
                box.session.pending = None
                self.stage = Stage.ANYTHING_ELSE
                self._misses = 0
                return "No problem, I'll leave it for now and haven't changed anything. " + OPTIONS
            self._misses += 1
            self._missed_now = True
            return await self._write(box, tool, arguments, lead="Sorry, I need a yes or a no. ")
        box.session.pending = None
        if request.intent is Intent.CANCEL:
            self._split_when(box, text)  # "not that one, the Friday one"
            if request.appointment_when or names_a_time(text):
                request.appointment_ref = None
                return await self._advance(box)
            if mentions(text, ["that one", "wrong one", "other one", "different one"]):
                request.appointment_ref = request.appointment_said = None  # "not that one": which?
                return await self._advance(box)
            request.appointment_said = None
            self.stage = Stage.ANYTHING_ELSE
            return "Okay, I've left it as it is. Is there anything else I can help with?"
        request.slot_ref = None
        if corrected:
            return await self._search(box)  # "yes but Thursday": search again with that
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
        self.request = Request()
        return f"{words}{detail}.{notice_text} Is there anything else I can help with?"
