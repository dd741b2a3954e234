"""The snapshot endpoints against a real Postgres: every listing, booking, user and block,
as their events carry them at their current version, once each across pages; and the
gateway routes none of them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
from pydantic import ValidationError

from services.accounts import store as accounts_store
from services.accounts import views as accounts_views
from services.accounts.app import app as accounts_app
from services.accounts.handlers import profiles, sessions
from services.accounts.handlers import snapshots as accounts_snapshots
from services.accounts.store import lifecycle as accounts_lifecycle
from services.gateway.openapi import build_openapi
from services.gateway.routes import ROUTES
from services.listings import jobs, store, views
from services.listings.app import PG_SETTINGS
from services.listings.app import app as listings_app
from services.listings.handlers import bookings, listings
from services.listings.handlers import snapshots as listings_snapshots
from services.listings.store import bookings as booking_store
from services.messaging import store_privacy as messaging_privacy
from services.messaging.app import app as messaging_app
from services.messaging.handlers import snapshots as messaging_snapshots
from services.messaging.store import safety as safety_store
from shared import subjects
from shared.contracts.accounts import ProfileFields, SignupRequest
from shared.contracts.listings import BookingAction, BookingRequest, ListingId, ListingUpdate
from shared.contracts.snapshots import SnapshotPage
from shared.db import create_pool, migrate
from shared.paging import MAX_PAGE_BYTES
from shared.service import Context
from tests.integration.test_listings_store import ctx, new_listing

SNAPSHOT_SUBJECTS = (
    subjects.SNAPSHOT_LISTINGS,
    subjects.SNAPSHOT_BOOKINGS,
    subjects.SNAPSHOT_USERS,
    subjects.SNAPSHOT_BLOCKS,
)
GATEWAY = Path(__file__).resolve().parents[2] / "services" / "gateway"


@pytest.fixture
async def listings_pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "listings", "services.listings.migrations")
    pool = await create_pool(fresh_db, "listings", size=3, server_settings=PG_SETTINGS)
    await jobs.ensure_directory(pool)
    yield pool
    await pool.close()


@pytest.fixture
async def messaging_pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "messaging", "services.messaging.migrations")
    pool = await create_pool(fresh_db, "messaging", size=3)
    yield pool
    await pool.close()


@pytest.fixture
async def accounts_pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "accounts", "services.accounts.migrations")
    pool = await create_pool(fresh_db, "accounts", size=3)
    yield pool
    await pool.close()


async def every_page(
    endpoint: Callable[[Context, SnapshotPage], Awaitable[Any]], pool: asyncpg.Pool, limit: int
) -> tuple[list[Any], list[int]]:
    """Every item the endpoint serves, asked as an operator tool does (no actor), page by
    page until ``next_after`` is None; and each page's size."""
    items: list[Any] = []
    sizes: list[int] = []
    after: uuid.UUID | None = None
    while True:
        page = await endpoint(ctx(pool, None), SnapshotPage(after=after, limit=limit))
        items += page.items
        sizes.append(len(page.items))
        assert len(sizes) < 1000, "the pages never end"
        if page.next_after is None:
            return items, sizes
        assert page.next_after == key(page.items[-1])
        after = page.next_after


def key(item: Any) -> uuid.UUID:
    for name in ("booking_id", "user_id", "listing_id", "pair_id"):  # a booking names its listing too
        if hasattr(item, name):
            return getattr(item, name)  # type: ignore[no-any-return]
    raise AssertionError(item)


def test_the_request_is_checked() -> None:
    """A page starts after a canonical id or at the start; its limit is 1 to 1000 (500 when
    omitted); unknown fields are refused."""
    after = uuid.uuid4()
    assert SnapshotPage.model_validate_json(orjson.dumps({"after": str(after), "limit": 2})).after == after
    assert SnapshotPage.model_validate_json(b"{}") == SnapshotPage(after=None, limit=500)
    for bad in ({"limit": 0}, {"limit": 1001}, {"after": after.hex}, {"cursor": "x"}):
        with pytest.raises(ValidationError):
            SnapshotPage.model_validate_json(orjson.dumps(bad))


