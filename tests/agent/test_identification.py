"""Nobody registered twice, nobody guessing their way in (issue 15, item 12).

A registration is read back (name and date of birth) and written only on the caller's yes; a
caller whose number is on a patient's record and whose date of birth is a near miss of it is
asked again instead of being registered; failed identifications lock out per call and per
number, with a person or a message offered. On the demo clinic: Olivia Smith, born 14 March
1988, is on +61412345678.
"""

from __future__ import annotations

from datetime import date

import pytest

from pms_adapters.diary_adapter import DiaryAdapter
from pms_adapters.types import PatientQuery
from receptionist.agent.conversation import Conversation
from receptionist.agent.engines.guided import GuidedEngine
from receptionist.agent.lockout import (
    MAX_CALL_FAILURES,
    MAX_NUMBER_FAILURES,
    LocalFailureCounter,
    counter_key,
)
from receptionist.agent.runtime import start_call
from receptionist.agent.session import CallSession
from receptionist.agent.toolbox import Clinic, Toolbox
from receptionist.agent.tools import TOOLS
from receptionist.agent.tools.identity import near_miss
from tests.agent.test_tools import caller_says

pytestmark = pytest.mark.anyio

OLIVIAS_NUMBER = "+61412345678"
STRANGER = "+61400000001"
OLIVIA_BORN = date(1988, 3, 14)


def box_for(clinic: Clinic, number: str | None = OLIVIAS_NUMBER) -> Toolbox:
    return Toolbox(CallSession(clinic="demo", caller_number=number), clinic, TOOLS)


async def patients(pms: DiaryAdapter, name: str) -> int:
    return len(await pms.find_patients(PatientQuery(name=name)))


async def say(call: Conversation, text: str) -> str:
    return "".join([piece async for piece in call.reply(text)])


@pytest.mark.parametrize(
    ("said", "near"),
    [
        (date(1988, 3, 15), True),  # a day off
        (date(1988, 3, 9), True),  # within a week
        (date(1998, 3, 14), True),  # "ninety" for "eighty"
        (date(1987, 3, 14), True),  # the same birthday, another year
        (date(1988, 3, 4), True),  # "fourth" for "fourteenth": one digit
        (date(1988, 8, 14), True),  # one digit of the month
        (date(1990, 1, 1), False),
        (date(1988, 3, 14), False),  # the same date is a match, not a miss
    ],
)
def test_near_misses(said: date, near: bool) -> None:
    assert near_miss(said, OLIVIA_BORN) is near


def test_day_and_month_swapped_is_a_near_miss() -> None:
    assert near_miss(date(1990, 7, 5), date(1990, 5, 7))
    assert not near_miss(date(1990, 7, 25), date(1990, 5, 7))


