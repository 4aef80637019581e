"""Errors every PMS adapter speaks, whatever system sits behind it.

Adapters map their system's failures onto this tree; the agent turns each into something a
receptionist would say ("that time has just gone", "I can't reach the diary right now")::

    PMSError
     ├── SlotUnavailable      the slot is taken, held, gone, or its id is stale or forged
     ├── NotFound             an id that the PMS does not know (patient, appointment, ...)
     ├── InvalidRequest       the request itself is wrong (and retrying it will not help)
     │    └── IdempotencyConflict   a key reused with a different request
     ├── PMSUnavailable       timeouts, connection failures, 5xx: try later, take a message
     │    ├── RateLimited     over the request budget; `retry_after` seconds until it frees up
     │    └── WriteOutcomeUnknown   a write timed out: it may or may not have landed; ask
     │                              again with the same idempotency key to find out
     └── AuthFailed           the credentials were refused (401/403): a configuration problem
"""

from __future__ import annotations


class PMSError(Exception):
    """Base of every error an adapter raises."""


class SlotUnavailable(PMSError):
    """The slot cannot be booked: taken, held, no longer offered, or its id is not valid."""


class NotFound(PMSError):
    """The PMS does not know the referenced record."""


class InvalidRequest(PMSError):
    """The request is malformed or breaks a rule; retrying it unchanged will not help."""


class IdempotencyConflict(InvalidRequest):
    """An idempotency key was reused with a different request."""


class PMSUnavailable(PMSError):
    """The PMS could not be reached or failed (timeout, connection error, 5xx)."""


class RateLimited(PMSUnavailable):
    """Over the request budget; `retry_after` is how many seconds until a request may go."""

    def __init__(self, message: str = "rate limited", retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WriteOutcomeUnknown(PMSUnavailable):
    """A write timed out: it may have landed. Repeat it with the same idempotency key (which
    returns the first result if it did) before telling anyone it failed."""


class AuthFailed(PMSError):
    """The PMS refused the credentials."""
