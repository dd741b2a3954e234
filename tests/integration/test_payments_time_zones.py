"""Payments and the room's time zone against a real Postgres and NATS: stays that payments
projected from events older than the zone (an upgrade) learn it, from a newer event or
from listings' booking snapshots once, and the payments not yet released move to 24 hours
after check-in at the room; the ones already released stay as they were."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from nats.aio.msg import Msg

from services.listings import jobs as listings_jobs
from services.listings.app import PG_SETTINGS
from services.listings.handlers import bookings, listings
from services.listings.handlers import snapshots as listings_snapshots
from services.payments import consumers, domain, jobs
from shared import bus, stays, subjects
from shared.contracts.base import Event
from shared.contracts.listings import BookingAction, BookingConfirmed, BookingData, BookingRequest
from shared.contracts.snapshots import SnapshotPage
from shared.db import create_pool, migrate
from shared.embedded import Server, start_nats
from shared.settings import Settings
from tests.integration.test_listings_store import ctx, new_listing

HONOLULU_ROOM = (21.2850, -157.8300)
HONOLULU = "Pacific/Honolulu"


@pytest.fixture
async def listings_pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "listings", "services.listings.migrations")
    pool = await create_pool(fresh_db, "listings", size=3, server_settings=PG_SETTINGS)
    await listings_jobs.ensure_directory(pool)
    yield pool
    await pool.close()


@pytest.fixture
async def payments_pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "payments", "services.payments.migrations")
    pool = await create_pool(fresh_db, "payments", size=3)
    yield pool
    await pool.close()


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[Server]:
    """A NATS of this test's own: a running system's listings would answer its snapshot
    requests on the session's."""
    server = start_nats(tmp_path / "nats")
    yield server
    server.stop()


async def honolulu_stay(pool: asyncpg.Pool, nights: int) -> list[Event]:
    """A stay in a Honolulu room, accepted: listings' events for it, as listings sends them
    now (with the room's zone)."""
    host, guest = uuid.uuid4(), uuid.uuid4()
    created = await listings.create_listing(
        ctx(pool, host, "professional"), new_listing(latitude=HONOLULU_ROOM[0], longitude=HONOLULU_ROOM[1])
    )
    start = date.today() + timedelta(days=20)
    asked = await bookings.request_booking(
        ctx(pool, guest),
        BookingRequest(listing_id=created.id, check_in=start, check_out=start + timedelta(days=nights)),
    )
    await bookings.accept_booking(ctx(pool, host, "professional"), BookingAction(booking_id=asked.id))
    rows = await pool.fetch("SELECT subject, payload FROM outbox WHERE subject LIKE '%booking%' ORDER BY seq")
    return [Event.parse(r["subject"], r["payload"]) for r in rows]


def as_before(event: Event) -> Event:
    """The event as listings sent it before events carried the room's zone."""
    booking: BookingData = event.booking  # type: ignore[attr-defined]
    return event.model_copy(update={"booking": booking.model_copy(update={"time_zone": None})})


async def apply(pool: asyncpg.Pool, event: Event) -> None:
    consumers.SETTINGS[:] = [Settings()]
    async with pool.acquire() as conn, conn.transaction():
        await consumers.apply_booking(conn, event)


async def releases(pool: asyncpg.Pool, booking_id: uuid.UUID) -> list[datetime]:
    rows = await pool.fetch("SELECT release_at FROM payments WHERE booking_id = $1 ORDER BY block", booking_id)
    return [r["release_at"] for r in rows]


