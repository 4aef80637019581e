"""The built-in diary: a scheduling engine (a PMS of our own) that never double-books.

It knows nothing of calls or language models. `Diary` is the entry point; see
`diary.errors` for what it raises.
"""

from diary.availability import Slot
from diary.booking import SlotChoice
from diary.clock import Clock, FixedClock, SystemClock
from diary.errors import (
    DiaryError,
    DuplicatePatient,
    IdempotencyConflict,
    InvalidRequest,
    NotFound,
    SlotUnavailable,
)
from diary.models import AppointmentStatus, CancellationReason, ExceptionKind
from diary.patients import PatientMatch, normalise_phone
from diary.service import Diary

__all__ = [
    "AppointmentStatus",
    "CancellationReason",
    "Clock",
    "Diary",
    "DiaryError",
    "DuplicatePatient",
    "ExceptionKind",
    "FixedClock",
    "IdempotencyConflict",
    "InvalidRequest",
    "NotFound",
    "PatientMatch",
    "Slot",
    "SlotChoice",
    "SlotUnavailable",
    "SystemClock",
    "normalise_phone",
]
