"""Practice-management-system adapters: one contract for Cliniko, Nookal, the diary and plugins.

- `pms_adapters.contract.PMSAdapter`: the async `typing.Protocol` every adapter implements;
- `pms_adapters.types`: its domain types (string ids, aware UTC datetimes);
- `pms_adapters.errors`: the one error tree adapters raise;
- `pms_adapters.registry`: discovery through the `receptionist.pms_adapters` entry points;
- `pms_adapters.resilience.ResilientPMS`: timeouts, read retries, request budget, availability
  cache and metrics around any adapter;
- `pms_adapters.diary_adapter.DiaryAdapter`: the built-in diary behind the contract;
- `pms_adapters.conformance`: the kit an adapter runs against a sandbox of its system.
"""
