"""What callers ask for, in their own words: the guided engine's intents.

Each line is labelled with the request it must be heard as first and, where it matters, the
requests that must not be heard at all (the engine switches on any of them mid-flow).
"""

from __future__ import annotations

import pytest

from receptionist.agent.engines.guided.intents import (
    HEARD,
    Intent,
    asked_outright,
    emergency_reason,
    intents,
    is_emergency,
    scores,
)

# Short names keep the table readable; Q is a question about the clinic (INFO).
B, M, C, L, Q, T = (
    Intent.BOOK,
    Intent.MOVE,
    Intent.CANCEL,
    Intent.LIST,
    Intent.INFO,
    Intent.TRANSFER,
)
MSG, E, A, G = Intent.MESSAGE, Intent.EMERGENCY, Intent.ADVICE, Intent.GOODBYE

CALLERS: list[tuple[str, Intent, tuple[Intent, ...]]] = [
    ("I'd like to book a massage", B, ()),
    ("Hi, can I book in with Sarah for a follow-up?", B, (T,)),
    ("I need an appointment please", B, ()),
    ("Could I make a booking for next week?", B, (L,)),
    ("G'day, I'm after a follow-up with James on Thursday arvo", B, ()),
    ("Can I come in tomorrow after three?", B, ()),
    ("Can you squeeze me in this arvo?", B, ()),
    ("Any chance you could fit me in today mate?", B, ()),
    ("I want to see a physio about my shoulder", B, (T,)),
    ("My knee's playing up again, can I get in to see someone this week", B, (T,)),
    ("Book me a massage with Priya Wednesday afternoon please", B, ()),
    ("A remedial massage please", B, ()),
    ("I'd like an initial consultation", B, ()),
    ("Hi, I've never been before, I'd like to make an appointment", B, ()),
    ("I'm a new patient and I'd like to come in", B, ()),
    ("Can I get a follow-up on Friday morning?", B, ()),
    ("I reckon I need a massage, what have you got Saturday", B, ()),
    ("I'd like to book my husband in, he's done his back", B, ()),
    ("Could I book a session for my daughter?", B, ()),
    ("Can I book a clinical pilates assessment please", B, ()),
    ("Yeah I was hoping to get an appointment with Tom", B, (T,)),
    ("I need to see someone about my ankle", B, (T,)),
    ("Is there anything available first thing Monday", B, ()),
    ("Hiya, can I get a remedial massage on the fifth, at half past ten?", B, ()),
    ("I'd like to see Sarah for a follow-up Thursday week", B, ()),
    ("Morning! Could I book a follow-up with Sarah on Friday morning?", B, ()),
    ("need a physio appointment asap", B, ()),
    ("Can I schedule a follow up for next Tuesday", B, ()),
    ("Any openings Thursday?", B, (Q,)),
    ("Do you have anything tomorrow?", B, (Q, L)),
    ("Is Sarah free on Monday?", B, (T,)),
    ("Has James got any openings Thursday arvo?", B, ()),
    ("Have you got anything at four o'clock?", B, ()),
    ("Got any spots this arvo?", B, ()),
    ("Are there any appointments left this week", B, (L,)),
    ("What's your availability like on Saturday?", B, (Q,)),
    ("Is anyone free tomorrow morning?", B, (T,)),
    ("Do you have any times next Wednesday for a massage?", B, (Q,)),
    ("Is Tom available on Friday", B, (T,)),
    ("Any gaps in the diary this week?", B, ()),
    ("Do you have something open Thursday afternoon", B, (Q,)),
    ("Is there any availability with Priya next week", B, ()),
    ("Got anything free after five?", B, ()),
    ("When's the next available appointment", B, ()),
    ("Can I move my appointment to Friday", M, (C, B)),
    ("I need to reschedule", M, (B,)),
    ("Can we push it back an hour?", M, (B,)),
    ("Could I bring my appointment forward to Monday?", M, (B,)),
    ("Can I bring it forward?", M, ()),
    ("I'd like to switch to Thursday", M, ()),
    ("Can I change the time of my massage?", M, (B,)),
    ("Can I do Thursday instead?", M, (C,)),
    ("I don't want to cancel, just move it", M, (C,)),
    ("Not a new booking, I want to change one", M, (B,)),
    ("I need to change my appointment", M, (B,)),
    ("Can I rebook my Tuesday one for next week", M, (B,)),
    ("Something's come up, can I change it to another day?", M, (C,)),
    ("I can't make it tomorrow, can I do Thursday instead", M, (C,)),
    ("Can we swap my Wednesday session to the arvo", M, ()),
    ("Can I transfer my appointment to Friday?", M, (T,)),
    ("Could you shift my booking to later in the week?", M, (B,)),
    ("Is it possible to get a later time on the same day?", M, ()),
    ("I booked for Monday but could I push that back to Wednesday", M, (C,)),
    ("Can I move it to the afternoon", M, ()),
    ("Yeah can I reschedule my follow-up with James", M, (B,)),
    ("Can I change to a different day", M, ()),
    ("instead of cancelling can we move it", M, (C,)),
    ("I'd rather not cancel, can I push it out a week", M, (C,)),
    ("Can we rearrange my appointment", M, ()),
    ("I need to cancel my appointment", C, (B, M)),
    ("I can't make it tomorrow", C, (B,)),
    ("I won't be able to come on Thursday", C, (B,)),
    ("Hi, I can't make it to my appointment on Thursday, can you cancel it?", C, (B, M)),
    ("Please cancel my massage", C, (B,)),
    ("I'm not going to make it today sorry", C, ()),
    ("I won't be coming in tomorrow, I'm crook", C, ()),
    ("Can you call off my appointment on Friday", C, (T, MSG)),
    ("We won't be able to make it, the kids are sick", C, ()),
    ("I don't need the appointment anymore", C, ()),
    ("Yeah nah I have to cancel, sorry love", C, ()),
    ("Cancel my follow-up with Sarah please", C, (B,)),
    ("I'd like to cancel", C, ()),
    ("I'm unable to attend tomorrow", C, ()),
    ("Can you cancel the Thursday one", C, ()),
    ("Not the Tuesday, cancel the Thursday one", C, ()),
    ("I'm afraid I can't come in on Monday, please cancel", C, (B,)),
    ("Can you scrap my appointment", C, ()),
    ("When is my next appointment?", L, (B,)),
    ("What have I got booked in?", L, (B,)),
    ("When am I in next?", L, (B,)),
    ("What time is my appointment this week?", L, (B,)),
    ("Do I have an appointment tomorrow?", L, (B,)),
    ("Hi, what have I got booked in next week?", L, (B,)),
    ("Can you check my bookings?", L, ()),
    ("Have I got anything booked with Sarah?", L, ()),
    ("Am I booked in for Friday?", L, (B,)),
    ("What day is my massage?", L, ()),
    ("Hi, when's my next appointment? This is Sophie King, born 22 May 1977", L, ()),
    ("Could you remind me of my appointment time", L, ()),
    ("What appointments do I have coming up", L, ()),
    ("Can you tell me when my appointment is", L, (MSG,)),
    ("Can you tell Sarah I'll be late", MSG, (T,)),
    ("Pass a message to the front desk", MSG, (T,)),
    ("I'd like to leave a message", MSG, (T,)),
    ("Could you let Tom know I'm running ten minutes late", MSG, (T,)),
    ("I'm running late, stuck in traffic", MSG, ()),
    ("Can someone call me back about my invoice?", MSG, (T,)),
    ("Please ask someone to call me about a pilates assessment", MSG, (T,)),
    ("Just take a message please", MSG, ()),
    ("Can Priya give me a call when she's free", MSG, (T,)),
    ("Can you get James to ring me back", MSG, (T,)),
    ("Can I leave a message for the team", MSG, (T,)),
    ("Tell her I need to check my roster and I'll ring back Thursday to book", MSG, (G,)),
    ("Could you pass it on to the front desk that I've paid", MSG, (T,)),
    ("Can you let reception know I'll be there at ten", MSG, (T,)),
    ("Please call me back on this number", MSG, ()),
    ("I need to update my phone number", MSG, (M, Q)),
    ("Can you pass on a message to Sarah for me", MSG, (T,)),
    ("Can you let them know I'll be a bit late", MSG, ()),
    ("Can I talk to a real person", T, ()),
    ("Put me through to Tom", T, ()),
    ("Is Priya there?", T, ()),
    ("Can I speak to someone?", T, ()),
    ("Can I speak to someone at the front desk please?", T, ()),
    ("I want to speak to a human", T, ()),
    ("Could you transfer me to reception", T, ()),
    ("Is there an actual human I could talk to?", T, ()),
    ("Just put me through to someone then", T, ()),
    ("Can I have a chat with Sarah", T, ()),
    ("Are you a robot? I want a real person", T, ()),
    ("Is Dr Chen in today?", T, ()),
    ("Look, can I just talk to a real person about it?", T, ()),
    ("Connect me to the manager please", T, ()),
    ("Can I speak with the receptionist", T, ()),
    ("I need to get hold of James", T, ()),
    ("Is Sarah around?", T, ()),
    ("Can I talk to whoever is in charge", T, ()),
    ("How much is a massage?", Q, (B,)),
    ("How much does a remedial massage cost?", Q, (B,)),
    ("What are your opening hours on Saturday?", Q, (B,)),
    ("Is there parking near the clinic?", Q, (B,)),
    ("Where are you located?", Q, (B,)),
    ("What's the address?", Q, ()),
    ("Are you open on Good Friday?", Q, (B,)),
    ("Do you take HICAPS?", Q, (B,)),
    ("Can I claim it on my health fund?", Q, (B,)),
    ("Do I need a referral?", Q, ()),
    ("What time do you close on Saturday?", Q, ()),
    ("What should I wear to my appointment?", Q, (A,)),
    ("How long is an initial consultation?", Q, (B,)),
    ("Do you do dry needling?", Q, (B,)),
    ("What's your cancellation policy?", Q, (C,)),
    ("Is there a fee if I cancel late?", Q, (C,)),
    ("What's the gap with Bupa?", Q, ()),
    ("Do you bulk bill?", Q, ()),
    ("Can I pay with afterpay?", Q, ()),
    ("Before I pick, is there any parking out there?", Q, (B,)),
    ("How much is a follow-up these days?", Q, (B,)),
    ("Is the clinic wheelchair accessible?", Q, ()),
    ("What's the best way to get there by bus", Q, ()),
    ("Are you closed on Anzac Day?", Q, ()),
    ("Do you accept DVA?", Q, ()),
    ("What are your prices for pilates?", Q, (B,)),
    ("Which locations have you got?", Q, ()),
    ("Should I use ice or heat on my sore ankle?", A, ()),
    ("Should I ice it?", A, ()),
    ("Is it broken do you reckon?", A, ()),
    ("What exercises should I do for my back?", A, ()),
    ("Should I keep doing my exercises or rest it?", A, ()),
    ("Is it okay to take Nurofen before my massage?", A, ()),
    ("Do I need an MRI for my knee?", A, ()),
    ("Can I still run on it?", A, ()),
    ("What could it be, it's a sharp pain in my heel", A, ()),
    ("Should I be worried about the clicking?", A, ()),
    ("How do I treat a rolled ankle", A, ()),
    ("That's all, bye", G, ()),
    ("No thanks, bye", G, ()),
    ("No that's all, thanks", G, ()),
    ("Thanks, bye", G, ()),
    ("Cheers mate, see ya", G, ()),
    ("No, that's it, cheers", G, ()),
    ("Nah, that's all, ta", G, ()),
    ("No, thank you", G, ()),
    ("That's everything, bye", G, ()),
    ("I'm all good thanks", G, ()),
    ("Never mind, bye", G, ()),
    ("Okay I'll call back later", G, (MSG,)),
    ("Gotta go, bye", G, ()),
    ("No worries thanks, have a good one", G, ()),
    ("Nothing else, thank you", G, ()),
    ("That'll be all", G, ()),
    ("Lovely, that's all I needed, thanks", G, ()),
    ("Thanks, I'll book online later, bye", G, (B,)),
    ("Ah, no worries, thanks. Bye", G, ()),
    ("Hooroo", G, ()),
    ("Hi, I need to move one of my appointments", M, (B,)),
    ("Morning! Can I push my Friday appointment back to the arvo?", M, (B,)),
    ("Any chance I could bring my Thursday appointment forward to Wednesday?", M, (B,)),
    ("Sorry, I can't make it Thursday, could we do Friday instead?", M, (C,)),
    ("I'll sort it out and ring back. Thanks, bye", G, (MSG,)),
    ("Can you get her to call back this arvo", MSG, (T,)),
    ("I can't come in on Friday, how about Monday", M, (C,)),
    ("need a physio appointment asap", B, ()),
    ("I have a question about my invoice", MSG, (T,)),
    ("Can I get a receipt emailed through for last week", MSG, ()),
    ("I think I've been charged twice", MSG, ()),
    ("Can I book a massage, and is there parking?", B, ()),
]

