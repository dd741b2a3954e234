"""The shared plumbing against real Postgres and NATS: concurrency, outbox, inbox,
migrations, typed errors."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.js.errors import NotFoundError

from shared import bus, retention
from shared.consumers import Consumer
from shared.contracts.base import Contract, Ok
from shared.db import create_pool, migrate
from shared.errors import AppError
from shared.outbox import OutboxRelay, add
from shared.service import Context, ServiceApp
from shared.settings import Settings
from tests.conftest import Infra
from tests.eventually import eventually
from tests.integration.events import TEST_STREAM, TEST_SUBJECT, ThingHappened

SCHEMA = "plumbing"
MIGRATIONS = "tests.integration.plumbing_migrations"


@pytest.fixture
async def nc(infra: Infra) -> AsyncIterator[bus.NATS]:
    conn = await bus.connect(infra.nats_url, "plumbing-test")
    js = conn.jetstream()
    await bus.ensure_stream(conn, TEST_STREAM, [TEST_SUBJECT])
    yield conn
    try:
        await js.delete_stream(TEST_STREAM)
    except NotFoundError:
        pass
    await conn.close()


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, SCHEMA, MIGRATIONS)
    p = await create_pool(fresh_db, SCHEMA, size=20)
    yield p
    await p.close()


class Sleep(Contract):
    seconds: float


def slow_app(name: str) -> ServiceApp:
    app = ServiceApp(name)

    @app.endpoint(f"test.{name}.sleep", Sleep)
    async def sleep(ctx: Context, req: Sleep) -> Ok:
        await ctx.pool.execute("SELECT pg_sleep($1)", req.seconds)
        return Ok()

    @app.endpoint(f"test.{name}.fail", Sleep)
    async def fail(ctx: Context, req: Sleep) -> Ok:
        raise RuntimeError("secret internals")

    return app


async def _serve(app: ServiceApp, settings: Settings) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(settings, stop))
    nc = await bus.connect(settings.nats_url, "probe")
    try:
        await eventually(
            lambda: bus.request_raw(nc, f"$SRV.PING.{app.name}", b"", timeout=0.5),
            10,
            what=f"{app.name} to answer $SRV.PING",
            until=lambda _: True,
            retry_on=(AppError,),
        )
    finally:
        await nc.close()
    return stop, task


@pytest.mark.parametrize("concurrency, parallel", [(32, True), (1, False)])
async def test_slow_requests_are_served_concurrently(
    infra: Infra, fresh_db: str, nc: bus.NATS, concurrency: int, parallel: bool
) -> None:
    """Ten 0.4 s requests to one endpoint take about 0.4 s, not 4 s (and do take 4 s serially)."""
    name = f"slow{uuid.uuid4().hex[:6]}"
    settings = Settings(
        database_url=fresh_db, nats_url=infra.nats_url, handler_concurrency=concurrency, db_pool_size=16
    )
    stop, task = await _serve(slow_app(name), settings)
    try:
        started = time.perf_counter()
        await asyncio.gather(
            *(bus.request(nc, f"test.{name}.sleep", {"seconds": 0.4}, Ok, timeout=10) for _ in range(10))
        )
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        await task
    if parallel:
        assert elapsed < 1.5, elapsed
    else:
        assert elapsed >= 3.9, elapsed


async def test_errors_are_typed_and_hide_internals(infra: Infra, fresh_db: str, nc: bus.NATS) -> None:
    """Validation and crashes come back as typed errors; no responders and timeouts too."""
    name = f"err{uuid.uuid4().hex[:6]}"
    settings = Settings(database_url=fresh_db, nats_url=infra.nats_url)
    stop, task = await _serve(slow_app(name), settings)
    try:
        with pytest.raises(AppError) as bad:
            await bus.request(nc, f"test.{name}.sleep", {"seconds": "long"}, Ok)
        assert bad.value.code == "validation" and bad.value.details[0]["field"] == "seconds"
        with pytest.raises(AppError) as crash:
            await bus.request(nc, f"test.{name}.fail", {"seconds": 0}, Ok)
        assert crash.value.code == "internal" and "secret" not in crash.value.message
        with pytest.raises(AppError) as slow:
            await bus.request(nc, f"test.{name}.sleep", {"seconds": 2}, Ok, timeout=0.3)
        assert slow.value.code == "timeout"
    finally:
        stop.set()
        await task
    with pytest.raises(AppError) as gone:
        await bus.request(nc, f"test.{name}.sleep", {"seconds": 0}, Ok)
    assert gone.value.code == "unavailable"


async def test_migrations_apply_once_under_concurrent_starts(fresh_db: str) -> None:
    """Five replicas migrating at once apply each file exactly once."""
    results = await asyncio.gather(*(migrate(fresh_db, SCHEMA, MIGRATIONS) for _ in range(5)))
    applied = [v for r in results for v in r]
    assert sorted(applied) == sorted(
        [
            f"{MIGRATIONS}:0001_things",
            "shared.migrations:0001_outbox_inbox",
            "shared.migrations:0002_outbox_order",
            "shared.migrations:0003_retention",
        ]
    )


async def test_published_rows_are_pruned_after_the_retention_and_no_others(pool: asyncpg.Pool) -> None:
    """Outbox rows published longer ago than the retention go, in batches; rows published
    since, and unpublished rows however old, stay. Inbox ids go a day after the stream's
    retention (no older event can be delivered again), and never without one. The
    service's loop does the same on its own."""
    ages = {"old": 8, "older": 30, "recent": 1}  # days since each row was sent
    async with pool.acquire() as conn:
        for name in [*ages, "waiting"]:
            await add(conn, ThingHappened(name=name))
        await conn.execute("UPDATE outbox SET created_at = now() - interval '40 days'")
        for name, days in ages.items():
            await conn.execute(
                "UPDATE outbox SET sent_at = now() - make_interval(days => $1)"
                " WHERE convert_from(payload, 'UTF8') LIKE $2",
                days,
                f'%"name":"{name}"%',
            )
        for days in (40, 30, 29, 1):  # ids applied that many days ago
            await conn.execute(
                "INSERT INTO inbox(consumer, event_id, subject, applied_at)"
                " VALUES ('c', $1, 's', now() - make_interval(days => $2))",
                uuid.uuid4(),
                days,
            )

    async def names() -> set[str]:
        rows = await pool.fetch("SELECT payload FROM outbox")
        return {ThingHappened.model_validate_json(r["payload"]).name for r in rows}

    async def inbox_days() -> list[int]:
        rows = await pool.fetch("SELECT extract(day FROM now() - applied_at)::int AS d FROM inbox ORDER BY d")
        return [r["d"] for r in rows]

    assert await retention.prune(pool, "outbox", 7 * 86400, batch=1) == 2
    assert await names() == {"recent", "waiting"}
    assert await retention.prune(pool, "outbox", 7 * 86400) == 0
    forever = Settings(outbox_retention_days=0, stream_retention_days=0)
    assert retention.ages(forever) == (None, None) and await retention.prune_once(pool, forever) == {}
    assert await retention.prune_once(pool, Settings(stream_retention_days=30)) == {"outbox": 0, "inbox": 1}
    assert await inbox_days() == [1, 29, 30]  # 31 days: 30 of the stream, one of margin

    async with pool.acquire() as conn:
        await conn.execute("UPDATE outbox SET sent_at = now() - interval '3 days' WHERE sent_at IS NOT NULL")
    settings = Settings(outbox_retention_days=2, stream_retention_days=20)
    loop = asyncio.create_task(retention.retention_loop(pool, settings, every_s=0.05))
    try:
        await eventually(names, what="the loop's prune", until=lambda found: found == {"waiting"})
        await eventually(inbox_days, what="the loop's inbox prune", until=lambda found: found == [1])
    finally:
        loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)
    # Nothing to prune: the loop returns at once.
    await asyncio.wait_for(retention.retention_loop(pool, forever), 1)


