"""The small pieces the guided engine and the guardrails stand on."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from receptionist.agent.choosing import Option, pick
from receptionist.agent.confirm import Reply, classify_reply
from receptionist.agent.engines.guided.intents import Intent, intents
from receptionist.agent.engines.guided.understand import identity, introduced
from receptionist.agent.speech import join_words, plain, say_day, say_time
from receptionist.settings import Settings
from tests.conftest import SYDNEY


@pytest.mark.parametrize(
    ("said", "reply"),
    [
        ("Yes please", Reply.YES),
        ("yep", Reply.YES),
        ("That's right", Reply.YES),
        ("No worries, book it", Reply.YES),
        ("Sounds good", Reply.YES),
        ("no", Reply.NO),
        ("nah", Reply.NO),
        ("yes but can we make it later", Reply.UNCLEAR),
        ("hmm maybe", Reply.UNCLEAR),
        ("hang on", Reply.UNCLEAR),
        ("actually no", Reply.NO),
        ("what?", Reply.UNCLEAR),
        ("", Reply.UNCLEAR),
    ],
)
def test_only_a_plain_yes_is_a_yes(said: str, reply: Reply) -> None:
    assert classify_reply(said) is reply


@pytest.mark.parametrize(
    ("said", "first"),
    [
        ("I'd like to book a massage", Intent.BOOK),
        ("How much does a massage cost?", Intent.INFO),
        ("I need to cancel my appointment", Intent.CANCEL),
        ("Can I move my appointment to Friday", Intent.MOVE),
        ("When is my next appointment?", Intent.LIST),
        ("Can I speak to someone?", Intent.TRANSFER),
        ("I'd like to leave a message", Intent.MESSAGE),
        ("I've got chest pain", Intent.EMERGENCY),
        ("That's all, bye", Intent.GOODBYE),
    ],
)
def test_intents(said: str, first: Intent) -> None:
    assert intents(said)[0] is first


def test_choosing_among_offered_times() -> None:
    offered = [
        datetime(2026, 3, 3, 9, 0, tzinfo=SYDNEY),
        datetime(2026, 3, 3, 9, 30, tzinfo=SYDNEY),
        datetime(2026, 3, 4, 14, 0, tzinfo=SYDNEY),
    ]
    options = [Option(start, "Sarah Chen", "Physiotherapy follow-up") for start in offered]
    today = offered[0].date()

    def choose(said: str) -> int | None:
        return pick(said, options, today).index

    assert choose("the first one") == 0
    assert choose("9:30 please") == 1
    assert choose("the 2 pm") == 2
    assert choose("Wednesday") == 2
    assert choose("the last one") == 2
    assert choose("2") == 1  # a keypad press
    assert choose("whenever") is None


def test_names_and_birth_dates() -> None:
    found = identity("It's Olivia Smith, 14 March 1988")
    assert found is not None
    assert (found.first_name, found.last_name, found.date_of_birth) == (
        "Olivia",
        "Smith",
        "14 March 1988",
    )
    assert identity("Zoë Müller 9/1/1994") is not None
    said = introduced("Hi, when's my appointment? This is Sophie King, born 22 May 1977")
    assert said is not None and (said.first_name, said.last_name) == ("Sophie", "King")
    assert introduced("I'm a new patient") is None


def test_speech() -> None:
    today = datetime(2026, 3, 2, tzinfo=SYDNEY).date()
    assert say_time(datetime(2026, 3, 2, 9, 30)) == "9:30 am"
    assert say_time(datetime(2026, 3, 2, 12, 0)) == "12 pm"
    assert say_day(today, today) == "today, Monday 2 March"
    assert say_day(datetime(2027, 1, 4).date(), today) == "Monday 4 January 2027"
    assert join_words(["a", "b", "c"]) == "a, b or c"
    assert plain("**Booked** for `9 am`") == "Booked for 9 am"


def test_production_needs_a_slot_secret() -> None:
    with pytest.raises(ValidationError, match="SLOT_SECRET"):
        Settings(environment="production")
    with pytest.raises(ValidationError, match="TWILIO_AUTH_TOKEN"):
        Settings(environment="production", slot_secret="x" * 16)
    ready = Settings(
        environment="production",
        slot_secret="x" * 16,
        twilio_auth_token="t" * 32,
        public_base_url="https://clinic.example.com",
    )
    assert ready.webhook_auth_token == "t" * 32
    assert not Settings(engine="auto").use_openai or Settings().openai_api_key is not None
