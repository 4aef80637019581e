"""Per-adapter metrics in Prometheus format: requests, their outcome and latency, cache hits.

Each `AdapterMetrics` registers its collectors in one `CollectorRegistry` (a fresh one unless
given), so share one instance between adapters (the `adapter` label tells them apart) rather
than building two on the same registry. Outcomes are "ok" or the class name of a `PMSError`;
anything else was already mapped to `PMSUnavailable`, which keeps label values few.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The HTTP Content-Type of `AdapterMetrics.exposition()`."""

# A PMS answers in tens to hundreds of milliseconds; the top buckets catch timeouts.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class AdapterMetrics:
    """Counters and histograms for PMS adapter requests, in one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._requests = Counter(
            "pms_adapter_requests",
            "Requests sent to a PMS adapter (each retry counts), by outcome.",
            ["adapter", "operation", "outcome"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "pms_adapter_request_duration_seconds",
            "Time a PMS adapter took to answer one request, failures included.",
            ["adapter", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._cache_hits = Counter(
            "pms_adapter_cache_hits",
            "find_slots answers served from the availability cache.",
            ["adapter"],
            registry=self.registry,
        )

    def observe(self, adapter: str, operation: str, outcome: str, seconds: float) -> None:
        """Record one request to an adapter: how it ended and how long it took."""
        self._requests.labels(adapter=adapter, operation=operation, outcome=outcome).inc()
        self._latency.labels(adapter=adapter, operation=operation).observe(seconds)

    def cache_hit(self, adapter: str) -> None:
        """Record a `find_slots` answered from the cache."""
        self._cache_hits.labels(adapter=adapter).inc()

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format (serve it with `CONTENT_TYPE`)."""
        return generate_latest(self.registry)
