"""The read-back classifier: yes, no, or anything else. Half of these lines are traps."""

from __future__ import annotations

import pytest

from receptionist.agent.confirm import Reply, classify_reply

READBACK = "Physiotherapy follow-up with Sarah Chen, Tuesday 3 March at 9 am. Is that right?"

PLAIN_YES = [
    "Yes",
    "yes please",
    "Yeah",
    "yep",
    "Yup, thanks",
    "Sure",
    "Sure, why not",
    "Correct",
    "That's right",
    "That's correct",
    "Perfect",
    "Perfect, thank you",
    "Great, thanks so much",
    "Lovely",
    "Okay",
    "OK, thanks",
    "Sounds good",
    "Sounds great, thanks mate",
    "No worries",
    "No worries, book it",
    "Too easy",
    "Lock it in",
    "Go ahead",
    "Go for it",
    "Please do",
    "Absolutely",
    "Definitely, yes",
    "Yes, that's the one",
    "Yep, that works for me",
    "That works",
    "Yes yes, all good",
    "Uh huh",
    "Mm hmm, yes",
    "Nah yeah, that's fine",
    "Yes, book me in please",
    "Fine",
    "Excellent, thank you",
    "Yes that would be great",
    "I don't mind",
    "Sure thing",
    "That suits me",
    "I'll take it",
    "That's the one",
    "Fine by me",
    "Yeah, good as gold",
    "Yes, perfect, see you then",
]

# Repeating the names in the read-back is still a plain yes.
ECHO_YES = [
    "Yes, with Sarah, perfect",
    "The follow-up with Sarah Chen, that's right",
    "Yep, the physiotherapy follow-up with Sarah",
    "Sarah Chen, yes please",
]

# Repeating a day, date or time is asked again: at a move's read-back "yes Wednesday" may be
# the day it moves from, and "yes at 3" may mean 3 pm or the 3rd.
ECHO_WHEN = [
    "Yes, Tuesday at 9:30 with Sarah is perfect",
    "Tuesday the 3rd at 9 am, yes",
    "yes at 3",
    "yes March",
    "yes the 3rd",
]

PLAIN_NO = [
    "No",
    "Nope",
    "Nah",
    "No thanks",
    "No thank you",
    "Not that one",
    "That's not right",
    "That's wrong",
    "Yeah nah",
    "No, Thursday please",
    "Actually no",
    "Nah, leave it",
    "Never mind",
    "I'd rather not",
    "I can't do Tuesday",
    "Don't book it",
    "No, I meant the 4 o'clock",
    "That doesn't suit me",
]

# Never a yes: hedges, questions, corrections, new words, mixed answers.
TRAPS = [
    "Hmm",
    "Maybe",
    "Hmm, maybe",
    "I'll think about it",
    "Let me think about it",
    "Let me check my calendar",
    "Hang on",
    "Hold on a sec",
    "Not sure",
    "I'm not sure",
    "I don't know",
    "Probably",
    "I think so",
    "I guess so",
    "I suppose that's fine",
    "Yes but Thursday",
    "Yes, but can we make it later",
    "Perfect, except it should be Thursday",
    "Perfect, except it should be at 3",
    "Sounds good but actually make it Wednesday",
    "Okay, though the afternoon would be better",
    "Yes, Thursday",
    "Yes, with Tom",
    "Yeah at 4 pm",
    "Great, can you do 10 instead?",
    "Yes?",
    "Is that with Sarah?",
    "What time was that?",
    "Which day is that?",
    "Sorry, what?",
    "Wait",
    "Actually",
    "Yes no",
    "Yes, no, wait",
    "Okay, different time though",
    "Sure, if there's nothing earlier",
    "Yes, or the other one",
    "Fine, unless you have something earlier",
    "um",
    "",
    "Could you say that again",
    "Yes sorry, I mean the Wednesday",
    "is that okay",
    "would that be alright",
    "are you sure",
    "Cancel it",  # to a booking's read-back: not a yes to it
    "Yes, move it",
]


@pytest.mark.parametrize("said", PLAIN_YES)
def test_a_plain_yes_is_a_yes(said: str) -> None:
    assert classify_reply(said, READBACK) is Reply.YES
    assert classify_reply(said) is Reply.YES


@pytest.mark.parametrize("said", ECHO_YES)
def test_repeating_the_readback_is_a_yes_only_with_the_readback(said: str) -> None:
    assert classify_reply(said, READBACK) is Reply.YES
    assert classify_reply(said) is Reply.UNCLEAR


@pytest.mark.parametrize("said", ECHO_WHEN)
def test_repeating_a_day_or_time_is_asked_again(said: str) -> None:
    assert classify_reply(said, READBACK) is Reply.UNCLEAR


def test_an_action_is_a_yes_only_to_its_own_readback() -> None:
    cancel = "Cancel your Physiotherapy follow-up with Sarah Chen, Tuesday 3 March at 9 am."
    move = "Move your Physiotherapy follow-up with Sarah Chen, Tuesday 3 March at 9 am, to ..."
    assert classify_reply("yes, cancel it", cancel) is Reply.YES
    assert classify_reply("move it", cancel) is Reply.UNCLEAR
    assert classify_reply("book me in", cancel) is Reply.UNCLEAR
    assert classify_reply("yes move it", move) is Reply.YES
    assert classify_reply("cancel it", move) is Reply.UNCLEAR
    assert classify_reply("book it", READBACK) is Reply.YES


@pytest.mark.parametrize("said", PLAIN_NO)
def test_a_refusal_is_a_no(said: str) -> None:
    assert classify_reply(said, READBACK) is Reply.NO


@pytest.mark.parametrize("said", TRAPS)
def test_hedges_questions_and_corrections_are_never_a_yes(said: str) -> None:
    assert classify_reply(said, READBACK) is Reply.UNCLEAR


def test_there_are_at_least_60_phrasings_and_half_are_traps() -> None:
    total = len(PLAIN_YES) + len(ECHO_YES) + len(ECHO_WHEN) + len(PLAIN_NO) + len(TRAPS)
    assert total >= 60
    assert len(TRAPS) + len(ECHO_WHEN) + len(PLAIN_NO) >= total / 2


def test_a_word_the_readback_did_not_say_is_not_an_echo() -> None:
    assert classify_reply("Yes, Wednesday at 9", READBACK) is Reply.UNCLEAR
    assert classify_reply("Yes at 10 am", READBACK) is Reply.UNCLEAR
