"""SQL of bookings: requests, answers, shifts, the sweep's due stays."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import asyncpg

from services.listings import domain
from services.listings.store import BOOKING_CONFLICTS, DB
from shared import blocks
from shared.db import Connection, Lock, translate, xact_lock
from shared.paging import newest_first_after
from shared.privacy import ERASED_VERSION
from shared.request_limits import RecentRequest
from shared.stays import CHECK_IN_TIME
from shared.timezones import DEFAULT_ZONE

# --- bookings -------------------------------------------------------------------------

BOOKING_COLUMNS = f"""
    b.id, b.listing_id, l.title AS listing_title, coalesce(b.stay_address, l.address) AS address,
    b.guest_id, b.host_id,
    lower(b.stay) AS check_in, upper(b.stay) AS check_out, b.total_cents, b.status, b.message,
    b.hospital_id, b.rotation_id, b.created_at, b.expires_at, b.decided_at, b.version,
    lower(b.shift_stay) AS shift_check_in, upper(b.shift_stay) AS shift_check_out, b.shift_status, b.end_reason,
    b.rotation_shift_declined, coalesce(b.cancellation_policy, l.cancellation_policy) AS cancellation_policy,
    (SELECT m.stay FROM rotation_moves m WHERE m.booking_id = b.id) AS rotation_moved_to,
    b.min_stay_nights AS accepted_min_stay, b.cancelled_by, b.freed_told_at, b.confirmed_at,
    EXISTS (SELECT 1 FROM reviews r WHERE r.booking_id = b.id AND r.author_role = 'guest') AS guest_reviewed,
    EXISTS (SELECT 1 FROM reviews r WHERE r.booking_id = b.id AND r.author_role = 'host') AS host_reviewed,
    l.time_zone, l.latitude AS room_latitude, l.longitude AS room_longitude,
    EXISTS (SELECT 1 FROM hosts h WHERE h.user_id IN (b.guest_id, b.host_id) AND h.version = {ERASED_VERSION})
      AS party_erased,
    EXISTS (SELECT 1 FROM hosts h WHERE h.user_id = b.host_id AND h.suspended) AS host_suspended
