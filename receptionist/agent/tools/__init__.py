"""The receptionist's tools: argument models, handlers and the guardrails they enforce.

The rules live here, not in the prompt:
- booking, moving or cancelling needs a patient identified in this call (full name and date of
  birth); a caller only ever sees and changes their own appointments;
- a booking or move uses only a slot offered in this call, and any write happens only after a
  read-back the caller answered yes to: the first call returns the read-back, the second (with
  `confirmed: true`) checks the caller's own words since then;
- writes carry an idempotency key made from the call and the request, so a repeated tool call
  returns the same appointment instead of making a second one;
- the cancellation policy comes back from the cancel tool as a notice to relay;
- dates are resolved in code (`receptionist.agent.dates`), in the clinic's zone.
"""

from __future__ import annotations

from typing import Any

from receptionist.agent.describe import describe_slot, speak_slots
from receptionist.agent.toolbox import Tool
from receptionist.agent.tools.appointments import (
    book_appointment,
    cancel_appointment,
    list_appointments,
    reschedule_appointment,
)
from receptionist.agent.tools.arguments import (
    BookAppointment,
    CancelAppointment,
    ClinicInfo,
    EndCall,
    FindAvailability,
    IdentifyCaller,
    ListAppointments,
    RegisterPatient,
    RescheduleAppointment,
    TakeMessage,
    TransferToHuman,
)
from receptionist.agent.tools.availability import find_availability
from receptionist.agent.tools.desk import clinic_info, end_call, take_message, transfer_to_human
from receptionist.agent.tools.guards import idempotency_key
from receptionist.agent.tools.patients import identify_caller, register_patient

TOOLS: tuple[Tool[Any], ...] = (
    Tool(
        "find_availability",
        "Find free appointment times.",
        FindAvailability,
        find_availability,
    ),
    Tool(
        "identify_caller",
        "Identify the caller by name and date of birth.",
        IdentifyCaller,
        identify_caller,
    ),
    Tool("register_patient", "Register a new patient.", RegisterPatient, register_patient),
    Tool(
        "list_appointments",
        "The identified caller's upcoming appointments.",
        ListAppointments,
        list_appointments,
    ),
    Tool(
        "book_appointment",
        "Book an offered slot; read back first.",
        BookAppointment,
        book_appointment,
    ),
    Tool(
        "reschedule_appointment",
        "Move the caller's appointment to an offered slot.",
        RescheduleAppointment,
        reschedule_appointment,
    ),
    Tool(
        "cancel_appointment",
        "Cancel the caller's appointment.",
        CancelAppointment,
        cancel_appointment,
    ),
    Tool(
        "clinic_info",
        "Hours, address, parking, prices, policies, FAQs.",
        ClinicInfo,
        clinic_info,
    ),
    Tool(
        "transfer_to_human",
        "Put the caller through to staff.",
        TransferToHuman,
        transfer_to_human,
    ),
    Tool("take_message", "Take a message for staff.", TakeMessage, take_message),
    Tool("end_call", "End the call after saying goodbye.", EndCall, end_call),
)


__all__ = ["TOOLS", "describe_slot", "idempotency_key", "speak_slots"]
