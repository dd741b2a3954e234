"""NATS endpoints of listings: hospitals, listings, search, bookings, reviews."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from services.listings import domain, hospitals, store
from shared import subjects
from shared.contracts.base import Actor, Ok
from shared.contracts.listings import (
    Booking,
    BookingAccepted,
    BookingAction,
    BookingCancelled,
    BookingCompleted,
    BookingDeclined,
    BookingExpired,
    BookingPage,
    BookingRequest,
    BookingRequested,
    Hospital,
    HospitalPage,
    HospitalSearch,
    Listing,
    ListingArchived,
    ListingCreate,
    ListingId,
    ListingPage,
    ListingPublished,
    ListingSearch,
    ListingUpdate,
    ListingUpdated,
    MyBookings,
    MyListings,
    Quote,
    QuoteRequest,
    Review,
    ReviewCreate,
    ReviewPosted,
)
from shared.db import Connection
from shared.errors import AppError
from shared.events import add, stop_if_cancelled
from shared.paging import decode_cursor, encode_cursor
from shared.service import Context, RawJson, ServiceApp

# Postgres estimates that a cube box holds a fixed 0.1% of the rows, so for a dense city it
# reads every listing in the box and sorts them (20-40 ms at 100k listings) instead of
# walking the GiST index nearest-first and stopping at the page size (under 1 ms, dense or
# empty). Making a full sort look prohibitive tips it to the index walk; the listings
# service's other queries sort nothing an index does not already order, or have no other
# plan. bench/search.py and tests/integration print and check the plan.
PG_SETTINGS = {"enable_sort": "off"}
log = logging.getLogger(__name__)
app = ServiceApp("listings", migrations="services.listings.migrations", pg_settings=PG_SETTINGS)

LISTING_NOT_FOUND = AppError("not_found", "listing not found")
BOOKING_NOT_FOUND = AppError("not_found", "booking not found")


def summary_fields(row: asyncpg.Record, *, exact: bool, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``ListingSummary`` contract's fields as a viewer sees them: the exact address
    only for the host or an accepted guest, an approximate location for everyone else."""
    if exact:
        location = {
            "latitude": row["latitude"],
            "longitude": row["longitude"],
            "approximate": False,
            "address": row["address"],
        }
    else:
        lat, lon = domain.approximate_point(row["id"], row["latitude"], row["longitude"])
        location = {"latitude": lat, "longitude": lon, "approximate": True, "address": None}
    count = row["review_count"]
    return {
        "id": row["id"],
        "host": {"id": row["host_id"], "display_name": row["host_name"], "verified": row["host_verified"]},
        "title": row["title"],
        "room_type": row["room_type"],
        "location": location,
        "monthly_rent": row["monthly_rent"],
        "nightly_rate": domain.nightly_cents(row["monthly_rent"]) / 100,
        "amenities": row["amenities"],
        "available_from": row["available_from"],
        "available_to": row["available_to"],
        "min_stay_nights": row["min_stay_nights"],
        "review_average": round(row["review_sum"] / count, 2) if count else None,
        "review_count": count,
        "created_at": row["created_at"],
        "distance_km": None,
        "stay_total": None,
        **(extra or {}),
    }


def listing_fields(row: asyncpg.Record, *, exact: bool) -> dict[str, Any]:
    """The full ``Listing``: the summary plus its texts and state."""
    return {
        **summary_fields(row, exact=exact),
        "description": row["description"],
        "house_rules": row["house_rules"],
        "status": row["status"],
        "updated_at": row["updated_at"],
    }


def to_listing(row: asyncpg.Record, *, exact: bool) -> Listing:
    return Listing.model_validate(listing_fields(row, exact=exact))


async def _visible_listing(ctx: Context, listing_id: uuid.UUID) -> tuple[asyncpg.Record, bool]:
    """The listing and whether the caller sees its exact address; 404 when hidden from them."""
    row = await store.listing(ctx.pool, listing_id)
    if row is None:
        raise LISTING_NOT_FOUND
    actor = ctx.actor
    is_host = actor is not None and actor.user_id == row["host_id"]
    guest = (
        actor is not None
        and not is_host
        and await store.has_booking(ctx.pool, listing_id, actor.user_id, ("accepted", "completed"))
    )
    if row["status"] != "active" and not (is_host or guest):
        raise LISTING_NOT_FOUND
    return row, is_host or guest


# --- hospitals ------------------------------------------------------------------------


