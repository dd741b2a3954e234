"""The gateway replica's Prometheus metrics: HTTP requests by route template, and live delivery.

Served at ``/api/v1/metrics`` and, when ``WARDMATE_METRICS_PORT`` is set, at ``/metrics``
on that port (``shared.metrics.serve_metrics``), from one registry per application.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shared.metrics import LATENCY_BUCKETS, Children

# The label of a request that matched no route (404s of unknown paths): a label per raw
# path would let any client grow the series without bound.
UNMATCHED = "unmatched"


class GatewayMetrics:
    """Counters and gauges of one gateway application."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.requests = Counter(
            "wardmate_gateway_requests_total",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "wardmate_gateway_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method (a WebSocket: its whole life)",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "wardmate_gateway_requests_in_flight",
            "HTTP requests being answered (open WebSockets included), by route template",
            ["route"],
            registry=r,
        )
        self.ws_connections = Counter(
            "wardmate_gateway_ws_connections_total", "WebSocket upgrades accepted", registry=r
        )
        self.ws_refused = Counter(
            "wardmate_gateway_ws_refused_total", "Upgraded WebSockets closed for a bad or late auth frame", registry=r
        )
        self.ws_frames_sent = Counter(
            "wardmate_gateway_ws_frames_sent_total", "Live frames written to WebSockets", registry=r
        )
        self.ws_dropped_slow = Counter(
            "wardmate_gateway_ws_dropped_slow_total",
            "WebSockets closed (1013) because the client read too slowly and its queue filled",
            registry=r,
        )
        self.ws_gap_catchups = Counter(
            "wardmate_gateway_ws_gap_catchups_total",
            "Catch-ups asked of messaging for a seq gap that did not fill by itself",
            registry=r,
        )
        self.ws_sockets = Gauge("wardmate_gateway_ws_sockets", "Authenticated WebSockets open", registry=r)
        self.ws_user_subscriptions = Gauge(
            "wardmate_gateway_ws_user_subscriptions",
            "Per-user NATS subscriptions (one per connected user, whatever their sockets)",
            registry=r,
        )
        self.ws_queued_frames = Gauge(
            "wardmate_gateway_ws_queued_frames", "Frames waiting in the sockets' queues", registry=r
        )
        # The per-request children, looked up once each (see shared.metrics.Children).
        self.route_requests = Children(self.requests)
        self.route_latency = Children(self.latency)
        self.route_in_flight = Children(self.in_flight)

    def watch_hub(
        self, sockets: Callable[[], float], subscriptions: Callable[[], float], queued: Callable[[], float]
    ) -> None:
        """Read the live-delivery gauges from the hub when scraped (on the event loop)."""
        self.ws_sockets.set_function(sockets)
        self.ws_user_subscriptions.set_function(subscriptions)
        self.ws_queued_frames.set_function(queued)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """The current value of a sample (0 when it has none yet): for tests and benchmarks."""
        return self.registry.get_sample_value(name, labels) or 0.0
