"""The caller's stays for their private calendar feed (asked by accounts, as the user)."""

from __future__ import annotations

from services.listings.store import bookings as booking_store
from shared import subjects
from shared.contracts.base import Empty
from shared.contracts.calendar import CalendarStay, CalendarStays
from shared.service import Context, Registry

registry = Registry()

# The newest stays a feed holds: years of one person's bookings.
FEED_LIMIT = 500


@registry.endpoint(subjects.CALENDAR_STAYS, Empty)
async def calendar_stays(ctx: Context, req: Empty) -> CalendarStays:
    actor = ctx.require_actor()
    rows = await booking_store.user_bookings(ctx.pool, actor.user_id, None, None, None, FEED_LIMIT)
    items = []
    for row in rows:
        role = "host" if row["host_id"] == actor.user_id else "guest"
        confirmed = row["status"] in ("confirmed", "completed")
        items.append(
            CalendarStay(
                booking_id=row["id"],
                listing_title=row["listing_title"],
                check_in=row["check_in"],
                check_out=row["check_out"],
                status=row["status"],
                role=role,
                address=row["address"] if role == "host" or confirmed else None,
                version=row["version"],
            )
        )
    return CalendarStays(items=items)
