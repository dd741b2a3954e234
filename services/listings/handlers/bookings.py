"""Endpoints for bookings: request a stay, accept / decline / cancel it, move it, list mine."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta

import asyncpg

from services.listings import domain, freed, store
from services.listings.store import blocked_dates as block_store
from services.listings.store import bookings as booking_store
from services.listings.views import (
    BOOKING_NOT_FOUND,
    LISTING_NOT_FOUND,
    booking_data,
    booking_view,
    listing_terms,
    listing_zone,
    shift_view,
    to_booking,
)
from shared import blocks, bus, clock, hospitals, pricing, stays, subjects
from shared.contracts.base import Actor
from shared.contracts.listings import (
    Booking,
    BookingAction,
    BookingId,
    BookingPage,
    BookingRequest,
    BookingRequested,
    BookingShiftDeclined,
    BookingShifted,
    BookingShiftRequested,
    BookingShiftWithdrawn,
    MyBookings,
    ShiftRequest,
)
from shared.contracts.matching import Rotation, RotationId
from shared.db import Connection
from shared.outbox import add
from shared.paging import decode_newest_first, next_page
from shared.service import Context, Registry

registry = Registry()

log = logging.getLogger(__name__)


async def check_own_rotation(ctx: Context, actor: Actor, rotation_id: uuid.UUID) -> Rotation:
    """A stay names a rotation of its guest's own: matching, asked as the guest, answers 404
    for another's or none (a stay took any id, another student's rotation too, and a letter
    of that stay then read that rotation's hospital), as a mentorship request naming one does."""
    return await bus.request(
        ctx.nc,
        subjects.GET_ROTATION,
        RotationId(rotation_id=rotation_id),
        Rotation,
        actor=actor,
        timeout=ctx.settings.request_timeout_s,
    )


# Students and professionals stay in rooms; operators take no part in bookings (one could
# request a stay as a guest).
@registry.endpoint(subjects.REQUEST_BOOKING, BookingRequest, roles=("student",))
async def request_booking(ctx: Context, req: BookingRequest) -> Booking:
    actor = ctx.require_verified_email()
    hospital_id = req.hospital_id
    if req.rotation_id is not None:
        # Before the transaction: no row is held while matching answers.
        rotation = await check_own_rotation(ctx, actor, req.rotation_id)
        # A stay for a rotation is near its hospital, unless the request names another: the
        # API's requests naming a rotation alone kept no hospital (the review named none).
        hospital_id = hospital_id or rotation.hospital.id
    now = clock.now(ctx.settings)
    async with ctx.pool.acquire() as conn, conn.transaction():
        row, guest = await store.listing_for_viewer(conn, req.listing_id, actor.user_id, now)
        if row is None:
            raise LISTING_NOT_FOUND
        # A block either way (messaging's, projected here) stops the request and its words.
        await blocks.refuse_if_blocked(conn, actor.user_id, row["host_id"])
        today = stays.local_today(now, listing_zone(row))  # at the room: a stay may start this evening
        domain.check_request(listing_terms(row), actor.user_id, req.check_in, req.check_out, today, guest)
        # The guest's requests are counted one at a time (a burst sent at once queues here,
        # so none reads a count another is about to raise), then, under the listing's lock,
        # two identical requests (a double click) queue too: the second sees the first.
        await booking_store.lock_guest_requests(conn, actor.user_id)
        await store.lock_listing(conn, req.listing_id)
        same = await booking_store.open_request(conn, req.listing_id, actor.user_id, req.check_in, req.check_out, now)
        if same is not None:
            domain.refuse_duplicate_request(same["id"], same["status"], same["check_in"], same["check_out"])
        # Under the listing's lock, which accepting a stay takes too.
        domain.refuse_taken_dates(await booking_store.is_booked(conn, req.listing_id, req.check_in, req.check_out))
        # And the nights its host blocked (blocking takes the same lock).
        domain.refuse_blocked_dates(await block_store.is_blocked(conn, req.listing_id, req.check_in, req.check_out))
        if hospital_id:
            hospitals.lookup(hospital_id)
        limits = ctx.settings
        recent = await booking_store.recent_requests(conn, actor.user_id, limits.booking_request_window_s)
        domain.refuse_over_request_limits(
            recent,
            req.listing_id,
            limits.booking_request_window_s,
            limits.booking_requests_per_listing,
            limits.booking_requests_per_guest,
        )
        created = await booking_store.insert_booking(
            conn,
            uuid.uuid4(),
            req.listing_id,
            actor.user_id,
            row["host_id"],
            req.check_in,
            req.check_out,
            pricing.stay_total_cents(row["monthly_rent"], (req.check_out - req.check_in).days),
            req.message,
            hospital_id,
            req.rotation_id,
            domain.request_expiry(
                now,
                timedelta(hours=ctx.settings.booking_request_ttl_hours),
                stays.check_in_moment(req.check_in, listing_zone(row)),
            ),
            row["cancellation_policy"],
        )
        await add(conn, BookingRequested(booking=booking_data(created), message=req.message))
    return to_booking(created, actor.user_id, now)


