"""The tools' argument models: what a model (or the guided engine) passes to each tool."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pms_adapters.types import CancellationReason

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12)]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- argument models ------------------------------------------------------------------------


class FindAvailability(_Args):
    appointment_type: Text | None = Field(None, description="Type of appointment, as said.")
    practitioner: Text | None = Field(None, description="Practitioner name, or null for anyone.")
    location: Text | None = None
    when: Text | None = Field(
        None, description="The caller's own words for day/time, e.g. 'next Tuesday arvo'."
    )
    appointment: Ref | None = Field(None, description="Ref of an appointment being moved.")


class IdentifyCaller(_Args):
    full_name: Text
    date_of_birth: Text = Field(description="As the caller said it.")


class RegisterPatient(_Args):
    first_name: Text
    last_name: Text
    date_of_birth: Text
    phone: Text | None = Field(None, description="Null to use the number calling.")


class ListAppointments(_Args):
    when: Text | None = Field(None, description="Narrow to the caller's words, e.g. 'Friday'.")


class BookAppointment(_Args):
    slot: Ref = Field(description="Slot ref from find_availability.")
    confirmed: bool = Field(False, description="True only after the caller said yes.")


class RescheduleAppointment(_Args):
    appointment: Ref
    slot: Ref
    confirmed: bool = False


class CancelAppointment(_Args):
    appointment: Ref
    confirmed: bool = False
    reason: CancellationReason = Field(CancellationReason.PATIENT_REQUEST, description="If said.")


class ClinicInfo(_Args):
    topic: Text = Field(description="e.g. hours, address, parking, prices, or the question.")


class TransferToHuman(_Args):
    reason: Text


class TakeMessage(_Args):
    caller_name: Text
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    callback_number: Text | None = Field(None, description="Null to use the number calling.")
    voicemail: bool = Field(False, description="The caller would rather record a voicemail.")


class EndCall(_Args):
    pass