async def test_every_listing_and_booking_once_at_its_current_version(listings_pool: asyncpg.Pool) -> None:
    """Listings of every status and bookings of every status come back once each, in id
    order, across pages of two, equal to what their events carry; a change shows in the
    next snapshot with a higher version."""
    pool = listings_pool
    host = uuid.uuid4()
    as_host = ctx(pool, host, "professional")
    active = [(await listings.create_listing(as_host, new_listing(title=f"Room {n}"))).id for n in range(3)]
    draft = (await listings.create_listing(as_host, new_listing(title="Draft", status="draft"))).id
    archived = (await listings.create_listing(as_host, new_listing(title="Gone"))).id
    await listings.archive_listing(as_host, ListingId(listing_id=archived))

    start = date.today() + timedelta(days=10)
    booked: dict[str, uuid.UUID] = {}
    statuses = ("requested", "accepted", "declined", "cancelled", "expired", "confirmed", "completed")
    for n, status in enumerate(statuses):
        guest = uuid.uuid4()
        stay = BookingRequest(
            listing_id=active[0], check_in=start + timedelta(days=30 * n), check_out=start + timedelta(days=30 * n + 14)
        )
        made = await bookings.request_booking(ctx(pool, guest), stay)
        booked[status] = made.id
        action = BookingAction(booking_id=made.id)
        if status == "accepted":
            await bookings.accept_booking(as_host, action)
        elif status == "declined":
            await bookings.decline_booking(as_host, action)
        elif status == "cancelled":
            await bookings.cancel_booking(ctx(pool, guest), action)
        elif status != "requested":  # what payments and the sweep do, at once
            await pool.execute("UPDATE bookings SET status = $2 WHERE id = $1", made.id, status)

    listed, sizes = await every_page(listings_snapshots.snapshot_listings, pool, 2)
    assert sizes == [2, 2, 1]  # five listings: the last page is not full, so it says so
    assert [key(item) for item in listed] == sorted([*active, draft, archived])
    assert {item.status for item in listed} == {"active", "draft", "archived"}
    for item in listed:
        row = await store.listing(pool, item.listing_id)
        assert row is not None
        assert item == views.listing_data(row)

    stays, sizes = await every_page(listings_snapshots.snapshot_bookings, pool, 2)
    assert sizes == [2, 2, 2, 1]
    assert [key(item) for item in stays] == sorted(booked.values())
    assert {item.booking_id: item.status for item in stays} == {booking_id: s for s, booking_id in booked.items()}
    for item in stays:
        row = await booking_store.booking(pool, item.booking_id)
        assert row is not None
        assert item == views.booking_data(row)

    # Five listings fill a page of five exactly: it still names its last id, and the page
    # after it is empty.
    listed, sizes = await every_page(listings_snapshots.snapshot_listings, pool, 5)
    assert sizes == [5, 0]

    before = {item.listing_id: item.version for item in listed}
    await listings.update_listing(as_host, ListingUpdate(listing_id=active[1], title="Renamed room"))
    listed, _ = await every_page(listings_snapshots.snapshot_listings, pool, 2)
    changed = next(item for item in listed if item.listing_id == active[1])
    assert changed.title == "Renamed room" and changed.version > before[active[1]]
    assert changed.version == await pool.fetchval("SELECT version FROM listings WHERE id = $1", active[1])
    assert {item.listing_id: item.version for item in listed if item.listing_id != active[1]} == {
        listing_id: version for listing_id, version in before.items() if listing_id != active[1]
    }

    # A row an older replica wrote without a public position has no snapshot until the
    # sweep places it (events never carry the exact point).
    await pool.execute("UPDATE listings SET public_latitude = NULL, public_longitude = NULL WHERE id = $1", active[2])
    listed, _ = await every_page(listings_snapshots.snapshot_listings, pool, 2)
    assert [key(item) for item in listed] == sorted({*before} - {active[2]})


async def test_every_user_once_at_its_current_version_and_none_deleted(accounts_pool: asyncpg.Pool) -> None:
    """Users come back once each, in id order, across pages of two, as their events carry
    them; a profile change raises the version in the next snapshot; a deleted user is gone."""
    pool = accounts_pool
    users: dict[uuid.UUID, str] = {}
    for n, role in enumerate(("student", "professional", "student", "professional", "student")):
        email = f"user{n}@snapshots.test"
        signup = SignupRequest(email=email, password="a-long-password", display_name=f"User {n}", role=role)
        made = await sessions.signup(ctx(pool, None), signup)
        users[made.user.id] = email

    found, sizes = await every_page(accounts_snapshots.snapshot_users, pool, 2)
    assert sizes == [2, 2, 1]
    assert [key(item) for item in found] == sorted(users)
    async with pool.acquire() as conn:
        for item in found:
            assert item == accounts_views.user_data(await accounts_store.snapshot(conn, item.user_id))

    student = sorted(users)[0]
    before = found[0].version
    change = ProfileFields.model_validate({"bio": "Cardiology", "languages": ["es"]})
    await profiles.update_profile(ctx(pool, student), change)
    found, _ = await every_page(accounts_snapshots.snapshot_users, pool, 2)
    assert found[0].user_id == student
    assert (found[0].bio, found[0].languages) == ("Cardiology", ["es"])
    assert found[0].version > before

    deleted = sorted(users)[2]
    async with pool.acquire() as conn, conn.transaction():
        await accounts_lifecycle.erase(conn, deleted, users[deleted])
    found, sizes = await every_page(accounts_snapshots.snapshot_users, pool, 2)
    assert [key(item) for item in found] == sorted(set(users) - {deleted})
    assert sizes == [2, 2, 0]


