"""The Nookal adapter: Nookal's v2 API behind the adapter contract (see `adapter`).

Register it with the entry point `nookal = "pms_adapters.nookal:create"`; `create(settings)`
takes the keys listed in `pms_adapters.nookal.config`. `check.describe(adapter)` reports what a
connection can see, for `receptionist pms check`.
"""

from pms_adapters.nookal.adapter import NookalAdapter, create
from pms_adapters.nookal.config import NookalConfig

__all__ = ["NookalAdapter", "NookalConfig", "create"]