# Words that ask for nothing: answers inside a flow, fillers, noise.
NOTHING = [
    "um",
    "hello?",
    "sorry what",
    "uh huh",
    "yeah",
    "hmm",
    "what?",
    "",
    "   ",
    "hang on",
    "are you there?",
    "sorry, say that again?",
    "hello, anyone there",
    "mm",
    "okay",
    "Olivia Smith, 14 March 1988",
    "Second of November, nineteen seventy-five",
    "The first one please",
    "Yes please",
    "Tomorrow morning please",
    "Anyone is fine",
    "Hmm, maybe, hang on let me check",
    "Oh sorry, I meant Thursday morning",
    "No, actually that doesn't work for me",
    "Yes, it's my first visit",
    "Yes I'm new",
    "Yep, that's right",
    "Yes that's it",
    "The nine o'clock, please",
    "Yeah, four's great",
    "Yeah g'day, it's about the thing",
    "You know, the thing from last week",
    "Can it be with Sarah, on Wednesday morning?",
    "I can't come in the mornings",
    "I can't do Tuesdays",
    "Sorry love, I didn't catch that",
    "Righto",
    "Yes, all good",
    "Yes, but can it be with James instead?",
    "No, sorry, can we make it Thursday instead?",
    "No, a different day please",
    "Actually, another time would be better",
    "hi is that the physio",
    "hello is this Harbourside Physio?",
    "No, how about Thursday",
    "Rose Park, 3 March 1980",
]

