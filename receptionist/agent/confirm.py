"""Did the caller say yes? The check behind every booking, move and cancellation.

The tools ask this of the caller's own words after a read-back, so a model that "hears" a yes
that was never said cannot write. Anything hedged or mixed is not a yes.
"""

from __future__ import annotations

import enum
import re

from receptionist.agent.matching import fold


class Reply(enum.StrEnum):
    YES = "yes"
    NO = "no"
    UNCLEAR = "unclear"


_YES = [
    "yes", "yeah", "yep", "yup", "ya", "yes please", "sure", "correct", "thats right",
    "thats correct", "right", "ok", "okay", "perfect", "great", "please do", "go ahead",
    "book it", "book that", "lock it in", "sounds good", "that works", "absolutely",
    "definitely", "do it", "confirm", "confirmed", "that's fine", "thats fine", "fine",
    "lovely", "excellent", "good", "please", "cancel it", "move it", "yes cancel",
    "affirmative", "that one", "all good", "too easy", "sweet", "beautiful", "cheers",
]  # fmt: skip
# Australian "no worries" is a yes; these are rewritten before the check.
_YES_IDIOMS = ["no worries", "no problem", "not a problem", "no dramas", "why not"]
_NO = [
    "no", "nope", "nah", "not", "dont", "do not", "wait", "hang on", "hold on", "actually",
    "change", "different", "wrong", "stop", "never mind", "nevermind", "rather not",
    "instead", "hmm", "maybe", "not sure", "unsure", "later", "but",
]  # fmt: skip


def _has(text: str, phrases: list[str]) -> bool:
    return any(re.search(rf"\b{re.escape(phrase)}\b", text) for phrase in phrases)


def classify_reply(text: str) -> Reply:
    """YES only for a plain yes; NO for a no or any hesitation; UNCLEAR otherwise."""
    folded = fold(text)
    for idiom in _YES_IDIOMS:
        folded = re.sub(rf"\b{idiom}\b", "ok", folded)
    if not folded:
        return Reply.UNCLEAR
    if _has(folded, _NO):
        return Reply.NO
    if _has(folded, _YES):
        return Reply.YES
    return Reply.UNCLEAR