async def test_a_newer_event_brings_the_rooms_zone_and_moves_the_releases_not_yet_made(
    listings_pool: asyncpg.Pool, payments_pool: asyncpg.Pool
) -> None:
    """A 45-night stay in Honolulu accepted before events carried the zone: payments dates
    its two payments by America/New_York. The first is paid; then the payment's own
    confirmation comes back from listings with the zone: the paid one is released 24 h
    after 15:00 HST on the first day, the one still due when its nights begin at 15:00 HST."""
    requested, accepted = await honolulu_stay(listings_pool, 45)
    booking = accepted.booking  # type: ignore[attr-defined]
    assert booking.time_zone == HONOLULU
    for event in (requested, accepted):
        await apply(payments_pool, as_before(event))
    first, second = booking.check_in, booking.check_in + timedelta(days=30)
    new_york = stays.check_in_moment(first, "America/New_York")
    assert await releases(payments_pool, booking.booking_id) == [
        new_york + domain.RELEASE_AFTER_CHECK_IN,
        stays.check_in_moment(second, "America/New_York"),
    ]
    await payments_pool.execute(
        "UPDATE payments SET status = 'succeeded', paid_at = now() WHERE booking_id = $1 AND block = 0",
        booking.booking_id,
    )

    confirmed = BookingConfirmed(booking=booking.model_copy(update={"status": "confirmed", "version": 9}))
    await apply(payments_pool, confirmed)
    assert await payments_pool.fetchval("SELECT time_zone FROM bookings WHERE booking_id = $1", booking.booking_id) == (
        HONOLULU
    )
    honolulu = stays.check_in_moment(first, HONOLULU)
    assert honolulu == datetime.combine(first, datetime.min.time(), tzinfo=UTC) + timedelta(hours=25)
    assert await releases(payments_pool, booking.booking_id) == [
        honolulu + domain.RELEASE_AFTER_CHECK_IN,
        stays.check_in_moment(second, HONOLULU),
    ]


async def test_the_upgrade_sweep_learns_the_zones_from_listings_snapshots_once(
    listings_pool: asyncpg.Pool, payments_pool: asyncpg.Pool, own_nats: Server
) -> None:
    """Stays payments projected before the zone, with no newer event to come: the one-time
    sweep asks listings' booking snapshots and moves their unreleased payments (a payment
    already released keeps its history); once done, it asks nothing more."""
    paid_events = await honolulu_stay(listings_pool, 14)
    released_events = await honolulu_stay(listings_pool, 14)
    for event in paid_events + released_events:
        await apply(payments_pool, as_before(event))
    paid, released = (events[-1].booking.booking_id for events in (paid_events, released_events))  # type: ignore[attr-defined]
    await payments_pool.execute(
        "UPDATE payments SET status = 'succeeded', paid_at = now(),"
        " released_at = CASE WHEN booking_id = $2 THEN now() END WHERE booking_id = ANY($1::uuid[])",
        [paid, released],
        released,
    )
    was_released = await releases(payments_pool, released)

    nc = await bus.connect(own_nats.url, "listings-stand-in")
    asked: list[SnapshotPage] = []

    async def serve(msg: Msg) -> None:  # listings' snapshot endpoint, as its service answers it
        page = SnapshotPage.model_validate_json(msg.data)
        asked.append(page)
        reply = await listings_snapshots.snapshot_bookings(ctx(listings_pool, None), page)
        await msg.respond(reply.model_dump_json().encode())

    await nc.subscribe(subjects.SNAPSHOT_BOOKINGS, cb=serve)
    try:
        assert await jobs.learn_time_zones(payments_pool, nc, Settings()) == 2
        assert len(asked) == 1
        check_in = paid_events[-1].booking.check_in  # type: ignore[attr-defined]
        assert await releases(payments_pool, paid) == [
            stays.check_in_moment(check_in, HONOLULU) + domain.RELEASE_AFTER_CHECK_IN
        ]
        assert await releases(payments_pool, released) == was_released
        zones = await payments_pool.fetch("SELECT DISTINCT time_zone FROM bookings")
        assert [r["time_zone"] for r in zones] == [HONOLULU]
        # Done: nothing left to learn, no request.
        assert await jobs.learn_time_zones(payments_pool, nc, Settings()) == 0
        assert len(asked) == 1
    finally:
        await nc.close()