# Emergencies and clinical risk, first and third person.
EMERGENCIES = [
    "I've got chest pain",
    "I think I'm having a heart attack, I've got chest pain",
    "My chest is really tight",
    "There's a crushing pain in my chest",
    "I've got tightness across my chest and my arm hurts",
    "I can't breathe",
    "I'm struggling to breathe",
    "My mum can't breathe",
    "He's having trouble breathing",
    "She's short of breath and going blue",
    "He's not breathing",
    "My son's stopped breathing",
    "My husband has collapsed",
    "Dad just collapsed in the kitchen",
    "She passed out at the gym",
    "He's unconscious",
    "My wife is not responding",
    "She fainted and won't wake up",
    "He's having a seizure",
    "I think she's having a stroke",
    "His face is drooping on one side",
    "Mum's speech is slurred and she seems confused",
    "He can't move his left arm all of a sudden",
    "She can't move one side of her body",
    "I suddenly can't lift my right arm and my face feels numb",
    "My leg is bleeding heavily",
    "It won't stop bleeding",
    "There's blood everywhere",
    "I'm having suicidal thoughts",
    "I want to end my life",
    "I'm going to kill myself",
    "I've been self-harming again",
    "I don't want to be alive anymore",
    "I took too many pills",
    "My daughter has taken an overdose",
    "He swallowed a whole bottle of tablets",
    "I'm having a severe allergic reaction",
    "My throat is swelling up",
    "Her tongue is swollen and she's wheezing",
    "Can you call an ambulance",
    "Sorry love, I've suddenly got a really bad pain in my chest and I can't catch my breath",
    "Oh my god, my husband has collapsed, he's not answering me",
    "This is an emergency",
    "I can't feel my legs after the fall",
    "my partner cannot breathe properly",
    "he's gone blue and he's not responding",
    "I need to book a massage but I've got chest pains right now",
    "I want to cancel, my dad's had a stroke",
]