async def _locked_booking(conn: Connection, booking_id: uuid.UUID) -> asyncpg.Record:
    """The booking, locked after its listing.

    Every change of a listing's bookings first locks the listing: concurrent accepts of
    overlapping stays then queue here, one after the other, and the exclusion constraint
    stays a safety net. Without it each accept's constraint check could wait on the
    other's uncommitted row, and Postgres broke the cycle by aborting one with a deadlock
    after deadlock_timeout (measured: 234 deadlocks in 40 rounds of 50 racing accepts;
    none with the lock).
    """
    found = await booking_store.booking(conn, booking_id)
    if found is None:
        raise BOOKING_NOT_FOUND
    await store.lock_listing(conn, found["listing_id"])
    row = await booking_store.booking(conn, booking_id, for_update=True)
    assert row is not None
    return row


async def _decline_overlapping(
    conn: Connection, listing_id: uuid.UUID, check_in: date, check_out: date, now: datetime
) -> None:
    """A stay now holds these nights: the requests still waiting for any of them are declined
    at once (``domain.TAKEN_BY_ANOTHER``), each guest told by the event. Before, they stayed
    'requested' until they expired, their guests waiting two days for a room already gone."""
    for other in await booking_store.overlapping_requests(conn, listing_id, check_in, check_out, now):
        declined = await booking_store.set_booking_status(conn, other["id"], "declined", domain.TAKEN_BY_ANOTHER)
        await add(conn, domain.DECLINE.event(booking_data(declined)))


async def _transition(ctx: Context, booking_id: uuid.UUID, action: str) -> Booking:
    actor = ctx.require_actor()
    now = clock.now(ctx.settings)
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await _locked_booking(conn, booking_id)
        # Under the listing's lock no other accept can slip in between this check and the
        # update; the exclusion constraint still refuses an overlap if one ever did.
        taken = action == "accept" and await booking_store.is_booked(
            conn, row["listing_id"], row["check_in"], row["check_out"]
        )
        # The listing as it is now, read under its lock (an edit of its dates takes it too).
        listing = await store.listing(conn, row["listing_id"])
        assert listing is not None
        blocked = action == "accept" and await block_store.is_blocked(
            conn, row["listing_id"], row["check_in"], row["check_out"]
        )
        transition = domain.decide(
            booking_view(row),
            actor,
            action,
            now,
            dates_taken=taken,
            dates_blocked=blocked,
            terms=listing_terms(listing),
        )
        reason = domain.end_reason(booking_view(row), actor, transition.status)
        updated = await booking_store.set_booking_status(
            conn, row["id"], transition.status, reason, cancelled_by=transition.cancelled_by
        )
        await add(conn, transition.event(booking_data(updated)))
        if transition.status == "accepted":
            await _decline_overlapping(conn, row["listing_id"], row["check_in"], row["check_out"], now)
        elif row["status"] in freed.HOLDING:  # a stay cancelled: the requests it turned down
            await freed.tell_freed(conn, row["listing_id"], row["check_in"], row["check_out"], now)
    return to_booking(updated, actor.user_id, now)


@registry.endpoint(subjects.SHIFT_BOOKING, ShiftRequest)
async def shift_booking(ctx: Context, req: ShiftRequest) -> Booking:
    """The guest asks to move an accepted stay (their rotation moved); the host answers."""
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await _locked_booking(conn, req.booking_id)
        listing = await store.listing(conn, row["listing_id"])
        assert listing is not None
        # Dates another stay holds are refused now, not left for the host, who could only
        # decline them; accepting checks again (another request may be accepted meanwhile).
        taken = await booking_store.is_booked(conn, row["listing_id"], req.check_in, req.check_out, besides=row["id"])
        view = booking_view(row)
        domain.check_shift_request(
            view,
            shift_view(row),
            listing_terms(listing),
            actor,
            req.check_in,
            req.check_out,
            clock.now(ctx.settings),
            dates_taken=taken,
            dates_blocked=await block_store.is_blocked(conn, row["listing_id"], req.check_in, req.check_out),
        )
        await booking_store.request_shift(conn, row["id"], req.check_in, req.check_out)
        updated = await booking_store.booking(conn, row["id"])
        assert updated is not None
        event = BookingShiftRequested(
            booking=booking_data(updated),
            check_in=req.check_in,
            check_out=req.check_out,
            total_cents=domain.shift_total_cents(view, req.check_in, req.check_out),
            for_rotation=domain.follows_rotation(view, req.check_in, req.check_out),
        )
        await add(conn, event)
    return to_booking(updated, actor.user_id, clock.now(ctx.settings))


