"""Did the caller say yes? The check behind every booking, move and cancellation.

The tools ask this of the caller's own words after a read-back, so a model that "hears" a yes
that was never said cannot write. The classifier is strict and has three answers:

- `YES`: a plain yes and nothing else: yes-words ("yes", "yep", "sure", "perfect", "no
  worries", "lock it in"), politeness ("please", "thanks", "mate") and, when the read-back is
  given, words that only repeat it ("yes, Tuesday at 9 with Sarah is perfect").
- `NO`: a refusal ("no", "nah", "not that one", "yeah nah"), with or without a correction
  ("no, Thursday please").
- `UNCLEAR`: everything else. Hedges ("maybe", "I'll think about it", "hmm", "hang on"),
  questions ("is that with Sarah?"), corrections after a yes ("yes but Thursday", "perfect,
  except it should be 3"), new words the read-back did not say ("yes, Thursday"), a yes and a
  no together, or nothing at all. None of these is ever a yes.
"""

from __future__ import annotations

import enum
import re

from receptionist.agent.matching import fold


class Reply(enum.StrEnum):
    YES = "yes"
    NO = "no"
    UNCLEAR = "unclear"


# Whole phrases rewritten to one token before the words are weighed. Order matters: longer
# phrases first, so "not a problem" is a yes before "not" can be read as a no.
_PHRASES: list[tuple[str, str]] = [
    # a refusal of the very thing a yes-phrase would ask for
    ("dont book", "no"), ("dont cancel", "no"), ("dont move", "no"), ("dont do", "no"),
    # hedges and stalls: never a yes, never a clean no
    ("not sure", "HEDGE"), ("no idea", "HEDGE"), ("dont know", "HEDGE"), ("not yet", "HEDGE"),
    ("let me check", "HEDGE"), ("let me think", "HEDGE"), ("think about it", "HEDGE"),
    ("hang on", "HEDGE"), ("hold on", "HEDGE"), ("one sec", "HEDGE"), ("one moment", "HEDGE"),
    ("just a sec", "HEDGE"), ("give me a", "HEDGE"), ("not really sure", "HEDGE"),
    ("i guess", "HEDGE"), ("i suppose", "HEDGE"), ("sort of", "HEDGE"), ("kind of", "HEDGE"),
    # Australian and idiomatic yes and no
    ("yeah nah", "no"), ("nah yeah", "yes"), ("not a problem", "yes"), ("no problem", "yes"),
    ("no worries", "yes"), ("no dramas", "yes"), ("no probs", "yes"), ("why not", "yes"),
    ("too easy", "yes"), ("spot on", "yes"), ("go ahead", "yes"), ("go for it", "yes"),
    ("go on", "yes"), ("please do", "yes"), ("sounds good", "yes"), ("sounds great", "yes"),
    ("sounds perfect", "yes"), ("sounds fine", "yes"), ("that works", "yes"),
    ("works for me", "yes"), ("lock it in", "yes"), ("lock that in", "yes"),
    ("book it", "YES_BOOK"), ("book that", "YES_BOOK"), ("book me in", "YES_BOOK"),
    ("do it", "yes"),
    ("do that", "yes"), ("cancel it", "YES_CANCEL"), ("cancel that", "YES_CANCEL"),
    ("move it", "YES_MOVE"), ("move that", "YES_MOVE"), ("you got it", "yes"),
    ("dont mind", "yes"), ("sure thing", "yes"), ("suits me", "yes"), ("ill take it", "yes"),
    ("thats the one", "yes"), ("id like that", "yes"), ("id love that", "yes"),
    ("fine by me", "yes"), ("good as gold", "yes"), ("see you then", "yes"),
    ("thats right", "yes"), ("that is right", "yes"), ("all good", "yes"), ("uh huh", "yes"),
    ("mm hmm", "yes"), ("that will do", "yes"), ("thatll do", "yes"),
    ("not really", "no"), ("no thanks", "no"), ("no thank you", "no"), ("never mind", "no"),
    ("rather not", "no"), ("i cant", "no"), ("cant do", "no"), ("wont work", "no"),
    ("doesnt work", "no"), ("doesnt suit", "no"), ("not that", "no"),
]  # fmt: skip