@app.endpoint(subjects.SEARCH_HOSPITALS, HospitalSearch)
async def search_hospitals(ctx: Context, req: HospitalSearch) -> HospitalPage:
    offset = int(decode_cursor(req.cursor, 1)[0]) if req.cursor else 0
    rows = await store.search_hospitals(ctx.pool, req.q or None, req.state, offset, req.limit + 1)
    items = [Hospital.model_validate(dict(r)) for r in rows[: req.limit]]
    more = len(rows) > req.limit
    return HospitalPage(items=items, next_cursor=encode_cursor(offset + req.limit) if more else None)


# --- listings -------------------------------------------------------------------------


@app.endpoint(subjects.CREATE_LISTING, ListingCreate)
async def create_listing(ctx: Context, req: ListingCreate) -> Listing:
    actor = ctx.require_role("professional")
    listing_id = uuid.uuid4()
    async with ctx.pool.acquire() as conn, conn.transaction():
        await store.insert_listing(conn, listing_id, actor.user_id, req.model_dump())
        row = await store.listing(conn, listing_id)
        assert row is not None
        listing = to_listing(row, exact=True)
        if listing.status == "active":
            await add(conn, ListingPublished(listing=to_listing(row, exact=False)))
    return listing


@app.endpoint(subjects.GET_LISTING, ListingId)
async def get_listing(ctx: Context, req: ListingId) -> Listing:
    row, exact = await _visible_listing(ctx, req.listing_id)
    return to_listing(row, exact=exact)


async def _owned_listing(conn: Connection, actor: Actor, listing_id: uuid.UUID) -> asyncpg.Record:
    row = await store.listing(conn, listing_id, for_update=True)
    if row is None or (row["status"] != "active" and row["host_id"] != actor.user_id):
        raise LISTING_NOT_FOUND
    if row["host_id"] != actor.user_id:
        raise AppError("forbidden", "only the host can change this listing")
    return row


@app.endpoint(subjects.UPDATE_LISTING, ListingUpdate)
async def update_listing(ctx: Context, req: ListingUpdate) -> Listing:
    actor = ctx.require_actor()
    changes = req.model_dump(exclude_unset=True, exclude={"listing_id"})
    async with ctx.pool.acquire() as conn, conn.transaction():
        before = await _owned_listing(conn, actor, req.listing_id)
        if before["status"] == "archived":
            raise AppError("conflict", "an archived listing cannot be changed")
        start = changes.get("available_from", before["available_from"])
        end = changes.get("available_to", before["available_to"])
        if start > end:
            raise AppError(
                "validation",
                "available_from must be on or before available_to",
                [{"field": "available_from", "message": "after available_to"}],
            )
        for field in (
            "title",
            "room_type",
            "address",
            "latitude",
            "longitude",
            "monthly_rent",
            "available_from",
            "available_to",
            "min_stay_nights",
            "status",
        ):
            if field in changes and changes[field] is None:
                raise AppError("validation", f"{field} cannot be null", [{"field": field, "message": "required"}])
        await store.update_listing(conn, req.listing_id, changes)
        row = await store.listing(conn, req.listing_id)
        assert row is not None
        public = to_listing(row, exact=False)
        if row["status"] == "active" and before["status"] != "active":
            await add(conn, ListingPublished(listing=public))
        elif changes:
            await add(conn, ListingUpdated(listing=public))
    return to_listing(row, exact=True)


@app.endpoint(subjects.ARCHIVE_LISTING, ListingId)
async def archive_listing(ctx: Context, req: ListingId) -> Ok:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await _owned_listing(conn, actor, req.listing_id)
        if row["status"] != "archived":
            await store.update_listing(conn, req.listing_id, {"status": "archived"})
            await add(conn, ListingArchived(listing_id=req.listing_id, host_id=actor.user_id))
    return Ok()