"""
BOOKING_FROM = "bookings b JOIN listings l ON l.id = b.listing_id"


async def insert_booking(
    conn: Connection,
    booking_id: uuid.UUID,
    listing_id: uuid.UUID,
    guest_id: uuid.UUID,
    host_id: uuid.UUID,
    check_in: date,
    check_out: date,
    total_cents: int,
    message: str,
    hospital_id: str | None,
    rotation_id: uuid.UUID | None,
    expires_at: datetime,
    cancellation_policy: str,
) -> asyncpg.Record:
    """Insert a requested booking at the price and cancellation policy the guest was shown;
    return it as ``booking`` reads it."""
    try:
        row = await conn.fetchrow(
            "WITH b AS (INSERT INTO bookings(id, listing_id, guest_id, host_id, stay, total_cents, status,"
            " message, hospital_id, rotation_id, expires_at, cancellation_policy)"
            " VALUES ($1, $2, $3, $4, daterange($5, $6), $7, 'requested', $8, $9, $10, $11, $12) RETURNING *)"
            f" SELECT {BOOKING_COLUMNS} FROM b JOIN listings l ON l.id = b.listing_id",
            booking_id,
            listing_id,
            guest_id,
            host_id,
            check_in,
            check_out,
            total_cents,
            message,
            hospital_id,
            rotation_id,
            expires_at,
            cancellation_policy,
        )
    except asyncpg.PostgresError as exc:
        raise translate(exc, BOOKING_CONFLICTS) from None
    assert row is not None
    return row


async def open_stays(conn: Connection, listing_id: uuid.UUID, now: datetime) -> list[asyncpg.Record]:
    """The listing's stays asked for (and unexpired at ``now``, the rules' clock), accepted or
    paid, locked: the ones an archive must not leave behind. (A paid stay is confirmed until
    the sweep completes it.)"""
    return await conn.fetch(
        f"SELECT {BOOKING_COLUMNS} FROM {BOOKING_FROM} WHERE b.listing_id = $1"
        " AND (b.status IN ('accepted', 'confirmed') OR (b.status = 'requested' AND b.expires_at > $2))"
        " ORDER BY b.id FOR UPDATE OF b",
        listing_id,
        now,
    )


async def open_request(
    db: DB, listing_id: uuid.UUID, guest_id: uuid.UUID, check_in: date, check_out: date, now: datetime
) -> asyncpg.Record | None:
    """The guest's still-open booking (requested and unexpired, accepted or confirmed) of the listing
    whose stay overlaps these dates, if any."""
    return await db.fetchrow(
        "SELECT id, lower(stay) AS check_in, upper(stay) AS check_out, status FROM bookings"
        " WHERE listing_id = $1 AND guest_id = $2 AND stay && daterange($3, $4)"
        " AND (status IN ('accepted', 'confirmed') OR (status = 'requested' AND expires_at > $5))"
        " ORDER BY created_at LIMIT 1",
        listing_id,
        guest_id,
        check_in,
        check_out,
        now,
    )


async def lock_guest_requests(conn: Connection, guest_id: uuid.UUID) -> None:
    """Until the transaction ends, the guest's booking requests go one at a time: counted,
    then inserted, so a burst of them at once cannot all read the same count. Taken before
    any listing's lock (a guest lock is never awaited while a listing's is held: no cycle)."""
    await xact_lock(conn, Lock.GUEST_REQUESTS, guest_id)


async def recent_requests(conn: Connection, guest_id: uuid.UUID, window_s: int) -> list[RecentRequest]:
    """The guest's booking requests made within the last ``window_s``, whatever their status
    now, newest first (the index on guest and creation time)."""
    rows = await conn.fetch(
        "SELECT listing_id, extract(epoch FROM now() - created_at)::float8 AS age_s FROM bookings"
        " WHERE guest_id = $1 AND created_at > now() - make_interval(secs => $2) ORDER BY created_at DESC",
        guest_id,
        float(window_s),
    )
    return [RecentRequest(row["listing_id"], row["age_s"]) for row in rows]


async def is_booked(
    db: DB, listing_id: uuid.UUID, check_in: date, check_out: date, *, besides: uuid.UUID | None = None
) -> bool:
    """Whether an accepted (or completed) stay of the listing overlaps these dates (other
    than the booking ``besides``, which a shift moves)."""
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM bookings WHERE listing_id = $1 AND status IN"
            " ('accepted', 'confirmed', 'completed') AND stay && daterange($2, $3)"
            " AND ($4::uuid IS NULL OR id <> $4))",
            listing_id,
            check_in,
            check_out,
            besides,
        )
    )


async def taken_nights(db: DB, listing_id: uuid.UUID, check_in: date, check_out: date) -> list[tuple[date, date]]:
    """The nights of these dates that another stay holds or the host blocked, merged into
    ranges (check-in day, check-out day) in date order, without saying which is which: a
    student told only "some of these nights" had to guess which."""
    rows = await db.fetch(
        "SELECT lower(r) AS start, upper(r) AS stop FROM unnest(("
        "  SELECT range_agg(n) FROM ("
        "    SELECT stay * daterange($2, $3) AS n FROM bookings WHERE listing_id = $1"
        "      AND status IN ('accepted', 'confirmed', 'completed') AND stay && daterange($2, $3)"
        "    UNION ALL"
        "    SELECT nights * daterange($2, $3) FROM blocked_dates WHERE listing_id = $1 AND nights && daterange($2, $3)"
        "  ) taken)) AS r ORDER BY 1",
        listing_id,
        check_in,
        check_out,
    )
    return [(r["start"], r["stop"]) for r in rows]


async def held_stays(db: DB, listing_id: uuid.UUID, start: date, end: date) -> list[asyncpg.Record]:
    """The listing's accepted, paid or completed stays that overlap these nights (what
    ``is_booked`` looks for, each named: a block refuses them by their dates)."""
    return await db.fetch(
        "SELECT id, status, lower(stay) AS check_in, upper(stay) AS check_out FROM bookings WHERE listing_id = $1"
        " AND status IN ('accepted', 'confirmed', 'completed') AND stay && daterange($2, $3) ORDER BY lower(stay)",
        listing_id,
        start,
        end,
    )


async def overlapping_requests(
    conn: Connection, listing_id: uuid.UUID, check_in: date, check_out: date, now: datetime
) -> list[asyncpg.Record]:
    """The listing's requests still waiting (requested, unexpired) whose stay overlaps these
    dates, locked: the ones a stay accepted for these dates turns down."""
    return await conn.fetch(
        f"SELECT {BOOKING_COLUMNS} FROM {BOOKING_FROM} WHERE b.listing_id = $1 AND b.status = 'requested'"
        " AND b.expires_at > $4 AND b.stay && daterange($2, $3) ORDER BY b.id FOR UPDATE OF b",
        listing_id,
        check_in,
        check_out,
        now,
    )


async def request_shift(conn: Connection, booking_id: uuid.UUID, check_in: date, check_out: date) -> None:
    """Ask for new dates (replacing a declined request; a waiting one is refused before)."""
    await conn.execute(
        "UPDATE bookings SET shift_stay = daterange($2, $3), shift_status = 'requested' WHERE id = $1",
        booking_id,
        check_in,
        check_out,
    )


async def withdraw_shift(conn: Connection, booking_id: uuid.UUID) -> None:
    """Forget the waiting request for new dates: the stay keeps its own."""
    await conn.execute(
        "UPDATE bookings SET shift_stay = NULL, shift_status = NULL WHERE id = $1",
        booking_id,
    )


async def answer_shift(
    conn: Connection, booking_id: uuid.UUID, accepted: bool, total_cents: int, for_rotation: bool
) -> None:
    """Move the stay to the requested dates at ``total_cents`` (the no-overlap constraint
    still holds; a moved stay starts afresh, unprotected), or mark the request declined
    (``for_rotation``: it asked for the moved rotation's dates, which protects the guest
    from then on)."""
    try:
        if accepted:
            await conn.execute(
                "UPDATE bookings SET stay = shift_stay, total_cents = $2, shift_stay = NULL, shift_status = NULL,"
                " rotation_shift_declined = false WHERE id = $1",
                booking_id,
                total_cents,
            )
        else:
            await conn.execute(
                "UPDATE bookings SET shift_status = 'declined', rotation_shift_declined = rotation_shift_declined OR $2"
                " WHERE id = $1",
                booking_id,
                for_rotation,
            )
    except asyncpg.PostgresError as exc:
        raise translate(exc, BOOKING_CONFLICTS) from None


async def record_rotation_move(
    conn: Connection,
    booking_id: uuid.UUID,
    guest_id: uuid.UUID,
    rotation_id: uuid.UUID,
    check_in: date,
    check_out: date,
    moved_at: datetime,
) -> bool:
    """Remember the dates a booking's rotation moved to, if the booking is that guest's and
    names that rotation (matching checks the same; a stay naming someone else's rotation is
    ignored there too), unless a newer move is already known. Whether it was recorded."""
    recorded = await conn.fetchval(
        "INSERT INTO rotation_moves(booking_id, rotation_id, stay, moved_at)"
        " SELECT b.id, b.rotation_id, daterange($4, $5), $6 FROM bookings b"
        " WHERE b.id = $1 AND b.guest_id = $2 AND b.rotation_id = $3"
        " ON CONFLICT (booking_id) DO UPDATE SET stay = excluded.stay, moved_at = excluded.moved_at"
        " WHERE rotation_moves.moved_at < excluded.moved_at"
        " RETURNING true",
        booking_id,
        guest_id,
        rotation_id,
        check_in,
        check_out,
        moved_at,
    )
    return bool(recorded)


async def booking(db: DB, booking_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE OF b" if for_update else ""
    return await db.fetchrow(f"SELECT {BOOKING_COLUMNS} FROM {BOOKING_FROM} WHERE b.id = $1{lock}", booking_id)


async def set_booking_status(
    conn: Connection,
    booking_id: uuid.UUID,
    status: str,
    end_reason: str | None = None,
    *,
    cancelled_by: str | None = None,
) -> asyncpg.Record:
    """Move the booking to ``status`` (a cancellation records its side, ``cancelled_by``);
    return it as ``booking`` reads it."""
    try:
        row = await conn.fetchrow(
            "WITH b AS (UPDATE bookings SET status = $2, decided_at = now(), end_reason = coalesce($3, end_reason),"
            " cancelled_by = coalesce($4, cancelled_by),"
            # The policy a stay was requested under is the one its refunds follow, as its price
            # is: a host who made it stricter before accepting changed what the guest had
            # asked for. (Requests from before it was recorded take the listing's on acceptance.)
            " cancellation_policy = CASE WHEN $2 = 'accepted' AND cancellation_policy IS NULL"
            "   THEN (SELECT l.cancellation_policy FROM listings l WHERE l.id = listing_id)"
            "   ELSE cancellation_policy END,"
            # And the minimum stay its shifts keep (domain.stay_minimum; migration 0014).
            " min_stay_nights = CASE WHEN $2 = 'accepted'"
            "   THEN (SELECT l.min_stay_nights FROM listings l WHERE l.id = listing_id)"
            "   ELSE min_stay_nights END,"
            # The address a paid stay shows its guest from now on (migration 0010).
            " stay_address = CASE WHEN $2 = 'confirmed'"
            "   THEN (SELECT l.address FROM listings l WHERE l.id = listing_id)"
            "   ELSE stay_address END,"
            # When it was first paid (migration 0022).
            " confirmed_at = CASE WHEN $2 = 'confirmed' THEN coalesce(confirmed_at, now()) ELSE confirmed_at END,"
            " shift_stay = CASE WHEN $2 IN ('accepted', 'confirmed', 'completed') THEN shift_stay END,"
            " shift_status = CASE WHEN $2 IN ('accepted', 'confirmed', 'completed') THEN shift_status END"
            " WHERE id = $1 RETURNING *)"
            f" SELECT {BOOKING_COLUMNS} FROM b JOIN listings l ON l.id = b.listing_id",
            booking_id,
            status,
            end_reason,
            cancelled_by,
        )
    except asyncpg.PostgresError as exc:
        raise translate(exc, BOOKING_CONFLICTS) from None
    assert row is not None
    return row


async def user_bookings(
    db: DB,
    user_id: uuid.UUID,
    role: str | None,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    *,
    listing_id: uuid.UUID | None = None,
) -> list[asyncpg.Record]:
    """The user's bookings as guest and/or host, newest first; ``listing_id``: of one room."""
    return await db.fetch(
        f"SELECT {BOOKING_COLUMNS} FROM {BOOKING_FROM}"
        " WHERE ((($2::text IS NULL OR $2 = 'guest') AND b.guest_id = $1)"
        "     OR (($2::text IS NULL OR $2 = 'host') AND b.host_id = $1))"
        " AND ($3::text IS NULL OR b.status = $3)"
        " AND ($7::uuid IS NULL OR b.listing_id = $7)"
        f" AND {newest_first_after('b.created_at', 'b.id', 4)}"
        " ORDER BY b.created_at DESC, b.id DESC LIMIT $6",
        user_id,
        role,
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
        listing_id,
    )


