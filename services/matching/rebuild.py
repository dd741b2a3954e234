"""``python -m services.matching rebuild``: replay the event stream into fresh projections.

The replay writes into temporary tables of the same names on its own connection (Postgres
searches a session's temporary schema first, so the consumers' own apply functions and
SQL serve unchanged), while the service keeps answering from the live tables. At the
end, one transaction locks the live tables against writes only (readers go on), replays
the events that arrived meanwhile, and replaces the live rows with the rebuilt ones; the
live consumers, briefly held, then apply nothing older than what the rebuild wrote.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from typing import Any

from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from tqdm import tqdm

from services.matching import store, store_privacy
from services.matching.app import app
from services.matching.store import regions
from shared import subjects
from shared.bus import EVENTS_STREAM, connect
from shared.contracts.accounts import USER_EVENTS
from shared.contracts.base import Event
from shared.contracts.listings import BOOKING_EVENTS, LISTING_EVENTS
from shared.contracts.privacy import UserDeleted
from shared.db import Connection, create_pool
from shared.settings import Settings

# The projections, in the order they are replaced.
TABLES = ("listings", "bookings", "profiles")


async def _listing(conn: Connection, event: Event) -> None:
    assert isinstance(event, LISTING_EVENTS)
    await store.project_listing(conn, event.listing)


async def _booking(conn: Connection, event: Event) -> None:
    assert isinstance(event, BOOKING_EVENTS)
    await store.project_booking(conn, event.booking)


async def _profile(conn: Connection, event: Event) -> None:
    assert isinstance(event, USER_EVENTS)
    await store.project_profile(conn, event.user)


async def _deleted(conn: Connection, event: Event) -> None:
    """A deleted account's profile, pinned empty as the deletions consumer left it: without
    this, the replay of their earlier events brought their name and profile back."""
    assert isinstance(event, UserDeleted)
    await store_privacy.pin_deleted(conn, event.user_id)


# What the consumers project, without what they do besides (suggestions): a replay of
# old events must not suggest anything again.
PROJECTORS = (
    (LISTING_EVENTS, _listing),
    (BOOKING_EVENTS, _booking),
    (USER_EVENTS, _profile),
    ((UserDeleted,), _deleted),
)


async def _replay(sub: Any, conn: Connection, appliers: dict[str, Any], bar: tqdm[Any]) -> int:
    """Apply every event the consumer still has pending; return how many."""
    applied = 0
    while True:
        try:
            msgs = await sub.fetch(500, timeout=1.0)
        except (NatsTimeoutError, TimeoutError):
            return applied
        async with conn.transaction():
            for msg in msgs:
                event = Event.parse(msg.subject, msg.data)
                await appliers[msg.subject](conn, event)
        applied += len(msgs)
        bar.update(len(msgs))
        if msgs[-1].metadata.num_pending == 0:
            return applied


async def rebuild(settings: Settings, *, stream: str = EVENTS_STREAM, quiet: bool = False) -> dict[str, int]:
    """Rebuild matching's projections from the whole stream; the rows held per table."""
    appliers = {s: project for events, project in PROJECTORS for s in (e.subject for e in events)}
    nc = await connect(settings.nats_servers, "matching-rebuild")
    # One connection for the whole run, set up as the service's (codecs, search path):
    # temporary tables live as long as its session.
    pool = await create_pool(settings.database_url, app.name, size=1, app="matching-rebuild")
    conn = await pool.acquire()
    try:
        for table in TABLES:
            await conn.execute(f"CREATE TEMP TABLE {table} (LIKE {app.name}.{table} INCLUDING ALL)")
        await _refuse_an_incomplete_stream(nc, conn, stream)
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            f"{subjects.EVENTS_ROOT}.>",
            stream=stream,
            config=ConsumerConfig(
                filter_subjects=sorted(appliers),
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=120.0,
            ),
        )
        info = await sub.consumer_info()
        started = time.monotonic()
        with tqdm(total=info.num_pending, unit="event", disable=quiet, file=sys.stderr) as bar:
            await _replay(sub, conn, appliers, bar)
            async with conn.transaction():
                live = ", ".join(f"{app.name}.{t}" for t in TABLES)
                # Writers (the live consumers) wait; readers (the endpoints) do not.
                await conn.execute(f"LOCK TABLE {live} IN SHARE ROW EXCLUSIVE MODE")
                await _replay(sub, conn, appliers, bar)
                counts = {}
                for table in TABLES:
                    await conn.execute(f"DELETE FROM {app.name}.{table}")
                    result = await conn.execute(f"INSERT INTO {app.name}.{table} SELECT * FROM pg_temp.{table}")
                    counts[table] = int(result.split()[-1])
                # Every replica's cached rankings are now stale, rooms and mentors.
                await regions.bump(conn, [regions.EVERYWHERE])
                await store.bump_epoch(conn)
        await sub.unsubscribe()
        if not quiet:
            held = ", ".join(f"{n} {t}" for t, n in counts.items())
            print(f"rebuilt in {time.monotonic() - started:.1f} s: {held}", file=sys.stderr)
        return counts
    finally:
        await pool.release(conn)
        await pool.close()
        await nc.close()


class IncompleteStreamError(RuntimeError):
    """The stream lost its events: a replay would lose projections."""


async def _refuse_an_incomplete_stream(nc: Any, conn: Connection, stream: str) -> None:
    """A replay is only as complete as the stream: an empty one while the projections hold
    rows (a new NATS after a restore onto another machine) would empty projections whose
    sources still hold the data, so it is refused."""
    state = (await nc.jetstream().stream_info(stream)).state
    held = await conn.fetchval(f"SELECT count(*) FROM {app.name}.profiles") or 0
    if state.messages == 0 and held:
        raise IncompleteStreamError(
            f"the {stream} stream holds no events while matching holds {held} profiles (a new NATS, or a"
            " purged stream): a rebuild would drop data that accounts and listings still have; not rebuilding"
        )


def run_cli(settings: Settings, argv: Sequence[str]) -> int:
    """``rebuild [-q]``: the exit status."""
    try:
        asyncio.run(rebuild(settings, quiet="-q" in argv))
    except IncompleteStreamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
