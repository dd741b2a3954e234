"""Listings' store and handlers against a real Postgres: expiry, completion, reviews, and
the search plan at scale."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta

import asyncpg
import orjson
import pytest

from services.listings import consumers, domain, jobs, store
from services.listings.app import PG_SETTINGS
from services.listings.handlers import bookings, calendar, listings, reviews
from services.listings.store import bookings as booking_store
from services.listings.store import privacy as store_privacy
from shared import geo, stays, timezones
from shared.contracts.base import Actor, Empty
from shared.contracts.calendar import CalendarStayRequest
from shared.contracts.listings import (
    BookingAction,
    BookingRequest,
    BookingShiftDeclined,
    ListingCreate,
    ListingId,
    ListingPublished,
    ListingReviews,
    ListingSearch,
    ListingUpdate,
    MyBookings,
    ReviewCreate,
    ReviewPosted,
    SearchPage,
    ShiftRequest,
)
from shared.contracts.matching import MovedStay, RotationMoved
from shared.db import create_pool, migrate
from shared.errors import AppError
from shared.service import Context
from shared.settings import Settings


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "listings", "services.listings.migrations")
    p = await create_pool(fresh_db, "listings", size=5, server_settings=PG_SETTINGS)
    await jobs.ensure_directory(p)
    yield p
    await p.close()


def ctx(pool: asyncpg.Pool, user: uuid.UUID | None, role: str = "student") -> Context:
    actor = Actor(user_id=user, role=role) if user else None
    return Context(actor, "test", pool, Settings(), None)  # type: ignore[arg-type]


async def seed_booking(
    pool: asyncpg.Pool, host: uuid.UUID, guest: uuid.UUID, start: date, end: date, status: str, expires: datetime
) -> uuid.UUID:
    listing_id, booking_id = uuid.uuid4(), uuid.uuid4()
    public = domain.public_point(Settings().secret_key, listing_id, 39.3, -76.6)
    async with pool.acquire() as conn:
        await store.insert_listing(
            conn,
            listing_id,
            host,
            {
                "title": "Room",
                "room_type": "private_room",
                "address": "1 Test St",
                "latitude": 39.3,
                "longitude": -76.6,
                "public_latitude": public[0],
                "public_longitude": public[1],
                "monthly_rent": 1000,
                "available_from": start - timedelta(days=30),
                "available_to": end + timedelta(days=30),
                "min_stay_nights": 1,
                "status": "active",
            },
        )
        await conn.execute(
            "INSERT INTO bookings(id, listing_id, guest_id, host_id, stay, total_cents, status,"
            " hospital_id, expires_at) VALUES ($1, $2, $3, $4, daterange($5, $6), 1000, $7, $8, $9)",
            booking_id,
            listing_id,
            guest,
            host,
            start,
            end,
            status,
            "the-johns-hopkins-hospital-baltimore-md",
            expires,
        )
    return booking_id


async def test_sweep_expires_unanswered_and_completes_ended_stays(pool: asyncpg.Pool) -> None:
    """Requests past their deadline expire; confirmed (paid) stays that ended complete; both
    emit events. (An accepted stay left unpaid is expired by payments' deadline instead.)"""
    host, guest = uuid.uuid4(), uuid.uuid4()
    today = stays.local_today(datetime.now(UTC), "America/New_York")  # the rooms' date (Baltimore)
    past = datetime.now(UTC) - timedelta(minutes=1)
    stale = await seed_booking(
        pool, host, guest, today + timedelta(days=5), today + timedelta(days=20), "requested", past
    )
    fresh = await seed_booking(
        pool,
        host,
        guest,
        today + timedelta(days=5),
        today + timedelta(days=20),
        "requested",
        datetime.now(UTC) + timedelta(hours=1),
    )
    ended = await seed_booking(pool, host, guest, today - timedelta(days=20), today, "confirmed", past)
    ongoing = await seed_booking(
        pool, host, guest, today - timedelta(days=2), today + timedelta(days=5), "confirmed", past
    )
    assert await jobs.sweep_bookings(pool) == 2
    statuses = {r["id"]: r["status"] for r in await pool.fetch("SELECT id, status FROM bookings")}
    assert statuses == {stale: "expired", fresh: "requested", ended: "completed", ongoing: "confirmed"}
    subjects = sorted(r["subject"] for r in await pool.fetch("SELECT subject FROM outbox"))
    assert subjects[-2:] == ["events.listings.booking.completed", "events.listings.booking.expired"]
    assert await jobs.sweep_bookings(pool) == 0
    # On the rules' clock moved past the ongoing stay and the fresh request's deadline (the
    # services' clock offset), the sweep counts by it: Postgres' own clock never got there.
    assert await jobs.sweep_bookings(pool, datetime.now(UTC) + timedelta(days=10)) == 2
    statuses = {r["id"]: r["status"] for r in await pool.fetch("SELECT id, status FROM bookings")}
    assert statuses == {stale: "expired", fresh: "expired", ended: "completed", ongoing: "completed"}


async def test_reviews_after_completed_stay_once_per_side(pool: asyncpg.Pool) -> None:
    """Each side reviews once, after completion, naming the hospital and month; others can't."""
    host, guest, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    today = date.today()
    start = today - timedelta(days=20)
    booking = await seed_booking(pool, host, guest, start, today + timedelta(days=3), "accepted", datetime.now(UTC))
    with pytest.raises(AppError) as early:
        await reviews.post_review(ctx(pool, guest), ReviewCreate(booking_id=booking, rating=5, text="Great"))
    assert early.value.code == "conflict"
    await pool.execute("UPDATE bookings SET status = 'completed' WHERE id = $1", booking)

    review = await reviews.post_review(ctx(pool, guest), ReviewCreate(booking_id=booking, rating=4, text="Lovely"))
    assert review.author_role == "guest" and review.subject_id == host
    assert review.hospital_name == "The Johns Hopkins Hospital" and review.stay_month == start.strftime("%Y-%m")
    back = await reviews.post_review(
        ctx(pool, host, "professional"), ReviewCreate(booking_id=booking, rating=5, text="Tidy guest")
    )
    assert back.author_role == "host" and back.subject_id == guest
    with pytest.raises(AppError) as twice:
        await reviews.post_review(ctx(pool, guest), ReviewCreate(booking_id=booking, rating=1, text="again"))
    assert twice.value.code == "conflict"
    with pytest.raises(AppError) as other:
        await reviews.post_review(ctx(pool, stranger), ReviewCreate(booking_id=booking, rating=1, text="hm"))
    assert other.value.code == "not_found"
    listing = await pool.fetchrow(
        "SELECT review_sum, review_count FROM listings l JOIN bookings b ON b.listing_id = l.id WHERE b.id = $1",
        booking,
    )
    assert (listing["review_sum"], listing["review_count"]) == (4, 1)
    # The listing's page lists the guest's review; the host's is about the guest, not the room.
    listing_id = await pool.fetchval("SELECT listing_id FROM bookings WHERE id = $1", booking)
    page = await reviews.list_reviews(ctx(pool, stranger), ListingReviews(listing_id=listing_id))
    assert [(r.id, r.text, r.hospital_name) for r in page.items] == [
        (review.id, "Lovely", "The Johns Hopkins Hospital")
    ]
    assert page.next_cursor is None
    # Each review's event carries the review and the listing after it: the guest's moved
    # the average (and the version); the host's left the listing as it was.
    posted = [
        ReviewPosted.model_validate_json(r["payload"])
        for r in await pool.fetch("SELECT payload FROM outbox WHERE subject = $1 ORDER BY seq", ReviewPosted.subject)
    ]
    assert [(p.review.review_id, p.review.author_role, p.review.rating) for p in posted] == [
        (review.id, "guest", 4),
        (back.id, "host", 5),
    ]
    assert posted[0].review.subject_id == host and posted[0].review.stay_month == review.stay_month
    assert (posted[0].listing.review_average, posted[0].listing.review_count) == (4.0, 1)
    assert posted[1].listing == posted[0].listing and posted[0].listing.version == 2


async def service_plan(pool: asyncpg.Pool, sql: str, args: list[object]) -> str:
    """The plan the service's prepared statement runs with (its connections' settings)."""
    async with pool.acquire() as conn:
        name = f"s_{uuid.uuid4().hex[:8]}"
        await conn.execute(f"PREPARE {name} AS {sql}")  # simple protocol: $n stay parameters
        literals = ", ".join("'" + str(a).replace("'", "''") + "'" for a in args)
        rows = await conn.fetch(f"EXPLAIN EXECUTE {name}({literals})")
        await conn.execute(f"DEALLOCATE {name}")
    return "\n".join(r[0] for r in rows)


async def test_search_plan_uses_the_gist_index_at_scale(pool: asyncpg.Pool) -> None:
    """At 50k listings the service's plan walks the GiST index nearest-first: no table
    scan, no bitmap of every listing in the box followed by a sort."""
    await pool.execute(
        """
        INSERT INTO listings(id, host_id, title, room_type, address, latitude, longitude, position,
            monthly_rent, available_from, available_to, min_stay_nights, status)
        SELECT gen_random_uuid(), gen_random_uuid(), 'Room ' || g, 'private_room', 'x', lat, lon,
               ll_to_earth(lat, lon), 500 + (g % 2000), current_date, current_date + 365, 7, 'active'
        FROM (SELECT g, 25 + random() * 23 AS lat, -124 + random() * 57 AS lon
              FROM generate_series(1, 50000) g) s
        """
    )
    # Blocked nights on one room in ten: search probes them per room through the blocks'
    # GiST index, as it probes bookings, never by reading the table.
    await pool.execute(
        """
        INSERT INTO blocked_dates(id, listing_id, nights)
        SELECT gen_random_uuid(), id, daterange(current_date + 5 + (n % 40)::int, current_date + 9 + (n % 40)::int)
        FROM (SELECT id, row_number() OVER () AS n FROM listings) s WHERE n % 10 = 0
        """
    )
    await pool.execute("ANALYZE listings")
    await pool.execute("ANALYZE blocked_dates")
    req = ListingSearch.model_validate(
        {
            "hospital_id": "x",
            "from": str(date.today() + timedelta(days=10)),
            "to": str(date.today() + timedelta(days=38)),
            "radius_km": 25,
        }
    )
    sql, args = store.search_query(req, (39.296, -76.592), None)
    plan = await service_plan(pool, sql, args)
    assert "Index Scan using listings_position" in plan and 'Order By: ("position" <->' in plan, plan
    assert "Seq Scan on listings" not in plan and "Bitmap Heap Scan on listings" not in plan, plan
    assert "using blocked_dates_no_overlap on blocked_dates" in plan and "Seq Scan on blocked_dates" not in plan, plan
    by_price = ListingSearch.model_validate({"sort": "price", "max_rent": 900})
    sql, args = store.search_query(by_price, None, None)
    plan = await service_plan(pool, sql, args)
    assert "Seq Scan on listings" not in plan, plan
    # A search without dates does not look at blocks at all.
    assert "blocked_dates" not in plan, plan


async def test_search_reply_bytes_match_the_listing_page_contract(pool: asyncpg.Pool) -> None:
    """The hand-serialized search page parses as SearchPage and equals pydantic's own JSON."""
    host, guest = uuid.uuid4(), uuid.uuid4()
    today = date.today()
    await seed_booking(
        pool, host, guest, today + timedelta(days=5), today + timedelta(days=9), "accepted", datetime.now(UTC)
    )
    req = ListingSearch.model_validate(
        {"near": "39.3,-76.6", "from": str(today + timedelta(days=20)), "to": str(today + timedelta(days=30))}
    )
    raw = await listings.search_listings(ctx(pool, None), req)
    page = SearchPage.model_validate_json(raw.body)
    item = page.items[0]
    assert len(page.items) == 1 and item.stay_total == 328.8
    assert item.location.approximate and item.location.address is None
    # Measured from the public point shown (the room itself is at 39.3, -76.6).
    assert item.distance_km == round(geo.haversine_km(39.3, -76.6, item.location.latitude, item.location.longitude), 1)
    assert orjson.loads(raw.body) == orjson.loads(page.model_dump_json())


async def test_python_and_postgres_measure_the_same_distance(pool: asyncpg.Pool) -> None:
    """One great-circle distance: shared.geo agrees with earthdistance to the centimetre,
    so a radius filtered in SQL and a distance scored in Python never disagree."""
    pairs = [((39.2961, -76.5920), (39.3, -76.6)), ((39.2961, -76.5920), (42.3626, -71.0693)), ((0, 0), (0, 179))]
    for (lat1, lon1), (lat2, lon2) in pairs:
        sql_m = await pool.fetchval(
            "SELECT earth_distance(ll_to_earth($1, $2), ll_to_earth($3, $4))", lat1, lon1, lat2, lon2
        )
        assert geo.haversine_km(lat1, lon1, lat2, lon2) * 1000 == pytest.approx(sql_m, abs=0.01)


ROOM = (39.3035, -76.5904)  # the exact point of the rooms below


def new_listing(**fields: object) -> ListingCreate:
    today = date.today()
    return ListingCreate.model_validate(
        {
            "title": "Quiet room",
            "room_type": "private_room",
            "address": "12 Exact St, Baltimore",
            "latitude": ROOM[0],
            "longitude": ROOM[1],
            "monthly_rent": 1100,
            "available_from": str(today),
            "available_to": str(today + timedelta(days=300)),
            **fields,
        }
    )


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return geo.haversine_km(*a, *b) * 1000


async def test_nothing_but_the_host_learns_the_exact_point(pool: asyncpg.Pool) -> None:
    """Search filters, orders and measures by the public position, and events carry only
    it: a caller who centres a search on the door with the smallest radius finds nothing,
    and every distance shown is the public point's (the exact one, adaptively probed,
    would give the door away)."""
    host, visitor = uuid.uuid4(), uuid.uuid4()
    created = await listings.create_listing(ctx(pool, host, "professional"), new_listing())
    assert (created.location.latitude, created.location.longitude) == ROOM  # the host's view
    shown = await listings.get_listing(ctx(pool, visitor), ListingId(listing_id=created.id))
    public = (shown.location.latitude, shown.location.longitude)
    assert shown.location.approximate and 100 < metres(public, ROOM) < domain.APPROX_OFFSET_M + 80

    async def search(centre: tuple[float, float], radius_km: float) -> list[dict[str, object]]:
        req = ListingSearch.model_validate({"near": f"{centre[0]},{centre[1]}", "radius_km": radius_km})
        raw = await listings.search_listings(ctx(pool, visitor), req)
        return orjson.loads(raw.body)["items"]  # type: ignore[no-any-return]

    assert await search(ROOM, 0.1) == []  # at the door: not within 100 m of it
    [hit] = await search(public, 0.1)
    assert hit["distance_km"] == 0.0
    [hit] = await search(ROOM, 1)
    assert hit["distance_km"] == round(metres(public, ROOM) / 1000, 1)

    [payload] = await pool.fetch("SELECT payload FROM outbox WHERE subject = $1", ListingPublished.subject)
    event = orjson.loads(payload["payload"])["listing"]
    assert (event["latitude"], event["longitude"]) == public

    # A moved room moves its public point by the same offset: no second sample to average.
    moved = (ROOM[0] + 0.01, ROOM[1])
    update = ListingUpdate(listing_id=created.id, latitude=moved[0], longitude=moved[1])
    await listings.update_listing(ctx(pool, host, "professional"), update)
    again = await listings.get_listing(ctx(pool, visitor), ListingId(listing_id=created.id))
    assert again.location.latitude == pytest.approx(public[0] + 0.01, abs=0.0011)
    assert again.location.longitude == pytest.approx(public[1], abs=0.0011)


async def test_listings_placed_before_public_positions_get_one_at_start(pool: asyncpg.Pool) -> None:
    """Rows written before migration 0009 (no public position, the index at the door) are
    placed by the start-up job in batches: the index moves to the public point, the
    version steps and consumers get a snapshot at it, once; ``updated_at`` stays."""
    host = uuid.uuid4()
    ids = []
    for n in range(5):
        created = await listings.create_listing(ctx(pool, host, "professional"), new_listing(title=f"Room {n}"))
        ids.append(created.id)
    # As the rows were before the migration.
    await pool.execute(
        "UPDATE listings SET public_latitude = NULL, public_longitude = NULL,"
        " position = ll_to_earth(latitude, longitude) WHERE id = ANY($1)",
        ids[:3],
    )
    await pool.execute("DELETE FROM outbox")
    before = {r["id"]: r for r in await pool.fetch("SELECT id, version, updated_at FROM listings")}
    key = Settings().secret_key

    assert await jobs.place_publicly(pool, key, batch=2) == 3
    assert await jobs.place_publicly(pool, key) == 0
    rows = await pool.fetch(
        "SELECT id, version, updated_at, public_latitude, public_longitude,"
        " earth_distance(position, ll_to_earth(public_latitude, public_longitude)) AS off FROM listings"
    )
    for row in rows:
        assert (row["public_latitude"], row["public_longitude"]) == domain.public_point(key, row["id"], *ROOM)
        assert row["off"] < 0.01 and row["updated_at"] == before[row["id"]]["updated_at"]
        assert row["version"] == before[row["id"]]["version"] + (1 if row["id"] in ids[:3] else 0)
    events = [
        orjson.loads(r["payload"])["listing"] for r in await pool.fetch("SELECT payload FROM outbox ORDER BY seq")
    ]
    assert sorted(e["listing_id"] for e in events) == sorted(str(i) for i in ids[:3])
    by_id = {r["id"]: r for r in rows}
    for e in events:
        row = by_id[uuid.UUID(e["listing_id"])]
        assert (e["latitude"], e["longitude"], e["version"]) == (
            row["public_latitude"],
            row["public_longitude"],
            row["version"],
        )


async def test_a_room_keeps_its_address_while_stays_are_open_and_past_guests_keep_theirs(pool: asyncpg.Pool) -> None:
    """A host cannot move a room that has a stay asked for, accepted or paid (409 naming the
    fields; the whole form sent unchanged still saves). Once the stay is over the room may
    move, and then its past guest sees the address they stayed at on their booking, and
    only the public position of the room's new place."""
    host, guest = uuid.uuid4(), uuid.uuid4()
    as_host, as_guest = ctx(pool, host, "professional"), ctx(pool, guest)
    created = await listings.create_listing(as_host, new_listing())
    check_in = date.today() + timedelta(days=10)
    asked = await bookings.request_booking(
        as_guest, BookingRequest(listing_id=created.id, check_in=check_in, check_out=check_in + timedelta(days=28))
    )
    move = ListingUpdate(listing_id=created.id, address="99 Elsewhere Rd, Baltimore", latitude=ROOM[0] + 0.01)
    whole_form = ListingUpdate(
        listing_id=created.id, address=created.location.address, latitude=ROOM[0], longitude=ROOM[1], monthly_rent=1200
    )
    for step in ("requested", "accepted", "confirmed"):
        if step == "accepted":
            await bookings.accept_booking(as_host, BookingAction(booking_id=asked.id))
        if step == "confirmed":  # what the payment's event does (consumers.py)
            async with pool.acquire() as conn:
                await booking_store.set_booking_status(conn, asked.id, "confirmed")
        with pytest.raises(AppError) as refused:
            await listings.update_listing(as_host, move)
        assert refused.value.code == "conflict", step
        assert {d["field"] for d in refused.value.details} == {"address", "latitude"}, step
        assert (await listings.update_listing(as_host, whole_form)).monthly_rent == 1200
    paid = await listings.get_listing(as_guest, ListingId(listing_id=created.id))
    assert not paid.location.approximate and paid.location.address == "12 Exact St, Baltimore"

    async with pool.acquire() as conn:  # the sweep's step after check-out
        await booking_store.set_booking_status(conn, asked.id, "completed")
    past = await listings.get_listing(as_guest, ListingId(listing_id=created.id))
    assert past.location.address == "12 Exact St, Baltimore"  # still where they stayed
    moved = await listings.update_listing(as_host, move)
    assert moved.location.address == "99 Elsewhere Rd, Baltimore"

    after = await listings.get_listing(as_guest, ListingId(listing_id=created.id))
    assert after.location.approximate and after.location.address is None
    assert metres((after.location.latitude, after.location.longitude), (ROOM[0] + 0.01, ROOM[1])) > 100
    for who in (as_guest, as_host):
        [stay] = (await bookings.my_bookings(who, MyBookings())).items
        assert stay.address == "12 Exact St, Baltimore"


async def test_archiving_declines_waiting_requests_and_refuses_under_accepted_stays(pool: asyncpg.Pool) -> None:
    """A host's DELETE turns down the requests still waiting (the guests hear so), but a
    room with an accepted or paid stay is not deleted under its guest: 409, nothing changed."""
    host, guest, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    as_host = ctx(pool, host, "professional")
    first = date.today() + timedelta(days=10)
    created = await listings.create_listing(as_host, new_listing())
    stays = [
        await bookings.request_booking(
            ctx(pool, who),
            BookingRequest(listing_id=created.id, check_in=start, check_out=start + timedelta(days=28)),
        )
        for who, start in ((guest, first), (other, first + timedelta(days=40)))
    ]
    await bookings.accept_booking(as_host, BookingAction(booking_id=stays[0].id))
    with pytest.raises(AppError) as refused:
        await listings.archive_listing(as_host, ListingId(listing_id=created.id))
    assert refused.value.code == "conflict" and "accepted" in refused.value.message
    statuses = dict(await pool.fetch("SELECT id, status FROM bookings"))
    assert statuses == {stays[0].id: "accepted", stays[1].id: "requested"}
    assert (await store.listing(pool, created.id))["status"] == "active"  # type: ignore[index]

    await bookings.cancel_booking(as_host, BookingAction(booking_id=stays[0].id))
    await listings.archive_listing(as_host, ListingId(listing_id=created.id))
    statuses = dict(await pool.fetch("SELECT id, status FROM bookings"))
    assert statuses == {stays[0].id: "cancelled", stays[1].id: "declined"}
    declined = await pool.fetch("SELECT payload FROM outbox WHERE subject = 'events.listings.booking.declined'")
    assert [orjson.loads(r["payload"])["booking"]["booking_id"] for r in declined] == [str(stays[1].id)]


async def shifted_stay(
    pool: asyncpg.Pool,
    host: uuid.UUID,
    guest: uuid.UUID,
    start: date,
    nights: int,
    *,
    rotation: uuid.UUID | None = None,
) -> uuid.UUID:
    """A confirmed stay of a room at 1100 a month (36.16 a night), for ``rotation`` if given
    (set on the row: the request asks matching whether the rotation is the guest's, and no
    matching runs here; tests/e2e/test_guards.py covers that check)."""
    created = await listings.create_listing(ctx(pool, host, "professional"), new_listing())
    asked = await bookings.request_booking(
        ctx(pool, guest),
        BookingRequest(listing_id=created.id, check_in=start, check_out=start + timedelta(days=nights)),
    )
    if rotation is not None:
        await pool.execute("UPDATE bookings SET rotation_id = $2 WHERE id = $1", asked.id, rotation)
    await bookings.accept_booking(ctx(pool, host, "professional"), BookingAction(booking_id=asked.id))
    async with pool.acquire() as conn:  # what the payment's event does (consumers.py)
        await booking_store.set_booking_status(conn, asked.id, "confirmed")
    return asked.id


def moved(
    student: uuid.UUID, rotation: uuid.UUID, booking_id: uuid.UUID, start: date, end: date, at: datetime
) -> RotationMoved:
    stay = MovedStay(
        booking_id=booking_id, listing_id=uuid.uuid4(), listing_title="Room", check_in=start, check_out=end
    )
    return RotationMoved(
        student_id=student, rotation_id=rotation, start_date=start, end_date=end, stays=[stay], occurred_at=at
    )


async def test_only_a_decline_of_the_moved_rotations_dates_frees_the_guest(pool: asyncpg.Pool) -> None:
    """Listings records the dates matching says a stay's rotation moved to (the guest's own
    stay for that rotation; an older event changes nothing). A request for exactly those
    dates, declined, lets the guest cancel as 'shift_declined'; any other declined request
    leaves the cancellation to the policy (it freed every guest before)."""
    host, guest, stranger, rotation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    start = date.today() + timedelta(days=30)
    for_rotation = await shifted_stay(pool, host, guest, start, 28, rotation=rotation)
    without = await shifted_stay(pool, host, guest, start, 28)
    new_in, new_out = start + timedelta(days=7), start + timedelta(days=35)
    now = datetime.now(UTC)
    before = dict(await pool.fetch("SELECT id, version FROM bookings"))
    async with pool.acquire() as conn:
        # Someone else's rotation, or another rotation of the guest, moves nothing here.
        await consumers.record_rotation_moves(conn, moved(stranger, rotation, for_rotation, new_in, new_out, now))
        await consumers.record_rotation_moves(conn, moved(guest, uuid.uuid4(), for_rotation, new_in, new_out, now))
        await consumers.record_rotation_moves(conn, moved(guest, rotation, without, new_in, new_out, now))
        assert await conn.fetchval("SELECT count(*) FROM rotation_moves") == 0
        await consumers.record_rotation_moves(conn, moved(guest, rotation, for_rotation, new_in, new_out, now))
        # A redelivered older move (to other dates) does not undo the newer one.
        earlier = now - timedelta(minutes=5)
        await consumers.record_rotation_moves(conn, moved(guest, rotation, for_rotation, start, new_out, earlier))
        versions = dict(await conn.fetch("SELECT id, version FROM bookings"))
    assert versions == before and set(before) == {for_rotation, without}  # a projection: no booking changed

    as_guest, as_host = ctx(pool, guest), ctx(pool, host, "professional")
    flags = []
    for booking_id, dates in (
        (without, (new_in, new_out)),  # the dates, but no rotation
        (for_rotation, (new_in, new_out + timedelta(days=1))),  # the rotation, not its dates
        (for_rotation, (new_in, new_out)),  # the rotation's new dates
        (for_rotation, (new_in, new_out + timedelta(days=2))),  # then other dates, declined too
    ):
        asked = await bookings.shift_booking(
            as_guest, ShiftRequest(booking_id=booking_id, check_in=dates[0], check_out=dates[1])
        )
        assert asked.shift is not None and asked.shift.status == "requested"
        flags.append(asked.shift.for_rotation)
        declined = await bookings.decline_shift(as_host, BookingAction(booking_id=booking_id))
        assert declined.shift is not None and declined.shift.status == "declined"
    assert flags == [False, False, True, False]
    payloads = await pool.fetch(
        "SELECT payload FROM outbox WHERE subject = $1 ORDER BY seq", BookingShiftDeclined.subject
    )
    assert [orjson.loads(r["payload"])["for_rotation"] for r in payloads] == flags
    # The host declined the rotation's dates once: asking for others after takes nothing back.
    cancelled = await bookings.cancel_booking(as_guest, BookingAction(booking_id=for_rotation))
    assert cancelled.end_reason == "shift_declined"
    assert (await bookings.cancel_booking(as_guest, BookingAction(booking_id=without))).end_reason is None

    # Without that decline, a cancellation follows the policy; once the stay moved, too.
    again = await shifted_stay(pool, host, guest, start + timedelta(days=100), 28, rotation=rotation)
    back_in, back_out = start + timedelta(days=107), start + timedelta(days=135)
    async with pool.acquire() as conn:
        await consumers.record_rotation_moves(conn, moved(guest, rotation, again, back_in, back_out, now))
    await bookings.shift_booking(
        as_guest, ShiftRequest(booking_id=again, check_in=back_in, check_out=back_out + timedelta(days=1))
    )
    await bookings.decline_shift(as_host, BookingAction(booking_id=again))
    await bookings.shift_booking(as_guest, ShiftRequest(booking_id=again, check_in=back_in, check_out=back_out))
    await bookings.accept_shift(as_host, BookingAction(booking_id=again))
    cancelled = await bookings.cancel_booking(as_guest, BookingAction(booking_id=again))
    assert cancelled.end_reason is None and (cancelled.check_in, cancelled.check_out) == (back_in, back_out)


async def test_one_request_for_new_dates_at_a_time_at_the_stays_own_rate(pool: asyncpg.Pool) -> None:
    """A second request while one waits is refused, naming it (the host once accepted 89
    nights after approving 14); the guest withdraws it and asks again. The new dates cost
    the stay's own nightly rate, shown before the host answers, whatever the rent is now.
    Dates another stay holds are refused when asked."""
    host, guest, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    start = date.today() + timedelta(days=30)
    booking_id = await shifted_stay(pool, host, guest, start, 28)
    listing_id = await pool.fetchval("SELECT listing_id FROM bookings WHERE id = $1", booking_id)
    as_guest, as_host = ctx(pool, guest), ctx(pool, host, "professional")
    await listings.update_listing(as_host, ListingUpdate(listing_id=listing_id, monthly_rent=5500))

    asked = await bookings.shift_booking(
        as_guest,
        ShiftRequest(booking_id=booking_id, check_in=start + timedelta(days=1), check_out=start + timedelta(days=15)),
    )
    assert asked.shift is not None and (asked.shift.nights, asked.shift.total) == (14, 14 * 3616 / 100)
    with pytest.raises(AppError) as second:
        await bookings.shift_booking(
            as_guest, ShiftRequest(booking_id=booking_id, check_in=start, check_out=start + timedelta(days=89))
        )
    assert second.value.code == "conflict" and second.value.details["check_out"] == str(start + timedelta(days=15))
    with pytest.raises(AppError) as not_theirs:
        await bookings.withdraw_shift(as_host, BookingAction(booking_id=booking_id))
    assert not_theirs.value.code == "forbidden"
    withdrawn = await bookings.withdraw_shift(as_guest, BookingAction(booking_id=booking_id))
    assert withdrawn.shift is None and withdrawn.check_in == start
    with pytest.raises(AppError) as nothing:
        await bookings.accept_shift(as_host, BookingAction(booking_id=booking_id))
    assert nothing.value.code == "conflict"

    # Another guest's stay holds days 40-50: asking for them is refused at once.
    held = await bookings.request_booking(
        ctx(pool, other),
        BookingRequest(
            listing_id=listing_id, check_in=start + timedelta(days=40), check_out=start + timedelta(days=50)
        ),
    )
    await bookings.accept_booking(as_host, BookingAction(booking_id=held.id))
    with pytest.raises(AppError) as taken:
        await bookings.shift_booking(
            as_guest, ShiftRequest(booking_id=booking_id, check_in=start, check_out=start + timedelta(days=45))
        )
    assert taken.value.code == "conflict" and taken.value.message == domain.DATES_TAKEN

    longer = await bookings.shift_booking(
        as_guest, ShiftRequest(booking_id=booking_id, check_in=start, check_out=start + timedelta(days=35))
    )
    assert longer.shift is not None and longer.shift.total == 35 * 3616 / 100
    moved_stay = await bookings.accept_shift(as_host, BookingAction(booking_id=booking_id))
    assert (moved_stay.nights, moved_stay.total) == (35, 35 * 3616 / 100)  # not 35 nights at 5500 a month
    subjects = [r["subject"] for r in await pool.fetch("SELECT subject FROM outbox ORDER BY seq")]
    assert "events.listings.booking.shift-withdrawn" in subjects


async def test_a_stay_under_way_moves_only_its_check_out(pool: asyncpg.Pool) -> None:
    """Ten nights into a stay, asking to start it today (which refunded the nights stayed)
    is refused; the check-out still moves, at the stay's rate."""
    host, guest = uuid.uuid4(), uuid.uuid4()
    today = datetime.now(UTC).date()
    booking_id = await seed_booking(
        pool, host, guest, today - timedelta(days=10), today + timedelta(days=18), "confirmed", datetime.now(UTC)
    )
    await pool.execute("UPDATE bookings SET total_cents = 28 * 3600 WHERE id = $1", booking_id)
    as_guest = ctx(pool, guest)
    with pytest.raises(AppError) as restart:
        await bookings.shift_booking(
            as_guest, ShiftRequest(booking_id=booking_id, check_in=today, check_out=today + timedelta(days=18))
        )
    assert restart.value.code == "validation" and "check-in stays" in restart.value.message
    shorter = await bookings.shift_booking(
        as_guest,
        ShiftRequest(booking_id=booking_id, check_in=today - timedelta(days=10), check_out=today + timedelta(days=4)),
    )
    assert shorter.shift is not None and (shorter.shift.nights, shorter.shift.total) == (14, 504.0)


async def test_an_overdue_request_expires_even_when_the_guest_cancels_first(pool: asyncpg.Pool) -> None:
    """Past its 48 hours, before the sweep: the guest's cancel is refused as expired, and the
    sweep then expires it (it was 'cancelled', and the host was told so)."""
    host, guest = uuid.uuid4(), uuid.uuid4()
    start = date.today() + timedelta(days=20)
    overdue = await seed_booking(
        pool, host, guest, start, start + timedelta(days=14), "requested", datetime.now(UTC) - timedelta(seconds=1)
    )
    with pytest.raises(AppError) as late:
        await bookings.cancel_booking(ctx(pool, guest), BookingAction(booking_id=overdue))
    assert late.value.code == "conflict" and "expired" in late.value.message
    assert await jobs.sweep_bookings(pool) == 1
    assert await pool.fetchval("SELECT status FROM bookings WHERE id = $1", overdue) == "expired"


HONOLULU_ROOM = (21.2850, -157.8300)  # Waikiki, 3 km from the Queen's Medical Center
LOS_ANGELES_ROOM = (34.0630, -118.4480)  # Westwood, near UCLA


async def test_a_room_gets_the_time_zone_of_where_it_is_and_its_booking_events_carry_it(pool: asyncpg.Pool) -> None:
    """Placed in Honolulu, a room's zone is Pacific/Honolulu, stored once; its booking
    events carry it (payments dates the hold by it). Moved to Los Angeles (no stay open),
    it takes that zone."""
    host, guest = uuid.uuid4(), uuid.uuid4()
    as_host = ctx(pool, host, "professional")
    created = await listings.create_listing(
        as_host, new_listing(latitude=HONOLULU_ROOM[0], longitude=HONOLULU_ROOM[1], address="1 Kalakaua Ave, Honolulu")
    )
    assert await pool.fetchval("SELECT time_zone FROM listings WHERE id = $1", created.id) == "Pacific/Honolulu"
    start = date.today() + timedelta(days=10)
    asked = await bookings.request_booking(
        ctx(pool, guest), BookingRequest(listing_id=created.id, check_in=start, check_out=start + timedelta(days=14))
    )
    await bookings.accept_booking(as_host, BookingAction(booking_id=asked.id))
    events = [
        orjson.loads(r["payload"])
        for r in await pool.fetch("SELECT payload FROM outbox WHERE subject LIKE '%booking%'")
    ]
    assert [e["booking"]["time_zone"] for e in events] == ["Pacific/Honolulu", "Pacific/Honolulu"]
    await bookings.cancel_booking(as_host, BookingAction(booking_id=asked.id))

    moved = ListingUpdate(listing_id=created.id, latitude=LOS_ANGELES_ROOM[0], longitude=LOS_ANGELES_ROOM[1])
    await listings.update_listing(as_host, moved)
    assert await pool.fetchval("SELECT time_zone FROM listings WHERE id = $1", created.id) == "America/Los_Angeles"
    # The web client sends the whole form: an unchanged position keeps the zone.
    same = ListingUpdate(
        listing_id=created.id, latitude=LOS_ANGELES_ROOM[0], longitude=LOS_ANGELES_ROOM[1], title="Room"
    )
    await listings.update_listing(as_host, same)
    assert await pool.fetchval("SELECT time_zone FROM listings WHERE id = $1", created.id) == "America/Los_Angeles"


async def test_rooms_placed_before_time_zones_get_theirs_at_start(pool: asyncpg.Pool) -> None:
    """Rows from before migration 0014 (no zone) are zoned by the start-up job, in batches,
    from their exact position; meanwhile their bookings' events carry the zone computed
    from it, never a default that a payment would keep."""
    host, guest = uuid.uuid4(), uuid.uuid4()
    as_host = ctx(pool, host, "professional")
    ids = []
    for point in (HONOLULU_ROOM, LOS_ANGELES_ROOM, ROOM):
        created = await listings.create_listing(as_host, new_listing(latitude=point[0], longitude=point[1]))
        ids.append(created.id)
    await pool.execute("UPDATE listings SET time_zone = NULL")
    start = date.today() + timedelta(days=10)
    asked = await bookings.request_booking(
        ctx(pool, guest), BookingRequest(listing_id=ids[0], check_in=start, check_out=start + timedelta(days=14))
    )
    [payload] = await pool.fetch("SELECT payload FROM outbox WHERE subject = 'events.listings.booking.requested'")
    assert orjson.loads(payload["payload"])["booking"]["time_zone"] == "Pacific/Honolulu"
    assert asked.id

    assert await jobs.zone_listings(pool, batch=2) == 3
    assert await jobs.zone_listings(pool) == 0
    zones = dict(await pool.fetch("SELECT id, time_zone FROM listings"))
    assert [zones[i] for i in ids] == ["Pacific/Honolulu", "America/Los_Angeles", "America/New_York"]


def _last_evening(zone_name: str) -> datetime:
    """The latest moment, now or before, when it was 20:00 at ``zone_name`` (in UTC)."""
    here = datetime.now(UTC).astimezone(timezones.zone(zone_name))
    evening = here.replace(hour=20, minute=0, second=0, microsecond=0)
    if evening > here:
        evening -= timedelta(days=1)  # the wall clock's day before: 20:00 is never skipped
    return evening.astimezone(UTC)


async def test_a_stay_may_start_this_evening_at_the_room_whatever_the_date_in_utc(pool: asyncpg.Pool) -> None:
    """At 20:00 in Los Angeles it is already the next day in UTC (03:00 or 04:00): a
    student there could not book a room for tonight ("check_in is in the past"). Today is
    the room's date: tonight can be booked, in Los Angeles and (23:00) in Baltimore;
    yesterday cannot. Listings' clock moved back to that evening, as a test moves it."""
    evening = _last_evening("America/Los_Angeles")
    tonight = stays.local_today(evening, "America/Los_Angeles")
    assert evening.date() == tonight + timedelta(days=1)  # UTC's date is tomorrow's
    moved = Settings(clock_offset_s=(evening - datetime.now(UTC)).total_seconds())
    host, guest = uuid.uuid4(), uuid.uuid4()
    as_guest = Context(Actor(user_id=guest, role="student"), "test", pool, moved, None)  # type: ignore[arg-type]
    for point in (LOS_ANGELES_ROOM, ROOM):
        created = await listings.create_listing(
            ctx(pool, host, "professional"),
            new_listing(latitude=point[0], longitude=point[1], available_from=str(tonight - timedelta(days=5))),
        )
        stay = await bookings.request_booking(
            as_guest, BookingRequest(listing_id=created.id, check_in=tonight, check_out=tonight + timedelta(days=14))
        )
        assert stay.status == "requested" and stay.check_in == tonight
        with pytest.raises(AppError) as past:
            yesterday = tonight - timedelta(days=1)
            await bookings.request_booking(
                as_guest,
                BookingRequest(listing_id=created.id, check_in=yesterday, check_out=yesterday + timedelta(days=14)),
            )
        assert past.value.code == "validation" and "check-in is in the past" in past.value.message


async def test_a_deleted_accounts_stays_not_yet_over_are_counted_on_the_rooms_clock(pool: asyncpg.Pool) -> None:
    """At 19:00 in Honolulu on the eve of check-out it is already check-out day in UTC: the
    stay is not over yet, so an account deleted then must still cancel it (the UTC date
    counted it over, and the stay was left confirmed with its host or guest gone). From
    check-out day at the room, it is over."""
    host, guest = uuid.uuid4(), uuid.uuid4()
    check_out = date.today() + timedelta(days=20)
    booking = await seed_booking(
        pool, host, guest, check_out - timedelta(days=10), check_out, "confirmed", datetime.now(UTC)
    )
    eve = datetime.combine(check_out - timedelta(days=1), time(19), tzinfo=timezones.zone("Pacific/Honolulu"))
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE listings SET time_zone = 'Pacific/Honolulu' WHERE host_id = $1", host)
        assert eve.astimezone(UTC).date() == check_out
        for user in (host, guest):
            assert [r["id"] for r in await store_privacy.future_bookings(conn, user, eve.astimezone(UTC))] == [booking]
            checked_out = eve + timedelta(hours=5)  # midnight at the room: check-out day
            assert await store_privacy.future_bookings(conn, user, checked_out.astimezone(UTC)) == []


async def test_one_stay_for_the_calendar_is_found_past_the_feeds_500(pool: asyncpg.Pool) -> None:
    """Asked by id (for a stay mail's .ics), a booking of the caller's is answered however
    many newer ones they have (the feed holds the newest 500 only), as guest or host, the
    address only as the feed shows it; anyone else's is a 404."""
    host, guest, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    start = date.today() + timedelta(days=30)
    old = await seed_booking(pool, host, guest, start, start + timedelta(days=14), "accepted", datetime.now(UTC))
    await pool.execute(
        "INSERT INTO bookings(id, listing_id, guest_id, host_id, stay, total_cents, status, expires_at, created_at)"
        " SELECT gen_random_uuid(), listing_id, guest_id, host_id, stay, total_cents, 'declined', expires_at,"
        " created_at + make_interval(secs => n) FROM bookings, generate_series(1, $2) n WHERE id = $1",
        old,
        calendar.FEED_LIMIT,
    )
    feed = await calendar.calendar_stays(ctx(pool, host, "professional"), Empty())
    assert old not in {stay.booking_id for stay in feed.items}
    hosting = await calendar.calendar_stay(ctx(pool, host, "professional"), CalendarStayRequest(booking_id=old))
    assert hosting.booking_id == old and hosting.role == "host" and hosting.address == "1 Test St"
    staying = await calendar.calendar_stay(ctx(pool, guest), CalendarStayRequest(booking_id=old))
    assert staying.role == "guest" and staying.address is None  # accepted, not yet paid
    for who, booking_id in ((stranger, old), (guest, uuid.uuid4())):
        with pytest.raises(AppError) as exc:
            await calendar.calendar_stay(ctx(pool, who), CalendarStayRequest(booking_id=booking_id))
        assert exc.value.code == "not_found"


async def test_a_user_deleted_before_their_first_snapshot_stays_deleted(pool: asyncpg.Pool) -> None:
    """A guest who signs up, books and deletes their account at once: the deletion can reach
    listings before the guest's first snapshot does. It found no row to mark, the late
    snapshot made one, and the host's card never said the account was deleted."""
    user = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await store_privacy.erase(conn, user)
    assert await store_privacy.erased(pool, user)
    late = await store.project_host(pool, user, "Quick Guest", False, False, 1)
    assert late is False and await store_privacy.erased(pool, user)
    assert await pool.fetchval("SELECT display_name FROM hosts WHERE user_id = $1", user) is None
