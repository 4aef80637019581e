"""Fuzzy matching of what the caller said against the clinic's names.

"Sarah", "Dr Chen", "follow up", "a massage", "Parra": callers (and speech-to-text) rarely say a
name the way the PMS spells it. Matching is folded (case, accents, punctuation) and scored with
rapidfuzz; a close second-best makes the answer ambiguous rather than a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rapidfuzz import fuzz

T = TypeVar("T")

_NOISE = {
    "a", "an", "the", "with", "please", "for", "dr", "doctor", "appointment", "appt",
    "session", "one", "i", "id", "like", "want", "book", "at", "in", "my", "to", "see",
    "physio", "physiotherapist", "clinic", "location", "mr", "mrs", "ms", "miss",
}  # fmt: skip

# Words callers use for kinds of appointment, mapped onto words the type names contain.
TYPE_SYNONYMS: dict[str, str] = {
    "initial": "initial",
    "assessment": "assessment",
    "consult": "consultation",
    "standard": "follow-up",
    "subsequent": "follow-up",
    "return": "follow-up",
    "review": "follow-up",
    "followup": "follow-up",
    "follow": "follow-up",
    "massage": "massage",
    "pilates": "pilates",
}


def fold(text: str) -> str:
    """Lower case, no accents, letters and digits separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text.lower().replace("'", "")).split())


def _meaningful(text: str) -> str:
    return " ".join(word for word in fold(text).split() if word not in _NOISE)


@dataclass(frozen=True)
class Match(Generic[T]):
    """The best candidate, or none; `ambiguous` lists candidates too close to call."""

    item: T | None
    ambiguous: tuple[T, ...] = ()


def best_match(
    said: str,
    candidates: Sequence[T],
    name: Callable[[T], str],
    *,
    synonyms: dict[str, str] | None = None,
    cutoff: float = 70.0,
    margin: float = 8.0,
) -> Match[T]:
    """The candidate whose name best matches what was said, if clearly the best."""
    query = _meaningful(said)
    if synonyms:
        query = " ".join(synonyms.get(word, word) for word in query.split())
    if not query:
        return Match(None)
    scored: list[tuple[float, int]] = []
    for index, candidate in enumerate(candidates):
        target = fold(name(candidate))
        words = target.split()
        score = max(
            fuzz.token_set_ratio(query, target),
            fuzz.partial_ratio(query, target) if len(query) >= 4 else 0.0,
            max((fuzz.ratio(query, word) for word in words), default=0.0),
        )
        scored.append((score, index))
    scored.sort(key=lambda pair: -pair[0])
    top_score, top_index = scored[0]
    if top_score < cutoff:
        return Match(None)
    close = [candidates[i] for score, i in scored if top_score - score < margin]
    if len(close) > 1:
        return Match(None, tuple(close))
    return Match(candidates[top_index])


def mentions(text: str, words: Iterable[str]) -> bool:
    """Whether any of `words` (folded, whole words or phrases) occurs in `text`."""
    folded = f" {fold(text)} "
    return any(f" {fold(word)} " in folded for word in words)
