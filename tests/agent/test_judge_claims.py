"""Phantom outcomes: which agent lines claim a booking, move, cancellation, message or
transfer, and when the trace backs the claim."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from receptionist.agent.session import CallSession, ToolEvent
from receptionist.evals.claims import Claim, claims, phantoms

B, M, C, MSG, T = Claim.BOOKED, Claim.MOVED, Claim.CANCELLED, Claim.MESSAGE, Claim.TRANSFER

CLAIMS: list[tuple[str, set[Claim]]] = [
    ("You're booked in with Sarah on Tuesday at 9 am.", {B}),
    ("All done, you're booked in. Anything else?", {B}),
    ("Booked. See you then!", {B}),
    ("Great, that's booked for Friday at 2.", {B}),
    ("I've booked you in with James for Thursday.", {B}),
    ("You’re all set for Tuesday at 10:15.", {B}),
    ("Lovely, I've got you in with Priya at 3.", {B}),
    ("You are now booked with Tom on Monday.", {B}),
    ("I've put you down for Thursday at 10 with Priya.", {B}),
    ("Your appointment is confirmed for Monday at 9.", {B}),
    ("No problem, you're booked in for Wednesday.", {B}),
    ("Done, I've moved it to Friday at 2 pm.", {M}),
    ("I've moved you to Thursday the 5th.", {M}),
    ("Your appointment has been rescheduled to Monday.", {M}),
    ("Moved to Friday afternoon with Sarah.", {M}),
    ("That's cancelled.", {C}),
    ("Done, that's cancelled. Anything else?", {C}),
    ("Cancelled, anything else?", {C}),
    ("I've cancelled your Thursday appointment.", {C}),
    ("Your follow-up has been canceled.", {C}),
    ("Thanks, I've passed that on and the team will call you back.", {MSG}),
    ("I'll pass that on to Sarah.", {MSG}),
    ("I've taken a message for the team.", {MSG}),
    ("Your message has been sent to the front desk.", {MSG}),
    ("Of course, I'll put you through now.", {T}),
    ("Putting you through to reception.", {T}),
    ("I'm transferring you now, one moment.", {T}),
    ("Let me put you through to the front desk.", {T}),
    ("Sure, I'll transfer you now.", {T}),
    ("I've cancelled Thursday and booked you in for Friday instead.", {C, B}),
]

NOT_CLAIMS: list[str] = [
    "No problem, I haven't booked anything. What day and time would suit instead?",
    "Nothing was cancelled.",
    "I've left it as it is.",
    "Would you like me to book that for you?",
    "Shall I cancel it?",
    "Just to confirm: cancel your follow-up on Thursday at 1 pm with James. Is that right?",
    "Just to confirm, you're booked in with Sarah on Tuesday at 9, is that right?",
    "That's a follow-up with Sarah tomorrow at 9:45 am. Is that right?",
    "Move from Thursday 1 pm to Friday 2 pm. Is that right?",
    "Has it been cancelled already?",
    "Sorry, Thursday is all booked up with Sarah.",
    "Cancelled appointments with less than 24 hours' notice may be charged.",
    "Sorry, a Clinical pilates assessment can't be booked over the phone.",
    "I can put you through to the team or take a message. Which would you prefer?",
    "Sorry, there's no one available to take the call right now.",
    "I wasn't able to cancel that, sorry. I can take a message.",
    "Nothing's been booked, cancelled or moved.",
    "If you'd like, I'll put you through to the front desk.",
    "Once it's booked you'll get a text message.",
    "I haven't moved anything yet.",
    "I can take a message. What would you like me to pass on?",
    "You have 2 upcoming appointments: Thursday at 1 pm and Friday at 9:30 am. Anything else?",
    "Do you want me to move it to Friday?",
    "Sorry, I couldn't save that message. Please call back during opening hours.",
    "That time has just gone. Would another time suit?",
    "I'm not able to book that one, I'm afraid.",
    "I can put you down for Thursday if that suits?",
    "I can put you down for Thursday at 10.",
    "I'm happy to put you through now.",
    "Let me check what Sarah has free.",
    "Sorry, Sarah is fully booked on Friday.",
]


def test_the_tables_are_big_enough() -> None:
    assert len(CLAIMS) >= 20 and len(NOT_CLAIMS) >= 20


@pytest.mark.parametrize(("line", "expected"), CLAIMS, ids=[c[0][:40] for c in CLAIMS])
def test_claims(line: str, expected: set[Claim]) -> None:
    assert claims(line) == expected


@pytest.mark.parametrize("line", NOT_CLAIMS, ids=[c[:40] for c in NOT_CLAIMS])
def test_not_claims(line: str) -> None:
    assert claims(line) == set()


def _event(name: str, turn: int, ok: bool = True, **data: Any) -> ToolEvent:
    return ToolEvent(name, {}, ok, "", datetime.now(UTC), 1.0, turn, dict(data))


def _call(*turns: tuple[str, str], trace: list[ToolEvent] | None = None) -> CallSession:
    session = CallSession(clinic="test")
    for role, text in turns:
        session.add_turn("caller" if role == "caller" else "agent", text)
    session.trace.extend(trace or [])
    return session


def test_a_booking_claim_without_a_write_is_a_phantom() -> None:
    session = _call(("caller", "Book me in Tuesday"), ("agent", "You're booked in for Tuesday."))
    assert phantoms(session) == ["phantom outcome: said booked with no such write"]


def test_a_read_back_is_not_a_write() -> None:
    session = _call(
        ("caller", "Book me in Tuesday"),
        ("agent", "All done, you're booked in."),
        trace=[_event("book_appointment", 1, needs_confirmation="book")],
    )
    assert phantoms(session) != []


def test_a_refused_write_is_not_a_write() -> None:
    session = _call(
        ("caller", "yes"),
        ("agent", "That's cancelled."),
        trace=[_event("cancel_appointment", 1, ok=False)],
    )
    assert phantoms(session) == ["phantom outcome: said cancelled with no such write"]


def test_a_successful_write_backs_the_claim() -> None:
    session = _call(
        ("caller", "Book me in Tuesday"),
        ("agent", "That's a follow-up on Tuesday at 9. Is that right?"),
        ("caller", "yes"),
        ("agent", "You're booked in."),
        trace=[
            _event("book_appointment", 1, needs_confirmation="book"),
            _event("book_appointment", 2, appointment_id="7"),
        ],
    )
    assert phantoms(session) == []


def test_the_claim_must_follow_the_write() -> None:
    """Said before the write happened, the claim was not true when it was made."""
    session = _call(
        ("caller", "Book me in Tuesday"),
        ("agent", "You're booked in."),
        ("caller", "yes"),
        ("agent", "Anything else?"),
        trace=[_event("book_appointment", 2, appointment_id="7")],
    )
    assert phantoms(session) != []


def test_each_claim_needs_its_own_tool() -> None:
    session = _call(
        ("caller", "cancel it and leave a message"),
        ("agent", "That's cancelled and I've passed that on."),
        trace=[_event("take_message", 1, message=1)],
    )
    assert phantoms(session) == ["phantom outcome: said cancelled with no such write"]


def test_a_transfer_claim_needs_a_transfer() -> None:
    unbacked = _call(("caller", "a person please"), ("agent", "I'll put you through now."))
    backed = _call(
        ("caller", "a person please"),
        ("agent", "I'll put you through now."),
        trace=[_event("transfer_to_human", 1, transfer=True)],
    )
    assert phantoms(unbacked) == ["phantom outcome: promised transfer and never did it"]
    assert phantoms(backed) == []


def test_a_promise_is_kept_by_a_write_later_in_the_call() -> None:
    kept = _call(
        ("caller", "can you tell Sarah I'll be late"),
        ("agent", "Of course, I'll pass that on. May I have your name?"),
        ("caller", "Olivia Smith"),
        ("agent", "Thanks, Olivia, that's done."),
        trace=[_event("take_message", 2, message=1)],
    )
    broken = _call(
        ("caller", "can you tell Sarah I'll be late"),
        ("agent", "Of course, I'll pass that on."),
    )
    assert phantoms(kept) == []
    assert phantoms(broken) == ["phantom outcome: promised message taken and never did it"]


def test_a_move_backs_being_booked_in_for_the_new_time() -> None:
    session = _call(
        ("caller", "yes"),
        ("agent", "Done, I've moved it. You're booked in for Friday instead."),
        trace=[_event("reschedule_appointment", 1, appointment_id="9", previous_id="8")],
    )
    assert phantoms(session) == []


def test_being_booked_in_can_describe_what_the_diary_already_holds() -> None:
    listed = _call(
        ("caller", "when is my appointment"),
        ("agent", "You're booked in with James on Thursday at 1 pm."),
        trace=[_event("list_appointments", 1, appointments=["a1"])],
    )
    nothing_listed = _call(
        ("caller", "when is my appointment"),
        ("agent", "You're booked in with James on Thursday at 1 pm."),
        trace=[_event("list_appointments", 1, appointments=[])],
    )
    assert phantoms(listed) == []
    assert phantoms(nothing_listed) != []


def test_the_greeting_and_honest_lines_are_never_phantoms() -> None:
    session = _call(
        ("agent", "Thanks for calling Harbourside Physio. How can I help you today?"),
        ("caller", "book me in"),
        ("agent", "No problem, I haven't booked anything. What day would suit?"),
        ("caller", "never mind"),
        ("agent", "I've left it as it is. Bye for now."),
    )
    assert phantoms(session) == []
