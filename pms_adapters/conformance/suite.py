"""`ConformanceSuite`: every check, for a vendor's test class to inherit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pms_adapters.conformance.booking import BookingChecks
from pms_adapters.conformance.error_mapping import ErrorMappingChecks
from pms_adapters.conformance.kit import Kit, open_kit
from pms_adapters.conformance.patients import PatientChecks
from pms_adapters.conformance.reference import ReferenceDataChecks
from pms_adapters.conformance.sandbox import Sandbox
from pms_adapters.conformance.slots import SlotSearchChecks


# pytest collects inherited checks from the last base to the first: this order runs the
# reference data first and the error mapping last.
class ConformanceSuite(
    ErrorMappingChecks, BookingChecks, PatientChecks, SlotSearchChecks, ReferenceDataChecks
):
    """The conformance kit's checks; subclass it as `Test...` and define the sandbox fixture.

    The subclass provides a fixture named `conformance_sandbox` (plain or async) that
    returns or yields a `Sandbox`. Keep it function-scoped, as pytest 9 deprecates wider
    scopes for fixtures that are methods; to share an expensive client, have it request a
    module-level fixture of wider scope. The checks run on anyio's pytest plugin with the
    asyncio backend; override `anyio_backend` to choose another.
    """

    @pytest.fixture
    def anyio_backend(self) -> str:
        """The event loop the checks run on."""
        return "asyncio"

    @pytest.fixture
    async def kit(self, conformance_sandbox: Sandbox) -> AsyncIterator[Kit]:
        """One check's view of the sandbox; it cancels what the check booked."""
        if not isinstance(conformance_sandbox, Sandbox):
            pytest.fail(
                "the conformance_sandbox fixture gave a"
                f" {type(conformance_sandbox).__name__}; it must return or yield a Sandbox"
            )
        async with open_kit(conformance_sandbox) as kit:
            yield kit
