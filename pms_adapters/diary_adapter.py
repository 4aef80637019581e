"""`DiaryAdapter`: the built-in diary behind the adapter contract, registered as `diary`.

The diary is synchronous (SQLAlchemy's sync engine); every call into it runs in a worker
thread (`anyio.to_thread.run_sync`), never on the event loop, so a slow query or a wait for a
row lock stalls one booking, not every live call on the worker.

Mapping. Ids are the diary's integers as canonical decimal strings; anything else is an id the
diary does not know (`NotFound`). Errors map one to one (`diary.SlotUnavailable` ->
`SlotUnavailable`, `diary.NotFound` -> `NotFound`, `diary.IdempotencyConflict` ->
`IdempotencyConflict`, `diary.InvalidRequest` -> `InvalidRequest`), with two refinements:

- a slot id we issued that the diary now refuses for its own reasons (the practitioner no
  longer offers that type there, the type was retired, the grid changed) is stale: booking or
  moving to it is `SlotUnavailable`, "search again", not `InvalidRequest`;
- database failures (connection refused, timeouts, a full pool, any DBAPI error) are
  `PMSUnavailable`, with a message that never repeats the SQL or its parameters (patient data).

Idempotency. Bookings and moves pass their key to the diary, which stores it with the result in
the same transaction (native, durable, shared by every worker). Patients have no such table, so
`create_patient` is made idempotent here, in two layers:

1. keys this adapter has seen map to (request, patient id): the same key and request return
   that patient; the same key with a different request is `IdempotencyConflict`;
2. a key it has not seen (another worker, a restart) is a plain create, and the diary's duplicate
   check is the look-before-write: if it reports a `DuplicatePatient` whose record has exactly
   the requested names (case- and accent-folded) and date of birth, and already holds every
   requested phone (and the email, if one was given), that record is what an earlier attempt
   created and it is returned. The caller gave everything a search would need to find that
   record, so returning it discloses nothing a search would not.
   A near match (a misspelt name, same birth date with another phone) is `InvalidRequest`:
   never silently attach a caller to someone else's record, never register a duplicate. The
   agent should search for the caller instead. Without a birth date or a phone the diary has no
   duplicate check, so a retry that lost its key after a restart can register a second record.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

import diary
from diary import Diary
from diary import models as dm
from diary.db import read_session
from diary.patients import fold
from pms_adapters.errors import (
    IdempotencyConflict,
    InvalidRequest,
    NotFound,
    PMSUnavailable,
    SlotUnavailable,
)
from pms_adapters.slot_ids import SlotCodec, SlotKey
from pms_adapters.types import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CancellationReason,
    Capabilities,
    Location,
    NewPatient,
    Patient,
    PatientQuery,
    Practitioner,
    Slot,
    SlotQuery,
    Window,
)

T = TypeVar("T")

_CANONICAL_ID = re.compile(r"[1-9][0-9]{0,9}")
_MAX_ID = 2**31 - 1  # the diary's keys are INTEGER columns on PostgreSQL
MAX_KEY_LENGTH = 255
_REMEMBERED_KEYS = 10_000
_SLOT_PARTS = frozenset({"practitioner", "location", "appointment type"})
_STALE = "that slot is no longer offered; search again"


def _diary_id(value: str, kind: str) -> int:
    """The diary's integer for an id string; NotFound unless it is one the diary could hold."""
    if _CANONICAL_ID.fullmatch(value) and int(value) <= _MAX_ID:
        return int(value)
    raise NotFound(f"{kind} {value[:64]!r} not found")


def _check_key(key: str) -> None:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidRequest(f"idempotency key must be 1 to {MAX_KEY_LENGTH} printable characters")


def _patient(row: dm.Patient) -> Patient:
    return Patient(
        id=str(row.id),
        first_name=row.first_name,
        last_name=row.last_name,
        date_of_birth=row.date_of_birth,
        phones=tuple(p.e164 for p in row.phones),
        email=row.email,
    )


def _appointment(row: dm.Appointment) -> Appointment:
    return Appointment(
        id=str(row.id),
        patient_id=str(row.patient_id),
        practitioner_id=str(row.practitioner_id),
        location_id=str(row.location_id),
        appointment_type_id=str(row.appointment_type_id),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=AppointmentStatus(row.status),
        notes=row.notes,
    )


