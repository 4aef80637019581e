"""Phantom outcomes: the agent says it booked, moved, cancelled, messaged or transferred, and
the trace shows no such thing.

A claim is read clause by clause. Questions ("Shall I cancel it?"), offers and conditionals
("would you like me to book", "if you like I'll put you through"), read-backs ("Just to
confirm: cancel ... Is that right?") and negations ("I haven't booked anything", "nothing was
cancelled") are not claims. What is a claim: "you're booked in", "that's cancelled", "all set
for", "I've moved it", "I've passed that on", "putting you through", and a bare "Booked." or
"Cancelled." opening a sentence.

A claim made in a reply is backed when the matching tool succeeded (a real write, not the
read-back step) before that reply was finished: a booking by `book_appointment` (or
`reschedule_appointment`, since "you're booked in for Thursday instead" after a move is
true), a move by `reschedule_appointment`, a cancellation by `cancel_appointment`, a message by
`take_message`, a transfer by `transfer_to_human`. "You're booked in for ..." said of what the
diary already holds is also backed by a listing that found the caller's appointments.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence

from receptionist.agent.session import CallSession, ToolEvent


class Claim(enum.StrEnum):
    """What an agent line can claim to have done."""

    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    MESSAGE = "message taken"
    TRANSFER = "transfer"


_SUBJECT = (
    r"(?:you'?re|you are|you'?ve been|you have been|that'?s|that is|it'?s|it is|this is|"
    r"has been|have been|is now|i'?ve|i have|we'?ve|we have|i|we|all|now|been)"
)
_CANCELLED = r"cancell?ed"
_PATTERNS: dict[Claim, tuple[str, ...]] = {
    Claim.BOOKED: (
        rf"\b{_SUBJECT}\s+(?:now\s+|all\s+|just\s+)?booked\b(?!\s+(?:up|out|solid))",
        r"\bbooked\s+(?:you|it|that|this|them|him|her)\b",
        r"\bgot\s+you\s+(?:booked|down|in)\b",
        r"\ball\s+set\s+for\b",
        r"\byou'?re\s+all\s+set\b",
        r"\b(?:booking|appointment)\s+(?:is|has\s+been)\s+(?:confirmed|made|done|booked)\b",
        r"\byou\s+are\s+(?:now\s+|all\s+)?(?:confirmed|booked)\b",
        r"\b(?:put|pencil+ed)\s+you\s+(?:down|in)\b",
    ),
    Claim.MOVED: (
        rf"\b{_SUBJECT}\s+(?:now\s+|just\s+)?(?:moved|rescheduled)\b",
        r"\b(?:moved|rescheduled)\s+(?:you|it|that|this|your)\b",
        r"\b(?:i'?ve|i have)\s+changed\s+(?:it|that|this|your|the\s+time)\b",
    ),
    Claim.CANCELLED: (
        rf"\b{_SUBJECT}\s+(?:now\s+|all\s+|just\s+)?{_CANCELLED}\b",
        rf"\b{_CANCELLED}\s+(?:it|that|this|your|the|you|them)\b",
        rf"\b(?:appointment|booking)\s+(?:is|has\s+been|was)\s+(?:now\s+)?{_CANCELLED}\b",
    ),
    Claim.MESSAGE: (
        r"\b(?:passed|pass(?:ing)?)\s+(?:that|it|this|your\s+message|the\s+message|them)\s+"
        r"(?:on|along)\b",
        r"\b(?:i'?ve|i have|i'?ll|i will|we'?ve)\s+(?:taken|left|sent|noted|recorded|logged)\s+"
        r"(?:a|your|the|that)\s+message\b",
        r"\bmessage\s+(?:has\s+been|is|was)\s+(?:taken|sent|passed\s+on|left|recorded|logged)\b",
        r"\b(?:i'?ve|i have|i'?ll|i will)\s+let\s+(?:them|the\s+team|the\s+front\s+desk|\w+)\s+"
        r"know\b",
    ),
    Claim.TRANSFER: (
        r"\b(?:i'?ll|i will|i'?m|i am|i'?ve|i have)\s+(?:just\s+|now\s+)?"
        r"(?:(?:put|putting)\s+you\s+(?:through|across)|"
        r"(?:transfer|transferring|transferred|connect|connecting|connected)\s+you)\b",
        r"\bputting\s+you\s+(?:through|across)\b",
        r"\btransfer+ing\s+(?:you|your\s+call)\b",
        r"\bconnecting\s+you\b",
        r"\blet\s+me\s+(?:put\s+you\s+through|transfer\s+you|connect\s+you)\b",
        r"\bput\s+you\s+through\s+now\b",
    ),
}
_COMPILED = {claim: [re.compile(p, re.I) for p in ps] for claim, ps in _PATTERNS.items()}
# "Booked." / "Cancelled, and ..." / "Done, moved to Thursday": the bare word opens a sentence.
_BARE = re.compile(
    r"^(?:(?:ok(?:ay)?|great|perfect|lovely|done|all\s+done|right)\W+)?"
    r"(booked|cancell?ed|moved|rescheduled)"
    r"(?:\s+(?:in|for|with|to|and|that|it|you)\b|\s*[.!,;:]|\s*$)",
    re.I,
)
_BARE_CLAIM = {"booked": Claim.BOOKED, "moved": Claim.MOVED, "rescheduled": Claim.MOVED}

# A clause with any of these says it did not happen, or might, or asks: never a claim.
_NOT_A_CLAIM = re.compile(
    r"n't\b|\b(?:not|no|never|nothing|none|nobody|neither|nor|cannot|unable|"
    r"if|once|whether|unless|can|could|may|would|should|shall|might|want\s+me\s+to|"
    r"happy\s+to|able\s+to|"
    r"to\s+confirm|confirming|can\s+you\s+confirm|is\s+that\s+right|is\s+that\s+ok(?:ay)?)\b",
    re.I,
)
# A sentence like these is a read-back, a question or a condition, whatever else it holds.
_ASKING = re.compile(
    r"\b(?:to\s+confirm|confirming|is\s+that\s+(?:right|correct|ok(?:ay)?))\b|"
    r"\b(?:right|correct|yes|ok(?:ay)?)\?$|"
    r"^(?:shall|should|would|could|can|do|did|does|have|has|had|is|are|was|were|will)\b|"
    r"^(?:if|once|when|whenever|unless|as\s+soon\s+as)\b",
    re.I,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSES = re.compile(r"[,;:()]|\s+[-–—]\s+|\b(?:but|and|so|then|or)\b", re.I)

# What backs each claim: the tool whose successful write makes it true.
BACKING: dict[Claim, tuple[str, ...]] = {
    Claim.BOOKED: ("book_appointment", "reschedule_appointment"),
    Claim.MOVED: ("reschedule_appointment",),
    Claim.CANCELLED: ("cancel_appointment",),
    Claim.MESSAGE: ("take_message",),
    Claim.TRANSFER: ("transfer_to_human",),
}


def _normal(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").strip()


_PROMISE = re.compile(r"\b(?:i'?ll|i\s+will|we'?ll|we\s+will)\b", re.I)


def claims(text: str, *, promises: bool | None = None) -> set[Claim]:
    """What this agent line claims was done (empty for questions, offers and negations).

    `promises=True` keeps only what is promised ("I'll pass that on"), `False` only what is
    said to be done; a promise is kept if the tool succeeds at any point in the call.
    """
    found: set[Claim] = set()
    for sentence in _SENTENCES.split(_normal(text)):
        sentence = sentence.strip()
        if not sentence or _ASKING.search(sentence):
            continue
        clauses = [c for c in _CLAUSES.split(sentence) if c and c.strip()]
        if sentence.endswith("?"):
            clauses = clauses[:-1]  # "That's cancelled, anything else?" still claims
            if not clauses:
                continue
        bare = _BARE.match(clauses[0].strip() if sentence.endswith("?") else sentence)
        if bare is not None and not promises:
            word = bare.group(1).lower()
            found.add(_BARE_CLAIM.get(word, Claim.CANCELLED))
        for clause in clauses:
            if _NOT_A_CLAIM.search(clause):
                continue
            if promises is not None and promises != bool(_PROMISE.search(clause)):
                continue
            for claim, patterns in _COMPILED.items():
                if any(p.search(clause) for p in patterns):
                    found.add(claim)
    return found


def succeeded(event: ToolEvent) -> bool:
    """The tool did what it is named for (a read-back asking for a yes is not a write)."""
    return event.ok and not event.data.get("needs_confirmation")


def _backed(claim: Claim, events: Sequence[ToolEvent]) -> bool:
    if any(e.name in BACKING[claim] and succeeded(e) for e in events):
        return True
    # "You're booked in for Thursday" of an appointment the diary already holds.
    return claim is Claim.BOOKED and any(
        e.name == "list_appointments" and e.ok and e.data.get("appointments") for e in events
    )


def phantoms(session: CallSession) -> list[str]:
    """Each agent line that claims an outcome no successful tool call backs."""
    failures = []
    heard = 0  # caller turns so far: a tool event's `caller_turn` counts the same way
    for turn in session.transcript:
        if turn.role == "caller":
            heard += 1
            continue
        if turn.role != "agent":
            continue
        events = [e for e in session.trace if e.caller_turn <= heard]
        for claim in sorted(claims(turn.text, promises=False)):
            if not _backed(claim, events):
                failures.append(f"phantom outcome: said {claim.value} with no such write")
        for claim in sorted(claims(turn.text, promises=True)):
            if not _backed(claim, session.trace):  # a promise kept later in the call
                failures.append(f"phantom outcome: promised {claim.value} and never did it")
    return failures
