"""What the caller wants: the request heard in their words, by scoring every cue.

Each cue is a phrase pattern with weights for and against requests: "push it back" is a move,
"how much" is a question and counts against a booking, "cancellation policy" is a question and
counts against a cancel. A cue after a negation in the same clause ("I don't want to cancel",
"not a new booking") counts against what it would have meant. A request is heard when its score
reaches `HEARD`; the list is ranked by score, ties going to the more specific request.
Emergencies are detected apart (`emergency.py`) and always come first.

Deterministic and explainable: `scores` returns each request with the cues that decided it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from receptionist.agent.engines.guided.emergency import (
    emergency_reason,
    is_emergency,
    plain_words,
)

__all__ = [
    "HEARD", "Heard", "Intent", "asked_outright", "emergency_reason", "intents", "is_emergency",
    "scores",
]  # fmt: skip


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


# The score at which a request counts as heard: one strong cue (3) or two weaker ones.
HEARD = 2

# Ties go to the more specific request: "cancel my massage" is a cancel, not a booking.
_PRIORITY = [
    Intent.EMERGENCY, Intent.CANCEL, Intent.MOVE, Intent.LIST, Intent.MESSAGE,
    Intent.TRANSFER, Intent.BOOK, Intent.ADVICE, Intent.INFO, Intent.GOODBYE,
]  # fmt: skip


_DAY = (
    r"(today|tomorrow|tonight|this|next|on|at|in the|after|before|morning|arvo|afternoon"
    r"|evening|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
)
_APPT = r"(appointment|appointments|booking|bookings|session|sessions|appt|consult|one)"
_ONE = r"(my|the|that|this|our|it|his|her|one)"
_BODY = (
    r"(my|his|her|the|their|your) (arm|arms|leg|legs|neck|head|back|shoulder|shoulders|knee"
    r"|knees|hand|hands|hip|hips|foot|feet|fingers|toes|body|side|face|wrist|ankle|elbow|jaw)"
)
_TYPE = (
    r"(massage|remedial|consult|consultation|initial|follow up|followup|assessment|pilates"
    r"|treatment|dry needling|review|check up|checkup)"
)
_WEEKDAY = (
    r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today|next|this"
    r"|later|earlier|morning|afternoon|arvo|evening)"
)

B, M, C, L, Q, T = (
    Intent.BOOK, Intent.MOVE, Intent.CANCEL, Intent.LIST, Intent.INFO, Intent.TRANSFER,
)  # fmt: skip
MSG, ADV, G = Intent.MESSAGE, Intent.ADVICE, Intent.GOODBYE  # Q: a question (INFO)

# (name, weights, pattern over plain_words): the name explains a score; patterns match whole
# words. Cues for cancel, move, list, book, message, transfer, questions, advice, goodbye.
_CUES: list[tuple[str, dict[Intent, int], str]] = [
    ("cancel", {C: 3, B: -2}, r"cancel\w*|call (it |that )?off"),
    ("cant make it", {C: 3, B: -2},
        r"(cant|wont|couldnt|not gonna|unable to|not able to|wont be able to|not be able to) (make"
        r"|come|attend|get there|be there|come in|get in)"),
    ("cant do mornings", {C: -4},
        r"(cant|couldnt|wont|not) (come|make it|make|do|get in|come in)( in| on)?( the)? (mornings?"
        r"|afternoons?|arvos?|evenings?|nights?|weekends?|before|after|until|till|early|late"
        r"|\w+days|that early|that late)"),
    ("not coming", {C: 3},
        r"(wont|not) be coming|not coming (in|anymore|any more)?"
        rf"|(no longer|dont) need (it|the|my|that)|(dont|wont) need (the|my|that) {_APPT}"
        rf"|(drop|scrap|ditch|get rid of) {_ONE}"),
    ("cancellation policy", {Q: 4, C: -4},
        r"cancellation (policy|fee|fees|charge)"
        r"|(fee|charge|cost|penalty) (for|to|if) (i |you |we )?(cancel\w*|late|miss)"
        r"|(how much|what) notice"),
    ("reschedule", {M: 3, B: -2}, r"re ?schedul\w*|re ?book\w*|re ?arrange"),
    ("move it", {M: 3, B: -2},
        r"(?<!cant )(?<!couldnt )(?<!hard to )(?<!able to )(move|moving|shift|shifting)"
        rf" (?!{_BODY}){_ONE}"),
    ("push back", {M: 3, B: -2},
        rf"(push|pushing|bring|bringing|put) ({_ONE}( \w+){{0,3}} )?(back|forward|forwards|earlier"
        r"|later|out)"),
    ("change it", {M: 3, B: -2},
        rf"(change|changing|swap|swapping|switch|switching) ({_ONE}|the time|the day|times|days|to"
        r"|one|over)"),
    ("change", {M: 1}, r"change|changing|swap|switch"),
    ("instead", {M: 3, C: -2, B: -1},
        r"instead|different (day|time|date)|another (day|time|date)"
        rf"|(earlier|later) (time|day|one|slot)|(how|what) about (on )?(the )?{_WEEKDAY}"),
    # An answer to a read-back or an offer that asks for something else corrects that offer
    # ("no, can we make it Thursday instead"): not a new request to move an appointment.
    ("correction", {M: -3},
        r"^(yes|yeah|yep|yup|no|nah|nope|sorry|actually|oh|hmm|um|ok|okay|perfect|great"
        r"|lovely)\b(?!.*\b(cant|wont|couldnt|my|appointment|booking)\b).*\b(instead|different"
        r"|another|how about|what about)"),
    ("transfer my", {M: 3, T: -4}, rf"transfer {_ONE} (\w+ )?{_APPT}"),
    ("my details", {MSG: 3, M: -4, Q: -3},
        r"(change|update|changing|updating) (my|our) (address|phone|number|email|details|name"
        r"|mobile)"),
    ("when is my", {L: 3, B: -3},
        r"(whens|when|what time|what day|what date|which day) (is|are)? ?(my|our) (next |upcoming"
        rf" )?({_APPT}|{_TYPE})"),
    ("got booked", {L: 3, B: -2},
        r"what (have|do) (i|we) (got|have) (booked|on|coming|scheduled)"
        r"|what (ive|im) got (booked|on)|(when|what time) am i (in|booked|seeing|coming|due|on)"
        r"|am i (booked|still booked|in) (in |on |for )"),
    ("do i have", {L: 3, B: -3},
        rf"(do|have) (i|we) (have|got) (an|any|a|my) (\w+ )?{_APPT}"
        r"|(do|have) (i|we) (got|have) (anything|something) (booked|on|coming|scheduled|in)"
        r"|what (appointments|bookings|sessions) (do|have) (i|we)"
        rf"|(check|confirm|remind me of|tell me) (my|our|when my) {_APPT}"
        rf"|(my|our) (next|upcoming|future) {_APPT}"),
    ("booked", {L: 1}, rf"booked|my {_APPT}"),
    ("book", {B: 3},
        r"(?<!my )(?<!the )(?<!your )(?<!a )book|book (me|in|a|an|for)|booking (a|an|in|me)"
        r"|make an? (booking|appointment)|(new|an|a) (\w+ )?(appointment|booking)|schedule (a|an"
        r"|me)"),
    ("come in", {B: 3},
        r"(come|coming|get|getting|pop|popping|squeeze|fit) (me )?in"
        r"|see (a|the|one of your|someone|somebody|anyone) ?(physio|physios|therapist"
        r"|practitioner)?"
        r"|get seen|see (?!you\b)\w+ (next|this|on|tomorrow|today|for|about|if|when|at|in)"),
    ("openings", {B: 3},
        r"any (openings?|availability|appointments|times|spots|slots|space|gaps|room|vacancies)"
        r"|(have|got) (anything|something|any|a spot|a slot|a time|space|room) (free|available|open"
        r"|on)?"
        r"|(anything|something|anyone|anybody) (free|available|open)"
        r"|what (times|time slots|slots|days|appointments) (have you got|do you have|are)"),
    ("any cancellations", {B: 5, C: -4},
        r"(any|anyone got|anybody got|have you got|had|get) (a |any )?cancellations?"
        r"|cancellation list|wait ?list|waiting list"),
    ("free on", {B: 3},
        rf"(is|are) \w+ (free|available|working|on) {_DAY}|(free|available) {_DAY}|availab\w*"),
    ("kind", {B: 2}, rf"{_TYPE}"),
    ("want", {B: 1},
        r"id like|i want|i need|wanna|can i (get|have)|could i (get|have)|after|looking for"),
    ("message", {MSG: 3, T: -2},
        r"message|voicemail|pass (it|that|this|a message|something|them|him|her)? ?on"
        r"|pass (it|that|this|a message|something) (to|along)"),
    ("tell someone", {MSG: 3, T: -2, B: -2},
        r"(tell|let) (?!me\b)(?!us\b)\w+( \w+)? (know|that|ill|im|i|we|my|she|he|its)"
        r"|(can|could|would) you (tell|let) (?!me\b)\w+"),
    ("call me", {MSG: 3, T: -2, B: -2},
        r"(call|ring|phone|contact|text) (me|us) (back)?|give (me|us) a (call|ring|bell|buzz)"
        r"|callback|get back to (me|us)|(to|can|could|please|someone|somebody) (call|ring) back"),
    ("account", {MSG: 2},
        r"invoice|invoices|receipt|receipts|(?<!bulk )bill|billing|my account|statement|refund"
        r"|overcharged"
        r"|charged (twice|me twice|the wrong)"),
    ("running late", {MSG: 3},
        r"(running|be|gonna be|going to be|a bit|bit) (late|behind)|stuck in traffic"),
    ("ill call back", {G: 3, B: -3},
        r"(ill|we ll|i ll|ill just|i might) (call|ring|try|phone) (back|again|later|another time"
        r"|tomorrow)"
        r"|(ill|ill just) (book|do it) (online|later)"),
    ("talk to", {T: 3}, r"(talk|speak|speaking|chat|talking) (to|with)"),
    ("who is this", {T: -3}, r"who (am i|are you|is this|im) (speaking|talking)"),
    ("put me through", {T: 3},
        r"put (me )?(through|thru|on) (to)?|(?<!bank )transfer|connect me|get (hold|a hold) of"
        r"|get me through"),
    ("a person", {T: 2},
        r"(a|an) (real|actual|live|proper) (person|human|receptionist)"
        r"|(a|an|the) (human|person|operator|receptionist|manager|agent)|someone real"
        r"|are you (a )?(robot|bot|machine|computer|real|ai)"),
    ("is someone there", {T: 3},
        r"(is|are) (?!there\b|it\b|this\b|that\b|you\b|parking\b)(dr |doctor )?\w+ (there|around"
        r"|about|in today|in at the moment|at work|in the clinic today|in)$"),
    ("front desk", {T: 1}, r"front desk|reception|staff|the team|someone|somebody"),
    ("hours", {Q: 3, B: -2},
        r"hours|opening (hours|times)|(?<!anything )(?<!something )(?<!any )open|close|closes"
        r"|closing|closed|shut|what time do you|public holiday"),
    ("holiday", {Q: 3, B: -1},
        r"good friday|easter|christmas|boxing day|new years?( day| eve)?|anzac day|"
        r"australia day|(kings|queens) birthday|labou?r day|bank holiday"),
    ("where", {Q: 3, B: -2},
        r"address|where (are|is|abouts|do)|located|(which|what|your) locations?|directions"
        r"|how do i (get|find)|which street|whereabouts"),
    ("parking", {Q: 3, B: -2},
        r"(to|i|we|can|where|you) park|parking|car park|carpark|public transport|bus|tram"),
    ("price", {Q: 3, B: -3},
        r"price|prices|pricing|cost|costs|how much|fee|fees|charge|rates|expensive|gap"
        r"|out of pocket"),
    ("health fund", {Q: 3, B: -2},
        r"health fund|private health|insurance|insurer|medicare|hicaps|rebate|bulk bill\w*|claim"
        r"|dva"
        r"|workcover|work cover|ndis|care plan|epc|referral|bupa|medibank|hcf|nib|ahm"),
    ("what to bring", {Q: 4, ADV: -3, B: -2},
        r"what (should|do|shall) (i|we) (wear|bring)|(need to|have to|should i) (wear|bring)"
        r"|how long (is|does|do) (a|an|the|your|my)? ?(\w+ )?(appointment|session|massage|consult"
        r"|consultation|initial|follow up|assessment|treatment|it go for|it take)"
        r"|do you (do|offer|treat|take|accept|have)( \w+)? (\w+ )?(physio|pilates|massage|needling"
        r"|cards|eftpos|afterpay|payment|ramps|wheelchair|parking)"
        r"|wheelchair|accessible|payment|pay (by|with|on)|eftpos|afterpay|phone number|email"
        r"|website"),
    ("do you do", {Q: 2}, r"do you (do|offer|treat|take|accept|see)"),
    ("should i", {ADV: 3},
        r"should (i|we|he|she) (?!book|come|bring|wear|park|cancel|move|see|call)\w+"
        r"|is (it|this|that) (broken|fractured|torn|serious|normal|bad|ok to|safe)|ice or heat"
        r"|heat or ice|what exercises|which exercises|painkillers?|panadol|nurofen|ibuprofen"
        r"|voltaren|diagnos\w*|what (do you think|could) it (is|be)"
        r"|do i need (an |a )?(x ?ray|scan|mri|surgery|operation)"
        r"|how (do|can|should) i (treat|fix|help)|what can i (do|take) (for|about)"
        r"|(can|should) i (still )?(run|train|play|exercise|go to the gym|work out|stretch)"
        r"|is it (ok|okay|safe) to"),
    ("bye", {G: 3},
        r"bye|goodbye|bye bye|see ya|see you|catch ya|hooroo|ta ta"
        r"|have a good (day|one|arvo|afternoon|night)"),
    ("thats all", {G: 3},
        r"thats (all|everything|me|about it|all for now)|that will be all|thatll be all"
        r"|nothing else"
        r"|thats (it|fine) (thanks|thank you|cheers|mate|bye)"
        r"|(no|nah|nope) (thanks|thank you|all good|im good|im right|im fine|im all good|im done"
        r"|nothing|thats all|thats it|thats everything|thats me)"),
    ("all good", {G: 3},
        r"(im|were|all) (good|fine|right|done|sorted|set) (thanks|thank you|cheers|mate|now)"
        r"|all good|no worries thanks|hang up|hanging up|(gotta|got to|have to|need to) go"),
    ("never mind", {G: 2}, r"never mind|forget it|dont worry about it"),
    ("thats it", {G: 2}, r"^(no |nah |nope )?(thats it|nothing)( thanks| thank you| cheers)?$"),
    ("yes thats it", {G: -3},
        r"(yes|yep|yeah|yup|sure|correct|right) (all good|thats (it|right|fine|the one|correct"
        r"|perfect))"),
    ("thanks", {G: 1}, r"thanks|thank you|cheers|ta"),
]  # fmt: skip
_COMPILED = [(name, re.compile(rf"\b(?:{pattern})\b"), weights) for name, weights, pattern in _CUES]

# Cues that name a request in so many words ("cancel", "move it", "put me through"), as
# opposed to ones that suggest it ("I can't come Friday", "Thursday instead"): mid-flow, only
# these should change what the caller is asking for.
_OUTRIGHT = {
    "cancel", "reschedule", "move it", "push back", "change it", "transfer my", "message",
    "tell someone", "call me", "talk to", "put me through", "a person", "is someone there",
}  # fmt: skip

# A negation counts against a cue a few words after it, in the same clause.
_NEGATORS = {"not", "dont", "doesnt", "didnt", "never", "without", "isnt", "arent", "wasnt"}
_NEGATING = ("no need", "instead of", "rather not", "no longer want")
_CLAUSE_BREAKS = {"but", "so", "and", "just", "then", "actually", "i", "im"}
_CLAUSES = re.compile(r"[,.;:!?\u2026]+|\s+-\s+|\s+but\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Heard:
    """One request heard, its score, and the cues that decided it (for tests and traces)."""

    intent: Intent
    score: int
    cues: tuple[str, ...]


def _negated(before: str) -> bool:
    words = before.split()[-4:]
    for index in range(len(words) - 1, -1, -1):
        if words[index] in _CLAUSE_BREAKS and index < len(words) - 1:
            words = words[index + 1 :]
            break
    tail = " ".join(words)
    return any(word in _NEGATORS for word in words) or any(n in tail for n in _NEGATING)


def _clauses(text: str) -> tuple[str, list[int]]:
    """The caller's words as one plain string, and where each clause starts in it."""
    clauses = [words for words in map(plain_words, _CLAUSES.split(text)) if words]
    starts = [sum(len(c) + 1 for c in clauses[:k]) for k in range(len(clauses))]
    return " ".join(clauses), starts