async def test_a_misheard_birth_date_on_the_callers_number_is_asked_again_not_registered(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    box = box_for(clinic)
    olivia = {"first_name": "Olivia", "last_name": "Smith", "date_of_birth": "15 March 1988"}
    result = await box.call("register_patient", olivia)
    assert not result.ok and result.data["recheck"]
    assert "date of birth again" in result.say and "14" not in result.say
    assert box.session.pending is None  # nothing read back for writing
    caller_says(box, "Sorry, it's the 14th of March 1988")
    again = await box.call("register_patient", olivia | {"date_of_birth": "14 March 1988"})
    assert again.ok and again.data["existing"] is True
    assert box.session.patient is not None and box.session.patient.first_name == "Olivia"
    assert await patients(demo_pms, "Olivia Smith") == 1


async def test_identify_asks_again_for_a_near_miss_and_the_right_date_identifies(
    clinic: Clinic,
) -> None:
    box = box_for(clinic)
    wrong = await box.call(
        "identify_caller", {"full_name": "Olivia Smith", "date_of_birth": "14 March 1998"}
    )
    assert not wrong.ok and wrong.data["recheck"] and "readback" not in wrong.data
    right = await box.call(
        "identify_caller", {"full_name": "Olivia Smith", "date_of_birth": "14 March 1988"}
    )
    assert right.ok and box.session.identify_failures == 1


async def test_the_same_date_said_again_stands_for_someone_else_on_the_number(
    clinic: Clinic,
) -> None:
    box = box_for(clinic)
    args = {"full_name": "Zed Quill", "date_of_birth": "15 March 1988"}
    first = await box.call("identify_caller", args)
    assert first.data["recheck"]
    caller_says(box, "15 March 1988")
    second = await box.call("identify_caller", args)
    assert not second.data.get("recheck")
    assert second.data["readback"] == "Zed Quill, born 15 March 1988"


async def test_a_namesake_on_the_number_who_insists_goes_to_a_person_not_a_new_record(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    box = box_for(clinic)
    olivia = {"first_name": "Olivia", "last_name": "Smith", "date_of_birth": "13 March 1988"}
    assert (await box.call("register_patient", olivia)).data["recheck"]
    caller_says(box, "13 March 1988")
    insisted = await box.call("register_patient", olivia)
    assert not insisted.ok and insisted.data["needs_staff"]
    assert "transfer_to_human" in insisted.say and "13" not in insisted.say
    caller_says(box, "Yes")
    assert not (await box.call("register_patient", olivia)).ok
    assert await patients(demo_pms, "Olivia Smith") == 1


async def test_another_name_on_the_number_with_an_unrelated_birth_date_registers(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    """A family sharing a phone: a different person is not a misheard one."""
    box = box_for(clinic)
    noah = {"first_name": "Noah", "last_name": "Tran", "date_of_birth": "2 October 2015"}
    readback = await box.call("register_patient", noah)
    assert readback.data["needs_confirmation"] == "register"
    assert readback.data["readback"] == "Noah Tran, born 2 October 2015"
    caller_says(box, "Yes")
    done = await box.call("register_patient", noah)
    assert done.ok and done.data["existing"] is False
    assert await patients(demo_pms, "Noah Tran") == 1


async def test_registration_needs_a_yes_to_the_read_back_of_name_and_birth_date(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    box = box_for(clinic, STRANGER)
    ben = {"first_name": "Ben", "last_name": "Carter", "date_of_birth": "5 June 1990"}
    first = await box.call("register_patient", ben)
    assert not first.ok and "Ben Carter, born 5 June 1990" in first.say
    too_soon = await box.call("register_patient", ben)  # the model did not wait
    assert not too_soon.ok and "not answered" in too_soon.say
    caller_says(box, "Yes")
    other = await box.call("register_patient", ben | {"last_name": "Karter"})
    assert not other.ok and other.data["readback"] == "Ben Karter, born 5 June 1990"
    caller_says(box, "No, it's Carter")
    refused = await box.call("register_patient", ben | {"last_name": "Karter"})
    assert not refused.ok and "nothing was registered" in refused.say
    assert await patients(demo_pms, "Ben Carter") + await patients(demo_pms, "Ben Karter") == 0
    await box.call("register_patient", ben)
    caller_says(box, "Yes, first time")
    assert (await box.call("register_patient", ben)).ok
    assert await patients(demo_pms, "Ben Carter") == 1


async def test_the_read_back_identify_gives_lets_register_write_on_a_yes(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    """How a model registers: no record, read back, the caller's yes, register once."""
    box = box_for(clinic, STRANGER)
    caller_says(box, "Ben Carter, 5 June 1990")
    missing = await box.call(
        "identify_caller", {"full_name": "Ben Carter", "date_of_birth": "5 June 1990"}
    )
    assert missing.data == {"matches": 0, "readback": "Ben Carter, born 5 June 1990"}
    assert '"Ben Carter, born 5 June 1990"' in missing.say
    caller_says(box, "Yes, it's my first visit")
    done = await box.call(
        "register_patient",
        {"first_name": "Ben", "last_name": "Carter", "date_of_birth": "5 June 1990"},
    )
    assert done.ok and done.data["existing"] is False
    assert await patients(demo_pms, "Ben Carter") == 1


async def test_failed_identifications_lock_out_the_call_with_a_person_offered(
    clinic: Clinic,
) -> None:
    box = box_for(clinic, STRANGER)
    wrong = {"full_name": "Olivia Smith", "date_of_birth": "1/1/1990"}
    results = [await box.call("identify_caller", wrong) for _ in range(MAX_CALL_FAILURES)]
    assert not any(r.data.get("locked") for r in results[:-1])
    assert results[-1].data["locked"] and "Too many attempts" in results[-1].say
    assert "transfer_to_human" in results[-1].say or "message" in results[-1].say
    right = await box.call(
        "identify_caller", {"full_name": "Olivia Smith", "date_of_birth": "14 March 1988"}
    )
    assert not right.ok and right.data["locked"] and box.session.patient is None
    register = await box.call(
        "register_patient",
        {"first_name": "Olivia", "last_name": "Smith", "date_of_birth": "14 March 1988"},
    )
    assert not register.ok and register.data["locked"] and box.session.patient is None


async def test_failures_are_counted_per_number_across_calls(clinic: Clinic) -> None:
    clinic.count_failures = LocalFailureCounter()
    wrong = {"full_name": "Olivia Smith", "date_of_birth": "1/1/1990"}
    calls = [box_for(clinic, STRANGER) for _ in range(3)]
    for box in calls[:2]:  # two calls, two failures each: under the per-call limit
        for _ in range(2):
            assert not (await box.call("identify_caller", wrong)).data.get("locked")
    fifth = await calls[2].call("identify_caller", wrong)
    assert MAX_NUMBER_FAILURES == 5 and fifth.data["locked"]
    other_number = box_for(clinic, "+61400000002")
    assert not (await other_number.call("identify_caller", wrong)).data.get("locked")


async def test_a_counter_that_fails_leaves_the_per_call_limit(clinic: Clinic) -> None:
    async def down(number: str) -> int:
        raise ConnectionError("ledger down")

    clinic.count_failures = down
    box = box_for(clinic, STRANGER)
    wrong = {"full_name": "Olivia Smith", "date_of_birth": "1/1/1990"}
    results = [await box.call("identify_caller", wrong) for _ in range(MAX_CALL_FAILURES)]
    assert [bool(r.data.get("locked")) for r in results] == [False, False, True]


async def test_the_shared_counter_sees_the_number_and_clinic_only_through_its_key(
    clinic: Clinic,
) -> None:
    seen: list[str] = []

    async def shared(number: str) -> int:
        seen.append(counter_key(clinic.key, number))
        return 1

    clinic.count_failures = shared
    box = box_for(clinic, STRANGER)
    await box.call("identify_caller", {"full_name": "Ann Lee", "date_of_birth": "1/1/1990"})
    assert seen == [f"identify-failures:demo:{STRANGER}"]
    no_number = box_for(clinic, None)
    await no_number.call("identify_caller", {"full_name": "Ann Lee", "date_of_birth": "1/1/1990"})
    assert len(seen) == 1 and no_number.session.identify_failures == 1


async def test_guided_asks_for_the_birth_date_again_then_carries_on(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    call = start_call(clinic, GuidedEngine(), caller_number=OLIVIAS_NUMBER)
    await say(call, "Hi, I'd like to book a massage")
    again = await say(call, "Olivia Smith, 13 March 1988")
    assert "date of birth once more" in again and "first visit" not in again
    found = await say(call, "14 March 1988")
    assert found.startswith("Thanks, Olivia")
    assert await patients(demo_pms, "Olivia Smith") == 1


async def test_guided_registration_reads_back_name_and_birth_date(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    call = start_call(clinic, GuidedEngine(), caller_number=STRANGER)
    await say(call, "Hello, I'd like to make an appointment, I've never been before")
    asked = await say(call, "Ben Carter, 5 June 1990")
    assert "Ben Carter, born 5 June 1990" in asked and "first visit" in asked
    welcome = await say(call, "Yes, it's my first visit")
    assert welcome.startswith("Welcome, Ben")
    assert await patients(demo_pms, "Ben Carter") == 1


async def test_guided_locks_out_and_offers_a_person(clinic: Clinic) -> None:
    call = start_call(clinic, GuidedEngine(), caller_number=STRANGER)
    await say(call, "I need to cancel my appointment")
    replies = [await say(call, "Olivia Smith, 1 January 1990") for _ in range(MAX_CALL_FAILURES)]
    last = replies[-1]
    assert "can't confirm your details" in last
    assert "put you through" in last or "message" in last
    session = call.session
    assert session.patient is None and session.identity_locked


async def test_guided_never_registers_a_namesake_twice(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    call = start_call(clinic, GuidedEngine(), caller_number=OLIVIAS_NUMBER)
    await say(call, "I'd like to book a massage")
    assert "once more" in await say(call, "Olivia Smith, 13 March 1988")
    handed = await say(call, "13 March 1988")
    assert "can't match those details" in handed
    assert "put you through" in handed or "message" in handed
    assert await patients(demo_pms, "Olivia Smith") == 1


async def test_guided_takes_over_a_registration_read_back_another_engine_left(
    clinic: Clinic, demo_pms: DiaryAdapter
) -> None:
    """The model read back a registration, then failed: the guided engine asks afresh."""
    session = CallSession(clinic="demo", caller_number=STRANGER)
    box = Toolbox(session, clinic, TOOLS)
    caller_says(box, "Hi, I'd like to book, I'm new")
    caller_says(box, "Ben Carter, 5 June 1990")
    await box.call("identify_caller", {"full_name": "Ben Carter", "date_of_birth": "5 June 1990"})
    assert session.pending is not None and session.pending.action == "register"
    call = start_call(clinic, GuidedEngine(), session=session)
    asked = await say(call, "Yes")
    assert "name" in asked and session.pending is None
    assert await patients(demo_pms, "Ben Carter") == 0