async def due_bookings(
    conn: Connection, now: datetime, limit: int = 500
) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """Requests past their deadline, and confirmed stays that have ended: their check-out
    day has come at the room, as a cancellation counts a stay over (locked, skip-locked);
    an accepted stay left unpaid is expired by payments' deadline, not here. ``now`` is the
    rules' clock (``clock.now``), which set the deadlines: Postgres' own clock ignored a
    moved one, and a stay past its dates there never completed."""
    expired = await conn.fetch(
        f"SELECT {BOOKING_COLUMNS} FROM {BOOKING_FROM} WHERE b.status = 'requested'"
        " AND b.expires_at <= $2 ORDER BY b.expires_at LIMIT $1 FOR UPDATE OF b SKIP LOCKED",
        limit,
        now,
    )
    ended = await conn.fetch(
        f"SELECT {BOOKING_COLUMNS} FROM {BOOKING_FROM} WHERE b.status = 'confirmed'"
        # A room not zoned yet (jobs.zone_listings runs at start) counts by the default zone.
        " AND upper(b.stay) <= ($3::timestamptz AT TIME ZONE coalesce(l.time_zone, $2))::date"
        " LIMIT $1 FOR UPDATE OF b SKIP LOCKED",
        limit,
        DEFAULT_ZONE,
        now,
    )
    return expired, ended


