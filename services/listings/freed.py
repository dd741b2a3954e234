"""Nights free again. A request declined because another stay took its nights
(``domain.TAKEN_BY_ANOTHER``) left its guest looking elsewhere; when that stay is cancelled,
expires unpaid or moves away, the guest hears that the dates they asked for are free again
(``BookingNightsFreed``; messaging tells them), so they may ask again. Before, nobody was
told, and the room stood empty for dates a student had wanted.

Checked where the nights are let go, in the transaction that lets them go; each request is
told once, and only when all its nights are free, still to come, in a room still offered,
and its guest has no other request or stay for them (``booking_store.freed_requests``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from services.listings.store import bookings as booking_store
from services.listings.views import booking_data
from shared.contracts.listings import BookingNightsFreed
from shared.db import Connection
from shared.outbox import add

# The statuses in which a stay holds its nights (``booking_store.is_booked``): one that
# leaves them for another (cancelled, expired) lets them go.
HOLDING = frozenset({"accepted", "confirmed"})


async def tell_freed(conn: Connection, listing_id: uuid.UUID, check_in: date, check_out: date, now: datetime) -> int:
    """Tell the guests whose declined requests these nights now free; how many were told."""
    rows = await booking_store.freed_requests(conn, listing_id, check_in, check_out, now.date())
    for row in rows:
        await add(conn, BookingNightsFreed(booking=booking_data(row)))
    return len(rows)
