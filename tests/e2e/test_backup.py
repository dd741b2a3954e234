"""``make backup`` / ``make restore``: back up a running system (messaging on a Postgres of
its own), wipe its databases, restore, and find the same rows in every service's schema;
the services then run on it without publishing an event again or applying one twice,
even when the stream is redelivered. A restore followed by ``make rebuild-matching``
leaves every projection equal to what its source service holds: nothing created after
the backup comes back from the stream."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services import runstate
from services.runner import PROCESSES, SERVICES_WITH_SCHEMA, Stack
from shared import bus
from shared.embedded import Server, start_nats, start_postgres
from shared.mailsink import Mailbox
from tests.api import PASSWORD, Api
from tests.conftest import TEST_ENV, Infra
from tests.e2e.helpers import create_listing, request_stay
from tests.eventually import eventually


@pytest.fixture
def own_stack(infra: Infra) -> Iterator[Stack]:
    """A system with Postgres and NATS of its own (the test wipes its databases): messaging
    on a second Postgres server, as a deployment with a database per service has it."""
    # No daily digest: a timed job, it would rightly mail (and record) today's first digest
    # in the minutes after the restart, which is not an event applied twice.
    system = Stack(
        infra.data_dir / f"backup-{os.urandom(4).hex()}",
        fsync=False,
        extra_env={**TEST_ENV, "WARDMATE_DIGEST_ENABLED": "false"},
        own_postgres=("messaging",),
    )
    with system.running():
        system.write_env_files()
        # As make run does: the operator commands find the running system through it.
        runstate.write(system.data_dir, {"mode": "single", "phase": "ready", "gateways": [system.url]})
        yield system


def stop_everything(stack: Stack) -> dict[str, Server]:
    """Stop as make run's Ctrl-C does (the processes, then Postgres and NATS; run.json
    gone); the servers that ran, to start again on the same ports."""
    for key in PROCESSES:
        stack.stop_process(key)
    runstate.remove(stack.data_dir)
    assert stack.postgres is not None and stack.nats is not None
    servers = {"postgres": stack.postgres, "nats": stack.nats}
    servers.update({f"postgres-{name}": server for name, server in stack.postgres_of.items()})
    for server in servers.values():
        server.stop()
    return servers


def start_servers_again(stack: Stack, servers: dict[str, Server]) -> None:
    stack.postgres = start_postgres(stack.data_dir / "postgres", port=servers["postgres"].port, fsync=False)
    for key, server in servers.items():
        if key.startswith("postgres-"):
            name = key.removeprefix("postgres-")
            stack.postgres_of[name] = start_postgres(stack.data_dir / key, port=server.port, fsync=False)
    stack.nats = start_nats(stack.data_dir / "nats", servers["nats"].port)


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
    js = nc.jetstream()

    last_seen: list[int] = []

    async def state() -> tuple[int, list[str], int, bool]:
        """How many consumers, which are busy, how many outbox rows are unsent, and whether
        the stream's last event is the one the previous look saw. Read in that order, an
        outbox row committed before the consumers were read but sent before the outboxes
        were passed as settled, its event still on its way (a row more in accounts' inbox
        after the backup, once in a full run): two looks a moment apart with no new event
        in the stream between them close that gap."""
        consumers = await js.consumers_info(bus.EVENTS_STREAM)
        busy = [c.name for c in consumers if c.num_pending or c.num_ack_pending]
        unsent = 0
        for name in SERVICES_WITH_SCHEMA:
            conn = await asyncpg.connect(stack.admin_url(name))
            try:
                unsent += await conn.fetchval(f'SELECT count(*) FROM "{name}".outbox WHERE sent_at IS NULL')
            finally:
                await conn.close()
        last = (await js.stream_info(bus.EVENTS_STREAM)).state.last_seq
        unchanged = last_seen == [last]
        last_seen[:] = [last]
        return len(consumers), busy, unsent, unchanged

    try:
        await eventually(
            state,
            timeout,
            what=f"{consumers_expected}+ consumers, none busy, no unsent outbox row, no new event",
            until=lambda s: s[0] >= consumers_expected and not s[1] and not s[2] and s[3],
            interval=0.2,
        )
    finally:
        await nc.close()


async def inbox_rows(stack: Stack) -> int:
    """Events applied, over every service's inbox."""
    total = 0
    for service in SERVICES_WITH_SCHEMA:
        conn = await asyncpg.connect(stack.admin_url(service))
        try:
            total += await conn.fetchval(f'SELECT count(*) FROM "{service}".inbox')
        finally:
            await conn.close()
    return total


