"""Version-aware projections: a listing's updates delivered out of order, and twice, leave
the projection at the newest snapshot; the hosts projection of listings likewise."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date

import asyncpg
import pytest

from services.listings import consumers as listings_consumers
from services.matching import consumers as matching_consumers
from services.matching import ranking as ranking_module
from services.matching import store
from shared import bus, hospitals
from shared.consumers import Apply, Consumer
from shared.contracts.accounts import ProfileUpdated, UserData, UserRegistered, UserVerified
from shared.contracts.base import Event
from shared.contracts.listings import (
    BookingAccepted,
    BookingCancelled,
    BookingData,
    BookingRequested,
    ListingArchived,
    ListingData,
    ListingPublished,
    ListingUpdated,
)
from shared.db import create_pool, migrate
from tests.conftest import Infra


@pytest.fixture
async def nc(infra: Infra) -> AsyncIterator[bus.NATS]:
    conn = await bus.connect(infra.nats_url, "projection-test")
    yield conn
    await conn.close()


async def _pool(dsn: str, schema: str, migrations: str) -> asyncpg.Pool:
    await migrate(dsn, schema, migrations)
    return await create_pool(dsn, schema, size=3)


@pytest.fixture
async def matching(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await _pool(fresh_db, "matching", "services.matching.migrations")
    yield pool
    await pool.close()


def consumer(pool: asyncpg.Pool, nc: bus.NATS, apply: Apply) -> Consumer:
    # Only handle_event is used: the inbox and the effect, as a delivery runs them.
    return Consumer(pool, nc, f"test-{uuid.uuid4().hex[:6]}", ["events.>"], apply)


def listing(version: int, **changes: object) -> ListingData:
    base = ListingData(
        listing_id=LISTING,
        version=1,
        host_id=HOST,
        title="Room near the hospital",
        room_type="private_room",
        latitude=39.2995,
        longitude=-76.5950,
        monthly_rent=1000,
        amenities=["wifi"],
        available_from=date(2027, 1, 1),
        available_to=date(2027, 12, 31),
        min_stay_nights=14,
        status="active",
    )
    return base.model_copy(update={"version": version, **changes})


LISTING, HOST = uuid.uuid4(), uuid.uuid4()
HOSPITAL_NEAR = "the-johns-hopkins-hospital-baltimore-md"


async def test_listing_updates_out_of_order_keep_the_newest(matching: asyncpg.Pool, nc: bus.NATS) -> None:
    """Every order of a listing's four events, each delivered twice, ends at version 4."""
    history: list[Event] = [
        ListingPublished(listing=listing(1)),
        ListingUpdated(listing=listing(2, monthly_rent=1200)),
        ListingUpdated(listing=listing(3, monthly_rent=1200, title="Renamed", latitude=39.31)),
        ListingArchived(listing=listing(4, monthly_rent=1200, title="Renamed", latitude=39.31, status="archived")),
    ]
    newest = history[-1]
    assert isinstance(newest, ListingArchived)
    for order in itertools.permutations(history):
        await matching.execute("DELETE FROM listings")
        # A fresh consumer per order: the inbox of the last one would skip every event.
        project = consumer(matching, nc, matching_consumers.project_listings)
        applied = [await project.handle_event(event) for event in (*order, *order)]
        assert applied == [True] * 4 + [False] * 4  # the second delivery is a no-op
        row = await matching.fetchrow("SELECT * FROM listings WHERE listing_id = $1", LISTING)
        assert row is not None
        held = {k: row[k] for k in ListingData.model_fields if k != "listing_id"} | {"listing_id": row["listing_id"]}
        assert ListingData.model_validate(held) == newest.listing, [type(e).__name__ for e in order]
    # The indexed position follows the latitude of the newest snapshot.
    moved = await matching.fetchval(
        "SELECT earth_distance(position, ll_to_earth(39.31, -76.5950)) FROM listings WHERE listing_id = $1", LISTING
    )
    assert moved < 1.0


