"""`NookalAdapter`: Nookal's v2 API behind the adapter contract, registered as `nookal`.

The parts: `client` (transport, envelope, errors, pages), `reference` (locations, practitioners,
types, cached), `availability` (grid to slots), `patients` (search without a phone search),
`appointments` (find, book, move, cancel), `idempotency` (a key ledger and look-before-retry),
and `assumptions` (every UNCONFIRMED behaviour of the API, one place each).

Capabilities, honestly: no native idempotency (we emulate it), no holds, moves keep the id only
with `updateAppointmentBooking` (`move_method = "update"`, the default), no cancellation reasons
(no API parameter is known), patients can be created.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diary.patients import fold
from diary.patients import spoken_name_distance as name_distance
from pms_adapters.errors import InvalidRequest, NotFound, PMSUnavailable
from pms_adapters.nookal import assumptions, mapping
from pms_adapters.nookal.appointments import AppointmentBook
from pms_adapters.nookal.availability import AvailabilityReader, search_slots
from pms_adapters.nookal.client import NookalClient
from pms_adapters.nookal.config import NookalConfig
from pms_adapters.nookal.idempotency import KeyLedger, check_key, write_once
from pms_adapters.nookal.patients import PatientDirectory, patient_row
from pms_adapters.nookal.reference import Reference, ReferenceData
from pms_adapters.nookal.values import as_id
from pms_adapters.slot_ids import SlotCodec
from pms_adapters.types import (
    Appointment,
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

Row = Mapping[str, Any]
MAX_PATIENTS = 10


class NookalAdapter:
    """The adapter contract over one Nookal account (the locations its API key covers)."""

    name = "nookal"

    def __init__(self, config: NookalConfig) -> None:
        self.config = config
        self.client = NookalClient(config)
        self.reference = ReferenceData(self.client, config)
        self.availability = AvailabilityReader(self.client)
        self._codec = SlotCodec(config.slot_secret)
        self._book = AppointmentBook(
            self.client, config, self.reference, self.availability, self._codec
        )
        self._directory = PatientDirectory(
            lambda: self.client.fetch_all("getPatients", "patients"),
            config.patient_directory_ttl,
            config.monotonic,
        )
        self._patient_keys = KeyLedger()
        self._capabilities = Capabilities(
            native_idempotency=False,
            holds=False,
            reschedule_in_place=config.move_method == "update",
            cancellation_reasons=False,
            create_patients=True,
            max_slot_window_days=config.max_slot_window_days,
        )

    @property
    def capabilities(self) -> Capabilities:
        """No native idempotency or holds; no cancellation reasons; moves keep ids by default."""
        return self._capabilities

    # -- reference data -------------------------------------------------------------------

    async def locations(self) -> list[Location]:
        """The locations this connection covers, each with its zone."""
        return list((await self.reference.get()).locations.values())

    async def practitioners(self) -> list[Practitioner]:
        """Active practitioners working at a covered location."""
        return list((await self.reference.get()).practitioners.values())

    async def appointment_types(self) -> list[AppointmentType]:
        """Appointment types (Nookal's services) offered at a covered location."""
        return list((await self.reference.get()).types.values())

    # -- availability ---------------------------------------------------------------------

    async def find_slots(self, query: SlotQuery) -> list[Slot]:
        """Free slots starting in the window, in time order, at most `query.limit`."""
        ref = await self.reference.get()
        return await search_slots(query, ref, self.availability, self._codec, self.config)

    # -- patients -------------------------------------------------------------------------

    def _region(self, ref: Reference, row: Row) -> str:
        return ref.regions.get(as_id(row.get("LocationID")), self.config.region)

    def _patient(self, ref: Reference, row: Row) -> Patient:
        return mapping.patient(row, self._region(ref, row))

    async def find_patients(self, query: PatientQuery) -> list[Patient]:
        """Patients matching every criterion given, closest name first (see `patients`)."""
        ref = await self.reference.get()
        phone = None
        if query.phone is not None:
            phone = mapping.e164(query.phone, self.config.region)
            if phone is None:
                raise InvalidRequest("that is not a phone number")
        name = (query.name or "").strip() or None

        def matching(rows: list[Row]) -> list[Patient]:
            ranked: dict[str, tuple[int, Patient]] = {}
            for row in rows:
                found = self._patient(ref, row)
                if not found.id or found.id in ranked:
                    continue
                if query.date_of_birth is not None and found.date_of_birth != query.date_of_birth:
                    continue
                if phone is not None and phone not in found.phones:
                    continue
                distance = 0
                if name is not None:
                    measured = name_distance(name, found.first_name, found.last_name)
                    if measured is None:
                        continue
                    distance = measured
                ranked[found.id] = (distance, found)
            best = sorted(ranked.values(), key=lambda m: (m[0], len(m[1].id), m[1].id))
            return [p for _, p in best[:MAX_PATIENTS]]

        if query.date_of_birth is not None:
            rows = await self.client.fetch_all(
                "searchPatients", "patients", {"date_of_birth": query.date_of_birth.isoformat()}
            )
            return matching(rows)
        rows = await self._directory.rows()
        if name is not None:
            last_word = name.split()[-1]
            live = await self.client.fetch_all(
                "searchPatients", "patients", {"last_name": last_word}
            )
            return matching([*live, *rows])
        found = matching(rows)
        if not found:
            found = matching(await self._directory.rows_after_miss())
        return found

    async def create_patient(self, patient: NewPatient, idempotency_key: str) -> Patient:
        """Register a patient, only after a search found no match; the same key returns the
        same patient (see `idempotency`)."""
        check_key(idempotency_key)
        async with self._patient_keys.hold(idempotency_key):
            done = self._patient_keys.result(idempotency_key, patient)
            ref = await self.reference.get()
            if done is not None:
                row = await patient_row(self.client, done)
                if row is None:
                    raise NotFound(f"patient {done} is no longer in Nookal")
                return self._patient(ref, row)
            phones = [mapping.e164(p, self.config.region) for p in patient.phones]
            if any(p is None for p in phones):
                raise InvalidRequest("that is not a phone number")
            wanted = [p for p in phones if p is not None]
            self._patient_keys.record(idempotency_key, patient, None)

            async def look() -> Patient | None:
                return await self._registered(ref, patient, wanted, strict=False)

            created = await self._registered(ref, patient, wanted, strict=True)
            if created is None:
                # ASCII: Nookal double-encodes UTF-8 (spec 10.7); "José" is stored as "Jose".
                fields: dict[str, object] = {
                    "first_name": mapping.ascii_text(patient.first_name) or patient.first_name,
                    "last_name": mapping.ascii_text(patient.last_name) or patient.last_name,
                }
                if patient.date_of_birth is not None:
                    fields["date_of_birth"] = patient.date_of_birth.isoformat()
                if patient.email:
                    fields["email"] = patient.email
                for field, number in zip(
                    (assumptions.PATIENT_PHONE_PARAM, "home", "work"), wanted, strict=False
                ):
                    fields[field] = mapping.national(number, self.config.region)

                async def attempt() -> Patient:
                    results = await self.client.call("addPatient", fields)
                    new_id = as_id(results.get("patient_id"))
                    row = await patient_row(self.client, new_id) if new_id else None
                    if row is None:
                        raise PMSUnavailable("Nookal accepted the patient but it cannot be read")
                    self._directory.remember(row)
                    return self._patient(ref, row)

                created = await write_once(attempt, look, what="the registration")
            self._patient_keys.record(idempotency_key, patient, created.id)
            return created

    async def _registered(
        self, ref: Reference, patient: NewPatient, phones: list[str], *, strict: bool
    ) -> Patient | None:
        """The record an earlier attempt made for exactly these details, if any.

        With `strict`, someone else of the same name and birth date is `InvalidRequest`: never
        attach a caller to another record, never register a duplicate (search instead).
        """
        fields: dict[str, object] = {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
        }
        if patient.date_of_birth is not None:
            fields["date_of_birth"] = patient.date_of_birth.isoformat()
        rows = await self.client.fetch_all("searchPatients", "patients", fields)
        namesakes = []
        for row in rows:
            found = self._patient(ref, row)
            same = (
                found.id
                and fold(found.first_name) == fold(patient.first_name)
                and fold(found.last_name) == fold(patient.last_name)
                and found.date_of_birth == patient.date_of_birth
            )
            if not same:
                continue
            if set(phones) <= set(found.phones) and (
                not patient.email or patient.email.casefold() == (found.email or "").casefold()
            ):
                return found
            namesakes.append(found)
        if strict and namesakes and patient.date_of_birth is not None:
            raise InvalidRequest(
                "a patient with this name and date of birth is already registered with other"
                " details; search for the caller instead of registering them again"
            )
        return None

    # -- appointments ---------------------------------------------------------------------

    async def appointments(self, patient_id: str, window: Window) -> list[Appointment]:
        """The patient's appointments starting in the window, cancelled ones excluded."""
        return await self._book.for_patient(patient_id, window)

    async def book(
        self, slot_id: str, patient_id: str, idempotency_key: str, notes: str = ""
    ) -> Appointment:
        """Book the slot for the patient, once per idempotency key."""
        return await self._book.book(slot_id, patient_id, idempotency_key, notes)

    async def reschedule(
        self, appointment_id: str, slot_id: str, idempotency_key: str
    ) -> Appointment:
        """Move the appointment to the slot, all or nothing, once per idempotency key."""
        return await self._book.reschedule(appointment_id, slot_id, idempotency_key)

    async def cancel(
        self, appointment_id: str, reason: CancellationReason, note: str = ""
    ) -> Appointment:
        """Cancel (Nookal takes no reason); cancelling a cancelled one returns it unchanged."""
        return await self._book.cancel(appointment_id, reason)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.client.aclose()


def create(settings: Mapping[str, Any]) -> NookalAdapter:
    """The `nookal` entry point's factory; the settings keys are in `config`'s docstring."""
    return NookalAdapter(NookalConfig.from_settings(settings))
