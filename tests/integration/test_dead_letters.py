"""Poison events against real Postgres and NATS: bounded retries with back-off, the move to
the dead-letter stream, and the operator's ``dead-letters list`` and ``replay``."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from shared import bus
from shared.bus import DEAD_LETTERS_STREAM, DEAD_LETTERS_SUBJECTS
from shared.consumers import Consumer, dead_letter_subject
from shared.contracts.base import Event
from shared.db import Connection, create_pool, migrate
from shared.deadletters import DeadLetter, list_dead_letters, run_command
from shared.service import ServiceApp
from shared.settings import Settings
from tests.conftest import TEST_ENV, Infra
from tests.eventually import eventually
from tests.integration.events import TEST_STREAM, TEST_SUBJECT, ThingHappened

# The app's name is the schema that ``replay`` opens its pool on.
SCHEMA = "plumbing"
MIGRATIONS = "tests.integration.plumbing_migrations"
# Small enough that three attempts take a fraction of a second.
FAST_BACKOFF_S = (0.05, 0.1)


@pytest.fixture
async def nc(infra: Infra) -> AsyncIterator[bus.NATS]:
    conn = await bus.connect(infra.nats_url, "dead-letters-test")
    await bus.ensure_stream(conn, TEST_STREAM, [TEST_SUBJECT])
    await bus.ensure_stream(conn, DEAD_LETTERS_STREAM, DEAD_LETTERS_SUBJECTS)
    yield conn
    with contextlib.suppress(NotFoundError):
        await conn.jetstream().delete_stream(TEST_STREAM)  # and the test's durables with it
    await conn.close()


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, SCHEMA, MIGRATIONS)
    p = await create_pool(fresh_db, SCHEMA)
    yield p
    await p.close()


@pytest.fixture
async def dead_letters_of(nc: bus.NATS) -> AsyncIterator[list[str]]:
    """Consumer names whose test dead letters are purged afterwards (the stream is shared)."""
    names: list[str] = []
    yield names
    for name in names:
        await nc.jetstream().purge_stream(DEAD_LETTERS_STREAM, subject=dead_letter_subject(name, TEST_SUBJECT))


class Projection:
    """An effect that fails on the event named "poison" while ``broken``; counts attempts."""

    def __init__(self) -> None:
        self.broken = True
        self.attempts: Counter[str] = Counter()

    async def apply(self, conn: Connection, event: Event) -> None:
        assert isinstance(event, ThingHappened)
        self.attempts[event.name] += 1
        await conn.execute("INSERT INTO things(name) VALUES ($1)", event.name)
        if event.name == "poison" and self.broken:
            # A driver's message may quote a DSN: the dead letter must not carry the password.
            raise RuntimeError("no host in postgresql://wardmate:s3cret@db:5432/wardmate")


def things_app(projection: Projection, dead_letters_of: list[str]) -> tuple[ServiceApp, str]:
    """A service app with one consumer of the test subject; its consumer's name."""
    app = ServiceApp(SCHEMA, migrations=MIGRATIONS)
    app.consumer(f"things{uuid.uuid4().hex[:8]}", TEST_SUBJECT)(projection.apply)
    name = app.consumers[0][0]
    dead_letters_of.append(name)
    return app, name


def fast_consumer(app: ServiceApp, pool: asyncpg.Pool, nc: bus.NATS) -> Consumer:
    ((name, subjects, apply),) = app.consumers
    return Consumer(pool, nc, name, subjects, apply, stream=TEST_STREAM, max_deliver=3, backoff_s=FAST_BACKOFF_S)


@contextlib.asynccontextmanager
async def consuming(consumer: Consumer) -> AsyncIterator[Consumer]:
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def publish(nc: bus.NATS, event: Event) -> None:
    """As the relay does: the event id as ``Nats-Msg-Id``."""
    await nc.jetstream().publish(
        event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": str(event.event_id)}
    )


async def one_dead_letter(nc: bus.NATS, consumer: str) -> DeadLetter:
    (dead,) = await eventually(
        lambda: list_dead_letters(nc, [consumer]), what=f"a dead letter of {consumer}", until=lambda d: len(d) == 1
    )
    return dead


