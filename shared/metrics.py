"""Prometheus metrics of one Wardmate process (prometheus-client), scraped on its own port.

Every process (each service replica, each gateway replica) keeps its metrics in a
registry of its own and serves them at ``/metrics`` on ``WARDMATE_METRICS_PORT``; the
gateway also answers ``/api/v1/metrics`` from the same registry. A registry per process
object rather than prometheus-client's global one, because the tests run several
services and gateways in one interpreter.

Names follow Prometheus conventions: ``wardmate_`` prefix, base units (seconds),
``_total`` on counters. Values that live elsewhere (the outbox's unsent rows, a durable
consumer's pending events, the dead letters waiting in their stream) are read when
Prometheus scrapes, by an async ``refresh`` on the event loop, bounded by a timeout so a
scrape never hangs on a dead Postgres or NATS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import asyncpg
from aiohttp import web
from nats.aio.client import Client as NATS
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.aiohttp import make_aiohttp_handler

from shared.bus import DEAD_LETTERS_PREFIX, DEAD_LETTERS_STREAM, EVENTS_STREAM

log = logging.getLogger(__name__)

# prometheus-client's default buckets: 5 ms to 10 s, the conventional web-request spread.
LATENCY_BUCKETS = Histogram.DEFAULT_BUCKETS
# A scrape waits at most this long for the values read from Postgres and NATS.
REFRESH_TIMEOUT_S = 2.0

Refresh = Callable[[], Awaitable[None]]

M = TypeVar("M", Counter, Gauge, Histogram)


class Children(Generic[M]):
    """A labelled metric's children, each looked up once: prometheus-client's ``labels``
    checks the values and takes a lock on every call, a cost paid per request on the hot
    paths (the label sets are few: routes, methods, statuses, subjects, outcomes)."""

    def __init__(self, metric: M) -> None:
        self.metric: M = metric
        self.held: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self.held.get(values)
        if child is None:
            child = self.held[values] = self.metric.labels(*values)
        return child


class ServiceMetrics:
    """What a service replica reports: its NATS endpoints, outbox, consumers and pool.

    The endpoint metrics are fed by the runner at the points that also feed ``$SRV.STATS``
    (``shared.serving.EndpointCounts``): one measurement, two reports.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "wardmate_service_requests_total",
            "Requests answered, by NATS endpoint and outcome (ok or the error code)",
            ["endpoint", "code"],
            registry=r,
        )
        self.latency = Histogram(
            "wardmate_service_request_duration_seconds",
            "Time from receipt to reply, by NATS endpoint (includes the wait for a handler slot)",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "wardmate_service_requests_in_flight", "Requests received and not yet answered", ["endpoint"], registry=r
        )
        self.outbox_unsent = Gauge("wardmate_outbox_unsent_events", "Outbox rows not yet published", registry=r)
        self.outbox_age = Gauge(
            "wardmate_outbox_oldest_unsent_age_seconds",
            "Age of the oldest outbox row not yet published (0 when none)",
            registry=r,
        )
        self.consumer_pending = Gauge(
            "wardmate_consumer_pending_events",
            "Events in the stream not yet delivered to the durable consumer (its lag)",
            ["consumer"],
            registry=r,
        )
        self.consumer_ack_pending = Gauge(
            "wardmate_consumer_ack_pending_events",
            "Events delivered to the durable consumer and not yet acknowledged",
            ["consumer"],
            registry=r,
        )
        self.consumer_events = Counter(
            "wardmate_consumer_events_total",
            "Events handled by this replica's consumers: applied, duplicate (inbox hit), retried, dead_lettered",
            ["consumer", "outcome"],
            registry=r,
        )
        self.dead_letters = Gauge(
            "wardmate_dead_letters",
            "Dead letters of the consumer waiting in the dead-letter stream (list and replay them)",
            ["consumer"],
            registry=r,
        )
        self.pool_connections = Gauge(
            "wardmate_db_pool_connections", "Postgres connections of this process by state", ["state"], registry=r
        )
        self.pool_max = Gauge("wardmate_db_pool_max_connections", "Size limit of the Postgres pool", registry=r)

    def refresher(self, pool: asyncpg.Pool, nc: NATS, consumers: Sequence[str]) -> Refresh:
        """The scrape-time reading of the outbox, the consumers' lag, dead letters and the pool."""

        async def outbox() -> None:
            row = await pool.fetchrow(
                "SELECT count(*) AS n, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age"
                " FROM outbox WHERE sent_at IS NULL"
            )
            assert row is not None
            self.outbox_unsent.set(row["n"])
            self.outbox_age.set(max(row["age"] or 0.0, 0.0))

        async def consumer(name: str) -> None:
            js = nc.jetstream()
            info = await js.consumer_info(EVENTS_STREAM, name)
            self.consumer_pending.labels(name).set(info.num_pending or 0)
            self.consumer_ack_pending.labels(name).set(info.num_ack_pending or 0)
            stream = await js.stream_info(DEAD_LETTERS_STREAM, subjects_filter=f"{DEAD_LETTERS_PREFIX}.{name}.>")
            self.dead_letters.labels(name).set(sum((stream.state.subjects or {}).values()))

        async def refresh() -> None:
            size, idle = pool.get_size(), pool.get_idle_size()
            self.pool_connections.labels("busy").set(size - idle)
            self.pool_connections.labels("idle").set(idle)
            self.pool_max.set(pool.get_max_size())
            results = await asyncio.gather(outbox(), *(consumer(name) for name in consumers), return_exceptions=True)
            for result in results:
                if isinstance(result, Exception):
                    # Stale values are still served; the log says why they did not move.
                    log.debug("metrics refresh failed: %r", result)

        return refresh


def metrics_handler(
    registry: CollectorRegistry, refresh: Refresh | None = None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler for ``registry`` in the Prometheus text format, after ``refresh``."""
    render = make_aiohttp_handler(registry, disable_compression=True)

    async def handle(request: web.Request) -> web.Response:
        if refresh is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REFRESH_TIMEOUT_S):
                    await refresh()
        return await render(request)  # type: ignore[return-value]

    return handle


@contextlib.asynccontextmanager
async def serve_metrics(
    registry: CollectorRegistry, host: str, port: int | None, refresh: Refresh | None = None
) -> AsyncIterator[None]:
    """Serve ``/metrics`` on ``host:port`` for the life of the block (nothing when port is None)."""
    if port is None:
        yield
        return
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler(registry, refresh))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("metrics served", extra={"fields": {"port": port}})
        yield
    finally:
        await runner.cleanup()
