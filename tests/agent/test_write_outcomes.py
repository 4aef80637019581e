"""After a write whose outcome the PMS could not confirm, the agent asks again with the same
idempotency key before telling the caller anything (issue 15, item 9): a write that landed is
said as done, exactly once; one that never confirms is said as not confirmed, never as done.

The PMS is the demo diary, with its write methods wrapped to lose answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from pms_adapters.diary_adapter import DiaryAdapter
from pms_adapters.errors import PMSUnavailable, WriteOutcomeUnknown
from pms_adapters.types import PatientQuery
from receptionist.agent.engines.guided import GuidedEngine
from receptionist.agent.runtime import start_call
from receptionist.agent.session import Outcome
from receptionist.agent.toolbox import Clinic
from tests.agent.test_tools import OLIVIA, bookings, caller_says, offered, toolbox

pytestmark = pytest.mark.anyio

Write = Callable[..., Awaitable[Any]]


class Flaky:
    """A PMS write that loses its answers: `landing` says, attempt by attempt, whether the
    write reaches the diary before the answer is lost (True), is lost before it (False), or
    goes through and is answered (None, and every attempt after the list)."""

    def __init__(self, write: Write, *landing: bool | None, fail: type[Exception] = Exception):
        self.write = write
        self.landing = list(landing)
        self.fail = fail
        self.calls: list[tuple[Any, ...]] = []

    async def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        plan = self.landing.pop(0) if self.landing else None
        if plan is None:
            return await self.write(*args)
        if plan:
            await self.write(*args)
        raise WriteOutcomeUnknown("timed out")


@pytest.fixture
def quick(clinic: Clinic) -> Clinic:
    clinic.write_recheck_pauses = (0.0, 0.0)
    return clinic


async def _read_back(clinic: Clinic) -> tuple[Any, str]:
    box = toolbox(clinic)
    await box.call("identify_caller", OLIVIA)
    ref = (await offered(box))[0]
    await box.call("book_appointment", {"slot": ref})
    caller_says(box, "Yes please")
    return box, ref


async def test_a_booking_that_landed_but_lost_its_answer_is_said_as_booked_once(
    quick: Clinic, demo_pms: DiaryAdapter
) -> None:
    before = await bookings(demo_pms)
    flaky = Flaky(demo_pms.book, True)
    demo_pms.book = flaky  # type: ignore[method-assign]
    box, ref = await _read_back(quick)
    result = await box.call("book_appointment", {"slot": ref, "confirmed": True})
    assert result.ok and result.say.startswith("Booked")
    assert await bookings(demo_pms) == before + 1
    assert [outcome for outcome, _ in box.session.writes] == [Outcome.BOOKED]
    assert box.session.final_outcome() is Outcome.BOOKED
    # The same request both times: the same slot, patient and idempotency key.
    assert len(flaky.calls) == 2 and flaky.calls[0] == flaky.calls[1]


@pytest.mark.parametrize("landed", [False, True])
async def test_a_booking_that_never_confirms_is_never_said_as_booked(
    quick: Clinic, demo_pms: DiaryAdapter, landed: bool
) -> None:
    before = await bookings(demo_pms)
    flaky = Flaky(demo_pms.book, landed, False, False, False)
    demo_pms.book = flaky  # type: ignore[method-assign]
    box, ref = await _read_back(quick)
    result = await box.call("book_appointment", {"slot": ref, "confirmed": True})
    assert not result.ok and result.data["error"] == "WriteOutcomeUnknown"
    assert "did not confirm" in result.say and "Do NOT say it is done" in result.say
    assert box.session.writes == [] and Outcome.BOOKED not in box.session.actions
    assert len(flaky.calls) == 3 and len(set(flaky.calls)) == 1  # 2 rechecks, one key
    assert await bookings(demo_pms) == before + (1 if landed else 0)


async def test_a_recheck_that_cannot_reach_the_pms_leaves_the_outcome_unknown(
    quick: Clinic, demo_pms: DiaryAdapter
) -> None:
    calls = 0

    async def book(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise WriteOutcomeUnknown("timed out")
        raise PMSUnavailable("the diary database is unavailable")

    demo_pms.book = book  # type: ignore[method-assign]
    box, ref = await _read_back(quick)
    result = await box.call("book_appointment", {"slot": ref, "confirmed": True})
    # Not "I can't make that change": the first attempt may still have landed.
    assert not result.ok and "did not confirm" in result.say
    assert calls == 3


async def test_a_cancellation_that_lost_its_answer_is_said_as_cancelled(
    quick: Clinic, demo_pms: DiaryAdapter
) -> None:
    before = await bookings(demo_pms)
    demo_pms.cancel = Flaky(demo_pms.cancel, True)  # type: ignore[method-assign]
    box = toolbox(quick)
    await box.call("identify_caller", OLIVIA)
    listed = await box.call("list_appointments", {})
    ref = listed.data["appointments"][0]
    await box.call("cancel_appointment", {"appointment": ref})
    caller_says(box, "Yes")
    result = await box.call("cancel_appointment", {"appointment": ref, "confirmed": True})
    assert result.ok and result.say.startswith("Cancelled")
    assert await bookings(demo_pms) == before - 1


async def test_a_registration_that_lost_its_answer_registers_one_patient(
    quick: Clinic, demo_pms: DiaryAdapter
) -> None:
    flaky = Flaky(demo_pms.create_patient, True)
    demo_pms.create_patient = flaky  # type: ignore[method-assign]
    box = toolbox(quick)
    ben = {"first_name": "Ben", "last_name": "Carter", "date_of_birth": "5 June 1990"}
    await box.call("register_patient", ben)
    caller_says(box, "Yes, that's me")
    result = await box.call("register_patient", ben)
    assert result.ok and result.data["existing"] is False
    assert len(await demo_pms.find_patients(PatientQuery(name="Ben Carter"))) == 1
    assert flaky.calls[0] == flaky.calls[1]  # the same patient, the same key


async def test_the_caller_hears_the_booking_that_landed(
    quick: Clinic, demo_pms: DiaryAdapter
) -> None:
    before = await bookings(demo_pms)
    demo_pms.book = Flaky(demo_pms.book, True)  # type: ignore[method-assign]
    call = start_call(quick, GuidedEngine(), caller_number="+61412345678")

    async def say(text: str) -> str:
        return "".join([piece async for piece in call.reply(text)])

    await say("I'd like a follow-up with Sarah on Tuesday")
    offers = await say("Olivia Smith, 14 March 1988")
    assert "Which" in offers or "Would" in offers, offers
    readback = await say("The first one")
    assert "Just to confirm" in readback, readback
    done = await say("Yes please")
    assert "You're booked in" in done and "couldn't confirm" not in done
    assert await bookings(demo_pms) == before + 1