# Ordinary pain talk and figures of speech: never an emergency.
NOT_EMERGENCIES = [
    "My back is killing me",
    "This knee is killing me",
    "I'm dying to get in",
    "I'm dying for a massage",
    "Do you use a heart rate monitor in pilates?",
    "I'm dead tired after work",
    "My neck is bleeding sore",
    "I've got a sore back",
    "My shoulder hurts when I lift it",
    "I hurt myself at the gym",
    "I can't lift my arm above my head since the footy",
    "I can't move my neck properly",
    "It's not an emergency, I just need a follow-up",
    "Can I get an emergency appointment today",
    "My feet have collapsed arches",
    "I had a stroke last year and need rehab",
    "Do you do stroke rehab?",
    "I need my blood pressure checked",
    "My knee is swelling again",
    "I've got a dead arm from the flu shot",
    "My hamstring is absolutely killing me mate",
    "I'm stiff as a board",
    "Can you fit me in this arvo",
    "I'm a bit short on time",
    "It's doing my head in",
    "I've been breathing better since the last session",
    "What's your emergency contact number policy",
    "I'm sick of this pain",
]


def test_there_are_enough_labelled_lines() -> None:
    assert len(CALLERS) >= 200 - len(NOTHING)
    assert len(CALLERS) + len(NOTHING) >= 200
    assert len(EMERGENCIES) >= 40 and len(NOT_EMERGENCIES) >= 20


