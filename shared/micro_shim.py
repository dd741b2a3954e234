"""Everything the runner relies on in nats.micro beyond its public API, in one place.

nats-py is pinned to ``NATS_PY_VERSION`` in pyproject.toml because of what is here, and
tests/integration/test_micro_shim.py fails when an upgrade moves any of it:

- Draining an endpoint: micro's only way out is ``Service.stop()``, which unsubscribes and
  drops the requests still in nats-py's pending queue, so their callers would time out
  although a replica was there to serve them. The subscriptions to drain are private:
  ``Service._endpoints[i]._subscription``.
- Statistics: micro times and counts its endpoint callback, and the runner's callback only
  spawns a task, so micro's own numbers say ~18 µs and no errors. ``$SRV.STATS`` is
  answered from ``Service.stats()`` (``Service._handle_stats_request``), so a subclass
  that overrides ``stats()`` makes both report the runner's counts; ``stats_handler`` could
  only add a ``data`` field.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from nats.aio.client import Client as NATS
from nats.aio.subscription import Subscription
from nats.micro.service import EndpointStats, Service, ServiceConfig, ServiceStats

NATS_PY_VERSION = "2.16.0"

EndpointReport = Callable[[EndpointStats], EndpointStats]


class ReportingService(Service):
    """A micro service whose per-endpoint statistics are rewritten by ``report``."""

    def __init__(self, nc: NATS, config: ServiceConfig, report: EndpointReport) -> None:
        super().__init__(nc, config)
        self._wardmate_report = report

    def stats(self) -> ServiceStats:
        stats = super().stats()
        stats.endpoints = [self._wardmate_report(endpoint) for endpoint in stats.endpoints]
        return stats


async def add_reporting_service(nc: NATS, config: ServiceConfig, report: EndpointReport) -> ReportingService:
    """``nats.micro.add_service``, with statistics from ``report``."""
    service = ReportingService(nc, config, report)
    await service.start()
    return service


def endpoint_subscriptions(service: Service) -> list[Subscription]:
    """The live subscriptions of ``service``'s endpoints (micro keeps them private)."""
    # Direct attribute access, not getattr with a default: a rename must fail loudly,
    # not turn a graceful stop into one that silently drops requests.
    subscriptions: list[Subscription] = []
    for endpoint in service._endpoints:
        if endpoint._subscription is not None:
            subscriptions.append(endpoint._subscription)
    return subscriptions


async def drain_endpoints(service: Service) -> None:
    """Unsubscribe ``service``'s endpoints after handing every message already received to
    their callbacks."""
    for subscription in endpoint_subscriptions(service):
        # Already closed (a second stop) or the connection is gone: nothing left to hand over.
        with contextlib.suppress(Exception):
            await subscription.drain()  # type: ignore[no-untyped-call]
