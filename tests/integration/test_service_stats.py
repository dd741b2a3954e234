"""``$SRV.STATS`` after known traffic reports the runner's own counts: requests, error
replies, time from receipt to reply (nanoseconds, as micro reports it) and requests in
flight, not micro's timing of a callback that only spawns a task."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared import bus
from shared.contracts.base import Ok
from shared.errors import AppError
from shared.service import Context, ServiceApp
from shared.settings import Settings
from tests.conftest import Infra
from tests.eventually import eventually
from tests.integration.test_plumbing import Sleep, _serve, slow_app

SLEEP_S = 0.05
OK_REQUESTS = 6
NS = 1_000_000_000


def stats_app(name: str) -> ServiceApp:
    """``slow_app`` (sleep, fail with an unexpected exception) plus an endpoint refusing with an AppError."""
    app = slow_app(name)

    @app.endpoint(f"test.{name}.taken", Sleep)
    async def taken(ctx: Context, req: Sleep) -> Ok:
        raise AppError("conflict", "already taken")

    return app


@pytest.fixture
async def nc(infra: Infra) -> AsyncIterator[bus.NATS]:
    conn = await bus.connect(infra.nats_url, "stats-test")
    yield conn
    await conn.close()


@pytest.fixture
async def service(infra: Infra, fresh_db: str) -> AsyncIterator[str]:
    """A running ``stats_app``; its name."""
    name = f"stats{uuid.uuid4().hex[:6]}"
    stop, task = await _serve(stats_app(name), Settings(database_url=fresh_db, nats_url=infra.nats_url))
    yield name
    stop.set()
    await task


async def endpoint_stats(nc: bus.NATS, name: str) -> dict[str, dict[str, Any]]:
    """The service's ``$SRV.STATS`` reply, per endpoint name."""
    reply = await nc.request(f"$SRV.STATS.{name}", b"", timeout=2)
    stats = json.loads(reply.data)
    return {endpoint["name"]: endpoint for endpoint in stats["endpoints"]}


async def test_stats_count_requests_errors_and_time_of_the_work(nc: bus.NATS, service: str) -> None:
    """After ok, crashing, refused and invalid requests, STATS shows their counts, error replies and real time."""
    await asyncio.gather(
        *(bus.request(nc, f"test.{service}.sleep", {"seconds": SLEEP_S}, Ok) for _ in range(OK_REQUESTS))
    )
    for _ in range(2):
        with pytest.raises(AppError, match="internal error"):
            await bus.request(nc, f"test.{service}.fail", {"seconds": 0}, Ok)
    with pytest.raises(AppError, match="already taken"):
        await bus.request(nc, f"test.{service}.taken", {"seconds": 0}, Ok)
    with pytest.raises(AppError, match="invalid request"):
        await bus.request(nc, f"test.{service}.sleep", {"seconds": "long"}, Ok)

    stats = await endpoint_stats(nc, service)

    sleep = stats["sleep"]
    assert (sleep["num_requests"], sleep["num_errors"]) == (OK_REQUESTS + 1, 1)
    assert sleep["last_error"] == "400:invalid request"
    # Each ok request slept SLEEP_S; micro alone would report microseconds in total.
    assert sleep["processing_time"] >= OK_REQUESTS * SLEEP_S * NS
    assert sleep["average_processing_time"] == sleep["processing_time"] // (OK_REQUESTS + 1)
    assert sleep["data"] == {"in_flight": 0}

    fail = stats["fail"]
    assert (fail["num_requests"], fail["num_errors"], fail["last_error"]) == (2, 2, "500:internal error")
    assert fail["data"] == {"in_flight": 0}

    taken = stats["taken"]
    assert (taken["num_requests"], taken["num_errors"], taken["last_error"]) == (1, 1, "409:already taken")
    assert taken["average_processing_time"] == taken["processing_time"] > 0


async def test_stats_show_requests_in_flight(nc: bus.NATS, service: str) -> None:
    """While three slow requests run STATS counts three in flight, and none once they are answered."""
    slow = [
        asyncio.create_task(bus.request(nc, f"test.{service}.sleep", {"seconds": 1.0}, Ok, timeout=10))
        for _ in range(3)
    ]
    stats = await eventually(
        lambda: endpoint_stats(nc, service),
        5,
        what="three requests in flight",
        until=lambda s: s["sleep"]["data"]["in_flight"] >= 3,
        interval=0.02,
    )
    assert stats["sleep"]["data"]["in_flight"] == 3
    await asyncio.gather(*slow)

    sleep = (await endpoint_stats(nc, service))["sleep"]
    assert sleep["data"] == {"in_flight": 0}
    assert (sleep["num_requests"], sleep["num_errors"]) == (3, 0)
    assert sleep["average_processing_time"] >= 1.0 * NS
