"""`ClinikoAdapter`: Cliniko behind the adapter contract.

Mapping: a Cliniko business is a `Location` (its `time_zone_identifier` is the zone), a
practitioner a `Practitioner` (the businesses they work at as `location_ids`), an appointment
type an `AppointmentType` (`show_in_online_bookings` -> `bookable_by_phone`; "existing patients
only" in its category or description, or the `existing_patients_only_type_ids` setting ->
`new_patients_allowed=False`). Ids are Cliniko's, as strings.

The parts: `client` (HTTP, budget, errors), `reference` (cached reference data),
`availability` (find_slots), `patients` (search, phone index, registration), `booking`
(book / reschedule / cancel without duplicates), `keys` (idempotency keys in this process).
"""

from __future__ import annotations

from pms_adapters.cliniko.availability import Availability
from pms_adapters.cliniko.booking import Bookings
from pms_adapters.cliniko.client import ClinikoClient
from pms_adapters.cliniko.config import ClinikoConfig
from pms_adapters.cliniko.patients import Patients
from pms_adapters.cliniko.reference import ReferenceCache
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


class ClinikoAdapter:
    """The adapter contract over one Cliniko account (optionally some of its businesses)."""

    name = "cliniko"

    def __init__(self, config: ClinikoConfig, *, client: ClinikoClient | None = None) -> None:
        self.config = config
        self.client = client or ClinikoClient(
            api_key=config.api_key,
            base_url=config.base_url,
            user_agent=config.user_agent,
            timeout=config.timeout,
            budget=config.budget,
            max_rate_limit_wait=config.max_rate_limit_wait,
        )
        self.reference = ReferenceCache(
            self.client,
            config.business_ids,
            config.existing_patients_only_type_ids,
            ttl=config.reference_ttl,
            fallback_zone=config.timezone,
            max_concurrency=config.max_concurrency,
        )
        codec = SlotCodec(config.slot_secret)
        self.availability = Availability(
            self.client, self.reference, codec, config.clock, config.max_concurrency
        )
        self.patients = Patients(self.client, self.region, config.write_settle_delay)
        self.bookings = Bookings(
            self.client,
            self.reference,
            self.availability,
            self.patients,
            codec,
            config.clock,
            config.write_settle_delay,
        )
        self._capabilities = Capabilities(
            native_idempotency=False,
            holds=False,
            reschedule_in_place=False,
            cancellation_reasons=True,
            create_patients=True,
            max_slot_window_days=config.max_slot_window_days,
        )

    def __repr__(self) -> str:
        return f"ClinikoAdapter({self.config.base_url!r})"

    @property
    def capabilities(self) -> Capabilities:
        """No native idempotency or holds; moves across practitioners get a new id."""
        return self._capabilities

    async def region(self) -> str:
        """The default region for phone numbers: configured, else the first business's."""
        if self.config.default_region:
            return self.config.default_region
        return (await self.reference.get()).country() or "AU"

    async def locations(self) -> list[Location]:
        """The businesses this connection covers."""
        return list((await self.reference.get()).locations.values())

    async def practitioners(self) -> list[Practitioner]:
        """Active practitioners working at those businesses."""
        return list((await self.reference.get()).practitioners.values())

    async def appointment_types(self) -> list[AppointmentType]:
        """Active one-to-one appointment types."""
        return list((await self.reference.get()).types.values())

    async def find_slots(self, query: SlotQuery) -> list[Slot]:
        """Free slots from Cliniko's available times, in time order."""
        return await self.availability.find(query)

    async def find_patients(self, query: PatientQuery) -> list[Patient]:
        """Patients matching every criterion given, best match first."""
        return await self.patients.find(query)

    async def create_patient(self, patient: NewPatient, idempotency_key: str) -> Patient:
        """Register a patient; the same key returns the same patient."""
        return await self.patients.create(patient, idempotency_key)

    async def appointments(self, patient_id: str, window: Window) -> list[Appointment]:
        """The patient's appointments starting in the window, cancelled ones excluded."""
        return await self.bookings.appointments(patient_id, window)

    async def book(
        self, slot_id: str, patient_id: str, idempotency_key: str, notes: str = ""
    ) -> Appointment:
        """Book the slot for the patient (see `pms_adapters.cliniko.booking`)."""
        return await self.bookings.book(slot_id, patient_id, idempotency_key, notes)

    async def reschedule(
        self, appointment_id: str, slot_id: str, idempotency_key: str
    ) -> Appointment:
        """Move the appointment to the slot, all or nothing."""
        return await self.bookings.reschedule(appointment_id, slot_id, idempotency_key)

    async def cancel(
        self, appointment_id: str, reason: CancellationReason, note: str = ""
    ) -> Appointment:
        """Cancel with a reason code; cancelling a cancelled appointment returns it."""
        return await self.bookings.cancel(appointment_id, reason, note)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.client.aclose()
