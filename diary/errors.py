"""Errors the diary raises.

Every failure the diary reports is one of these; nothing it raises leaves a write half-done
(each operation runs in one transaction that is rolled back on error)::

    DiaryError
     ├── InvalidRequest        the request itself is wrong: naive datetime, window too long,
     │    │                    start off the slot grid, a patient with no name, a bad phone
     │    └── IdempotencyConflict   a key reused with a different request
     ├── NotFound              an id that does not exist in this clinic
     ├── SlotUnavailable       the time is taken, held, outside hours, or inside minimum notice
     └── DuplicatePatient      a patient with this name and date of birth already exists
"""

from __future__ import annotations


class DiaryError(Exception):
    """Base of every error the diary raises."""


class InvalidRequest(DiaryError):
    """The request is malformed or breaks a rule that does not depend on the diary's state."""


class IdempotencyConflict(InvalidRequest):
    """An idempotency key was reused with a different request."""

    def __init__(self, key: str) -> None:
        super().__init__("idempotency key was already used for a different request")
        self.key = key


class NotFound(DiaryError):
    """A referenced record does not exist."""

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident} not found")
        self.kind = kind
        self.ident = ident


class SlotUnavailable(DiaryError):
    """The requested time cannot be booked or held (taken, held, outside hours, too soon)."""


class DuplicatePatient(DiaryError):
    """A patient with the same name and date of birth already exists."""

    def __init__(self, existing_patient_id: int) -> None:
        super().__init__(f"a matching patient already exists (id {existing_patient_id})")
        self.existing_patient_id = existing_patient_id