async def test_booking_snapshots_apply_only_when_newer(matching: asyncpg.Pool, nc: bus.NATS) -> None:
    """An accepted stay cancelled later stays cancelled when the acceptance arrives last."""
    booking_id = uuid.uuid4()

    def booking(version: int, status: str) -> BookingData:
        return BookingData(
            booking_id=booking_id,
            version=version,
            listing_id=LISTING,
            guest_id=uuid.uuid4(),
            host_id=HOST,
            check_in=date(2027, 3, 1),
            check_out=date(2027, 3, 29),
            status=status,
            total_cents=100_000,
        )

    project = consumer(matching, nc, matching_consumers.project_bookings)
    await project.handle_event(BookingCancelled(booking=booking(3, "cancelled"), cancelled_by=HOST))
    await project.handle_event(BookingRequested(booking=booking(1, "requested")))
    await project.handle_event(BookingAccepted(booking=booking(2, "accepted")))
    row = await matching.fetchrow("SELECT version, status FROM bookings WHERE booking_id = $1", booking_id)
    assert row is not None and (row["version"], row["status"]) == (3, "cancelled")


def user(version: int, name: str, verified: bool = False) -> UserData:
    return UserData(user_id=HOST, version=version, role="professional", display_name=name, verified=verified)


async def test_hosts_projection_keeps_the_newest_user_snapshot(fresh_db: str, nc: bus.NATS) -> None:
    """Listings' hosts (name, badge): a late registration cannot undo a verification."""
    pool = await _pool(fresh_db, "listings", "services.listings.migrations")
    try:
        project = consumer(pool, nc, listings_consumers.project_hosts)
        await project.handle_event(UserVerified(user=user(3, "Dr. Renamed", verified=True)))
        await project.handle_event(ProfileUpdated(user=user(2, "Dr. Renamed")))
        await project.handle_event(UserRegistered(user=user(1, "Dr. Host")))
        row = await pool.fetchrow("SELECT display_name, verified, version FROM hosts WHERE user_id = $1", HOST)
        assert row is not None and tuple(row) == ("Dr. Renamed", True, 3)
    finally:
        await pool.close()


async def rotation_near(
    matching: asyncpg.Pool,
) -> tuple[uuid.UUID, Callable[[], Awaitable[ranking_module.Ranking]]]:
    """A cardiology rotation at HOSPITAL_NEAR in March 2027, and its room ranking as this
    replica would serve it (cached)."""
    rotation_id = uuid.uuid4()
    fields = {
        "hospital_id": HOSPITAL_NEAR,
        "specialty": "cardiology",
        "start_date": date(2027, 3, 1),
        "end_date": date(2027, 3, 29),
        "monthly_budget": None,
        "room_types": [],
        "amenities": [],
    }
    await store.insert_rotation(matching, rotation_id, uuid.uuid4(), fields)

    async def ranking() -> ranking_module.Ranking:
        row = await store.rotation(matching, rotation_id)
        assert row is not None
        return await ranking_module.rank_rooms_for(matching, row, cached=True)

    return rotation_id, ranking


async def test_a_cached_room_ranking_holds_only_while_nothing_changed(matching: asyncpg.Pool, nc: bus.NATS) -> None:
    """A replica reuses a rotation's room ranking until a projection changes (the epoch
    moves in the consumer's transaction) or the rotation does (its version moves)."""
    hospital = hospitals.lookup(HOSPITAL_NEAR)
    project = consumer(matching, nc, matching_consumers.project_listings)
    here = {"latitude": hospital.latitude + 0.002, "longitude": hospital.longitude}
    await project.handle_event(ListingPublished(listing=listing(1, **here)))
    rotation_id, ranking = await rotation_near(matching)

    first = await ranking()
    assert first.ids_at(0) == [LISTING] and len(first) == 1
    assert await ranking() is first  # nothing changed: the same ranking, not a new one
    row = await store.rotation(matching, rotation_id)
    assert row is not None
    page = await first.page(matching, row, 0, 20)
    assert [m["listing"]["monthly_rent"] for m in page] == [1000]
    assert await first.page(matching, row, 0, 20) is page  # explained once

    # A change of the listing (its rent doubles) moves the epoch: ranked anew.
    await project.handle_event(ListingUpdated(listing=listing(2, **here, monthly_rent=4000)))
    second = await ranking()
    assert second is not first and second.ids_at(0) == [LISTING]
    assert [m["listing"]["monthly_rent"] for m in await second.page(matching, row, 0, 20)] == [4000]
    # A redelivered (older) snapshot changes nothing, so the ranking holds.
    await project.handle_event(ListingUpdated(listing=listing(2, **here, monthly_rent=4000)))
    assert await ranking() is second

    # The rotation moves to dates the room is not free for: ranked anew, and it is gone.
    await store.update_rotation(matching, rotation_id, {"start_date": date(2029, 3, 1), "end_date": date(2029, 3, 9)})
    assert len(await ranking()) == 0


