"""``python -m services.matching rebuild``: fresh projections from the owners' current state
and the event stream.

The rebuild first reads every listing, booking, user and block as their owners serve them
now (paged snapshots over request-reply, in the shapes their events carry, with versions),
then replays what the stream still holds (it keeps events ``stream_retention_days``).
Every projection applies a snapshot only when it is newer than the one it holds, so the
order of the two does not matter and the result is each aggregate's newest version; a
deleted account, absent from the snapshots, is pinned empty by its ``user.deleted`` while
the stream holds that, and is simply absent after.

It writes into temporary tables of the same names on its own connection (Postgres
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
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from tqdm import tqdm

from services.matching import store, store_privacy
from services.matching.app import app
from services.matching.store import regions
from shared import blocks, bus, subjects
from shared.bus import EVENTS_STREAM, connect
from shared.contracts.accounts import USER_EVENTS
from shared.contracts.base import Event
from shared.contracts.listings import BOOKING_EVENTS, LISTING_EVENTS
from shared.contracts.messaging import BLOCK_EVENTS
from shared.contracts.privacy import UserDeleted
from shared.contracts.snapshots import (
    BlockSnapshots,
    BookingSnapshots,
    ListingSnapshots,
    SnapshotPage,
    UserSnapshots,
)
from shared.db import Connection, create_pool
from shared.errors import AppError
from shared.settings import Settings

# The projections, in the order they are replaced.
TABLES = ("listings", "bookings", "profiles", "blocks")


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
    """A deleted account's profile, pinned empty as the deletions consumer left it, and its
    blocks gone as the blocks consumer left them: without this, the replay of their earlier
    events brought their name, profile and blocks back."""
    assert isinstance(event, UserDeleted)
    await store_privacy.pin_deleted(conn, event.user_id)
    await blocks.apply(conn, event)


# What the consumers project, without what they do besides (suggestions): a replay of
# old events must not suggest anything again.
PROJECTORS = (
    (LISTING_EVENTS, _listing),
    (BOOKING_EVENTS, _booking),
    (USER_EVENTS, _profile),
    (BLOCK_EVENTS, blocks.apply),
    ((UserDeleted,), _deleted),
)


# The owners' snapshots: (subject, reply model, how one item is projected).
SNAPSHOTS: tuple[tuple[str, type[Any], Callable[[Connection, Any], Awaitable[Any]]], ...] = (
    (subjects.SNAPSHOT_LISTINGS, ListingSnapshots, store.project_listing),
    (subjects.SNAPSHOT_BOOKINGS, BookingSnapshots, store.project_booking),
    (subjects.SNAPSHOT_USERS, UserSnapshots, store.project_profile),
    (subjects.SNAPSHOT_BLOCKS, BlockSnapshots, blocks.project),
)
SNAPSHOT_PAGE = 500


async def _load_snapshots(nc: Any, conn: Connection, bar: tqdm[Any]) -> int:
    """Project every aggregate as its owner serves it now; how many. A page per
    transaction; an owner that does not answer fails the rebuild before it replaces anything."""
    loaded = 0
    for subject, reply, project in SNAPSHOTS:
        after = None
        while True:
            page = await bus.request(nc, subject, SnapshotPage(after=after, limit=SNAPSHOT_PAGE), reply, timeout=30)
            async with conn.transaction():
                for item in page.items:
                    await project(conn, item)
            loaded += len(page.items)
            bar.update(len(page.items))
            if page.next_after is None:
                break
            after = page.next_after
    return loaded


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
    """Rebuild matching's projections from the owners' snapshots and the stream; the rows held per table."""
    appliers = {s: project for events, project in PROJECTORS for s in (e.subject for e in events)}
    nc = await connect(settings.nats_servers, "matching-rebuild")
    # One connection for the whole run, set up as the service's (codecs, search path):
    # temporary tables live as long as its session.
    pool = await create_pool(settings.database_url, app.name, size=1, app="matching-rebuild")
    conn = await pool.acquire()
    try:
        for table in TABLES:
            await conn.execute(f"CREATE TEMP TABLE {table} (LIKE {app.name}.{table} INCLUDING ALL)")
        with tqdm(unit="snapshot", disable=quiet, file=sys.stderr, desc="snapshots") as bar:
            await _load_snapshots(nc, conn, bar)
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
        with tqdm(total=info.num_pending, unit="event", disable=quiet, file=sys.stderr, desc="events") as bar:
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


def run_cli(settings: Settings, argv: Sequence[str]) -> int:
    """``rebuild [-q]``: the exit status."""
    try:
        asyncio.run(rebuild(settings, quiet="-q" in argv))
    except AppError as exc:  # an owner's snapshots did not come: nothing was replaced
        print(f"error: {exc.message} ({exc.details}); nothing was rebuilt", file=sys.stderr)
        return 1
    return 0
