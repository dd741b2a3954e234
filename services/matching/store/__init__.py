"""SQL of matching: the projections (each upsert applies a snapshot only when it is
newer), rotations, the candidates of a match, and mentorships."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg

from shared import blocks, geo
from shared.contracts.accounts import UserData
from shared.contracts.listings import BookingData, ListingData
from shared.db import Connection, Lock, translate, xact_lock
from shared.paging import newest_first_after
from shared.privacy import ERASED_VERSION
from shared.request_limits import RecentRequest

DB = Connection | asyncpg.Pool


async def project_listing(conn: Connection, listing: ListingData) -> bool:
    """Hold ``listing`` unless the projection already has this version or a newer one. Its
    position is the public one (events carry no other; older snapshots with the exact
    point were replaced by the newer ones listings sent when it placed them publicly)."""
    result = await conn.execute(
        """
        INSERT INTO listings(listing_id, version, host_id, title, room_type, latitude, longitude,
            position, monthly_rent, amenities, available_from, available_to, min_stay_nights,
            status, review_average, review_count, photo_count, cover, blocked)
        VALUES ($1, $2, $3, $4, $5, $6, $7, ll_to_earth($6, $7), $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
            $18)
        ON CONFLICT (listing_id) DO UPDATE SET version = excluded.version, host_id = excluded.host_id,
            title = excluded.title, room_type = excluded.room_type, latitude = excluded.latitude,
            longitude = excluded.longitude, position = excluded.position,
            monthly_rent = excluded.monthly_rent, amenities = excluded.amenities,
            available_from = excluded.available_from, available_to = excluded.available_to,
            min_stay_nights = excluded.min_stay_nights, status = excluded.status,
            review_average = excluded.review_average, review_count = excluded.review_count,
            photo_count = excluded.photo_count, cover = excluded.cover, blocked = excluded.blocked
        WHERE listings.version < excluded.version
        """,
        listing.listing_id,
        listing.version,
        listing.host_id,
        listing.title,
        listing.room_type,
        listing.latitude,
        listing.longitude,
        listing.monthly_rent,
        listing.amenities,
        listing.available_from,
        listing.available_to,
        listing.min_stay_nights,
        listing.status,
        listing.review_average,
        listing.review_count,
        listing.photo_count,
        listing.cover.model_dump() if listing.cover else None,
        [asyncpg.Range(night.start, night.end) for night in listing.blocked],
    )
    return result.endswith(" 1")


async def project_booking(conn: Connection, booking: BookingData) -> bool:
    result = await conn.execute(
        """
        INSERT INTO bookings(booking_id, version, listing_id, guest_id, status, stay, rotation_id)
        VALUES ($1, $2, $3, $4, $5, daterange($6, $7), $8)
        ON CONFLICT (booking_id) DO UPDATE SET version = excluded.version, status = excluded.status,
            stay = excluded.stay, rotation_id = excluded.rotation_id
        WHERE bookings.version < excluded.version
        """,
        booking.booking_id,
        booking.version,
        booking.listing_id,
        booking.guest_id,
        booking.status,
        booking.check_in,
        booking.check_out,
        booking.rotation_id,
    )
    return result.endswith(" 1")


async def project_profile(conn: Connection, user: UserData) -> bool:
    result = await conn.execute(
        "INSERT INTO profiles(user_id, version, data) VALUES ($1, $2, $3)"
        " ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, data = excluded.data"
        " WHERE profiles.version < excluded.version",
        user.user_id,
        user.version,
        user.model_dump(mode="json", exclude={"user_id", "version"}),
    )
    return result.endswith(" 1")


async def bump_epoch(conn: Connection) -> None:
    """Count a change of what mentor rankings read (``0005_projection_epoch.sql``: profiles,
    seats); rooms count theirs per region (``regions.py``). Call it last in the transaction."""
    await conn.execute("UPDATE projection_epoch SET epoch = epoch + 1")


async def mentor_ranking_key(db: DB, student_id: uuid.UUID) -> tuple[int, bytes]:
    """The projection epoch and, beside it, the users the student blocked or was blocked by
    (their ids' 16 bytes each, in order), read at every request: they filter the kept
    mentor ranking, so a block moves no epoch."""
    row = await db.fetchrow(
        "SELECT (SELECT epoch FROM projection_epoch) AS epoch,"
        f" (SELECT string_agg(uuid_send(o.id), ''::bytea ORDER BY o.id) FROM {blocks.others_sql('$1')} o(id))"
        " AS hidden",
        student_id,
    )
    assert row is not None
    return int(row["epoch"]), row["hidden"] or b""


# --- rotations ------------------------------------------------------------------------

ROTATION_FIELDS = ("hospital_id", "specialty", "start_date", "end_date", "monthly_budget", "room_types", "amenities")


async def same_rotation(conn: Connection, student_id: uuid.UUID, f: dict[str, Any]) -> asyncpg.Record | None:
    """The student's rotation at the same hospital, in the same specialty, on the same
    dates, under the student's lock (held to commit), so that two identical posts at once
    make one rotation: the second waits here and then finds the first."""
    await xact_lock(conn, Lock.STUDENT_ROTATIONS, student_id)
    return await conn.fetchrow(
        "SELECT * FROM rotations WHERE student_id = $1 AND hospital_id = $2"
        " AND lower(btrim(specialty)) = lower(btrim($3)) AND start_date = $4 AND end_date = $5"
        " ORDER BY created_at, id LIMIT 1",
        student_id,
        f["hospital_id"],
        f["specialty"],
        f["start_date"],
        f["end_date"],
    )


async def insert_rotation(conn: Connection, rotation_id: uuid.UUID, student_id: uuid.UUID, f: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO rotations(id, student_id, hospital_id, specialty, start_date, end_date, monthly_budget,"
        " room_types, amenities) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        rotation_id,
        student_id,
        *[f[k] for k in ROTATION_FIELDS],
    )


async def rotation(db: DB, rotation_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await db.fetchrow(f"SELECT * FROM rotations WHERE id = $1{lock}", rotation_id)


async def update_rotation(conn: Connection, rotation_id: uuid.UUID, changes: dict[str, Any]) -> None:
    cols = [c for c in ROTATION_FIELDS if c in changes]
    if not cols:
        return
    sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(cols))
    await conn.execute(
        f"UPDATE rotations SET {sets}, updated_at = now() WHERE id = $1", rotation_id, *[changes[c] for c in cols]
    )


async def delete_rotation(conn: Connection, rotation_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM rotations WHERE id = $1", rotation_id)


async def student_rotations(
    db: DB, student_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM rotations WHERE student_id = $1"
        f" AND {newest_first_after('created_at', 'id', 2)}"
        " ORDER BY created_at DESC, id DESC LIMIT $4",
        student_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def stays_off_dates(db: DB, rotation: asyncpg.Record) -> list[asyncpg.Record]:
    """The rotation's student's open stays that name it and no longer match its dates."""
    return await db.fetch(
        """
        SELECT b.booking_id, b.listing_id, coalesce(l.title, '') AS listing_title,
               lower(b.stay) AS check_in, upper(b.stay) AS check_out, b.status
        FROM bookings b LEFT JOIN listings l ON l.listing_id = b.listing_id
        WHERE b.rotation_id = $1 AND b.guest_id = $2 AND b.status IN ('requested', 'accepted', 'confirmed')
          AND b.stay <> daterange($3, $4)
        ORDER BY lower(b.stay), b.booking_id
        """,
        rotation["id"],
        rotation["student_id"],
        rotation["start_date"],
        rotation["end_date"],
    )


# --- candidates -----------------------------------------------------------------------


async def listings_near(
    db: DB, lat: float, lon: float, radius_km: float, start: date, end: date, student_id: uuid.UUID
) -> list[asyncpg.Record]:
    """Active listings within the radius (the GiST index on ``position``) whose window
    overlaps the dates, not the student's own; the engine decides the rest."""
    radius_m = radius_km * 1000
    return await db.fetch(
        """
        SELECT l.* FROM listings l
        WHERE l.status = 'active'
          AND earth_box((SELECT ll_to_earth($1, $2)), $3) @> l.position
          AND (l.position <-> (SELECT ll_to_earth($1, $2))) <= $4
          AND l.available_from < $6 AND l.available_to > $5
          AND l.host_id <> $7
        """,
        lat,
        lon,
        radius_m,
        geo.chord_m(radius_m),
        start,
        end,
        student_id,
    )


async def listings_by_id(db: DB, listing_ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await db.fetch("SELECT * FROM listings WHERE listing_id = ANY($1::uuid[])", listing_ids)
    return {r["listing_id"]: r for r in rows}


async def booked_stays(db: DB, listing_ids: list[uuid.UUID], start: date, end: date) -> list[asyncpg.Record]:
    """Accepted (or completed) stays of these listings that overlap the dates, and the
    nights their hosts blocked there (taken all the same)."""
    return await db.fetch(
        "SELECT listing_id, lower(stay) AS check_in, upper(stay) AS check_out FROM bookings"
        " WHERE listing_id = ANY($1::uuid[]) AND status IN ('accepted', 'confirmed', 'completed')"
        " AND stay && daterange($2, $3)"
        " UNION ALL SELECT l.listing_id, lower(n), upper(n) FROM listings l, unnest(l.blocked) n"
        " WHERE l.listing_id = ANY($1::uuid[]) AND n && daterange($2, $3)",
        listing_ids,
        start,
        end,
    )


def _tags(key: str) -> str:
    return f"ARRAY(SELECT jsonb_array_elements_text(coalesce(nullif(data->'{key}', 'null'), '[]'))) AS {key}"


# What scores and match cards read of a profile, as typed columns: Postgres takes the
# fields out of the JSON, which is cheaper than decoding thousands of whole documents.
PROFILE_FIELDS = ", ".join(
    [
        "data->>'display_name' AS display_name",
        "coalesce((data->>'verified')::boolean, false) AS verified",
        "data->>'medical_school' AS medical_school",
        "data->>'school_country' AS school_country",
        "(data->>'graduation_year')::int AS graduation_year",
        "data->>'profession' AS profession",
        "coalesce((data->>'open_to_mentoring')::boolean, false) AS open_to_mentoring",
        "coalesce((data->>'mentoring_capacity')::int, 0) AS mentoring_capacity",
        *map(_tags, ("languages", "specialties", "hobbies", "organizations", "hospital_ids")),
    ]
)


async def profile_fields(db: DB, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """These users' profiles as the scores read them (``PROFILE_FIELDS``), and ``deleted``:
    the user deleted their account (``store_privacy.pin_deleted``)."""
    rows = await db.fetch(
        f"SELECT user_id, version = {ERASED_VERSION} AS deleted, {PROFILE_FIELDS} FROM profiles"
        " WHERE user_id = ANY($1::uuid[])",
        user_ids,
    )
    return {r["user_id"]: dict(r) for r in rows}


async def mentees(db: DB, mentor_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many mentorships each of these mentors has accepted now (none: not in the dict)."""
    rows = await db.fetch(
        "SELECT mentor_id, count(*) AS n FROM mentorships WHERE mentor_id = ANY($1::uuid[]) AND status = 'accepted'"
        " GROUP BY mentor_id",
        mentor_ids,
    )
    return {row["mentor_id"]: row["n"] for row in rows}


async def profile(db: DB, user_id: uuid.UUID) -> dict[str, Any] | None:
    data = await db.fetchval("SELECT data FROM profiles WHERE user_id = $1", user_id)
    return dict(data) if data is not None else None


async def open_mentors(
    db: DB, student_id: uuid.UUID, mentor_ids: Sequence[uuid.UUID] | None = None
) -> list[asyncpg.Record]:
    """Professionals open to mentoring with a seat left (or these of them): their profile
    fields (``PROFILE_FIELDS``) and how many mentees they have."""
    return await db.fetch(
        f"""
        SELECT p.user_id, {PROFILE_FIELDS}, coalesce(m.mentees, 0) AS mentees
        FROM profiles p
        LEFT JOIN (SELECT mentor_id, count(*) AS mentees FROM mentorships WHERE status = 'accepted'
                   GROUP BY mentor_id) m ON m.mentor_id = p.user_id
        WHERE p.data->>'role' = 'professional' AND (p.data->>'open_to_mentoring')::boolean
          AND (p.data->>'mentoring_capacity')::int > coalesce(m.mentees, 0) AND p.user_id <> $1
          AND ($2::uuid[] IS NULL OR p.user_id = ANY($2::uuid[]))
        ORDER BY p.user_id
        """,
        student_id,
        list(mentor_ids) if mentor_ids is not None else None,
    )


# --- mentorships ----------------------------------------------------------------------

MENTORSHIP_MESSAGES = {"mentorships_open_pair": "you already have an open request or mentorship with this mentor"}


async def recent_requests(conn: Connection, student_id: uuid.UUID, window_s: int) -> list[RecentRequest]:
    """The student's mentorship requests made within the last ``window_s``, whatever their
    status now, under the student's lock (held to commit): requests sent at once are
    counted one after another, so none reads a count another is about to raise."""
    await xact_lock(conn, Lock.STUDENT_MENTORSHIPS, student_id)
    rows = await conn.fetch(
        "SELECT mentor_id, extract(epoch FROM now() - created_at)::float8 AS age_s FROM mentorships"
        " WHERE student_id = $1 AND created_at > now() - make_interval(secs => $2) ORDER BY created_at DESC",
        student_id,
        float(window_s),
    )
    return [RecentRequest(row["mentor_id"], row["age_s"]) for row in rows]


async def insert_mentorship(
    conn: Connection,
    mentorship_id: uuid.UUID,
    student_id: uuid.UUID,
    mentor_id: uuid.UUID,
    rotation_id: uuid.UUID | None,
    message: str,
) -> None:
    try:
        await conn.execute(
            "INSERT INTO mentorships(id, student_id, mentor_id, rotation_id, status, message)"
            " VALUES ($1, $2, $3, $4, 'requested', $5)",
            mentorship_id,
            student_id,
            mentor_id,
            rotation_id,
            message,
        )
    except asyncpg.PostgresError as exc:
        raise translate(exc, MENTORSHIP_MESSAGES) from None


async def mentorship(
    db: DB, mentorship_id: uuid.UUID, *, for_update: bool = False, for_share: bool = False
) -> asyncpg.Record | None:
    """A mentorship; ``for_update`` to change its status, ``for_share`` to write its plan
    (writers of one plan run side by side, a status change waits for them, and they for it)."""
    lock = " FOR UPDATE" if for_update else " FOR SHARE" if for_share else ""
    return await db.fetchrow(f"SELECT * FROM mentorships WHERE id = $1{lock}", mentorship_id)


# A mentorship that was accepted: accepted now, or ended after it was (accept and decline
# both stamp decided_at, and a declined one stays declined). A request withdrawn before an
# answer is 'ended' too, with no decided_at: the mentor never took the student on.
def was_accepted(alias: str = "") -> str:
    """The SQL condition on a mentorships row (of ``alias``) that it was accepted."""
    col = f"{alias}." if alias else ""
    return f"({col}status = 'accepted' OR ({col}status = 'ended' AND {col}decided_at IS NOT NULL))"


async def lock_mentor(conn: Connection, mentor_id: uuid.UUID) -> None:
    """Hold the mentor's lock row until the transaction ends: accepts of one mentor's
    requests then run one at a time, so counting them against the capacity cannot race."""
    await conn.execute("INSERT INTO mentor_locks(mentor_id) VALUES ($1) ON CONFLICT DO NOTHING", mentor_id)
    await conn.execute("SELECT 1 FROM mentor_locks WHERE mentor_id = $1 FOR UPDATE", mentor_id)


async def accepted_mentees(conn: Connection, mentor_id: uuid.UUID) -> int:
    return int(
        await conn.fetchval("SELECT count(*) FROM mentorships WHERE mentor_id = $1 AND status = 'accepted'", mentor_id)
    )


async def set_mentorship_status(conn: Connection, mentorship_id: uuid.UUID, status: str) -> asyncpg.Record:
    stamp = {"ended": "ended_at"}.get(status, "decided_at")
    try:
        row = await conn.fetchrow(
            f"UPDATE mentorships SET status = $2, {stamp} = now() WHERE id = $1 RETURNING *", mentorship_id, status
        )
    except asyncpg.PostgresError as exc:
        raise translate(exc, MENTORSHIP_MESSAGES) from None
    assert row is not None
    return row


async def user_mentorships(
    db: DB,
    user_id: uuid.UUID,
    role: str | None,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM mentorships"
        " WHERE ((($2::text IS NULL OR $2 = 'student') AND student_id = $1)"
        "     OR (($2::text IS NULL OR $2 = 'mentor') AND mentor_id = $1))"
        " AND ($3::text IS NULL OR status = $3)"
        # "Ended" lists the mentorships that ended, not the requests withdrawn before an
        # answer: the letter form's "your mentors, past and present" is read from it.
        f" AND ($3::text IS DISTINCT FROM 'ended' OR {was_accepted()})"
        f" AND {newest_first_after('created_at', 'id', 4)}"
        " ORDER BY created_at DESC, id DESC LIMIT $6",
        user_id,
        role,
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


# --- suggestions ----------------------------------------------------------------------


async def upcoming_rotations(db: DB) -> list[asyncpg.Record]:
    """Rotations that have not started yet: the ones a suggestion can still help. In id
    order, the order their suggestion locks are taken in (``lock_suggestions``)."""
    return await db.fetch("SELECT * FROM rotations WHERE start_date >= current_date ORDER BY id")


async def lock_suggestions(conn: Connection, rotation_id: uuid.UUID) -> None:
    """Hold the rotation's suggestion lock until commit: two transactions suggesting to it
    count its suggestions of the day one after the other, never both under the cap."""
    await xact_lock(conn, Lock.ROTATION_SUGGESTIONS, rotation_id)


async def suggestions_since(conn: Connection, rotation_id: uuid.UUID, kind: str, hours: int) -> int:
    """How many ``kind`` suggestions the rotation got in the last ``hours``."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM suggestions WHERE rotation_id = $1 AND kind = $2"
            " AND created_at > now() - make_interval(hours => $3)",
            rotation_id,
            kind,
            hours,
        )
    )


async def add_suggestion(
    conn: Connection, rotation_id: uuid.UUID, kind: str, subject_id: uuid.UUID, score: float
) -> bool:
    """Record a suggestion; False when this one was made before (the key says so)."""
    return bool(
        await conn.fetchval(
            "INSERT INTO suggestions(rotation_id, kind, subject_id, score) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT DO NOTHING RETURNING true",
            rotation_id,
            kind,
            subject_id,
            score,
        )
    )


async def listing_row(db: DB, listing_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT * FROM listings WHERE listing_id = $1", listing_id)