async def check_ins_to_tell(
    conn: Connection, now: datetime, ahead: timedelta, limit: int = 500
) -> list[asyncpg.Record]:
    """Confirmed stays whose check-in moment (``CHECK_IN_TIME`` on their first day at the
    room) is within ``ahead`` of ``now`` and still to come, marked told (each once; skip-
    locked), as ``booking`` reads them after the mark (its version too). ``now`` is the
    rules' clock, as the sweep's."""
    told = await conn.fetch(
        "UPDATE bookings SET check_in_told_at = $2 WHERE id IN ("
        f" SELECT b.id FROM {BOOKING_FROM} WHERE b.status = 'confirmed' AND b.check_in_told_at IS NULL"
        # The index's range first (a stay starting within two days at the room), then the moment.
        " AND lower(b.stay) <= ($2::timestamptz AT TIME ZONE coalesce(l.time_zone, $4))::date + 2"
        " AND (lower(b.stay) + $5::time) AT TIME ZONE coalesce(l.time_zone, $4) > $2"
        " AND (lower(b.stay) + $5::time) AT TIME ZONE coalesce(l.time_zone, $4) <= $2 + $3::interval"
        " ORDER BY lower(b.stay) LIMIT $1 FOR UPDATE OF b SKIP LOCKED) RETURNING id",
        limit,
        now,
        ahead,
        DEFAULT_ZONE,
        CHECK_IN_TIME,
    )
    if not told:
        return []
    return await conn.fetch(
        f"SELECT {BOOKING_COLUMNS} FROM {BOOKING_FROM} WHERE b.id = ANY($1::uuid[]) ORDER BY lower(b.stay), b.id",
        [row["id"] for row in told],
    )