async def durable_consumers(stack: Stack) -> int:
    """How many durable consumers the events stream has."""
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "count-consumers")
    try:
        return len(await nc.jetstream().consumers_info(bus.EVENTS_STREAM))
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


def rebuild_cli(stack: Stack) -> subprocess.CompletedProcess[str]:
    """``make rebuild-matching`` against ``stack``."""
    env = {
        **os.environ,
        "WARDMATE_DATABASE_URL": stack.service_url("matching"),
        "WARDMATE_NATS_URL": str(stack.nats_url),
    }
    return subprocess.run(
        [sys.executable, "-m", "services.matching", "rebuild", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
async def api_for(own_stack: Stack) -> AsyncIterator[Api]:
    async with Api(own_stack.url, Mailbox(own_stack.mail_dir)) as client:
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
    # A deleted account: every service's deletion consumer has an event to see again.
    leaving = await api.signup("student", "Student Leaving")
    assert (await api.call("DELETE", "/me", leaving, json={"password": PASSWORD})).status == 200
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
    assert {oct(p.stat().st_mode & 0o777) for p in folder.iterdir()} == {"0o600"}  # not world-readable
    assert await fingerprint(stack) == before  # nothing moved while it ran

    consumers = await durable_consumers(stack)
    assert consumers >= 5
    # Wipe: the services stop, the databases go, and every server stops (restore starts
    # them itself).
    servers = stop_everything(stack)
    for key in ("postgres", "postgres-messaging"):
        server = start_postgres(stack.data_dir / key, port=servers[key].port, fsync=False)
        conn = await asyncpg.connect(server.url.rsplit("/", 1)[0] + "/postgres")
        await conn.execute("DROP DATABASE wardmate WITH (FORCE)")
        await conn.close()
        server.stop()
    restored = backup_cli(stack, "restore", str(folder))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    # Nothing happened after the backup: the stream keeps every event; its consumers are
    # reset, so every event is delivered again from the start.
    assert f"0 events from after the backup removed, 0 kept (0 marked sent); {consumers} consumers" in restored.stdout
    start_servers_again(stack, servers)
    assert await fingerprint(stack) == before
    assert await durable_consumers(stack) == 0

    stack.start_all()
    stack.wait_healthy()
    await settled(stack, consumers)
    assert await fingerprint(stack) == before
    # They were delivered, and each found its inbox row (the processes' own counts): one
    # duplicate per event a consumer had applied (a consumer whose events this test never
    # publishes has none).
    outcomes = await consumer_outcomes(stack)
    applied_before = await inbox_rows(stack)
    assert outcomes.get("duplicate", 0) >= applied_before > 0 and outcomes.get("applied", 0) == 0, outcomes

    # The restored system serves and moves on: a new booking request reaches the host's
    # notifications through its event, once.
    other = await api.signup("student", "After Restore")
    later = await request_stay(api, other, listing["id"], start=80)
    assert later.status == 201, later.body
    await eventually(
        lambda: api.call("GET", "/notifications", host, params={"limit": "100"}),
        20,
        what="the host told of the booking made after the restore",
        until=lambda notes: any(n["booking_id"] == later.body["id"] for n in notes.body["items"]),
        interval=0.2,
    )
    await settled(stack)
    notes = await api.call("GET", "/notifications", host, params={"limit": "100"})
    assert len([n for n in notes.body["items"] if n["booking_id"] == later.body["id"]]) == 1


async def projections_and_sources(stack: Stack) -> dict[str, tuple[set[tuple[str, int]], set[tuple[str, int]]]]:
    """Each projection's (id, version) rows next to its source service's."""
    pairs = {
        "matching.profiles": ("SELECT user_id::text, version FROM matching.profiles", "accounts"),
        "matching.listings": ("SELECT listing_id::text, version FROM matching.listings", "listings"),
        "matching.bookings": ("SELECT booking_id::text, version FROM matching.bookings", "listings"),
        "messaging.users": ("SELECT user_id::text, version FROM messaging.users WHERE version > 0", "accounts"),
    }
    sources = {
        "matching.profiles": "SELECT id::text, version FROM accounts.users",
        "matching.listings": "SELECT id::text, version FROM listings.listings",
        "matching.bookings": "SELECT id::text, version FROM listings.bookings",
        "messaging.users": "SELECT id::text, version FROM accounts.users",
    }

    async def rows(service: str, sql: str) -> set[tuple[str, int]]:
        conn = await asyncpg.connect(stack.admin_url(service))
        try:
            return {(r[0], r[1]) for r in await conn.fetch(sql)}
        finally:
            await conn.close()

    return {
        name: (await rows(name.split(".")[0], sql), await rows(source, sources[name]))
        for name, (sql, source) in pairs.items()
    }


async def test_restore_then_rebuild_brings_back_nothing_from_after_the_backup(
    own_stack: Stack, api_for: Api, tmp_path: Path
) -> None:
    """Users, a listing and a booking made after the backup are in the stream when it is
    restored; the restore removes their events, so the services' consumers and a
    ``make rebuild-matching`` afterwards leave every projection equal to its source."""
    stack, api = own_stack, api_for
    host, student = await api.signup("professional", "Dr. Before"), await api.signup("student", "Before Backup")
    listing = await create_listing(api, host)
    assert (await request_stay(api, student, listing["id"])).status == 201
    await settled(stack)
    folder = tmp_path / "backup"
    made = backup_cli(stack, "create", str(folder))
    assert made.returncode == 0, made.stderr

    # After the backup: a new user, a new listing, a booking request, a profile change.
    late = await api.signup("student", "After Backup")
    late_listing = await create_listing(api, host)
    assert (await request_stay(api, late, late_listing["id"])).status == 201
    assert (await request_stay(api, student, late_listing["id"], start=90)).status == 201
    await settled(stack)
    consumers = await durable_consumers(stack)

    servers = stop_everything(stack)
    restored = backup_cli(stack, "restore", str(folder))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert re.search(rf"[1-9]\d* events from after the backup removed, .* {consumers} consumers", restored.stdout)
    start_servers_again(stack, servers)
    stack.start_all()
    stack.wait_healthy()
    await settled(stack, consumers)

    rebuilt = rebuild_cli(stack)
    assert rebuilt.returncode == 0, rebuilt.stderr
    await settled(stack, consumers)
    compared = await projections_and_sources(stack)
    for name, (projection, source) in compared.items():
        held, truth = dict(projection), dict(source)
        assert held.keys() == truth.keys(), name
        # A change no consumer is told of (a confirmed address, a new password) moves the
        # source's version without an event: a projection may hold an older version of a
        # row, never a newer one (that would be state from after the backup).
        assert all(version <= truth[key] for key, version in held.items()), (name, held, truth)
    users = {user_id for user_id, _ in compared["matching.profiles"][1]}
    assert late.id not in users and student.id in users
    listings = {listing_id for listing_id, _ in compared["matching.listings"][1]}
    assert late_listing["id"] not in listings and listing["id"] in listings