async def test_a_page_fits_in_one_nats_message(accounts_pool: asyncpg.Pool) -> None:
    """Users with long bios make a page stop before MAX_PAGE_BYTES, whatever its limit: it
    names its last id, and the pages together still hold everyone once."""
    pool = accounts_pool
    bio = "🩺" * 2000  # the longest bio, four bytes a character
    async with pool.acquire() as conn, conn.transaction():
        for n in range(200):
            user_id = uuid.uuid4()
            await accounts_store.insert_user(conn, user_id, f"long{n}@snapshots.test", "x", f"Long {n}", "student")
            await accounts_store.save_profile(conn, user_id, {"bio": bio}, None)
    first = await accounts_snapshots.snapshot_users(ctx(pool, None), SnapshotPage(limit=1000))
    assert 0 < len(first.items) < 200
    assert first.next_after == first.items[-1].user_id
    assert len(first.model_dump_json().encode()) <= MAX_PAGE_BYTES < 1024 * 1024
    found, sizes = await every_page(accounts_snapshots.snapshot_users, pool, 1000)
    assert len(found) == len({key(item) for item in found}) == 200
    assert len(sizes) >= 2


async def test_every_block_once_with_its_state(messaging_pool: asyncpg.Pool) -> None:
    """Every pair ever blocked comes back once, in pair-id order across pages of two, blocked
    or lifted at the version of its last change; a deleted user's pairs are absent."""
    pool = messaging_pool
    pairs = [(uuid.uuid4(), uuid.uuid4()) for _ in range(5)]
    async with pool.acquire() as conn, conn.transaction():
        for blocker, blocked in pairs:
            assert await safety_store.block(conn, blocker, blocked) is not None
        assert await safety_store.block(conn, *pairs[0]) is None  # already blocked: no change
        lifted = await safety_store.unblock(conn, *pairs[1])
        assert lifted is not None and lifted["version"] == 2
        assert await safety_store.unblock(conn, *pairs[1]) is None
        await messaging_privacy.erase(conn, pairs[4][1])
    found, sizes = await every_page(messaging_snapshots.snapshot_blocks, pool, 2)
    assert [key(item) for item in found] == sorted(key(item) for item in found)
    assert sizes == [2, 2, 0]
    held = {(b.blocker_id, b.blocked_id): (b.blocked, b.version) for b in found}
    assert held == {pairs[0]: (True, 1), pairs[1]: (False, 2), pairs[2]: (True, 1), pairs[3]: (True, 1)}


def test_the_services_serve_the_snapshot_subjects() -> None:
    """Listings answers the listings' and bookings' pages, accounts the users', messaging
    the blocks'."""
    assert {subjects.SNAPSHOT_LISTINGS, subjects.SNAPSHOT_BOOKINGS} <= {ep.subject for ep in listings_app.endpoints}
    assert subjects.SNAPSHOT_USERS in {ep.subject for ep in accounts_app.endpoints}
    assert subjects.SNAPSHOT_BLOCKS in {ep.subject for ep in messaging_app.endpoints}


def test_the_gateway_routes_no_snapshot_subject() -> None:
    """No REST route forwards to a snapshot subject, the API document has no operation of
    theirs, and no gateway module names them."""
    assert not set(SNAPSHOT_SUBJECTS) & {route.subject for route in ROUTES}
    document = orjson.dumps(build_openapi(ROUTES, "/api/v1")).decode()
    for subject in SNAPSHOT_SUBJECTS:
        assert subject.rsplit(".", 1)[-1].replace("-", "_") not in document
    for source in GATEWAY.rglob("*.py"):
        text = source.read_text()
        for name in ("SNAPSHOT_LISTINGS", "SNAPSHOT_BOOKINGS", "SNAPSHOT_USERS", "SNAPSHOT_BLOCKS", *SNAPSHOT_SUBJECTS):
            assert name not in text, source
