"""Endpoints for hospitals, listings, search and quotes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
import orjson

from services.listings import domain, files, store
from services.listings.store import blocked_dates as block_store
from services.listings.store import bookings as booking_store
from services.listings.store import hospitals as hospital_store
from services.listings.store import photos as photo_store
from services.listings.views import (
    LISTING_NOT_FOUND,
    booking_data,
    exact_for,
    listing_data,
    listing_zone,
    stay_moments,
    summary_fields,
    to_listing,
)
from shared import clock, geo, hospitals, places, pricing, subjects, timezones
from shared import stays as stays_rules
from shared.contracts.accounts import suspended_refusal
from shared.contracts.base import Actor, Ok
from shared.contracts.hospitals import Hospital, HospitalPage, HospitalRequest, HospitalSearch
from shared.contracts.listings import (
    Listing,
    ListingCreate,
    ListingId,
    ListingPage,
    ListingSearch,
    ListingStatus,
    ListingUpdate,
    MyListings,
    Quote,
    QuoteRequest,
    TakenNights,
)
from shared.db import Connection
from shared.errors import AppError
from shared.media import media
from shared.outbox import add
from shared.paging import (
    KeyValue,
    decode_key,
    decode_newest_first,
    decode_offset,
    encode_cursor,
    instant,
    integer,
    next_page,
    number,
    query_digest,
    row_id,
)
from shared.service import Context, RawJson, Registry

registry = Registry()

# --- hospitals ------------------------------------------------------------------------


@registry.endpoint(subjects.SEARCH_HOSPITALS, HospitalSearch)
async def search_hospitals(ctx: Context, req: HospitalSearch) -> HospitalPage:
    offset = decode_offset(req.cursor) if req.cursor else 0
    # Names people use ("MGH", "Mass General") come first; the directory's own names have
    # no such field (shared/data/README.md). The pages walk one list, those hospitals then
    # the query's others: an offset into the query alone once showed them twice and pushed
    # as many rows off the first page for good (audit 4, D9).
    named = [h for h in hospitals.by_alias(req.q) if not req.state or h.state == req.state.upper()] if req.q else []
    head = named[offset : offset + req.limit]
    wanted = req.limit - len(head)
    rows = await hospital_store.search_hospitals(
        ctx.pool, req.q or None, req.state, max(0, offset - len(named)), wanted + 1, besides=[h.id for h in named]
    )
    items = head + [Hospital.model_validate(dict(r)) for r in rows[:wanted]]
    more = len(named) > offset + req.limit or len(rows) > wanted
    return HospitalPage(items=items, next_cursor=encode_cursor(offset + req.limit) if more else None)


@registry.endpoint(subjects.GET_HOSPITAL, HospitalRequest)
async def get_hospital(ctx: Context, req: HospitalRequest) -> Hospital:
    return hospitals.lookup(req.hospital_id)


# --- listings -------------------------------------------------------------------------


async def _add_listing_event(
    conn: Connection, before: ListingStatus | None, row: asyncpg.Record, changed: bool
) -> None:
    event = domain.listing_event(before, listing_data(row), changed)
    if event is not None:
        await add(conn, event)


@registry.endpoint(subjects.CREATE_LISTING, ListingCreate, roles=("professional",))
async def create_listing(ctx: Context, req: ListingCreate) -> Listing:
    actor = ctx.require_verified_email()
    listing_id = uuid.uuid4()
    fields = req.model_dump()
    fields["latitude"], fields["longitude"] = domain.room_position(
        req.latitude, req.longitude, req.zip_code, hospitals.directory()
    )
    fields["public_latitude"], fields["public_longitude"] = domain.public_point(
        ctx.settings.secret_key, listing_id, fields["latitude"], fields["longitude"]
    )
    # Once, where the room is: its stays' check-in moments and "today" (shared.stays).
    fields["time_zone"] = places.zone_at(fields["latitude"], fields["longitude"])
    domain.check_bookable(
        req.available_from,
        req.available_to,
        req.min_stay_nights,
        stays_rules.local_today(clock.now(ctx.settings), fields["time_zone"]),
    )
    async with ctx.pool.acquire() as conn, conn.transaction():
        if req.status == "active":
            await _refuse_suspended(conn, actor, ctx.settings.support_email)
        await store.insert_listing(conn, listing_id, actor.user_id, fields)
        row = await store.listing(conn, listing_id)
        assert row is not None
        await _add_listing_event(conn, None, row, changed=True)
    return to_listing(row, exact=True)


@registry.endpoint(subjects.GET_LISTING, ListingId)
async def get_listing(ctx: Context, req: ListingId) -> Listing:
    viewer = ctx.actor.user_id if ctx.actor else None
    row, guest = await store.listing_for_viewer(ctx.pool, req.listing_id, viewer, clock.now(ctx.settings))
    exact = exact_for(row, viewer, guest)
    assert row is not None
    return to_listing(row, exact=exact, photos=await photo_store.photos(ctx.pool, req.listing_id))


async def _refuse_suspended(conn: Connection, actor: Actor, support_email: str) -> None:
    """A room is not published for a suspended host. Their sessions end with the suspension,
    but a request already past the gateway may arrive after listings held their rooms.
    Called before any listing's lock: the suspension's event locks the host, then the rooms."""
    if await store.host_suspended(conn, actor.user_id):
        raise AppError("forbidden", suspended_refusal(support_email))


async def _owned_listing(conn: Connection, actor: Actor, listing_id: uuid.UUID) -> asyncpg.Record:
    row = await store.listing(conn, listing_id, for_update=True)
    if row is None or (row["status"] != "active" and row["host_id"] != actor.user_id):
        raise LISTING_NOT_FOUND
    if row["host_id"] != actor.user_id:
        raise AppError("forbidden", "only the host can change this listing")
    if row["status"] == "held":  # until an operator lifts the suspension, which restores it
        raise AppError("conflict", "this room is held while its host's account is suspended")
    return row


@registry.endpoint(subjects.UPDATE_LISTING, ListingUpdate)
async def update_listing(ctx: Context, req: ListingUpdate) -> Listing:
    actor = ctx.require_actor()
    changes = req.model_dump(exclude_unset=True, exclude={"listing_id"})
    zip_code = changes.pop("zip_code", None)
    async with ctx.pool.acquire() as conn, conn.transaction():
        if changes.get("status") == "active":
            await _refuse_suspended(conn, actor, ctx.settings.support_email)
        before = await _owned_listing(conn, actor, req.listing_id)
        moving = domain.moved_fields(changes, zip_code is not None, dict(before))
        if moving:  # under the listing's lock, which a booking request takes too
            domain.check_move(
                moving, bool(await booking_store.open_stays(conn, req.listing_id, clock.now(ctx.settings)))
            )
        if zip_code is not None or "latitude" in changes or "longitude" in changes:
            # Coordinates given win over the ZIP code's centre, as on creation.
            given = "latitude" in changes or "longitude" in changes
            latitude = changes.get("latitude", before["latitude"]) if given else None
            longitude = changes.get("longitude", before["longitude"]) if given else None
            changes["latitude"], changes["longitude"] = domain.room_position(
                latitude, longitude, zip_code, hospitals.directory()
            )
            changes["public_latitude"], changes["public_longitude"] = domain.public_point(
                ctx.settings.secret_key, req.listing_id, changes["latitude"], changes["longitude"]
            )
            if moving:  # only without open stays (check_move): no stay's moments change under it
                changes["time_zone"] = places.zone_at(changes["latitude"], changes["longitude"])
        if before["status"] == "archived":
            raise AppError("conflict", "an archived listing cannot be changed")
        start = changes.get("available_from", before["available_from"])
        end = changes.get("available_to", before["available_to"])
        if start > end:
            raise AppError(
                "validation",
                "available_from must be on or before available_to",
                [{"field": "available_to", "message": "Must be on or after the first available date."}],
            )
        minimum = changes.get("min_stay_nights", before["min_stay_nights"])
        today = stays_rules.local_today(clock.now(ctx.settings), changes.get("time_zone") or listing_zone(before))
        # Only what the host changes: a room whose dates ran out still takes other edits.
        if (start, end, minimum) != (before["available_from"], before["available_to"], before["min_stay_nights"]):
            # Under the listing's lock, which accepting a stay or moving it takes too.
            stays = [
                domain.HeldStay(stay["status"], stay["check_in"], stay["check_out"])
                for stay in await booking_store.open_stays(conn, req.listing_id, clock.now(ctx.settings))
            ]
            if (start, end) != (before["available_from"], before["available_to"]):
                domain.check_window(stays, start, end, today)
            if not domain.holds_stays(stays, today):
                # A room kept for the stays it holds may take no new one; an empty one must.
                domain.check_bookable(start, end, minimum, today)
        await store.update_listing(conn, req.listing_id, changes)
        row = await store.listing(conn, req.listing_id)
        assert row is not None
        await _add_listing_event(conn, before["status"], row, changed=bool(changes))
        photos = await photo_store.photos(conn, req.listing_id)
    return to_listing(row, exact=True, photos=photos)


@registry.endpoint(subjects.ARCHIVE_LISTING, ListingId)
async def archive_listing(ctx: Context, req: ListingId) -> Ok:
    actor = ctx.require_actor()
    queued: list[str] = []
    async with ctx.pool.acquire() as conn, conn.transaction():
        before = await _owned_listing(conn, actor, req.listing_id)
        if before["status"] != "archived":
            open_stays = await booking_store.open_stays(conn, req.listing_id, clock.now(ctx.settings))
            domain.check_archive([stay["status"] for stay in open_stays])
            for stay in open_stays:  # requests only, after the check: the host turns them down
                updated = await booking_store.set_booking_status(conn, stay["id"], "declined")
                await add(conn, domain.DECLINE.event(booking_data(updated)))
            # An archived listing is never shown again, to its host neither, and cannot be
            # restored: its photos (often the host's home) would only stay public at their URLs.
            queued = await photo_store.erase_photos(conn, [req.listing_id])
            await store.update_listing(conn, req.listing_id, {"status": "archived"})
            row = await store.listing(conn, req.listing_id)
            assert row is not None
            await _add_listing_event(conn, before["status"], row, changed=True)
    # What fails here stays queued for the sweep; a room without photos needs no storage.
    if queued:
        await files.delete_unused(ctx.pool, media().storage, queued)
    return Ok()


@registry.endpoint(subjects.MY_LISTINGS, MyListings)
async def my_listings(ctx: Context, req: MyListings) -> ListingPage:
    actor = ctx.require_actor()
    after = decode_newest_first(req.cursor)
    rows = await store.host_listings(ctx.pool, actor.user_id, req.status, after, req.limit + 1)
    page, nxt = next_page(rows, req.limit, key=lambda row: (row["created_at"], row["id"]))
    items = [to_listing(row, exact=True) for row in page]
    return ListingPage(items=items, next_cursor=nxt)


def _place_centre(name: str) -> tuple[float, float]:
    """The point of the one place a search names; a 400 beside the field otherwise."""
    try:
        found = places.resolve(name)
    except places.AmbiguousPlaceError as exc:
        raise AppError("validation", str(exc), [{"field": "place", "message": f"{exc}."}]) from None
    if found is None:
        message = f"We know no US city or ZIP code called {name}. Choose one of the suggestions."
        raise AppError("validation", f"unknown place {name}", [{"field": "place", "message": message}])
    return found.latitude, found.longitude


# Each order's key column, and how a cursor's key is read back: as that column's type and
# range (a chord is at most the Earth's diameter; monthly_rent is a positive integer).
SEARCH_KEYS: dict[str, tuple[str, KeyValue]] = {
    "distance": ("chord", number(0, 2 * geo.EARTH_RADIUS_M)),
    "price": ("monthly_rent", integer(1, 2**31 - 1)),
    "newest": ("created_at", instant),
}


def _search_digest(req: ListingSearch, center: tuple[float, float] | None) -> str:
    """What a search's order depends on: its cursors carry this and page no other search
    (the client that changed the sort or the dates before "More results" got a wrong page)."""
    query: dict[str, Any] = {
        "sort": req.sort,
        "center": center,
        "radius_km": req.radius_km if center is not None else None,
        "from": req.from_,
        "to": req.to,
        "max_rent": req.max_rent,
        "room_type": req.room_type,
        "amenities": sorted(req.amenities or []),
        "verified_hosts": req.verified_hosts,
    }
    return query_digest(query)


@registry.endpoint(subjects.SEARCH_LISTINGS, ListingSearch)
async def search_listings(ctx: Context, req: ListingSearch) -> RawJson:
    center = req.point()
    if req.hospital_id:
        h = hospitals.lookup(req.hospital_id)
        center = (h.latitude, h.longitude)
    if req.place:
        center = _place_centre(req.place)
    if req.from_:
        # What booking refuses is not offered: the same rule as the booking's, on the date
        # where the rooms are (the search's centre: a search from Los Angeles at 20:00 is
        # for tonight, though the UTC date has turned).
        zone = places.zone_at(*center) if center is not None else timezones.DEFAULT_ZONE
        today = stays_rules.local_today(clock.now(ctx.settings), zone)
        domain.refuse_past_check_in(req.from_, today, field="from")
    digest = _search_digest(req, center)
    sort_key, read_key = SEARCH_KEYS[req.sort]
    after = decode_key(req.cursor, read_key, row_id, bound_to=digest) if req.cursor else None
    viewer = ctx.actor.user_id if ctx.actor is not None else None
    rows = await store.search_listings(ctx.pool, req, center, after, viewer)
    nights = (req.to - req.from_).days if req.from_ and req.to else None
    page, nxt = next_page(rows, req.limit, key=lambda row: (row[sort_key], row["id"]), bound_to=digest)
    items = [
        summary_fields(
            r,
            exact=viewer is not None and viewer == r["host_id"],
            # From the public position (the index holds it), in one decimal: to judge a commute.
            distance_km=round(geo.great_circle_m(r["chord"]) / 1000, 1) if center is not None else None,
            stay_total=pricing.stay_total_cents(r["monthly_rent"], nights) / 100 if nights else None,
        )
        for r in page
    ]
    # Serialized straight from dicts: building 20 pydantic models per page was a third of
    # this service's CPU under load. tests/integration check the bytes against SearchPage.
    # default=str: asyncpg returns its own UUID type, which orjson does not know.
    return RawJson(orjson.dumps({"next_cursor": nxt, "items": items}, default=str, option=orjson.OPT_UTC_Z))


@registry.endpoint(subjects.QUOTE_STAY, QuoteRequest)
async def quote_stay(ctx: Context, req: QuoteRequest) -> Quote:
    viewer = ctx.actor.user_id if ctx.actor else None
    row, guest = await store.listing_for_viewer(ctx.pool, req.listing_id, viewer, clock.now(ctx.settings))
    exact_for(row, viewer, guest)
    assert row is not None
    nights = (req.check_out - req.check_in).days
    zone = listing_zone(row)
    today = stays_rules.local_today(clock.now(ctx.settings), zone)  # at the room, as booking
    reason = (
        (domain.NOT_TAKING_REQUESTS if row["status"] != "active" else None)
        or domain.past_reason(req.check_in, today)
        or domain.unavailable_reason(
            row["available_from"], row["available_to"], row["min_stay_nights"], req.check_in, req.check_out
        )
    )
    taken: list[tuple[date, date]] = []
    if reason is None:
        if await booking_store.is_booked(ctx.pool, req.listing_id, req.check_in, req.check_out):
            reason = store.BOOKING_CONFLICTS["bookings_no_overlap"]
        elif await block_store.is_blocked(ctx.pool, req.listing_id, req.check_in, req.check_out):
            reason = domain.DATES_BLOCKED
        if reason is not None:
            taken = await booking_store.taken_nights(ctx.pool, req.listing_id, req.check_in, req.check_out)
    return Quote(
        listing_id=req.listing_id,
        check_in=req.check_in,
        check_out=req.check_out,
        nights=nights,
        nightly_rate=pricing.nightly_cents(row["monthly_rent"]) / 100,
        total=pricing.stay_total_cents(row["monthly_rent"], nights) / 100,
        available=reason is None,
        reason=reason,
        taken=[TakenNights(check_in=start, check_out=stop) for start, stop in taken],
        **stay_moments(req.check_in, req.check_out, zone),
    )