async def test_a_room_ranking_is_dropped_only_by_a_change_within_its_reach(
    matching: asyncpg.Pool, nc: bus.NATS
) -> None:
    """Epochs per region: a change of a listing in Boston keeps a Baltimore rotation's
    ranking; a change of a listing, a stay or a host's profile in Baltimore, or of the
    rotation, drops it (each counted in the consumer's own transaction)."""
    baltimore, boston = hospitals.lookup(HOSPITAL_NEAR), hospitals.lookup("massachusetts-general-hospital-boston-ma")
    project = consumer(matching, nc, matching_consumers.project_listings)
    here = {"latitude": baltimore.latitude + 0.002, "longitude": baltimore.longitude}
    there = {"latitude": boston.latitude + 0.002, "longitude": boston.longitude}
    far, far_host = uuid.uuid4(), uuid.uuid4()
    await project.handle_event(ListingPublished(listing=listing(1, **here)))
    await project.handle_event(ListingPublished(listing=listing(1, **there, listing_id=far, host_id=far_host)))
    rotation_id, ranking = await rotation_near(matching)

    first = await ranking()
    assert first.ids_at(0) == [LISTING]
    assert await ranking() is first  # nothing changed

    # Boston: its listing's rent, its stays and its host's profile change; Baltimore's holds.
    await project.handle_event(ListingUpdated(listing=listing(2, **there, listing_id=far, host_id=far_host)))
    await consumer(matching, nc, matching_consumers.project_bookings).handle_event(
        BookingAccepted(
            booking=BookingData(
                booking_id=uuid.uuid4(),
                version=2,
                listing_id=far,
                guest_id=uuid.uuid4(),
                host_id=far_host,
                check_in=date(2027, 3, 1),
                check_out=date(2027, 3, 29),
                status="accepted",
                total_cents=100_000,
            )
        )
    )
    profiles = consumer(matching, nc, matching_consumers.project_profiles)
    await profiles.handle_event(
        ProfileUpdated(user=UserData(user_id=far_host, version=2, role="professional", display_name="Dr. Far"))
    )
    assert await ranking() is first

    # Baltimore: the listing's stay over the rotation's dates drops it (and the room).
    await consumer(matching, nc, matching_consumers.project_bookings).handle_event(
        BookingAccepted(
            booking=BookingData(
                booking_id=uuid.uuid4(),
                version=2,
                listing_id=LISTING,
                guest_id=uuid.uuid4(),
                host_id=HOST,
                check_in=date(2027, 2, 1),
                check_out=date(2027, 3, 28),
                status="accepted",
                total_cents=100_000,
            )
        )
    )
    second = await ranking()
    assert second is not first and len(second) == 0
    assert await ranking() is second

    # The host's profile (their listing is in Baltimore's reach): ranked anew.
    await profiles.handle_event(
        ProfileUpdated(user=UserData(user_id=HOST, version=2, role="professional", display_name="Dr. Host"))
    )
    third = await ranking()
    assert third is not second and await ranking() is third

    # The listing moves from Boston to Baltimore: the Boston one now counts here.
    await project.handle_event(ListingUpdated(listing=listing(3, **here, listing_id=far, host_id=far_host)))
    fourth = await ranking()
    assert fourth is not third and fourth.ids_at(0) == []  # booked over the dates
    # A listing of Baltimore changes: dropped.
    await project.handle_event(ListingUpdated(listing=listing(4, **here, listing_id=far, host_id=far_host)))
    fifth = await ranking()
    assert fifth is not fourth and await ranking() is fifth

    # The rotation changes: dropped.
    await store.update_rotation(matching, rotation_id, {"monthly_budget": 900})
    assert await ranking() is not fifth