class DiaryAdapter:
    """The adapter contract over one clinic of a `diary.Diary`."""

    name = "diary"

    def __init__(
        self,
        diary: Diary,
        clinic_id: int,
        slot_secret: bytes,
        *,
        max_slot_window_days: int = 31,
        source: str = "phone_agent",
        owns_diary: bool = False,
    ) -> None:
        self._diary = diary
        self._clinic_id = clinic_id
        self._codec = SlotCodec(slot_secret)
        self._source = source  # recorded on each appointment this adapter books
        self._owns_diary = owns_diary
        self._capabilities = Capabilities(
            native_idempotency=True,
            holds=True,
            reschedule_in_place=True,
            cancellation_reasons=True,
            create_patients=True,
            max_slot_window_days=max_slot_window_days,
        )
        self._patient_keys: OrderedDict[str, tuple[NewPatient, int]] = OrderedDict()
        self._patient_lock = anyio.Lock()

    @property
    def capabilities(self) -> Capabilities:
        """Native idempotency for bookings, holds, reschedule in place, reasons, patients."""
        return self._capabilities

    async def _run(self, work: Callable[[], T], *, write: bool = False) -> T:
        """Run `work` in a worker thread and translate whatever the diary raises.

        A write is never abandoned half-way: if the caller is cancelled (a timeout, a hang-up)
        the call still waits for the thread's transaction to finish, so no thread is left
        running unseen and whatever comes next (a cache invalidation, a retry with the same
        key) happens after the commit or rollback, not before it.
        """
        try:
            if not write:
                return await anyio.to_thread.run_sync(work)
            job = asyncio.ensure_future(anyio.to_thread.run_sync(work))
            try:
                return await asyncio.shield(job)
            except asyncio.CancelledError:
                await asyncio.wait([job])
                raise
        except DataError as exc:
            # PostgreSQL refuses what SQLite stores (a NUL byte, an over-long value).
            raise InvalidRequest(f"a value was not acceptable ({type(exc).__name__})") from exc
        except diary.IdempotencyConflict as exc:
            raise IdempotencyConflict(str(exc)) from exc
        except (diary.InvalidRequest, diary.DuplicatePatient) as exc:
            raise InvalidRequest(str(exc)) from exc
        except diary.NotFound as exc:
            raise NotFound(str(exc)) from exc
        except diary.SlotUnavailable as exc:
            raise SlotUnavailable(str(exc)) from exc
        except (DBAPIError, DisconnectionError, PoolTimeout) as exc:
            # str(exc) would carry the SQL and its parameters, patient data among them.
            raise PMSUnavailable(
                f"the diary database is unavailable ({type(exc).__name__})"
            ) from exc

    # -- reference data -------------------------------------------------------------------

    async def locations(self) -> list[Location]:
        """The clinic's locations, each with its IANA zone."""
        rows = await self._run(lambda: self._diary.locations(self._clinic_id))
        return [
            Location(id=str(r.id), name=r.name, timezone=r.timezone, address=r.address)
            for r in rows
        ]

    async def practitioners(self) -> list[Practitioner]:
        """Active practitioners, with the locations they work at."""

        def work() -> tuple[list[dm.Practitioner], list[tuple[int, int]]]:
            rows = self._diary.practitioners(self._clinic_id)
            links = dm.practitioner_locations.c
            with read_session(self._diary.engine) as session:
                pairs = session.execute(
                    select(links.practitioner_id, links.location_id)
                    .where(links.practitioner_id.in_([r.id for r in rows]))
                    .order_by(links.practitioner_id, links.location_id)
                )
                return rows, [(p, loc) for p, loc in pairs]

        rows, pairs = await self._run(work)
        return [
            Practitioner(
                id=str(r.id),
                name=r.display_name,
                title=r.title,
                location_ids=tuple(str(loc) for p, loc in pairs if p == r.id),
            )
            for r in rows
        ]

    async def appointment_types(self) -> list[AppointmentType]:
        """Active appointment types."""
        rows = await self._run(lambda: self._diary.appointment_types(self._clinic_id))
        return [
            AppointmentType(
                id=str(r.id),
                name=r.name,
                duration_minutes=r.duration_minutes,
                bookable_by_phone=r.bookable_by_phone,
                new_patients_allowed=r.new_patients_allowed,
            )
            for r in rows
        ]

    # -- availability ---------------------------------------------------------------------

    async def find_slots(self, query: SlotQuery) -> list[Slot]:
        """Free slots starting in the window, in time order, at most `query.limit`."""
        type_id = _diary_id(query.appointment_type_id, "appointment type")
        pids = (
            None
            if query.practitioner_ids is None
            else [_diary_id(p, "practitioner") for p in query.practitioner_ids]
        )
        location = None if query.location_id is None else _diary_id(query.location_id, "location")
        if pids == []:
            return []
        found = await self._run(
            lambda: self._diary.find_slots(
                self._clinic_id,
                type_id,
                query.starts_after,
                query.ends_before,
                practitioner_ids=pids,
                location_id=location,
            )
        )
        return [self._slot(s) for s in found[: query.limit]]

    def _slot(self, slot: diary.Slot) -> Slot:
        key = SlotKey(
            str(slot.practitioner_id),
            str(slot.location_id),
            str(slot.appointment_type_id),
            slot.starts_at,
        )
        return Slot(
            id=self._codec.encode(key),
            practitioner_id=key.practitioner_id,
            location_id=key.location_id,
            appointment_type_id=key.appointment_type_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
        )

    def _choice(self, slot_id: str) -> diary.SlotChoice:
        """The diary's choice behind a slot id; SlotUnavailable if forged or malformed."""
        key = self._codec.decode(slot_id)
        try:
            return diary.SlotChoice(
                _diary_id(key.practitioner_id, "practitioner"),
                _diary_id(key.location_id, "location"),
                _diary_id(key.appointment_type_id, "appointment type"),
                key.starts_at,
            )
        except NotFound as exc:  # signed by a holder of our secret, but not one of ours
            raise SlotUnavailable(_STALE) from exc

    # -- patients -------------------------------------------------------------------------

    async def find_patients(self, query: PatientQuery) -> list[Patient]:
        """Patients matching every criterion given, closest name first."""
        matches = await self._run(
            lambda: self._diary.find_patients(
                self._clinic_id,
                phone=query.phone,
                name=query.name,
                date_of_birth=query.date_of_birth,
            )
        )
        return [_patient(m.patient) for m in matches]

    async def create_patient(self, patient: NewPatient, idempotency_key: str) -> Patient:
        """Register a patient; the same key returns the same patient (see the module notes)."""
        _check_key(idempotency_key)
        # One registration at a time per adapter: a concurrent retry waits and then replays.
        async with self._patient_lock:
            seen = self._patient_keys.get(idempotency_key)
            if seen is not None:
                request, patient_id = seen
                if request != patient:
                    raise IdempotencyConflict(
                        "idempotency key was already used for a different request"
                    )
                return _patient(
                    await self._run(lambda: self._diary.patient(self._clinic_id, patient_id))
                )
            created = await self._run(lambda: self._create_or_find(patient), write=True)
            self._patient_keys[idempotency_key] = (patient, created.id)
            while len(self._patient_keys) > _REMEMBERED_KEYS:
                self._patient_keys.popitem(last=False)
            return _patient(created)

    def _create_or_find(self, patient: NewPatient) -> dm.Patient:
        """Create, or return the record an identical earlier request created (worker thread)."""
        try:
            return self._diary.create_patient(
                self._clinic_id,
                first_name=patient.first_name,
                last_name=patient.last_name,
                date_of_birth=patient.date_of_birth,
                phones=list(patient.phones),
                email=patient.email,
            )
        except diary.DuplicatePatient as exc:
            existing = self._diary.patient(self._clinic_id, exc.existing_patient_id)
            country = self._diary.clinic(self._clinic_id).country
            phones = {diary.normalise_phone(p, country) for p in patient.phones}
            identical = (
                existing.first_name_key == fold(patient.first_name)
                and existing.last_name_key == fold(patient.last_name)
                and existing.date_of_birth == patient.date_of_birth
                and phones <= {p.e164 for p in existing.phones}
                and (
                    not patient.email
                    or patient.email.casefold() == (existing.email or "").casefold()
                )
            )
            if identical:
                return existing
            raise InvalidRequest(
                "a patient with a similar name and the same date of birth or phone is already"
                " registered; search for the caller instead of registering them again"
            ) from exc

    # -- appointments ---------------------------------------------------------------------

    async def appointments(self, patient_id: str, window: Window) -> list[Appointment]:
        """The patient's appointments starting in the window, cancelled ones excluded."""
        pid = _diary_id(patient_id, "patient")

        def work() -> list[dm.Appointment]:
            self._diary.patient(self._clinic_id, pid)  # NotFound for a stranger's id
            return self._diary.patient_appointments(
                self._clinic_id, pid, window.starts_at, window.ends_at
            )

        return [_appointment(a) for a in await self._run(work)]

    async def book(
        self, slot_id: str, patient_id: str, idempotency_key: str, notes: str = ""
    ) -> Appointment:
        """Book the slot for the patient; the diary replays a repeated key."""
        choice = self._choice(slot_id)
        pid = _diary_id(patient_id, "patient")
        _check_key(idempotency_key)

        def work() -> dm.Appointment:
            try:
                return self._diary.book(
                    self._clinic_id,
                    choice,
                    pid,
                    idempotency_key=idempotency_key,
                    source=self._source,
                    notes=notes,
                )
            except diary.IdempotencyConflict:
                raise
            except diary.NotFound as exc:
                if exc.kind in _SLOT_PARTS:
                    raise SlotUnavailable(_STALE) from exc
                raise
            except diary.InvalidRequest as exc:
                # The key is checked above, so what is left is about the slot: it is stale.
                raise SlotUnavailable(_STALE) from exc

        return _appointment(await self._run(work, write=True))

    async def reschedule(
        self, appointment_id: str, slot_id: str, idempotency_key: str
    ) -> Appointment:
        """Move an appointment to the slot in one transaction; the diary replays a key."""
        aid = _diary_id(appointment_id, "appointment")
        choice = self._choice(slot_id)
        _check_key(idempotency_key)

        def work() -> dm.Appointment:
            try:
                return self._diary.reschedule(
                    self._clinic_id, aid, choice, idempotency_key=idempotency_key
                )
            except diary.IdempotencyConflict:
                raise
            except diary.NotFound as exc:
                if exc.kind in _SLOT_PARTS:
                    raise SlotUnavailable(_STALE) from exc
                raise
            except diary.InvalidRequest as exc:
                # Either the appointment cannot move (cancelled, started: states that never
                # revert, so a re-read tells) or the slot is stale.
                current = self._diary.appointment(self._clinic_id, aid)
                movable = (
                    current.status == diary.AppointmentStatus.BOOKED.value
                    and current.starts_at > self._diary.clock.now()
                )
                if not movable:
                    raise
                raise SlotUnavailable(_STALE) from exc

        return _appointment(await self._run(work, write=True))

    async def cancel(
        self, appointment_id: str, reason: CancellationReason, note: str = ""
    ) -> Appointment:
        """Cancel with a reason; cancelling a cancelled appointment returns it unchanged."""
        aid = _diary_id(appointment_id, "appointment")
        try:
            code = diary.CancellationReason(CancellationReason(reason).value)
        except ValueError as exc:
            raise InvalidRequest("unknown cancellation reason") from exc
        row = await self._run(
            lambda: self._diary.cancel(self._clinic_id, aid, code, note), write=True
        )
        return _appointment(row)

    async def aclose(self) -> None:
        """Dispose of the database engine if this adapter opened it."""
        if self._owns_diary:
            await anyio.to_thread.run_sync(self._diary.close)


