"""The guided engine never acts on the wrong thing: picks by what was named, strict yes at the
read-back, corrections restart the search, the caller's own name is never a practitioner's,
and two misunderstandings in a row bring the options, not the same question again.

Each test plays a call on the demo clinic (built-in diary, demo clock) and checks the diary.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from diary.seed import DEMO_PATIENTS
from pms_adapters.contract import PMSAdapter
from pms_adapters.types import Appointment, PatientQuery, Window
from receptionist.agent.conversation import Conversation
from receptionist.agent.engines.guided import GuidedEngine
from receptionist.agent.runtime import start_call
from receptionist.agent.toolbox import Clinic
from tests.conftest import DEMO_NOW, SYDNEY

pytestmark = pytest.mark.anyio

OLIVIA = "Olivia Smith, 14 March 1988"


def guided(clinic: Clinic, caller: str | None = "+61412345678") -> Conversation:
    return start_call(clinic, GuidedEngine(), caller_number=caller)


async def say(conversation: Conversation, text: str) -> str:
    return "".join([piece async for piece in conversation.reply(text)])


async def upcoming(pms: PMSAdapter, name: str) -> list[Appointment]:
    born = next(b for f, last, b in DEMO_PATIENTS if f"{f} {last}" == name)
    (patient,) = await pms.find_patients(PatientQuery(name=name, date_of_birth=born))
    window = Window(starts_at=DEMO_NOW, ends_at=DEMO_NOW + timedelta(days=30))
    return await pms.appointments(patient.id, window)


def local(appointment: Appointment) -> str:
    return appointment.starts_at.astimezone(SYDNEY).strftime("%a %d %H:%M")


async def test_cancel_by_the_time_said_in_words_never_the_first(
    clinic: Clinic, demo_pms: PMSAdapter
) -> None:
    before = {local(a) for a in await upcoming(demo_pms, "Olivia Smith")}
    assert {"Wed 04 09:00", "Wed 04 12:45", "Wed 04 15:00", "Wed 04 16:00"} <= before
    call = guided(clinic)
    await say(call, "Hi, I need to cancel my Wednesday appointment")
    listed = await say(call, OLIVIA)
    assert "Which" in listed and "4 pm" in listed
    readback = await say(call, "The four o'clock one")
    assert "Wednesday 4 March at 4 pm" in readback and "James O'Brien" in readback
    done = await say(call, "Yes please")
    assert "cancelled" in done
    after = {local(a) for a in await upcoming(demo_pms, "Olivia Smith")}
    assert before - after == {"Wed 04 16:00"}


async def test_an_appointment_named_by_a_time_that_fits_none_is_asked_again(
    clinic: Clinic, demo_pms: PMSAdapter
) -> None:
    before = await upcoming(demo_pms, "Olivia Smith")
    call = guided(clinic)
    await say(call, "I want to cancel my Wednesday appointment")
    await say(call, OLIVIA)
    again = await say(call, "the 10:30 one")
    assert "can't see that one" in again and "Which appointment" in again
    assert call.session.pending is None
    assert len(await upcoming(demo_pms, "Olivia Smith")) == len(before)


async def test_a_correction_at_the_readback_is_not_a_yes_and_searches_again(
    clinic: Clinic, demo_pms: PMSAdapter
) -> None:
    before = await upcoming(demo_pms, "Henry Lee")
    call = guided(clinic, "+61426388404")
    await say(call, "I'd like a follow-up with Sarah tomorrow morning")
    await say(call, "Henry Lee, 3 March 1992")
    readback = await say(call, "The first one")
    assert readback.startswith("Just to confirm")
    offered = await say(call, "Perfect, except it should be Thursday")
    assert "Thursday" in offered and "booked" not in offered.lower()
    assert len(await upcoming(demo_pms, "Henry Lee")) == len(before)
    assert not any(e.ok and e.name == "book_appointment" for e in call.session.trace)


@pytest.mark.parametrize("hedge", ["I'll think about it", "Hmm, maybe", "Yes but Thursday?"])
async def test_a_hedge_at_the_readback_writes_nothing(
    clinic: Clinic, demo_pms: PMSAdapter, hedge: str
) -> None:
    before = await upcoming(demo_pms, "Henry Lee")
    call = guided(clinic, "+61426388404")
    await say(call, "I'd like a follow-up with Sarah tomorrow morning")
    await say(call, "Henry Lee, 3 March 1992")
    await say(call, "The first one")
    await say(call, hedge)
    await say(call, "hmm")
    assert len(await upcoming(demo_pms, "Henry Lee")) == len(before)
    assert not any(e.ok and e.name == "book_appointment" for e in call.session.trace)


async def test_name_and_birth_date_in_two_turns_either_order(clinic: Clinic) -> None:
    call = guided(clinic)
    await say(call, "When is my next appointment?")
    asked = await say(call, "Olivia Smith")
    assert "date of birth" in asked
    listed = await say(call, "14 March 1988")
    assert call.session.patient is not None and call.session.patient.first_name == "Olivia"
    assert "upcoming" in listed

    call = guided(clinic)
    await say(call, "When is my next appointment?")
    asked = await say(call, "It's the 14th of March 1988")
    assert "name" in asked
    await say(call, "Olivia Smith")
    assert call.session.patient is not None and call.session.patient.first_name == "Olivia"


async def test_the_callers_own_name_is_not_a_practitioners(clinic: Clinic) -> None:
    call = guided(clinic, "+61417450118")
    await say(call, "Hi, this is Mia Nguyen, born 17 September 1990, I'd like a remedial massage")
    await say(call, "Friday please")
    searches = [e for e in call.session.trace if e.name == "find_availability"]
    assert searches, call.session.trace
    assert all("practitioner" not in e.arguments for e in searches if isinstance(e.arguments, dict))


async def test_two_misunderstandings_in_a_row_offer_the_options(clinic: Clinic) -> None:
    call = guided(clinic)
    first = await say(call, "blergh wibble")
    assert "didn't catch that" in first
    second = await say(call, "flibbertigibbet")
    assert "take a message" in second and "put you through" in second
    third = await say(call, "gnarf")
    assert call.session.transfer_reason or call.session.messages or "message" in third


async def test_unclear_choices_never_loop_on_one_question(clinic: Clinic) -> None:
    call = guided(clinic, "+61426388404")
    await say(call, "I'd like a follow-up with Sarah tomorrow morning")
    await say(call, "Henry Lee, 3 March 1992")
    first = await say(call, "umm")
    assert "which of those times" in first.lower()
    second = await say(call, "umm")
    assert "I can book, change or cancel" in second


async def test_an_emergency_drops_the_readback(clinic: Clinic, demo_pms: PMSAdapter) -> None:
    before = await upcoming(demo_pms, "Henry Lee")
    call = guided(clinic, "+61426388404")
    await say(call, "I'd like a follow-up with Sarah tomorrow morning")
    await say(call, "Henry Lee, 3 March 1992")
    await say(call, "The first one")
    urgent = await say(call, "my husband just collapsed, he's not breathing")
    assert "000" in urgent
    await say(call, "okay")
    assert len(await upcoming(demo_pms, "Henry Lee")) == len(before)


async def test_not_that_one_at_a_cancel_readback_asks_which(
    clinic: Clinic, demo_pms: PMSAdapter
) -> None:
    before = await upcoming(demo_pms, "Olivia Smith")
    call = guided(clinic)
    await say(call, "I need to cancel my Wednesday appointment")
    await say(call, OLIVIA)
    await say(call, "the 9 am one")
    again = await say(call, "no, not that one")
    assert "Which one?" in again and "4 pm" in again
    assert len(await upcoming(demo_pms, "Olivia Smith")) == len(before)
