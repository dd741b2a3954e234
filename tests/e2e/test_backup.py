"""``make backup`` / ``make restore``: back up a running system (messaging on a Postgres of
its own), wipe its databases, restore, and find the same rows in every service's schema;
the services then run on it without publishing an event again or applying one twice,
even when the stream is redelivered."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.runner import PROCESSES, SERVICES_WITH_SCHEMA, Stack
from shared import bus
from shared.embedded import start_postgres
from tests.api import Api
from tests.conftest import TEST_ENV, Infra
from tests.e2e.helpers import create_listing, request_stay


@pytest.fixture
def own_stack(infra: Infra) -> Iterator[Stack]:
    """A system with Postgres and NATS of its own (the test wipes its databases): messaging
    on a second Postgres server, as a deployment with a database per service has it."""
    system = Stack(
        infra.data_dir / f"backup-{os.urandom(4).hex()}", fsync=False, extra_env=TEST_ENV, own_postgres=("messaging",)
    )
    with system.running():
        system.write_env_files()
        yield system


async def fingerprint(stack: Stack) -> dict[str, str]:
    """Every table of every service schema, on its service's server: its row count and an
    md5 over its rows in order."""
    out = {}
    for service in SERVICES_WITH_SCHEMA:
        conn = await asyncpg.connect(stack.admin_url(service))
        try:
            tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", service)
            for t in tables:
                name = f'"{service}"."{t["tablename"]}"'
                row = await conn.fetchrow(
                    f"SELECT count(*) AS n, md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) AS h"
                    f" FROM {name} r"
                )
                assert row is not None
                out[name] = f"{row['n']} rows {row['h']}"
        finally:
            await conn.close()
    return out


async def settled(stack: Stack, consumers_expected: int = 1, timeout: float = 30) -> None:
    """Wait until ``consumers_expected`` durable consumers (at least) exist and have
    acknowledged every event in the stream, and no outbox row is unsent."""
    assert stack.nats_url and stack.database_url
    nc = await bus.connect(stack.nats_url, "settle-probe")
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + timeout
        while True:
            consumers = await js.consumers_info(bus.EVENTS_STREAM)
            busy = [c.name for c in consumers if c.num_pending or c.num_ack_pending]
            unsent = 0
            for name in SERVICES_WITH_SCHEMA:
                conn = await asyncpg.connect(stack.admin_url(name))
                try:
                    unsent += await conn.fetchval(f'SELECT count(*) FROM "{name}".outbox WHERE sent_at IS NULL')
                finally:
                    await conn.close()
            if len(consumers) >= consumers_expected and not busy and not unsent:
                return
            assert time.monotonic() < deadline, (busy, unsent)
            await asyncio.sleep(0.2)
    finally:
        await nc.close()


async def forget_consumers(stack: Stack) -> tuple[int, int]:
    """Delete every durable consumer: the services recreate them from the stream's start.
    Returns how many there were, and how many of them had been delivered an event (a
    consumer of events nobody caused yet, such as payments', gets none again)."""
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "reset-consumers")
    try:
        js = nc.jetstream()
        consumers = await js.consumers_info(bus.EVENTS_STREAM)
        for c in consumers:
            await js.delete_consumer(bus.EVENTS_STREAM, c.name)
        return len(consumers), sum(1 for c in consumers if c.delivered and c.delivered.stream_seq)
    finally:
        await nc.close()


async def consumer_outcomes(stack: Stack) -> dict[str, float]:
    """``wardmate_consumer_events_total`` of every service process, summed by outcome."""
    totals: dict[str, float] = {}
    async with aiohttp.ClientSession() as http:
        for name in SERVICES_WITH_SCHEMA:
            async with http.get(f"http://127.0.0.1:{stack.metrics_ports[name]}/metrics") as r:
                text = await r.text()
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name == "wardmate_consumer_events_total":
                        outcome = sample.labels["outcome"]
                        totals[outcome] = totals.get(outcome, 0) + sample.value
    return totals


def backup_cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WARDMATE_DATA_DIR": str(stack.data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "services.backup", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
async def api_for(own_stack: Stack) -> AsyncIterator[Api]:
    async with Api(own_stack.url) as client:
        yield client


async def test_backup_wipe_restore_same_data_nothing_sent_or_applied_twice(
    own_stack: Stack, api_for: Api, tmp_path: Path
) -> None:
    """A backup of the running system, restored into a wiped database, holds the same rows
    in every table of every service (outbox with its sent marks, inbox included); the
    restarted services, with every event of the stream delivered to them again, change
    none of them, and new requests work and flow through events."""
    stack, api = own_stack, api_for
    assert stack.postgres is not None and set(stack.postgres_of) == {"messaging"}
    host, student = await api.signup("professional", "Dr. Backup"), await api.signup("student", "Student Backup")
    listing = await create_listing(api, host)
    booking = await request_stay(api, student, listing["id"])
    assert booking.status == 201, booking.body
    assert (await api.call("POST", f"/bookings/{booking.body['id']}/accept", host)).status == 200
    await settled(stack)
    before = await fingerprint(stack)
    assert any(t.endswith('."outbox"') and not v.startswith("0 ") for t, v in before.items())
    assert any(t.endswith('."inbox"') and not v.startswith("0 ") for t, v in before.items())

    folder = tmp_path / "backup"
    made = backup_cli(stack, "create", str(folder))
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*(f"{s}.dump" for s in SERVICES_WITH_SCHEMA), "manifest.json"]
    )
    assert await fingerprint(stack) == before  # nothing moved while it ran

    # Wipe: the services stop, the databases go, and both Postgres servers stop (restore
    # starts each itself).
    for key in PROCESSES:
        stack.stop_process(key)
    servers = {"postgres": stack.postgres, "postgres-messaging": stack.postgres_of["messaging"]}
    for server in servers.values():
        conn = await asyncpg.connect(server.url.rsplit("/", 1)[0] + "/postgres")
        await conn.execute("DROP DATABASE wardmate WITH (FORCE)")
        await conn.close()
        server.stop()
    restored = backup_cli(stack, "restore", str(folder))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    stack.postgres = start_postgres(stack.data_dir / "postgres", port=servers["postgres"].port, fsync=False)
    stack.postgres_of["messaging"] = start_postgres(
        stack.data_dir / "postgres-messaging", port=servers["postgres-messaging"].port, fsync=False
    )
    assert await fingerprint(stack) == before

    # Every event of the stream is delivered again to consumers recreated from its start.
    forgotten, with_events = await forget_consumers(stack)
    assert with_events >= 5
    stack.start_all()
    stack.wait_healthy()
    await settled(stack, forgotten)
    assert await fingerprint(stack) == before
    # They were delivered, and each found its inbox row (the processes' own counts).
    outcomes = await consumer_outcomes(stack)
    assert outcomes.get("duplicate", 0) >= with_events and outcomes.get("applied", 0) == 0, outcomes

    # The restored system serves and moves on: a new booking request reaches the host's
    # notifications through its event, once.
    other = await api.signup("student", "After Restore")
    later = await request_stay(api, other, listing["id"], start=80)
    assert later.status == 201, later.body
    deadline = time.monotonic() + 20
    while True:
        notes = await api.call("GET", "/notifications", host, params={"limit": "100"})
        mentions = [n for n in notes.body["items"] if n["booking_id"] == later.body["id"]]
        if mentions:
            break
        assert time.monotonic() < deadline, notes.body
        await asyncio.sleep(0.2)
    await settled(stack)
    notes = await api.call("GET", "/notifications", host, params={"limit": "100"})
    assert len([n for n in notes.body["items"] if n["booking_id"] == later.body["id"]]) == 1
