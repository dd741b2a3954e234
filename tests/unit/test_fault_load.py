"""The fault load's retry rule (bench/lib/cluster_load.py), against a local aiohttp server
that answers as a gateway does while a replica dies: a 409 to a retry of a request or an
accept means the first attempt was done; a 409 to a first attempt is a failure."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.lib.cluster_load import Client, Run

BOOKING = "6a1f3c1e-4d1e-4c55-9a43-2f1f8f0b9f11"


def conflict(details: dict[str, str]) -> web.Response:
    body = {"error": {"code": "conflict", "message": "already", "details": details}}
    return web.json_response(body, status=409)


@pytest.fixture
async def base() -> AsyncIterator[str]:
    """A server whose first answer to each path is a 504 (the gateway's timeout while the
    first attempt went through) and whose next is the 409 a duplicate gets."""
    seen: set[str] = set()

    async def handler(request: web.Request) -> web.Response:
        if request.path not in seen:
            seen.add(request.path)
            return web.json_response({"error": {"code": "unavailable"}}, status=504)
        return conflict({"booking_id": BOOKING, "status": "requested"})

    async def once(request: web.Request) -> web.Response:
        return conflict({"booking_id": BOOKING, "status": "requested"})

    app = web.Application()
    app.router.add_post("/api/v1/once", once)
    app.router.add_post("/api/v1/{tail:.*}", handler)
    server = TestServer(app)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def test_a_retried_request_refused_as_a_duplicate_is_the_booking_it_names(base: str) -> None:
    run = Run()
    async with aiohttp.ClientSession() as http:
        client = Client(http, [base], 0, run)
        booking = await client.retried("request", "POST", "/listings/x/bookings", {})
        accepted = await client.retried("accept", "POST", f"/bookings/{BOOKING}/accept")
    assert booking == {"id": BOOKING}
    assert accepted == {}
    assert dict(run.failed) == {504: 2} and run.unrecovered == []


async def test_a_first_attempt_refused_is_a_failure(base: str) -> None:
    run = Run()
    async with aiohttp.ClientSession() as http:
        assert await Client(http, [base], 0, run).retried("request", "POST", "/once", {}) is None
    assert dict(run.failed) == {409: 1} and len(run.unrecovered) == 1