async def freed_requests(
    conn: Connection, listing_id: uuid.UUID, start: date, end: date, today: date
) -> list[asyncpg.Record]:
    """The requests for some of these nights that were declined because another stay took
    them and are now wholly free again, marked told (so each is told once), as ``booking``
    reads them. Only those still to come, of a room still offered, whose nights no stay or
    host's block holds, whose guest holds no other request or stay for them, and between
    whose guest and host there is no block."""
    rows = await conn.fetch(
        "WITH b AS (UPDATE bookings SET freed_told_at = now() WHERE id IN ("
        "  SELECT d.id FROM bookings d JOIN listings l ON l.id = d.listing_id"
        "  WHERE d.listing_id = $1 AND d.status = 'declined' AND d.end_reason = $5 AND d.freed_told_at IS NULL"
        "  AND d.stay && daterange($2, $3) AND lower(d.stay) > $4 AND l.status = 'active'"
        "  AND lower(d.stay) >= l.available_from AND upper(d.stay) <= l.available_to"
        "  AND NOT EXISTS (SELECT 1 FROM bookings o WHERE o.listing_id = d.listing_id"
        "    AND o.status IN ('accepted', 'confirmed', 'completed') AND o.stay && d.stay)"
        "  AND NOT EXISTS (SELECT 1 FROM blocked_dates n WHERE n.listing_id = d.listing_id AND n.nights && d.stay)"
        "  AND NOT EXISTS (SELECT 1 FROM bookings g WHERE g.guest_id = d.guest_id AND g.id <> d.id"
        "    AND g.stay && d.stay AND (g.status IN ('accepted', 'confirmed')"
        "    OR (g.status = 'requested' AND g.expires_at > now())))"
        f"  AND d.host_id NOT IN {blocks.others_sql('d.guest_id')}"
        "  ORDER BY d.id FOR UPDATE OF d) RETURNING *)"
        f" SELECT {BOOKING_COLUMNS} FROM b JOIN listings l ON l.id = b.listing_id ORDER BY b.created_at, b.id",
        listing_id,
        start,
        end,
        today,
        domain.TAKEN_BY_ANOTHER,
    )
    return list(rows)
