"""Property: matching's projections converge to the source's newest state whatever the
order of delivery and however many times each event arrives (real Postgres)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.matching import store
from shared.contracts.accounts import UserData
from shared.contracts.listings import BookingData, ListingData
from shared.db import create_pool, migrate

LISTING, HOST, GUEST, BOOKING = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

listing_states: st.SearchStrategy[dict[str, object]] = st.builds(
    dict,
    title=st.sampled_from(["Room", "Quiet room", "Studio by the park"]),
    monthly_rent=st.integers(300, 5000),
    latitude=st.floats(39.0, 39.5),
    longitude=st.floats(-76.9, -76.4),
    status=st.sampled_from(["active", "draft", "archived"]),
    min_stay_nights=st.integers(1, 60),
    review_count=st.integers(0, 50),
)


def listing(version: int, state: dict[str, object]) -> ListingData:
    return ListingData.model_validate(
        {
            "listing_id": LISTING,
            "version": version,
            "host_id": HOST,
            "room_type": "private_room",
            "amenities": ["wifi"],
            "available_from": date(2027, 1, 1),
            "available_to": date(2027, 12, 31),
            **state,
        }
    )


def booking(version: int, status: str, shift: int) -> BookingData:
    return BookingData(
        booking_id=BOOKING,
        version=version,
        listing_id=LISTING,
        guest_id=GUEST,
        host_id=HOST,
        check_in=date(2027, 3, 1) + timedelta(days=shift),
        check_out=date(2027, 3, 29) + timedelta(days=shift),
        status=status,
        total_cents=100_000,
    )


def deliveries(n: int) -> st.SearchStrategy[list[int]]:
    """Indexes 0..n-1, each at least once, some repeated, in any order."""
    return st.lists(st.integers(0, n - 1), max_size=2 * n).flatmap(
        lambda extra: st.permutations(list(range(n)) + extra)
    )


STAYS = st.tuples(st.sampled_from(["requested", "accepted", "cancelled"]), st.integers(0, 9))
History = tuple[list[dict[str, object]], list[tuple[str, int]], list[bool], list[int]]
histories = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        st.lists(listing_states, min_size=n, max_size=n),
        st.lists(STAYS, min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        deliveries(n),
    )
)


async def _converge(
    dsn: str, history: tuple[list[dict[str, object]], list[tuple[str, int]], list[bool], list[int]]
) -> None:
    states, stays, opens, order = history
    listings = [listing(v + 1, s) for v, s in enumerate(states)]
    bookings = [booking(v + 1, status, shift) for v, (status, shift) in enumerate(stays)]
    users = [
        UserData(user_id=HOST, version=v + 1, role="professional", display_name=f"Dr. {v}", open_to_mentoring=o)
        for v, o in enumerate(opens)
    ]
    pool = await create_pool(dsn, "matching", size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("TRUNCATE listings, bookings, profiles")
            for i in order:
                async with conn.transaction():
                    await store.project_listing(conn, listings[i])
                    await store.project_booking(conn, bookings[i])
                    await store.project_profile(conn, users[i])
            held = await conn.fetchrow("SELECT * FROM listings")
            assert held is not None
            got = ListingData.model_validate({k: held[k] for k in ListingData.model_fields})
            assert got == listings[-1]
            stay = await conn.fetchrow("SELECT version, status, lower(stay) AS check_in FROM bookings")
            assert stay is not None
            assert (stay["version"], stay["status"], stay["check_in"]) == (
                bookings[-1].version,
                bookings[-1].status,
                bookings[-1].check_in,
            )
            person = await conn.fetchrow("SELECT version, data FROM profiles")
            assert person is not None and person["version"] == users[-1].version
            assert person["data"]["display_name"] == users[-1].display_name
    finally:
        await pool.close()


def test_projections_converge_under_reordered_and_repeated_events(fresh_db: str) -> None:
    """Histories of up to six versions of a listing, a booking and a profile, delivered in
    any order with repeats: the projection always ends at each one's newest version."""
    asyncio.run(migrate(fresh_db, "matching", "services.matching.migrations"))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(histories)
    def check(history: History) -> None:
        asyncio.run(_converge(fresh_db, history))

    check()