def _newest_first_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (created_at, id) key of a newest-first page cursor."""
    if not cursor:
        return None
    ts, oid = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(ts), uuid.UUID(oid)
    except (TypeError, ValueError):
        raise AppError("validation", "invalid cursor", [{"field": "cursor", "message": "malformed"}]) from None


@app.endpoint(subjects.MY_LISTINGS, MyListings)
async def my_listings(ctx: Context, req: MyListings) -> ListingPage:
    actor = ctx.require_actor()
    after = _newest_first_cursor(req.cursor)
    rows = await store.host_listings(ctx.pool, actor.user_id, req.status, after, req.limit + 1)
    items = [to_listing(r, exact=True) for r in rows[: req.limit]]
    nxt = encode_cursor(items[-1].created_at.isoformat(), items[-1].id) if len(rows) > req.limit else None
    return ListingPage(items=items, next_cursor=nxt)


@app.endpoint(subjects.SEARCH_LISTINGS, ListingSearch)
async def search_listings(ctx: Context, req: ListingSearch) -> RawJson:
    center = req.point()
    if req.hospital_id:
        h = hospitals.lookup(req.hospital_id)
        center = (h.latitude, h.longitude)
    after = decode_cursor(req.cursor, 2) if req.cursor else None
    try:
        rows = await store.search_listings(ctx.pool, req, center, after)
    except (ValueError, TypeError):
        raise AppError("validation", "invalid cursor", [{"field": "cursor", "message": "malformed"}]) from None
    nights = (req.to - req.from_).days if req.from_ and req.to else None
    items = []
    for r in rows[: req.limit]:
        extra: dict[str, Any] = {}
        if center is not None:
            # One decimal: enough to judge a commute, too coarse to triangulate the door.
            extra["distance_km"] = round(domain.great_circle_m(r["chord"]) / 1000, 1)
        if nights:
            extra["stay_total"] = domain.stay_total_cents(r["monthly_rent"], nights) / 100
        exact = ctx.actor is not None and ctx.actor.user_id == r["host_id"]
        items.append(summary_fields(r, exact=exact, extra=extra))
    nxt = None
    if len(rows) > req.limit:
        last = rows[req.limit - 1]
        key = {
            "distance": lambda: last["chord"],
            "price": lambda: last["monthly_rent"],
            "newest": lambda: last["created_at"].isoformat(),
        }[req.sort]()
        nxt = encode_cursor(key, last["id"])
    # Serialized straight from dicts: building 20 pydantic models per page was a third of
    # this service's CPU under load. tests/integration check the bytes against SearchPage.
    # default=str: asyncpg returns its own UUID type, which orjson does not know.
    return RawJson(orjson.dumps({"next_cursor": nxt, "items": items}, default=str, option=orjson.OPT_UTC_Z))


@app.endpoint(subjects.QUOTE_STAY, QuoteRequest)
async def quote_stay(ctx: Context, req: QuoteRequest) -> Quote:
    row, _ = await _visible_listing(ctx, req.listing_id)
    nights = (req.check_out - req.check_in).days
    reason = domain.unavailable_reason(
        row["available_from"], row["available_to"], row["min_stay_nights"], req.check_in, req.check_out
    )
    if reason is None:
        if await store.is_booked(ctx.pool, req.listing_id, req.check_in, req.check_out):
            reason = store.BOOKING_CONFLICTS["bookings_no_overlap"]
    return Quote(
        listing_id=req.listing_id,
        check_in=req.check_in,
        check_out=req.check_out,
        nights=nights,
        nightly_rate=domain.nightly_cents(row["monthly_rent"]) / 100,
        total=domain.stay_total_cents(row["monthly_rent"], nights) / 100,
        available=reason is None,
        reason=reason,
    )


# --- bookings -------------------------------------------------------------------------


def to_booking(row: asyncpg.Record, viewer: uuid.UUID) -> Booking:
    role = "host" if viewer == row["host_id"] else "guest"
    show_address = role == "host" or row["status"] in ("accepted", "completed")
    data = {k: row[k] for k in row.keys() if k not in ("address", "total_cents")}
    return Booking(
        **data,
        nights=(row["check_out"] - row["check_in"]).days,
        total=row["total_cents"] / 100,
        role=role,
        address=row["address"] if show_address else None,
    )


def _view(row: asyncpg.Record) -> domain.BookingView:
    return domain.BookingView(
        row["guest_id"], row["host_id"], row["status"], row["check_in"], row["check_out"], row["expires_at"]
    )


def _event_fields(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "booking_id": row["id"],
        "listing_id": row["listing_id"],
        "guest_id": row["guest_id"],
        "host_id": row["host_id"],
        "check_in": row["check_in"],
        "check_out": row["check_out"],
    }


@app.endpoint(subjects.REQUEST_BOOKING, BookingRequest)
async def request_booking(ctx: Context, req: BookingRequest) -> Booking:
    actor = ctx.require_actor()
    booking_id = uuid.uuid4()
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await store.listing(conn, req.listing_id)
        if row is None or row["status"] != "active":
            raise LISTING_NOT_FOUND
        if row["host_id"] == actor.user_id:
            raise AppError("forbidden", "you cannot book your own listing")
        if req.check_in < datetime.now(UTC).date():
            raise AppError(
                "validation", "check_in is in the past", [{"field": "check_in", "message": "must be today or later"}]
            )
        reason = domain.unavailable_reason(
            row["available_from"], row["available_to"], row["min_stay_nights"], req.check_in, req.check_out
        )
        if reason:
            raise AppError(
                "validation", f"these dates do not fit: {reason}", [{"field": "check_in", "message": reason}]
            )
        if req.hospital_id:
            hospitals.lookup(req.hospital_id)
        nights = (req.check_out - req.check_in).days
        expires = datetime.now(UTC) + timedelta(hours=ctx.settings.booking_request_ttl_hours)
        await store.insert_booking(
            conn,
            booking_id,
            req.listing_id,
            actor.user_id,
            row["host_id"],
            req.check_in,
            req.check_out,
            domain.stay_total_cents(row["monthly_rent"], nights),
            req.message,
            req.hospital_id,
            expires,
        )
        created = await store.booking(conn, booking_id)
        assert created is not None
        await add(conn, BookingRequested(**_event_fields(created), message=req.message))
    return to_booking(created, actor.user_id)


async def _transition(ctx: Context, booking_id: uuid.UUID, action: str) -> Booking:
    actor = ctx.require_actor()
    events = {"accept": BookingAccepted, "decline": BookingDeclined, "cancel": BookingCancelled}
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await store.booking(conn, booking_id, for_update=True)
        if row is None:
            raise BOOKING_NOT_FOUND
        status = domain.check_transition(_view(row), actor, action, datetime.now(UTC))
        await store.set_booking_status(conn, booking_id, status)
        extra = {"cancelled_by": actor.user_id} if action == "cancel" else {}
        await add(conn, events[action](**_event_fields(row), **extra))
        updated = await store.booking(conn, booking_id)
        assert updated is not None
    return to_booking(updated, actor.user_id)


@app.endpoint(subjects.ACCEPT_BOOKING, BookingAction)
async def accept_booking(ctx: Context, req: BookingAction) -> Booking:
    return await _transition(ctx, req.booking_id, "accept")


@app.endpoint(subjects.DECLINE_BOOKING, BookingAction)
async def decline_booking(ctx: Context, req: BookingAction) -> Booking:
    return await _transition(ctx, req.booking_id, "decline")


@app.endpoint(subjects.CANCEL_BOOKING, BookingAction)
async def cancel_booking(ctx: Context, req: BookingAction) -> Booking:
    return await _transition(ctx, req.booking_id, "cancel")


@app.endpoint(subjects.MY_BOOKINGS, MyBookings)
async def my_bookings(ctx: Context, req: MyBookings) -> BookingPage:
    actor = ctx.require_actor()
    after = _newest_first_cursor(req.cursor)
    rows = await store.user_bookings(ctx.pool, actor.user_id, req.role, req.status, after, req.limit + 1)
    items = [to_booking(r, actor.user_id) for r in rows[: req.limit]]
    nxt = encode_cursor(items[-1].created_at.isoformat(), items[-1].id) if len(rows) > req.limit else None
    return BookingPage(items=items, next_cursor=nxt)


@app.endpoint(subjects.POST_REVIEW, ReviewCreate)
async def post_review(ctx: Context, req: ReviewCreate) -> Review:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await store.booking(conn, req.booking_id, for_update=True)
        if row is None:
            raise BOOKING_NOT_FOUND
        author_role, subject_id = domain.review_roles(_view(row), actor)
        hospital_name = None
        if row["hospital_id"]:
            hospital_name = hospitals.lookup(row["hospital_id"]).name
        created = await store.insert_review(
            conn,
            {
                "id": uuid.uuid4(),
                "booking_id": row["id"],
                "listing_id": row["listing_id"],
                "author_id": actor.user_id,
                "subject_id": subject_id,
                "author_role": author_role,
                "rating": req.rating,
                "text": req.text,
                "hospital_name": hospital_name,
                "stay_month": row["check_in"].strftime("%Y-%m"),
            },
        )
        review = Review.model_validate(dict(created))
        await add(conn, ReviewPosted(review=review))
    return review


# --- background: expiry of unanswered requests, completion of finished stays ----------


async def sweep_bookings(pool: asyncpg.Pool) -> int:
    """Expire unanswered requests and complete ended stays; return how many changed."""
    async with pool.acquire() as conn, conn.transaction():
        expired, ended = await store.due_bookings(conn)
        for row in expired:
            await store.set_booking_status(conn, row["id"], "expired")
            await add(conn, BookingExpired(**_event_fields(row)))
        for row in ended:
            await store.set_booking_status(conn, row["id"], "completed")
            await add(conn, BookingCompleted(**_event_fields(row)))
    return len(expired) + len(ended)


@app.background
async def expiry_loop(ctx: Context) -> None:
    while True:
        stop_if_cancelled()
        try:
            await sweep_bookings(ctx.pool)
        except Exception:
            log.exception("booking sweep failed")
        await asyncio.sleep(ctx.settings.expiry_sweep_s)