def create(settings: Mapping[str, Any]) -> DiaryAdapter:
    """The `diary` entry point's factory.

    Settings: `database_url` (default `sqlite:///receptionist.db`; migrated on open),
    `clinic_id` (default: the first clinic), `slot_secret` (str or bytes, at least 16 bytes;
    may be omitted only when `environment` is "test" or "development", which makes a random
    one, so slot ids do not survive a restart), `clock` (a `diary.Clock`, for tests).
    Runs at start-up, before any call is live, so it may block.
    """
    secret = settings.get("slot_secret")
    if secret is None:
        if settings.get("environment") not in ("test", "development"):
            raise ValueError(
                "the diary adapter needs settings['slot_secret'] (at least 16 bytes);"
                " only environment='test' or 'development' may omit it"
            )
        secret = secrets.token_bytes(32)
    secret_bytes = secret.encode() if isinstance(secret, str) else bytes(secret)
    opened = Diary.open(
        str(settings.get("database_url", "sqlite:///receptionist.db")), settings.get("clock")
    )
    try:
        clinics = opened.clinics()
        wanted = settings.get("clinic_id")
        clinic = next((c for c in clinics if wanted is None or c.id == int(wanted)), None)
        if clinic is None:
            raise ValueError(
                f"no clinic with id {wanted} in the diary"
                if wanted is not None
                else "the diary has no clinic yet; seed or create one first"
            )
        return DiaryAdapter(
            opened,
            clinic.id,
            secret_bytes,
            max_slot_window_days=clinic.max_window_days,
            owns_diary=True,
        )
    except BaseException:
        opened.close()
        raise
