"""SQL of listings' export and erasure of one user ($-params only)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.listings.store.bookings import BOOKING_COLUMNS, BOOKING_FROM
from shared.db import Connection
from shared.privacy import ERASED_VERSION
from shared.timezones import DEFAULT_ZONE

DB = Connection | asyncpg.Pool


async def export(db: DB, user_id: uuid.UUID) -> dict[str, list[asyncpg.Record]]:
    return {
        "listings": await db.fetch(
            "SELECT id, title, description, room_type, address, latitude, longitude, monthly_rent, amenities,"
            " house_rules, available_from, available_to, min_stay_nights, status, created_at, updated_at"
            " FROM listings WHERE host_id = $1 ORDER BY created_at",
            user_id,
        ),
        "bookings": await db.fetch(
            "SELECT b.id, b.listing_id, l.title AS listing_title, b.guest_id, b.host_id, lower(b.stay) AS check_in,"
            " upper(b.stay) AS check_out, b.total_cents, b.status, b.message, b.hospital_id, b.created_at,"
            " b.decided_at FROM bookings b JOIN listings l ON l.id = b.listing_id"
            " WHERE b.guest_id = $1 OR b.host_id = $1 ORDER BY b.created_at",
            user_id,
        ),
        "blocked_dates": await db.fetch(
            "SELECT d.id, d.listing_id, lower(d.nights) AS start, upper(d.nights) AS end, d.note, d.created_at"
            " FROM blocked_dates d JOIN listings l ON l.id = d.listing_id WHERE l.host_id = $1"
            " ORDER BY d.listing_id, lower(d.nights)",
            user_id,
        ),
        "reviews_written": await db.fetch(
            "SELECT id, booking_id, listing_id, subject_id, rating, text, created_at FROM reviews"
            " WHERE author_id = $1 ORDER BY created_at",
            user_id,
        ),
        "reviews_received": await db.fetch(
            "SELECT id, booking_id, listing_id, author_id, rating, text, created_at FROM reviews"
            " WHERE subject_id = $1 ORDER BY created_at",
            user_id,
        ),
    }


async def host_photos(db: DB, user_id: uuid.UUID) -> list[asyncpg.Record]:
    """The photos of every listing of the user (a draft's and an archived one's too), by
    listing, then in each listing's order."""
    return await db.fetch(
        "SELECT p.id, p.listing_id, p.position, p.alt_text, p.caption, p.width, p.height, p.color, p.variants,"
        " p.created_at FROM listing_photos p JOIN listings l ON l.id = p.listing_id"
        " WHERE l.host_id = $1 ORDER BY l.created_at, l.id, p.position, p.created_at",
        user_id,
    )


async def future_bookings(conn: Connection, user_id: uuid.UUID, now: datetime) -> list[asyncpg.Record]:
    """The user's requested, accepted or paid stays (as guest or host) not yet over at
    ``now``, locked: a stay is over from its check-out day at the room, as the completion
    sweep counts it (the UTC date, a day ahead in the US evening, ended stays early)."""
    return await conn.fetch(
        f"SELECT {BOOKING_COLUMNS} FROM {BOOKING_FROM}"
        " WHERE (b.guest_id = $1 OR b.host_id = $1) AND b.status IN ('requested', 'accepted', 'confirmed')"
        " AND upper(b.stay) > ($2::timestamptz AT TIME ZONE coalesce(l.time_zone, $3))::date FOR UPDATE OF b",
        user_id,
        now,
        DEFAULT_ZONE,
    )


async def listing_ids(conn: Connection, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Every listing of the user, whatever its status."""
    return [row["id"] for row in await conn.fetch("SELECT id FROM listings WHERE host_id = $1", user_id)]


async def erase(conn: Connection, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Archive the user's listings and blank what they wrote; the listings newly archived."""
    await conn.execute("UPDATE bookings SET message = '' WHERE guest_id = $1", user_id)
    # A host's address, kept on the stays it was paid for (their guests' records): theirs to erase.
    await conn.execute("UPDATE bookings SET stay_address = NULL WHERE host_id = $1", user_id)
    await conn.execute("UPDATE reviews SET text = '' WHERE author_id = $1", user_id)
    # The newest version there is: a late snapshot of the deleted user changes nothing. Put
    # in place also when the user's first snapshot has not reached the hosts projection yet
    # (a guest who signs up, books and deletes at once): an UPDATE found no row, the late
    # snapshot then made one, and their stays never said the account was deleted.
    await conn.execute(
        "INSERT INTO hosts(user_id, display_name, version) VALUES ($1, NULL, $2)"
        " ON CONFLICT (user_id) DO UPDATE SET display_name = NULL, version = excluded.version",
        user_id,
        ERASED_VERSION,
    )
    # Their blocked nights and private notes about them: nothing is left to book anyway.
    await conn.execute(
        "DELETE FROM blocked_dates d USING listings l WHERE l.id = d.listing_id AND l.host_id = $1", user_id
    )
    public = await conn.fetch("SELECT id FROM listings WHERE host_id = $1 AND status <> 'archived'", user_id)
    await conn.execute(
        "UPDATE listings SET status = 'archived', description = '', house_rules = '', address = '',"
        " updated_at = now() WHERE host_id = $1",
        user_id,
    )
    return [row["id"] for row in public]


async def erased(db: DB, user_id: uuid.UUID) -> bool | None:
    """Whether the user deleted their account (what others wrote of them is not shown);
    None for a user listings has not heard of (nobody, or an account whose event is on its way)."""
    row = await db.fetchrow("SELECT version = $2 AS erased FROM hosts WHERE user_id = $1", user_id, ERASED_VERSION)
    return None if row is None else bool(row["erased"])
