"""Prometheus metrics of the running system: every process on its own port, the gateway's
/api/v1/metrics, and a real Prometheus (Debian's package) scraping them all."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from services.runner import SERVICES_WITH_SCHEMA, Stack
from shared import subjects
from tests.api import Api, User
from tests.eventually import eventually
from tests.prometheus import run_prometheus

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(http: aiohttp.ClientSession, url: str, user: User | None = None) -> Samples:
    """Every sample at ``url`` (Prometheus text), by name and labels."""
    headers = {"Authorization": f"Bearer {user.token}"} if user else {}
    async with http.get(url, headers=headers) as r:
        assert r.status == 200, await r.text()
        assert r.content_type == "text/plain"
        text = await r.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def metrics_url(stack: Stack, key: str) -> str:
    return f"http://127.0.0.1:{stack.metrics_ports[key]}/metrics"


async def test_gateway_counts_requests_by_route_template_and_status(api: Api, stack: Stack, admin: User) -> None:
    """/api/v1/metrics is the gateway's Prometheus endpoint, for operators: a 404 on
    /listings/{id} counts under the route template, not the raw path, with its status and a
    latency sample; the metrics port serves the same registry."""
    assert api.http
    route = {"route": "/api/v1/listings/{id}", "method": "GET"}
    before = await scrape(api.http, f"{stack.url}/api/v1/metrics", admin)
    for _ in range(3):
        r = await api.call("GET", f"/listings/{uuid.uuid4()}")
        assert r.status == 404
    after = await scrape(api.http, f"{stack.url}/api/v1/metrics", admin)
    name = "wardmate_gateway_requests_total"
    assert value(after, name, **route, status="404") - value(before, name, **route, status="404") == 3
    count = "wardmate_gateway_request_duration_seconds_count"
    assert value(after, count, **route) - value(before, count, **route) == 3
    assert not any(dict(labels).get("route", "").count("-") >= 4 for _, labels in after), "a raw id as a label"
    on_port = await scrape(api.http, metrics_url(stack, "gateway"))
    assert value(on_port, name, **route, status="404") >= value(after, name, **route, status="404")
    # The scrape itself is in flight while it renders.
    assert value(after, "wardmate_gateway_requests_in_flight", route="/api/v1/metrics") == 1


async def test_only_operators_read_the_gateways_metrics(api: Api) -> None:
    """Per-route counts are the platform's activity: anonymous callers get a 401 and other
    roles a 403, each with the JSON error body."""
    anonymous = await api.call("GET", "/metrics")
    assert anonymous.status == 401 and anonymous.body["error"]["code"] == "unauthorized"
    for role in ("student", "professional"):
        refused = await api.call("GET", "/metrics", await api.signup(role=role))
        assert refused.status == 403 and refused.body["error"]["code"] == "forbidden"


async def test_every_service_replica_serves_its_own_metrics(api: Api, stack: Stack) -> None:
    """Each service process answers on its metrics port: accounts counts a signup (ok) and a
    duplicate (conflict) with latencies; every service reports its outbox, its consumers'
    lag and dead letters, and its Postgres pool."""
    assert api.http
    before = await scrape(api.http, metrics_url(stack, "accounts"))
    user = await api.signup()
    again = await api.call(
        "POST",
        "/auth/signup",
        json={"email": user.email, "password": "a-long-password", "display_name": "Again", "role": "student"},
    )
    assert again.status == 409
    after = await scrape(api.http, metrics_url(stack, "accounts"))
    name, ep = "wardmate_service_requests_total", subjects.SIGNUP
    assert value(after, name, endpoint=ep, code="ok") - value(before, name, endpoint=ep, code="ok") >= 1
    assert value(after, name, endpoint=ep, code="conflict") - value(before, name, endpoint=ep, code="conflict") == 1
    count = "wardmate_service_request_duration_seconds_count"
    assert value(after, count, endpoint=ep) - value(before, count, endpoint=ep) >= 2
    for service in SERVICES_WITH_SCHEMA:
        samples = await scrape(api.http, metrics_url(stack, service))
        names = {n for n, _ in samples}
        assert {
            "wardmate_outbox_unsent_events",
            "wardmate_outbox_oldest_unsent_age_seconds",
            "wardmate_db_pool_max_connections",
        } <= names, service
        assert (
            value(samples, "wardmate_db_pool_connections", state="idle")
            + value(samples, "wardmate_db_pool_connections", state="busy")
            >= 1
        )
        consumers = {dict(labels)["consumer"] for n, labels in samples if n == "wardmate_consumer_pending_events"}
        with_dead_letters = {dict(labels)["consumer"] for n, labels in samples if n == "wardmate_dead_letters"}
        if service != "accounts":  # accounts consumes no events
            assert consumers and all(c.startswith(f"{service}-") for c in consumers), (service, consumers)
            assert with_dead_letters == consumers


async def test_a_real_prometheus_scrapes_every_process(api: Api, stack: Stack, tmp_path: Path) -> None:
    """Debian's Prometheus, configured from the ports the stack reports, scrapes every
    process (up == 1) and sees the gateway's request counter move with our requests."""
    config = stack.write_prometheus_config(tmp_path / "prometheus.yml", scrape_interval="1s")
    query = 'sum(wardmate_gateway_requests_total{route="/api/v1/health",status="200"})'
    with run_prometheus(config, tmp_path / "prometheus") as prom:
        targets = sum(len(t) for t in stack.metrics_targets().values())

        async def until(check: str, predicate: Callable[[float], bool]) -> float:
            """The value of ``check`` once ``predicate`` holds (Prometheus scrapes each second)."""
            got = await eventually(
                lambda: asyncio.to_thread(prom.scalar, check),
                20,
                what=f"Prometheus to answer {check} as expected",
                until=lambda v: v is not None and predicate(v),
                interval=0.25,
            )
            assert got is not None
            return got

        await until("sum(up)", lambda up: up == targets)
        first = await until(query, lambda v: v >= 0)
        for _ in range(5):
            assert (await api.call("GET", "/health")).status == 200
        await until(query, lambda v: v >= first + 5)
        jobs = {item["labels"]["job"] for item in prom.api("targets")["activeTargets"]}
        assert jobs == {"accounts", "listings", "messaging", "matching", "payments", "gateway"}
