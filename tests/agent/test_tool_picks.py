"""For every engine, the tools check the pick: the ref a model hands back must be the option
the caller's own words named, the read-back names what will change, and the caller's own
name is never taken for a practitioner's."""

from __future__ import annotations

import pytest

from pms_adapters.diary_adapter import DiaryAdapter
from receptionist.agent.toolbox import Clinic, Toolbox
from tests.agent.test_tools import OLIVIA, bookings, caller_says, offered, toolbox

pytestmark = pytest.mark.anyio


async def test_a_ref_other_than_the_one_the_caller_named_is_refused(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    box = toolbox(clinic)
    await box.call("identify_caller", OLIVIA)
    refs = await offered(box)
    slots = [box.session.offers[ref] for ref in refs]
    last = slots[-1].starts_at.astimezone(clinic.zone)
    caller_says(box, f"The {last.hour % 12 or 12}:{last:%M} one")
    wrong = await box.call("book_appointment", {"slot": refs[0]})
    assert not wrong.ok and f"chose {refs[-1]}" in wrong.say
    assert box.session.pending is None
    right = await box.call("book_appointment", {"slot": refs[-1]})
    assert right.data.get("needs_confirmation") == "book"


async def test_words_that_fit_no_offer_refuse_any_ref(clinic: Clinic) -> None:
    box = toolbox(clinic)
    await box.call("identify_caller", OLIVIA)
    refs = await offered(box)  # Tuesday with Sarah
    caller_says(box, "the one with Priya")
    result = await box.call("book_appointment", {"slot": refs[0]})
    assert not result.ok and "does not pick" in result.say


async def test_a_position_counts_when_nothing_else_is_named(clinic: Clinic) -> None:
    box = toolbox(clinic)
    await box.call("identify_caller", OLIVIA)
    refs = await offered(box)
    caller_says(box, "the second one please")
    assert not (await box.call("book_appointment", {"slot": refs[0]})).data.get(
        "needs_confirmation"
    )
    result = await box.call("book_appointment", {"slot": refs[1]})
    assert result.data.get("needs_confirmation") == "book"


async def test_cancel_readback_names_day_date_time_and_practitioner(clinic: Clinic) -> None:
    box = toolbox(clinic)
    await box.call("identify_caller", OLIVIA)
    listed = await box.call("list_appointments", {"when": "Wednesday"})
    caller_says(box, "the 12:45")
    ref = next(
        r for r in listed.data["appointments"] if box.session.appointments[r].starts_at.minute == 45
    )
    result = await box.call("cancel_appointment", {"appointment": ref})
    readback = result.data["readback"]
    assert "Wednesday 4 March at 12:45 pm" in readback and "James O'Brien" in readback
    other = next(r for r in listed.data["appointments"] if r != ref)
    refused = await box.call("cancel_appointment", {"appointment": other})
    assert not refused.ok and f"chose {ref}" in refused.say


async def test_move_readback_names_both_ends(clinic: Clinic) -> None:
    box = toolbox(clinic)
    await box.call("identify_caller", OLIVIA)
    listed = await box.call("list_appointments", {"when": "Wednesday"})
    caller_says(box, "the 12:45 one, to Friday")
    ref = next(
        r for r in listed.data["appointments"] if box.session.appointments[r].starts_at.minute == 45
    )
    found = await box.call("find_availability", {"appointment": ref, "when": "Friday"})
    assert found.ok, found.say
    caller_says(box, "the first one")
    result = await box.call(
        "reschedule_appointment", {"appointment": ref, "slot": found.data["offers"][0]}
    )
    readback = result.data["readback"]
    assert readback.startswith("Move your Physiotherapy follow-up with James O'Brien, ")
    assert "Wednesday 4 March at 12:45 pm, at Surry Hills, to " in readback
    assert readback.endswith("with James O'Brien. Is that right?")


async def test_a_confirmation_from_before_the_readback_is_refused(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    box = toolbox(clinic)
    before = await bookings(demo_pms)
    await box.call("identify_caller", OLIVIA)
    refs = await offered(box)
    caller_says(box, "yes, the first one")
    await box.call("book_appointment", {"slot": refs[0]})  # the read-back, after that "yes"
    result = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    assert not result.ok and "not answered" in result.say
    assert await bookings(demo_pms) == before


async def test_the_callers_own_name_is_not_a_practitioner(clinic: Clinic) -> None:
    box = toolbox(clinic, None)
    box.session.caller_number = "+61417450118"
    await box.call("identify_caller", {"full_name": "Mia Nguyen", "date_of_birth": "17/09/1990"})
    result = await box.call(
        "find_availability", {"appointment_type": "follow-up", "practitioner": "Nguyen"}
    )
    assert not result.ok and "own name" in result.say
    tom = await box.call(
        "find_availability", {"appointment_type": "follow-up", "practitioner": "Tom Nguyen"}
    )
    assert tom.ok, tom.say


async def read_back_first_offer(clinic: Clinic) -> tuple[Toolbox, list[str]]:
    """Olivia identified, Tuesday's times with Sarah offered, the first one read back."""
    box = toolbox(clinic)
    await box.call("identify_caller", OLIVIA)
    refs = await offered(box)
    await box.call("book_appointment", {"slot": refs[0]})
    return box, refs


async def test_a_yes_to_what_came_after_the_readback_writes_nothing(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    box, refs = await read_back_first_offer(clinic)
    before = await bookings(demo_pms)
    caller_says(box, "is there parking?")
    await box.call("clinic_info", {"topic": "parking"})
    caller_says(box, "ok great")
    late = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    assert not late.ok and "said more since the read-back" in late.say
    assert await bookings(demo_pms) == before


async def test_new_times_offered_drop_the_readback_before_them(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    box, refs = await read_back_first_offer(clinic)
    before = await bookings(demo_pms)
    caller_says(box, "hmm, anything on Thursday instead?")
    await offered(box, when="Thursday")
    caller_says(box, "yes please")
    result = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    assert not result.ok and result.data.get("needs_confirmation") == "book"
    assert await bookings(demo_pms) == before


async def test_a_cancelled_booking_is_not_already_booked(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    box = toolbox(clinic)
    await box.call("identify_caller", OLIVIA)
    refs = await offered(box)
    await box.call("book_appointment", {"slot": refs[0]})
    caller_says(box, "yes")
    booked = await box.call("book_appointment", {"slot": refs[0], "confirmed": True})
    assert booked.ok
    ref = booked.data["appointment"]
    await box.call("cancel_appointment", {"appointment": ref})
    caller_says(box, "yes")
    assert (await box.call("cancel_appointment", {"appointment": ref, "confirmed": True})).ok
    again = await box.call("book_appointment", {"slot": refs[0]})
    assert not again.say.startswith("Already booked")
