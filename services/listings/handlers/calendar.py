"""The caller's stays for their private calendar feed and the .ics of a stay's mail
(asked by accounts, as the user)."""

from __future__ import annotations

import uuid

import asyncpg

from services.listings.store import bookings as booking_store
from shared import subjects
from shared.contracts.base import Empty
from shared.contracts.calendar import CalendarStay, CalendarStayRequest, CalendarStays
from shared.errors import AppError
from shared.service import Context, Registry

registry = Registry()

# The newest stays a feed holds: years of one person's bookings.
FEED_LIMIT = 500
NO_STAY = AppError("not_found", "booking not found")


def _stay(row: asyncpg.Record, user_id: uuid.UUID) -> CalendarStay:
    role = "host" if row["host_id"] == user_id else "guest"
    confirmed = row["status"] in ("confirmed", "completed")
    return CalendarStay(
        booking_id=row["id"],
        listing_title=row["listing_title"],
        check_in=row["check_in"],
        check_out=row["check_out"],
        status=row["status"],
        role=role,
        address=row["address"] if role == "host" or confirmed else None,
        version=row["version"],
        other_id=row["guest_id"] if role == "host" else row["host_id"],
        was_confirmed=row["confirmed_at"] is not None,
    )


@registry.endpoint(subjects.CALENDAR_STAYS, Empty)
async def calendar_stays(ctx: Context, req: Empty) -> CalendarStays:
    actor = ctx.require_actor()
    rows = await booking_store.user_bookings(ctx.pool, actor.user_id, None, None, None, FEED_LIMIT)
    return CalendarStays(items=[_stay(row, actor.user_id) for row in rows])


@registry.endpoint(subjects.CALENDAR_STAY, CalendarStayRequest)
async def calendar_stay(ctx: Context, req: CalendarStayRequest) -> CalendarStay:
    """One stay of the caller's, however many newer ones they have (the mail's .ics looked
    for it among the feed's 500 newest, so a busy host's mail went without it); anyone
    else's booking is a 404."""
    actor = ctx.require_actor()
    row = await booking_store.booking(ctx.pool, req.booking_id)
    if row is None or actor.user_id not in (row["guest_id"], row["host_id"]):
        raise NO_STAY
    return _stay(row, actor.user_id)