_YES = {
    "yes", "yeah", "yep", "yup", "ya", "yah", "yea", "aye", "sure", "correct", "ok", "okay",
    "okey", "perfect", "great", "fine", "good", "lovely", "excellent", "absolutely",
    "definitely", "affirmative", "sweet", "beautiful", "brilliant", "awesome", "wonderful",
    "cheers", "exactly", "precisely", "certainly", "confirm", "confirmed", "alright", "righto",
    "mhm", "fantastic", "ripper", "bonza", "beauty", "indeed",
}  # fmt: skip
_NO = {"no", "nope", "nah", "not", "dont", "never", "wrong", "negative", "cant", "wont"}
# Words that turn a yes into something else: corrections, hedges and questions.
_MARKERS = {
    "HEDGE", "but", "except", "although", "though", "however", "instead", "rather",
    "actually", "wait", "hmm", "hm", "maybe", "perhaps", "possibly", "probably", "think",
    "guess", "suppose", "unsure", "check", "later", "earlier", "what", "which", "when", "how",
    "why", "where", "who", "should", "could", "if", "unless", "change", "different",
    "another", "other", "mean", "meant", "sorry", "pardon", "eh", "huh", "also",
}  # fmt: skip
# Politeness and glue that add nothing to a yes.
_FILLER = {
    "please", "thanks", "thank", "you", "ta", "mate", "love", "dear", "that", "thats", "is",
    "it", "its", "the", "one", "so", "um", "umm", "uh", "er", "erm", "oh", "ah", "well",
    "then", "thatd", "be", "would", "in", "for", "me", "lets", "do", "all", "very", "much",
    "really", "just", "a", "totally", "cool", "right", "sounds", "works", "and", "yes",
    "super", "too", "thatll", "will", "heaps", "to", "go", "we", "are", "were", "im", "i",
    "am", "happy", "with", "on", "at",
}  # fmt: skip


_ACTIONS = {"YES_BOOK": "book", "YES_CANCEL": "cancel", "YES_MOVE": "move"}
_ASKS = re.compile(r"^(?:is|are|would|will|can|could|should|does|did|am)\b|^do\b(?! (?:it|that)\b)")
_WHEN = re.compile(
    r"\d+|am|pm|today|tomorrow|(?:mon|tues|wednes|thurs|fri|satur|sun)day|jan\w*|feb\w*|"
    r"march|april|may|june|july|aug\w*|sept?\w*|oct\w*|nov\w*|dec\w*|morning|afternoon"
)


def _action(readback: str | None) -> str:
    """What a read-back would do: it starts with "Cancel" or "Move", else it books."""
    said = fold(readback or "")
    return "cancel" if said.startswith("cancel") else "move" if said.startswith("move") else "book"


def _words(text: str) -> list[str]:
    folded = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", fold(text))
    folded = re.sub(r"(\d)([a-z])", r"\1 \2", folded)
    folded = f" {folded} "
    for phrase, token in _PHRASES:
        folded = folded.replace(f" {phrase} ", f" {token} ")
        folded = folded.replace(f" {phrase} ", f" {token} ")  # overlapping repeats
    return folded.split()


_DEFERRING = {"HEDGE", "maybe", "perhaps", "possibly", "probably", "think", "check", "later"}
_PUT_OFF = re.compile(r"\b(get back to you|ring back|call back|sort it out|leave it for now)\b")


def puts_off(text: str) -> bool:
    """A hedge that puts the decision off ("I'll think about it", "let me check"): not a yes,
    and not a question to answer, so the read-back is not pressed again."""
    return bool(_DEFERRING.intersection(_words(text))) or bool(_PUT_OFF.search(fold(text)))


def classify_reply(text: str, readback: str | None = None) -> Reply:
    """YES only for a plain yes (repeating the read-back is allowed); NO for a refusal;
    UNCLEAR for anything else, hedges, questions and corrections included."""
    words = _words(text)
    if not words:
        return Reply.UNCLEAR
    said_yes = any(word in _YES or word in _ACTIONS for word in words)
    said_no = any(word in _NO for word in words)
    if said_yes and said_no:
        return Reply.UNCLEAR
    if said_no:
        return Reply.NO
    if not said_yes or "?" in text:
        return Reply.UNCLEAR
    if _ASKS.match(fold(text)):
        return Reply.UNCLEAR  # "is that okay", "would that be alright": a question, "?" or not
    action = _action(readback)
    for word in words:
        if word in _ACTIONS and readback is not None and _ACTIONS[word] != action:
            return Reply.UNCLEAR  # "cancel it" to a booking's read-back is not a yes to it
    # Repeating the read-back's names is a yes; its days, dates and times are not (at a move's
    # read-back "yes Wednesday" may be the day it is moving from, and "yes at 3" the 3rd).
    echo = {w for w in _words(readback) if not _WHEN.fullmatch(w)} - _MARKERS if readback else set()
    for word in words:
        if word in _ACTIONS:
            continue
        if word in _MARKERS:
            return Reply.UNCLEAR
        if word not in _YES and word not in _FILLER and word not in echo:
            return Reply.UNCLEAR
    return Reply.YES
