"""The conformance kit: a pytest suite any adapter runs against a sandbox of its own system.

It checks reference data, slot search, patient search and create, book / reschedule / cancel,
a race of two bookings for one slot, retried writes with one idempotency key (one appointment,
not two), stale and forged slot ids, and the error mapping (every failure a `PMSError`, the
right one). Each failure says what the adapter did wrong, e.g. "two bookings of one slot, made
at the same time with different idempotency keys, both succeeded: the adapter double-books".

Running it against your adapter (this part is for the README)::

    # tests/test_conformance.py in your adapter's package
    from datetime import UTC, datetime, timedelta

    import pytest

    from mypms import MyPMS
    from pms_adapters.conformance import ConformanceSuite, Sandbox
    from pms_adapters.types import Window

    class TestMyPMS(ConformanceSuite):
        @pytest.fixture
        async def conformance_sandbox(self):
            adapter = MyPMS(api_key="...", base_url="https://sandbox.mypms.example")
            yield Sandbox(
                adapter=adapter,
                appointment_type_id="42",  # a type with free time in the window below
                window=Window.next_days(datetime.now(UTC) + timedelta(days=1), 7),
            )
            await adapter.aclose()

Install `clinic-receptionist[dev]` (pytest; anyio's plugin comes with anyio) and run
`pytest tests/test_conformance.py`. The kit books, moves and cancels inside that window,
cancelling what it booked when each check ends, and registers patients named "Conformance
Test <Token>" with fictional phone numbers (`Sandbox.new_patient` changes that): point it at a
sandbox, never at a live clinic. An adapter that cannot create patients gives
`Sandbox(patient_id=...)` instead.

Layout: `sandbox` (what the vendor provides), `checked` (every call must answer in time, with
the contract's types, raising only `PMSError`), `kit` (one check's helpers and clean-up), one
module of checks per concern, and `suite`, which combines them into `ConformanceSuite`. The kit
speaks only the contract, so it imports nothing from the diary or the receptionist.
"""

from pms_adapters.conformance.kit import Kit
from pms_adapters.conformance.sandbox import Sandbox, conformance_patient
from pms_adapters.conformance.suite import ConformanceSuite

__all__ = ["ConformanceSuite", "Kit", "Sandbox", "conformance_patient"]