async def command(app: ServiceApp, settings: Settings, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = await run_command(app, settings, argv, out=out)
    return code, out.getvalue()


async def count(pool: asyncpg.Pool, name: str) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM things WHERE name = $1", name))


async def test_poison_event_is_retried_then_dead_lettered_and_replayed_once(
    infra: Infra, fresh_db: str, nc: bus.NATS, pool: asyncpg.Pool, dead_letters_of: list[str]
) -> None:
    """A failing effect is tried max_deliver times, moved to dead letters, listed, and after
    the fix replayed exactly once, while the consumer goes on with later events."""
    projection = Projection()
    app, name = things_app(projection, dead_letters_of)
    consumer = fast_consumer(app, pool, nc)
    poison, good = ThingHappened(name="poison"), ThingHappened(name="good")
    async with consuming(consumer):
        await publish(nc, poison)
        dead = await one_dead_letter(nc, name)
        await publish(nc, good)
        await eventually(
            lambda: count(pool, "good"), what="the good event after the poison one", until=lambda n: n == 1
        )
        info = await nc.jetstream().consumer_info(TEST_STREAM, name)
    assert projection.attempts["poison"] == 3
    assert consumer.dead_lettered == 1
    # Terminated, not pending: nothing of the poison event holds the consumer back.
    assert info.num_ack_pending == 0 and info.num_pending == 0
    assert (dead.consumer, dead.subject, dead.event_id, dead.deliveries) == (
        name,
        TEST_SUBJECT,
        str(poison.event_id),
        3,
    )
    assert dead.error_type == "RuntimeError" and "no host in postgresql://***@db" in dead.error
    assert "s3cret" not in dead.error
    assert await count(pool, "poison") == 0  # each failed attempt rolled back its effect and inbox row

    settings = Settings(database_url=fresh_db, nats_url=infra.nats_url)
    code, text = await command(app, settings, "list")
    assert code == 0 and text.endswith("1 dead letter(s)\n"), text
    assert f"{name}  {TEST_SUBJECT}  {poison.event_id}  deliveries=3  RuntimeError: no host" in text

    code, text = await command(app, settings, "replay", "--all")
    assert code == 1 and "failed, kept: RuntimeError: no host" in text, text
    assert len(await list_dead_letters(nc, [name])) == 1

    projection.broken = False
    code, text = await command(app, settings, "replay", "--id", str(poison.event_id))
    assert code == 0 and f"{poison.event_id}  replayed" in text and "1 replayed, 0 failed" in text, text
    assert await count(pool, "poison") == 1
    inbox = "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2"
    assert await pool.fetchval(inbox, name, poison.event_id) == 1
    assert await list_dead_letters(nc, [name]) == []

    code, text = await command(app, settings, "replay", "--all")
    assert code == 0 and "nothing to replay" in text, text
    code, text = await command(app, settings, "replay", "--id", str(poison.event_id))
    assert code == 1 and f"no dead letter of {SCHEMA} with event id {poison.event_id}" in text, text
    assert await count(pool, "poison") == 1
    assert projection.attempts["poison"] == 3 + 2  # the consumer's three, the failed and the good replay


async def test_undecodable_event_is_dead_lettered_on_first_delivery(
    infra: Infra, fresh_db: str, nc: bus.NATS, pool: asyncpg.Pool, dead_letters_of: list[str]
) -> None:
    """An event that cannot be decoded is moved at once, not dropped; replay keeps it and says why."""
    projection = Projection()
    app, name = things_app(projection, dead_letters_of)
    event_id, good = str(uuid.uuid4()), ThingHappened(name="good")
    async with consuming(fast_consumer(app, pool, nc)):
        await nc.jetstream().publish(TEST_SUBJECT, b"{not json", headers={"Nats-Msg-Id": event_id})
        dead = await one_dead_letter(nc, name)
        await publish(nc, good)
        await eventually(
            lambda: count(pool, "good"), what="the good event after the undecodable one", until=lambda n: n == 1
        )
    assert (dead.event_id, dead.deliveries, dead.error_type, dead.data) == (
        event_id,
        1,
        "ValidationError",
        b"{not json",
    )
    assert projection.attempts == Counter(good=1)

    code, text = await command(app, Settings(database_url=fresh_db, nats_url=infra.nats_url), "replay", "--all")
    assert code == 1 and "failed, kept: undecodable: ValidationError" in text, text
    assert len(await list_dead_letters(nc, [name])) == 1


async def test_deliveries_beyond_the_limit_are_moved_without_another_attempt(
    nc: bus.NATS, pool: asyncpg.Pool, dead_letters_of: list[str]
) -> None:
    """An event whose allowed attempts all ended without an outcome (as when each died with its
    process) is moved to dead letters on its next delivery, and not applied again."""
    projection = Projection()
    app, name = things_app(projection, dead_letters_of)
    consumer = fast_consumer(app, pool, nc)
    js = nc.jetstream()
    config = ConsumerConfig(durable_name=name, ack_policy=AckPolicy.EXPLICIT, filter_subjects=[TEST_SUBJECT])
    await js.add_consumer(TEST_STREAM, config)
    await publish(nc, ThingHappened(name="poison"))
    sub = await js.pull_subscribe_bind(durable=name, stream=TEST_STREAM)
    for _ in range(consumer.max_deliver):
        (msg,) = await sub.fetch(1, timeout=5)
        await msg.nak()  # redelivered at once, like an attempt whose ack_wait ran out
    await sub.unsubscribe()

    async with consuming(consumer):
        dead = await one_dead_letter(nc, name)
    assert (dead.deliveries, dead.error_type) == (4, "NoOutcome")
    assert projection.attempts == Counter()


async def test_existing_durable_is_updated_where_the_server_allows(
    nc: bus.NATS, pool: asyncpg.Pool, dead_letters_of: list[str]
) -> None:
    """A durable left by an older config (another deliver policy, which the server will not
    update, and a server-side max_deliver of 2) loses its limit and keeps the rest."""
    projection = Projection()
    app, name = things_app(projection, dead_letters_of)
    js = nc.jetstream()
    old = ConsumerConfig(
        durable_name=name,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.NEW,
        filter_subjects=[TEST_SUBJECT],
        max_deliver=2,
    )
    await js.add_consumer(TEST_STREAM, old)
    async with consuming(fast_consumer(app, pool, nc)):
        await eventually(
            lambda: js.consumer_info(TEST_STREAM, name),
            what="the durable's update",
            until=lambda info: info.config.max_deliver == -1,
        )
        await publish(nc, ThingHappened(name="poison"))
        dead = await one_dead_letter(nc, name)
    assert (await js.consumer_info(TEST_STREAM, name)).config.deliver_policy == DeliverPolicy.NEW
    assert projection.attempts["poison"] == dead.deliveries == 3


async def test_service_entry_point_lists_and_replays(
    infra: Infra, fresh_db: str, nc: bus.NATS, pool: asyncpg.Pool, dead_letters_of: list[str]
) -> None:
    """`python -m services.listings dead-letters list` shows a dead letter of a listings consumer,
    without the service running; `replay` of an event it cannot decode exits 1 and keeps it."""
    name = "listings-hosts"  # its durable here lives on the test stream, apart from any running stack's
    dead_letters_of.append(name)

    async def fail(conn: Connection, event: Event) -> None:
        raise RuntimeError("projection bug")

    consumer = Consumer(pool, nc, name, [TEST_SUBJECT], fail, stream=TEST_STREAM, max_deliver=1)
    event = ThingHappened(name="for-listings")
    async with consuming(consumer):
        await publish(nc, event)
        await one_dead_letter(nc, name)

    env = {**os.environ, **TEST_ENV, "WARDMATE_DATABASE_URL": fresh_db, "WARDMATE_NATS_URL": infra.nats_url}

    async def cli(*argv: str) -> tuple[int, str]:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.listings",
            "dead-letters",
            *argv,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(child.communicate(), 60)
        assert child.returncode is not None, stderr
        return child.returncode, stdout.decode()

    code, text = await cli("list")
    assert code == 0 and f"{name}  {TEST_SUBJECT}  {event.event_id}  deliveries=1  RuntimeError" in text, text
    code, text = await cli("replay", "--id", str(event.event_id))
    assert code == 1 and "failed, kept: undecodable: KeyError" in text, text
    assert [dl.event_id for dl in await list_dead_letters(nc, [name])].count(str(event.event_id)) == 1
