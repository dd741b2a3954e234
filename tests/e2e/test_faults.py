"""Fault tests: a service restarted under load, and the NATS server restarted."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import Iterator

import pytest
from nats.errors import TimeoutError as NatsTimeoutError

from services.runner import Stack
from shared import bus
from shared.embedded import start_nats
from tests.api import Api, User
from tests.conftest import TEST_ENV, Infra
from tests.e2e.helpers import create_listing, listing_body, request_stay


async def _wait_healthy(api: Api, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (await api.call("GET", "/health")).status != 200:
        assert time.monotonic() < deadline, "system did not recover"
        await asyncio.sleep(0.2)


async def replicas(nats_url: str, service: str, want: int, timeout: float = 30) -> None:
    """Wait until ``want`` replicas of ``service`` answer ``$SRV.PING`` (all of them reply
    to one ping: count the answers that arrive within a short window)."""
    nc = await bus.connect(nats_url, "replica-probe")
    try:
        deadline = time.monotonic() + timeout
        while True:
            inbox = nc.new_inbox()
            sub = await nc.subscribe(inbox)
            await nc.publish(f"$SRV.PING.{service}", b"", reply=inbox)
            ids = set()
            with contextlib.suppress(TimeoutError, NatsTimeoutError):
                while True:
                    msg = await sub.next_msg(timeout=0.3)
                    ids.add(json.loads(msg.data)["id"])
            await sub.unsubscribe()
            if len(ids) == want:
                return
            assert time.monotonic() < deadline, f"{len(ids)} replicas of {service} answer, not {want}"
    finally:
        await nc.close()


async def test_listings_restarted_under_load_loses_no_accepted_request(api: Api, stack: Stack) -> None:
    """With two replicas, stopping and restarting one under load drops no request, and
    every request answered 201 is stored."""
    assert stack.nats_url
    stack.start("listings", index=1)
    # Both in the queue group before one stops: under load on 2 cores a replica can take
    # seconds to start, and with none subscribed a request is answered 503.
    await replicas(stack.nats_url, "listings", 2)
    host = await api.signup("professional")
    results: list[int] = []
    created: list[str] = []
    stop = asyncio.Event()

    async def worker(n: int) -> None:
        i = 0
        while not stop.is_set():
            r = await api.call("POST", "/listings", host, json=listing_body(title=f"Load {n}-{i}"))
            results.append(r.status)
            if r.status == 201:
                created.append(r.body["id"])
            i += 1

    load = asyncio.gather(*(worker(n) for n in range(8)))
    await asyncio.sleep(0.5)
    # Graceful: it drains what it received and exits by itself (0), well before a kill.
    assert stack.stop_process("listings", signal.SIGTERM, timeout=10) == 0
    done_at_stop = len(results)
    stack.start("listings")
    await replicas(stack.nats_url, "listings", 2)
    await asyncio.sleep(1)  # the restarted replica serves some of the load too
    assert stack.stop_process("listings-1", signal.SIGTERM, timeout=10) == 0
    await asyncio.sleep(1)
    stop.set()
    await load
    await _wait_healthy(api)

    assert 0 < done_at_stop < len(results), "the restart did not happen under load"
    assert results.count(201) == len(results), sorted(set(results))
    stored, cursor = set(), None
    while True:
        page = await api.call(
            "GET", "/me/listings", host, params={"limit": "100", **({"cursor": cursor} if cursor else {})}
        )
        stored |= {item["id"] for item in page.body["items"]}
        cursor = page.body["next_cursor"]
        if not cursor:
            break
    assert stored == set(created)


@pytest.fixture
def own_nats_stack(infra: Infra) -> Iterator[Stack]:
    """A second system with a NATS server of its own, so restarting it spares the others."""
    url = infra.create_database("fault")
    system = Stack(infra.data_dir / url.rsplit("/", 1)[1], database_url=url, extra_env=TEST_ENV)
    with system.running():
        yield system


async def test_nats_restart_fails_fast_then_recovers(own_nats_stack: Stack) -> None:
    """While NATS is down requests fail fast with 503; after it returns, everything works,
    including events written during the outage."""
    stack = own_nats_stack
    async with Api(stack.url) as api:
        host = await api.signup("professional")
        student = await api.signup("student")
        listing = await create_listing(api, host)
        assert stack.nats is not None
        port = stack.nats.port
        stack.nats.stop()

        started = time.monotonic()
        down = await api.call("GET", "/me", host)
        assert down.status == 503 and down.error_code == "unavailable", down.body
        assert time.monotonic() - started < 1.0
        health = await api.call("GET", "/health")
        assert health.status == 503

        await asyncio.sleep(3)  # past a few reconnect attempts
        stack.nats = start_nats(stack.data_dir / "nats", port=port)
        await _wait_healthy(api)

        booking = await request_stay(api, student, listing["id"])
        assert booking.status == 201, booking.body
        accepted = await api.call("POST", f"/bookings/{booking.body['id']}/accept", host)
        assert accepted.status == 200
        again: User = await api.signup("student")
        assert again.token