def scores(text: str) -> list[Heard]:
    """Every request heard in the words, best first, each with its score and cues."""
    totals: dict[Intent, int] = {}
    cues: dict[Intent, list[str]] = {}
    # Cues match across clauses ("no, thank you"); a negation reaches only its own clause.
    said, starts = _clauses(text)
    for name, pattern, weights in _COMPILED:
        found = [m.start() for m in pattern.finditer(said)]
        if not found:
            continue
        # Said plainly once is said: "not Tuesday, cancel the Thursday one" still cancels.
        against = all(_negated(said[max(s for s in starts if s <= at) : at]) for at in found)
        for intent, weight in weights.items():
            if against and weight < 0:
                continue  # "not a new booking" says nothing against the others
            totals[intent] = totals.get(intent, 0) + (-weight if against else weight)
            cues.setdefault(intent, []).append(f"not {name}" if against else name)
    heard = [
        Heard(intent, score, tuple(cues[intent]))
        for intent, score in totals.items()
        if score >= HEARD
    ]
    reason = emergency_reason(text)
    if reason is not None:
        heard = [h for h in heard if h.intent is not Intent.EMERGENCY]
        heard.append(Heard(Intent.EMERGENCY, 100, (reason,)))
    heard.sort(key=lambda h: (-h.score, _PRIORITY.index(h.intent)))
    # A goodbye said alongside a request is manners, not the end of the call.
    if len(heard) > 1 and any(h.intent is Intent.GOODBYE for h in heard[1:]):
        heard = [h for h in heard if h.intent is not Intent.GOODBYE]
    return heard


def intents(text: str) -> list[Intent]:
    """Every request heard in the words, best first; empty when nothing was understood.

    EMERGENCY, when heard, is always first."""
    return [h.intent for h in scores(text)]


def asked_outright(text: str) -> list[Intent]:
    """The requests heard that the caller named in so many words, best first.

    For switching request mid-flow: "I can't come in on Friday" while booking is a constraint
    and "can we make it Thursday instead" is a correction, but "cancel it" is a cancel."""
    return [
        h.intent
        for h in scores(text)
        if h.intent is Intent.EMERGENCY or _OUTRIGHT.intersection(h.cues)
    ]