async def _stream_messages(nc: bus.NATS) -> int:
    info = await nc.jetstream().stream_info(TEST_STREAM)
    return int(info.state.messages)


async def test_outbox_delivers_event_committed_before_kill_9(fresh_db: str, nc: bus.NATS, pool: asyncpg.Pool) -> None:
    """A process killed right after commit loses nothing: the next relay publishes it once."""
    event_id = str(uuid.uuid4())
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.outbox_writer",
        fresh_db,
        event_id,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(child.communicate(), 30)
    assert child.returncode == -9 and b"committed" in stdout, stderr
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 1
    assert await _stream_messages(nc) == 0

    relay = OutboxRelay(pool, nc)
    assert await relay.relay_once() == 1
    assert await relay.relay_once() == 0
    # Even if a relay crashed after publishing but before marking sent, the broker dedupes.
    await pool.execute("UPDATE outbox SET sent_at = NULL")
    assert await relay.relay_once() == 1
    assert await _stream_messages(nc) == 1
    sub = await nc.jetstream().pull_subscribe(TEST_SUBJECT, stream=TEST_STREAM)
    msg = (await sub.fetch(1, timeout=2))[0]
    assert msg.headers and msg.headers["Nats-Msg-Id"] == event_id
    assert ThingHappened.model_validate_json(msg.data).name == "crash"


