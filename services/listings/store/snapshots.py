"""SQL of the snapshot pages: every listing and booking in id order, after a given id.

The rows are the ones events are built from (``LISTING_COLUMNS``, ``BOOKING_COLUMNS``).
The first page has its own statement: ``$1 IS NULL OR id > $1`` in one would keep the
planner from starting the primary key's index scan at ``$1`` once asyncpg's prepared
statement goes generic, and every later page would read the table from its start.
"""

from __future__ import annotations

import uuid

import asyncpg

from services.listings.store import DB, LISTING_COLUMNS, LISTING_FROM
from services.listings.store.bookings import BOOKING_COLUMNS, BOOKING_FROM


async def listings_after(db: DB, after: uuid.UUID | None, limit: int) -> list[asyncpg.Record]:
    """Listings of every status with a public position, in id order after ``after``.

    A row an older replica wrote without a public position has no snapshot yet (events
    carry only the public point); the minute's sweep places it and sends it as
    ``listing.updated``.
    """
    placed = "l.public_latitude IS NOT NULL"
    if after is None:
        return await db.fetch(
            f"SELECT {LISTING_COLUMNS} FROM {LISTING_FROM} WHERE {placed} ORDER BY l.id LIMIT $1", limit
        )
    return await db.fetch(
        f"SELECT {LISTING_COLUMNS} FROM {LISTING_FROM} WHERE {placed} AND l.id > $1 ORDER BY l.id LIMIT $2",
        after,
        limit,
    )


async def bookings_after(db: DB, after: uuid.UUID | None, limit: int) -> list[asyncpg.Record]:
    """Bookings of every status, in id order after ``after``."""
    if after is None:
        return await db.fetch(f"SELECT {BOOKING_COLUMNS} FROM {BOOKING_FROM} ORDER BY b.id LIMIT $1", limit)
    return await db.fetch(
        f"SELECT {BOOKING_COLUMNS} FROM {BOOKING_FROM} WHERE b.id > $1 ORDER BY b.id LIMIT $2", after, limit
    )
