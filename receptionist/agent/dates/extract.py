"""Lifting day/time words and dates of birth out of whole sentences (filled in below)."""

from __future__ import annotations


def when_phrase(text: str) -> str | None:
    """Placeholder."""
    return None


def split_birth_date(text: str) -> tuple[str | None, str]:
    """Placeholder."""
    return None, text