@registry.endpoint(subjects.WITHDRAW_SHIFT, BookingAction)
async def withdraw_shift(ctx: Context, req: BookingAction) -> Booking:
    """The guest takes back a request for new dates the host has not answered."""
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await _locked_booking(conn, req.booking_id)
        check_in, check_out = domain.check_shift_withdrawal(booking_view(row), shift_view(row), actor)
        await booking_store.withdraw_shift(conn, row["id"])
        updated = await booking_store.booking(conn, row["id"])
        assert updated is not None
        await add(conn, BookingShiftWithdrawn(booking=booking_data(updated), check_in=check_in, check_out=check_out))
    return to_booking(updated, actor.user_id, clock.now(ctx.settings))


async def _answer_shift(ctx: Context, booking_id: uuid.UUID, action: str) -> Booking:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await _locked_booking(conn, booking_id)
        shift = shift_view(row)
        taken = (
            action == "accept"
            and shift.check_in is not None
            and shift.check_out is not None
            and await booking_store.is_booked(
                conn, row["listing_id"], shift.check_in, shift.check_out, besides=row["id"]
            )
        )
        blocked = (
            action == "accept"
            and shift.check_in is not None
            and shift.check_out is not None
            and await block_store.is_blocked(conn, row["listing_id"], shift.check_in, shift.check_out)
        )
        listing = await store.listing(conn, row["listing_id"])
        assert listing is not None
        answer = domain.decide_shift(
            booking_view(row), shift, actor, action, taken, dates_blocked=blocked, terms=listing_terms(listing)
        )
        accepted = answer.status == "accepted"
        await booking_store.answer_shift(conn, row["id"], accepted, answer.total_cents, answer.for_rotation)
        updated = await booking_store.booking(conn, row["id"])
        assert updated is not None
        data = booking_data(updated)
        if accepted:
            await add(conn, BookingShifted(booking=data))
            await _decline_overlapping(
                conn, row["listing_id"], answer.check_in, answer.check_out, clock.now(ctx.settings)
            )
            # The nights it left: the requests they were taken from may be whole again.
            await freed.tell_freed(conn, row["listing_id"], row["check_in"], row["check_out"], clock.now(ctx.settings))
        else:
            declined = BookingShiftDeclined(
                booking=data, check_in=answer.check_in, check_out=answer.check_out, for_rotation=answer.for_rotation
            )
            await add(conn, declined)
    return to_booking(updated, actor.user_id, clock.now(ctx.settings))


@registry.endpoint(subjects.ACCEPT_SHIFT, BookingAction)
async def accept_shift(ctx: Context, req: BookingAction) -> Booking:
    return await _answer_shift(ctx, req.booking_id, "accept")


@registry.endpoint(subjects.DECLINE_SHIFT, BookingAction)
async def decline_shift(ctx: Context, req: BookingAction) -> Booking:
    return await _answer_shift(ctx, req.booking_id, "decline")


@registry.endpoint(subjects.ACCEPT_BOOKING, BookingAction)
async def accept_booking(ctx: Context, req: BookingAction) -> Booking:
    return await _transition(ctx, req.booking_id, "accept")


@registry.endpoint(subjects.DECLINE_BOOKING, BookingAction)
async def decline_booking(ctx: Context, req: BookingAction) -> Booking:
    return await _transition(ctx, req.booking_id, "decline")


@registry.endpoint(subjects.CANCEL_BOOKING, BookingAction)
async def cancel_booking(ctx: Context, req: BookingAction) -> Booking:
    return await _transition(ctx, req.booking_id, "cancel")


@registry.endpoint(subjects.GET_BOOKING, BookingId)
async def get_booking(ctx: Context, req: BookingId) -> Booking:
    """One booking of the caller's, as its guest or its host; anyone else's is a 404, as an
    unknown id is (the web client's pay and receipt pages read it first: payments' 404 for
    someone else's booking was taken for "not prepared yet" for 30 s)."""
    actor = ctx.require_actor()
    row = await booking_store.booking(ctx.pool, req.booking_id)
    if row is None or actor.user_id not in (row["guest_id"], row["host_id"]):
        raise BOOKING_NOT_FOUND
    return to_booking(row, actor.user_id, clock.now(ctx.settings))


@registry.endpoint(subjects.MY_BOOKINGS, MyBookings)
async def my_bookings(ctx: Context, req: MyBookings) -> BookingPage:
    actor = ctx.require_actor()
    after = decode_newest_first(req.cursor)
    rows = await booking_store.user_bookings(
        ctx.pool, actor.user_id, req.role, req.status, after, req.limit + 1, listing_id=req.listing_id
    )
    page, nxt = next_page(rows, req.limit, key=lambda row: (row["created_at"], row["id"]))
    now = clock.now(ctx.settings)
    items = [to_booking(row, actor.user_id, now) for row in page]
    return BookingPage(items=items, next_cursor=nxt)


# --- background: expiry of unanswered requests, completion of finished stays ----------
