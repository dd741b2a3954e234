"""Matching counts the nights a host blocked (listings' snapshot, ``ListingData.blocked``)
as taken, like an accepted stay: a room blocked over a rotation's dates is no room match,
in the columnar ranking and in the per-object one (``booked_stays``) alike, and only a
newer snapshot changes the blocks it holds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

import asyncpg
import pytest

from services.matching import ranking, store
from shared import hospitals
from shared.contracts.listings import ListingData, NightRange
from shared.db import create_pool, migrate

HOSPITAL = "the-johns-hopkins-hospital-baltimore-md"
START = date(2027, 3, 1)
END = START + timedelta(days=28)


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "matching", "services.matching.migrations")
    pool = await create_pool(fresh_db, "matching", size=2)
    yield pool
    await pool.close()


def room(listing_id: uuid.UUID, version: int, blocked: list[NightRange]) -> ListingData:
    hospital = hospitals.lookup(HOSPITAL)
    return ListingData(
        listing_id=listing_id,
        version=version,
        host_id=uuid.uuid4(),
        title="Room",
        room_type="private_room",
        latitude=hospital.latitude + 0.005,
        longitude=hospital.longitude,
        monthly_rent=1000,
        amenities=["wifi"],
        available_from=START - timedelta(days=10),
        available_to=END + timedelta(days=30),
        min_stay_nights=7,
        status="active",
        blocked=blocked,
    )


async def test_blocked_nights_keep_a_room_out_of_room_matches(pool: asyncpg.Pool) -> None:
    student, listing_id = uuid.uuid4(), uuid.uuid4()
    rotation_id = uuid.uuid4()
    fields = {"hospital_id": HOSPITAL, "start_date": START, "end_date": END, "specialty": "cardiology"}
    await store.insert_rotation(
        pool, rotation_id, student, fields | {"monthly_budget": None, "room_types": [], "amenities": []}
    )
    rotation = await store.rotation(pool, rotation_id)
    assert rotation is not None

    async def matched() -> bool:
        ranked = await ranking.rank_rooms_for(pool, rotation)
        return listing_id in ranked.ids_at(0)

    async with pool.acquire() as conn:
        assert await store.project_listing(conn, room(listing_id, 1, []))
    assert await matched()

    whole = [NightRange(start=START - timedelta(days=2), end=END + timedelta(days=2))]
    async with pool.acquire() as conn:
        assert await store.project_listing(conn, room(listing_id, 2, whole))
    assert not await matched()
    stays = await store.booked_stays(pool, [listing_id], START, END)
    assert [(s["check_in"], s["check_out"]) for s in stays] == [(whole[0].start, whole[0].end)]

    # An older snapshot (redelivered) does not bring the nights back; a newer one does.
    async with pool.acquire() as conn:
        assert not await store.project_listing(conn, room(listing_id, 1, []))
        assert not await matched()
        assert await store.project_listing(conn, room(listing_id, 3, []))
    assert await matched()