async def test_relay_publishes_one_transactions_events_in_the_order_written(nc: bus.NATS, pool: asyncpg.Pool) -> None:
    """Events of one transaction share ``created_at``; the relay still publishes them in
    the order the change wrote them, wherever their rows sit in the table."""
    names = [f"step-{i}" for i in range(40)]
    async with pool.acquire() as conn, conn.transaction():
        for name in names:
            await add(conn, ThingHappened(name=name))
    # Rewriting the first row puts its new version after the others in the heap, as a
    # row landing in space freed by pruning does: a scan then meets it last.
    await pool.execute(
        "UPDATE outbox SET headers = headers WHERE event_id = (SELECT event_id FROM outbox ORDER BY seq LIMIT 1)"
    )
    assert await pool.fetchval("SELECT count(DISTINCT created_at) FROM outbox") == 1
    heap_order = await pool.fetch("SELECT payload FROM outbox")
    assert ThingHappened.model_validate_json(heap_order[-1]["payload"]).name == names[0]

    assert await OutboxRelay(pool, nc).relay_once() == len(names)
    sub = await nc.jetstream().pull_subscribe(TEST_SUBJECT, stream=TEST_STREAM)
    published = await sub.fetch(len(names), timeout=2)
    assert [ThingHappened.model_validate_json(m.data).name for m in published] == names


async def test_relay_wakes_on_commit(nc: bus.NATS, pool: asyncpg.Pool) -> None:
    """A running relay publishes a committed event at once (NOTIFY), well before its poll."""
    # Committed before the relay runs, this one is sent by its first pass, which follows
    # LISTEN: once it is marked sent, the relay listens and has nothing left to find by
    # itself, so only the NOTIFY can make it publish the next one within 3 s (its poll is
    # 30 s). A fixed sleep instead could end before LISTEN on a slow machine, or let the
    # first pass, not the NOTIFY, pick the event up.
    async with pool.acquire() as conn, conn.transaction():
        await add(conn, ThingHappened(name="before"))
    relay = OutboxRelay(pool, nc, poll_s=30)
    task = asyncio.create_task(relay.run())
    try:
        await eventually(
            lambda: pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"),
            10,
            what="the relay's first pass to send the event committed before it ran",
            until=lambda unsent: unsent == 0,
        )
        assert await _stream_messages(nc) == 1
        async with pool.acquire() as conn, conn.transaction():
            await add(conn, ThingHappened(name="quick"))
        await eventually(
            lambda: _stream_messages(nc), 3, what="the relay to wake on commit", until=lambda n: n == 2, interval=0.02
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_event_delivered_twice_is_applied_once(nc: bus.NATS, pool: asyncpg.Pool) -> None:
    """The same event published twice (no broker dedupe) has one effect, via the inbox."""
    event = ThingHappened(name="twice")
    js = nc.jetstream()
    for _ in range(2):
        await js.publish(TEST_SUBJECT, event.model_dump_json().encode())  # no Nats-Msg-Id

    async def apply(conn: asyncpg.Connection, e: object) -> None:
        assert isinstance(e, ThingHappened)
        await conn.execute("INSERT INTO things(name) VALUES ($1)", e.name)

    consumer = Consumer(pool, nc, f"test-{uuid.uuid4().hex[:8]}", [TEST_SUBJECT], apply, stream=TEST_STREAM)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(
            lambda: js.consumer_info(TEST_STREAM, consumer.name),
            10,
            what="the consumer to take both deliveries",
            until=lambda info: info.num_ack_pending == 0 and info.num_pending == 0 and info.delivered.stream_seq >= 2,
            retry_on=(NotFoundError,),  # the consumer task has not created it yet
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await pool.fetchval("SELECT count(*) FROM things WHERE name = 'twice'") == 1
    assert await pool.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", event.event_id) == 1


async def test_failed_effect_is_retried_not_lost(nc: bus.NATS, pool: asyncpg.Pool) -> None:
    """An effect that fails rolls back its inbox row, so redelivery applies it later."""
    event = ThingHappened(name="flaky")
    await nc.jetstream().publish(TEST_SUBJECT, event.model_dump_json().encode())
    attempts = 0

    async def apply(conn: asyncpg.Connection, e: object) -> None:
        nonlocal attempts
        attempts += 1
        await conn.execute("INSERT INTO things(name) VALUES ('flaky')")
        if attempts == 1:
            raise RuntimeError("database hiccup")

    consumer = Consumer(pool, nc, f"test-{uuid.uuid4().hex[:8]}", [TEST_SUBJECT], apply, stream=TEST_STREAM)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: pool.fetchval("SELECT count(*) FROM inbox"), 10, what="the redelivered event applied")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert attempts == 2
    assert await pool.fetchval("SELECT count(*) FROM things WHERE name = 'flaky'") == 1
