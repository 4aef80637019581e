"""The tools' guardrails, driven directly (no engine): the rules hold whatever the model does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from diary import Diary
from pms_adapters.diary_adapter import DiaryAdapter
from pms_adapters.errors import PMSUnavailable
from pms_adapters.types import PatientQuery, Window
from receptionist.agent.session import CallSession, Outcome
from receptionist.agent.toolbox import Clinic, Toolbox, chat_schemas, realtime_schemas
from receptionist.agent.tools import TOOLS
from tests.conftest import DEMO_NOW, SYDNEY

pytestmark = pytest.mark.anyio

OLIVIA = {"full_name": "Olivia Smith", "date_of_birth": "14 March 1988"}


def toolbox(clinic: Clinic, session: CallSession | None = None) -> Toolbox:
    return Toolbox(
        session or CallSession(clinic="demo", caller_number="+61412345678"), clinic, TOOLS
    )


def caller_says(box: Toolbox, text: str) -> None:
    box.session.add_turn("caller", text)


async def offered(box: Toolbox, **search: Any) -> list[str]:
    result = await box.call(
        "find_availability",
        {"appointment_type": "follow-up", "practitioner": "Sarah", "when": "Tuesday"} | search,
    )
    assert result.ok, result.say
    refs: list[str] = result.data["offers"]
    return refs


async def bookings(demo_pms: DiaryAdapter, name: str = "Olivia Smith") -> int:
    patient = (await demo_pms.find_patients(PatientQuery(name=name)))[0]
    window = Window(starts_at=DEMO_NOW, ends_at=DEMO_NOW + timedelta(days=120))
    return len(await demo_pms.appointments(patient.id, window))


async def test_booking_needs_an_identified_caller(clinic: Clinic) -> None:
    box = toolbox(clinic)
    refs = await offered(box)
    result = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    assert not result.ok
    assert "not identified" in result.say


async def test_only_a_slot_offered_in_this_call_can_be_booked(clinic: Clinic) -> None:
    box = toolbox(clinic)
    assert (await box.call("identify_caller", OLIVIA)).ok
    result = await box.call("book_appointment", {"slot": "s1"})
    assert not result.ok and "not offered" in result.say


async def test_read_back_then_yes_books_exactly_once(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    box = toolbox(clinic)
    before = await bookings(demo_pms)
    await box.call("identify_caller", OLIVIA)
    refs = await offered(box)
    first = await box.call("book_appointment", {"slot": refs[0]})
    assert not first.ok and first.data["needs_confirmation"] == "book"
    too_soon = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    assert not too_soon.ok and "not answered" in too_soon.say
    caller_says(box, "Yes please")
    done = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    assert done.ok and done.say.startswith("Booked")
    again = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    assert again.ok and again.say.startswith("Already booked")
    assert await bookings(demo_pms) == before + 1
    assert box.session.final_outcome() is Outcome.BOOKED


async def test_confirmed_without_a_read_back_is_refused_and_starts_one(clinic: Clinic) -> None:
    box = toolbox(clinic)
    await box.call("identify_caller", OLIVIA)
    refs = await offered(box)
    result = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    assert not result.ok
    assert "has not confirmed" in result.say and "Read this back" in result.say
    caller_says(box, "yep")
    assert (await box.call("book_appointment", {"slot": refs[0], "confirmed": True})).ok


@pytest.mark.parametrize("answer", ["no", "hmm maybe", "yes but can we do later", "what?"])
async def test_anything_but_a_clear_yes_writes_nothing(
    clinic: Clinic, demo_pms: DiaryAdapter, answer: str
) -> None:
    box = toolbox(clinic)
    before = await bookings(demo_pms)
    await box.call("identify_caller", OLIVIA)
    refs = await offered(box)
    await box.call("book_appointment", {"slot": refs[0]})
    caller_says(box, answer)
    result = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    assert not result.ok and "did not clearly say yes" in result.say
    assert await bookings(demo_pms) == before
    assert box.session.pending is None


async def test_a_repeated_call_with_a_fresh_toolbox_replays_the_same_key(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    """The idempotency key comes from the call and the request, not from memory in the tool."""
    box = toolbox(clinic)
    before = await bookings(demo_pms)
    await box.call("identify_caller", OLIVIA)
    refs = await offered(box)
    await box.call("book_appointment", {"slot": refs[0]})
    caller_says(box, "yes")
    first = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    box.session.completed_writes.clear()  # as if the tool result was lost and the model retried
    box.session.actions.clear()
    await box.call("book_appointment", {"slot": refs[0]})
    caller_says(box, "yes")
    second = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    assert second.ok
    assert first.data["appointment_id"] == second.data["appointment_id"]
    assert await bookings(demo_pms) == before + 1


async def test_appointments_are_never_disclosed_before_identification(clinic: Clinic) -> None:
    box = toolbox(clinic)
    result = await box.call("list_appointments", {})
    assert not result.ok and "not identified" in result.say
    wrong = await box.call(
        "identify_caller", {"full_name": "Olivia Smith", "date_of_birth": "1/1/1990"}
    )
    # The number calling is Olivia's: her date of birth is asked again, and never said.
    assert not wrong.ok and wrong.data["recheck"] and "date of birth again" in wrong.say
    assert "1988" not in wrong.say and "March" not in wrong.say
    assert box.session.patient is None


async def test_identification_attempts_are_limited(clinic: Clinic) -> None:
    box = toolbox(clinic)
    for _ in range(3):
        await box.call(
            "identify_caller", {"full_name": "Olivia Smith", "date_of_birth": "1/1/1990"}
        )
    result = await box.call("identify_caller", OLIVIA)
    assert not result.ok and "Too many attempts" in result.say


async def test_a_caller_cannot_touch_someone_elses_appointment(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    other = CallSession(clinic="demo")
    other_box = toolbox(clinic, other)
    await other_box.call(
        "identify_caller", {"full_name": "Jack Williams", "date_of_birth": "2/11/1975"}
    )
    listed = await other_box.call("list_appointments", {})
    jacks = other.appointments[listed.data["appointments"][0]]
    box = toolbox(clinic)
    await box.call("identify_caller", OLIVIA)
    box.session.appointments["a9"] = jacks  # even a smuggled reference is refused
    result = await box.call("cancel_appointment", {"appointment": "a9"})
    assert not result.ok and "Unknown appointment" in result.say


async def test_late_cancellation_notice_is_read_back_and_returned(clinic: Clinic) -> None:
    box = toolbox(clinic)
    await box.call("identify_caller", {"full_name": "Thomas Anderson", "date_of_birth": "3/4/1965"})
    listed = await box.call("list_appointments", {"when": "today"})
    ref = listed.data["appointments"][0]
    readback = await box.call("cancel_appointment", {"appointment": ref})
    assert "24 hours" in readback.data["readback"]
    caller_says(box, "yes cancel it")
    done = await box.call("cancel_appointment", {"appointment": ref, "confirmed": True})
    assert done.ok and "24 hours" in done.data["notice"]
    assert "Tell the caller" in done.say


async def test_no_notice_when_the_change_is_early_enough(clinic: Clinic) -> None:
    box = toolbox(clinic)
    await box.call("identify_caller", {"full_name": "William Jones", "date_of_birth": "28/2/1979"})
    listed = await box.call("list_appointments", {"when": "Thursday"})
    ref = listed.data["appointments"][0]
    await box.call("cancel_appointment", {"appointment": ref})
    caller_says(box, "yes")
    done = await box.call("cancel_appointment", {"appointment": ref, "confirmed": True})
    assert done.ok and done.data["notice"] == ""


async def test_a_patient_is_not_double_booked(clinic: Clinic) -> None:
    box = toolbox(clinic)
    await box.call("identify_caller", OLIVIA)
    # Olivia sees Sarah at Surry Hills at 3 pm on Wednesday 4 March: James has time then.
    result = await box.call(
        "find_availability",
        {"appointment_type": "follow-up", "practitioner": "James", "when": "Wednesday at 3pm"},
    )
    clash = [
        ref for ref in result.data["offers"]
        if 15 <= box.session.offers[ref].starts_at.astimezone(SYDNEY).hour < 16
    ]  # fmt: skip
    assert clash, result.say
    refused = await box.call("book_appointment", {"slot": clash[0]})
    assert not refused.ok and "already has an appointment" in refused.say


async def test_types_not_bookable_by_phone_are_refused(clinic: Clinic) -> None:
    box = toolbox(clinic)
    result = await box.call("find_availability", {"appointment_type": "pilates assessment"})
    assert not result.ok and "can't be booked over the phone" in result.say


async def test_new_patients_are_steered_to_a_type_open_to_them(clinic: Clinic) -> None:
    box = toolbox(clinic)
    ben = {"first_name": "Ben", "last_name": "Carter", "date_of_birth": "5 June 1990"}
    readback = await box.call("register_patient", ben)
    assert not readback.ok and readback.data["readback"] == "Ben Carter, born 5 June 1990"
    caller_says(box, "Yes, that's right")
    registered = await box.call("register_patient", ben)
    assert registered.ok and registered.data["existing"] is False
    result = await box.call("find_availability", {"appointment_type": "follow-up"})
    assert not result.ok and "for existing patients" in result.say


async def test_registering_twice_in_one_call_makes_one_patient(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    args = {"first_name": "Ben", "last_name": "Carter", "date_of_birth": "5 June 1990"}
    box = toolbox(clinic)
    await box.call("register_patient", args)
    caller_says(box, "Yes")
    first = await box.call("register_patient", args)
    box.session.patient = None
    second = await box.call("register_patient", args)
    assert first.data["patient_id"] == second.data["patient_id"]
    assert len(await demo_pms.find_patients(PatientQuery(name="Ben Carter"))) == 1


async def test_dates_are_resolved_in_code_and_the_past_is_questioned(clinic: Clinic) -> None:
    box = toolbox(clinic)
    result = await box.call(
        "find_availability", {"appointment_type": "massage", "when": "yesterday"}
    )
    assert not result.ok and result.say.startswith("Ask the caller:")
    nonsense = await box.call(
        "find_availability", {"appointment_type": "massage", "when": "purple"}
    )
    assert not nonsense.ok


async def test_a_pms_outage_is_said_plainly(clinic: Clinic, demo_pms: DiaryAdapter) -> None:
    async def down(*_: object, **__: object) -> None:
        raise PMSUnavailable("connection refused to 10.0.0.3:5432 for patient Olivia Smith")

    demo_pms.find_slots = down  # type: ignore[method-assign]
    box = toolbox(clinic)
    result = await box.call(
        "find_availability", {"appointment_type": "massage", "when": "tomorrow"}
    )
    assert not result.ok
    assert "can't reach the diary" in result.say and "message" in result.say
    assert "10.0.0.3" not in result.say and "Olivia" not in result.say


async def test_an_unexpected_error_never_reaches_the_model(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise KeyError("secret internals")

    demo_pms.find_patients = broken  # type: ignore[method-assign]
    box = toolbox(clinic)
    result = await box.call("identify_caller", OLIVIA)
    assert not result.ok and "secret" not in result.say and "message" in result.say
    assert box.session.errors == ["identify_caller: KeyError"]


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("book_appointment", '{"slot": ', "not valid JSON"),
        ("book_appointment", "[1, 2]", "must be a JSON object"),
        ("book_appointment", {"slot": "s1", "when": "now"}, "Invalid arguments"),
        ("book_appointment", {}, "Invalid arguments (slot: Field required)"),
        ("delete_everything", {}, "There is no tool called"),
    ],
)
async def test_bad_arguments_get_an_error_the_model_can_act_on(
    clinic: Clinic, name: str, arguments: Any, expected: str
) -> None:
    box = toolbox(clinic)
    result = await box.call(name, arguments)
    assert not result.ok and expected in result.say
    assert box.session.trace[-1].name == name and not box.session.trace[-1].ok


async def test_transfer_only_while_open(clinic: Clinic, demo_diary: Diary) -> None:
    box = toolbox(clinic)
    assert (await box.call("transfer_to_human", {"reason": "asked"})).ok
    clinic.now = lambda: datetime(2026, 3, 8, 10, 0, tzinfo=SYNDNEY_TZ)  # a Sunday
    closed = await box.call("transfer_to_human", {"reason": "asked"})
    assert not closed.ok and "closed" in closed.say


async def test_messages_reach_the_sink_and_set_the_outcome(clinic: Clinic) -> None:
    taken: list[str] = []

    async def sink(session: CallSession, message: Any) -> None:
        taken.append(message.text)

    clinic.message_sink = sink
    box = toolbox(clinic)
    result = await box.call("take_message", {"caller_name": "Sam", "message": "Call me back"})
    assert result.ok and taken == ["Call me back"]
    assert box.session.messages[0].callback_number == "+61412345678"
    assert box.session.final_outcome() is Outcome.MESSAGE


def test_schemas_in_both_shapes_without_titles() -> None:
    chat = chat_schemas(TOOLS)
    flat = realtime_schemas(TOOLS)
    assert [c["function"]["name"] for c in chat] == [f["name"] for f in flat]
    assert all(f["type"] == "function" and "parameters" in f for f in flat)
    assert "title" not in str(chat) and "$defs" not in str(chat) and "anyOf" not in str(chat)
    names = {c["function"]["name"] for c in chat}
    assert {
        "find_availability", "identify_caller", "register_patient", "list_appointments",
        "book_appointment", "reschedule_appointment", "cancel_appointment", "clinic_info",
        "transfer_to_human", "take_message", "end_call",
    } <= names  # fmt: skip


SYNDNEY_TZ = SYDNEY
