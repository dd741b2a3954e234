"""The rate limit through a real gateway: an in-process app on the session's NATS."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from services.gateway.app import create_app
from services.runner import Stack
from shared import bus
from shared.settings import Settings


async def test_a_client_over_its_rate_gets_429_with_retry_after(stack: Stack) -> None:
    """Past its burst a client gets 429, a JSON error and Retry-After; the services are real."""
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "rate-limit-test")
    settings = Settings(rate_limit_per_s=1, rate_limit_burst=3)
    client = TestClient(TestServer(create_app(settings, nc)))
    await client.start_server()
    try:
        statuses = []
        for _ in range(4):
            r = await client.get("/api/v1/hospitals", params={"q": "mayo"})
            statuses.append(r.status)
        assert statuses == [200, 200, 200, 429]
        body = await r.json()
        assert body["error"]["code"] == "rate_limited" and r.headers["Retry-After"] == "1"
    finally:
        await client.close()
        await nc.close()