@pytest.mark.parametrize(("said", "first", "never"), CALLERS)
def test_the_request_heard_first(said: str, first: Intent, never: tuple[Intent, ...]) -> None:
    heard = intents(said)
    assert heard and heard[0] is first, scores(said)
    assert not set(never) & set(heard), scores(said)
    assert Intent.EMERGENCY not in heard


@pytest.mark.parametrize("said", NOTHING)
def test_words_that_ask_for_nothing_give_no_request(said: str) -> None:
    assert intents(said) == [], scores(said)


@pytest.mark.parametrize("said", EMERGENCIES)
def test_an_emergency_comes_first_whatever_else_was_said(said: str) -> None:
    assert is_emergency(said)
    assert intents(said)[0] is E


@pytest.mark.parametrize("said", NOT_EMERGENCIES)
def test_ordinary_pain_talk_is_no_emergency(said: str) -> None:
    assert emergency_reason(said) is None
    assert E not in intents(said)


def test_the_reason_names_what_was_heard() -> None:
    assert emergency_reason("my husband has collapsed") == "collapse"
    assert emergency_reason("his face is drooping") == "stroke"
    assert emergency_reason("I want to end my life") == "suicide"
    assert emergency_reason("I took too many pills") == "overdose"


def test_scores_explain_the_choice() -> None:
    heard = scores("I don't want to cancel, just move it")
    assert [h.intent for h in heard] == [M]
    assert "move it" in heard[0].cues
    assert all(h.score >= HEARD for h in heard)
    # the negated cancel counted against a cancel, so no cancel is heard at all
    assert C not in intents("I don't want to cancel, just move it")


def test_spoken_and_typed_spellings_read_the_same() -> None:
    for said in (
        "I can't make it tomorrow",
        "I can not make it tomorrow",
        "I cannot make it tomorrow",
    ):
        assert intents(said)[0] is C
    assert intents("I can\u2019t make it tomorrow")[0] is C


def test_a_goodbye_with_a_request_is_not_the_end_of_the_call() -> None:
    heard = intents("That's it for the booking, and can I also ask where you are, thanks")
    assert G not in heard
    assert intents("never mind, just book me in for Thursday") == [B]


@pytest.mark.parametrize(
    ("said", "outright"),
    [
        ("Actually, can you just cancel it", [C]),
        ("Hang on, can I move my Thursday one as well", [M]),
        ("Can I just talk to a real person", [T]),
        ("Can you tell Sarah I'll call back", [MSG]),
        ("I can't come in on Friday", []),
        ("Can I do Thursday instead?", []),
        ("Sorry, a different time would be better", []),
        ("My chest is really tight", [E]),
    ],
)
def test_only_a_request_named_outright_changes_course(said: str, outright: list[Intent]) -> None:
    assert asked_outright(said) == outright
