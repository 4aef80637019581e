"""What the caller wants: the request heard in their words.

Keyword intents for the guided engine, most specific first.
"""

from __future__ import annotations

import enum

from receptionist.agent.matching import mentions


class Intent(enum.StrEnum):
    BOOK = "book"
    MOVE = "move"
    CANCEL = "cancel"
    LIST = "list"
    INFO = "info"
    TRANSFER = "transfer"
    MESSAGE = "message"
    EMERGENCY = "emergency"
    ADVICE = "advice"
    GOODBYE = "goodbye"


_INTENT_WORDS: list[tuple[Intent, list[str]]] = [
    (Intent.EMERGENCY, [
        "emergency", "chest pain", "cant breathe", "can not breathe", "unconscious",
        "bleeding heavily", "collapsed", "stroke", "heart attack", "suicidal",
    ]),
    (Intent.CANCEL, ["cancel", "cant make it", "can not make it", "wont make it", "call off"]),
    (Intent.MOVE, [
        "reschedule", "move", "change my appointment", "change the appointment", "push back",
        "bring forward", "different time", "another time", "rebook", "change my booking",
        "change it",
    ]),
    (Intent.LIST, [
        "my appointments", "my appointment", "when is my", "what time is my", "do i have",
        "my next appointment", "my booking", "my bookings",
    ]),
    (Intent.TRANSFER, [
        "speak to", "talk to", "real person", "human", "someone", "somebody",
        "put me through", "transfer", "receptionist", "front desk", "staff",
    ]),
    (Intent.MESSAGE, ["leave a message", "message", "call me back", "callback", "call back"]),
    (Intent.BOOK, [
        "book", "appointment", "make a booking", "schedule", "come in", "see someone",
        "see a physio", "consult", "consultation", "massage", "follow up", "session",
        "available", "availability", "any times", "get in",
    ]),
    (Intent.ADVICE, [
        "should i", "is it broken", "ice or heat", "what exercises", "painkiller",
        "medication", "diagnose", "what do you think it is",
    ]),
    (Intent.INFO, [
        "hours", "open", "close", "closing", "address", "where are you", "parking", "park",
        "price", "prices", "cost", "how much", "fee", "fees", "referral", "health fund",
        "medicare", "hicaps", "rebate", "wear", "bring", "policy", "dva", "located",
        "location", "directions",
    ]),
    (Intent.GOODBYE, [
        "bye", "goodbye", "thats all", "that is all", "thats it", "nothing else",
        "no thanks", "no thank you", "all good thanks", "im good", "that will be all",
    ]),
]  # fmt: skip


_STRONG_BOOK = [
    "book", "appointment", "schedule", "make a booking", "come in", "get in", "see someone",
    "available", "availability", "any times",
]  # fmt: skip


def intents(text: str) -> list[Intent]:
    """Every request recognised in the words, most specific first."""
    found = [intent for intent, words in _INTENT_WORDS if mentions(text, words)]
    if Intent.INFO in found and Intent.BOOK in found and not mentions(text, _STRONG_BOOK):
        found.remove(Intent.BOOK)  # "how much is a massage" is a question, not a booking
    if Intent.MOVE in found or Intent.CANCEL in found:
        found = [i for i in found if i not in (Intent.BOOK, Intent.LIST)] + [
            i for i in found if i in (Intent.LIST,)
        ]
    return found
