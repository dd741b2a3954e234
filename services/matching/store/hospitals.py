"""SQL of a hospital's page: rooms near it, mentors affiliated with it and students
rotating there, each with their hospital-page visibility (``nobody`` when never set);
never a user the viewer blocked or was blocked by, nor their rooms."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from services.matching.store import DB, PROFILE_FIELDS
from shared import blocks, geo


async def rooms_near(
    db: DB, lat: float, lon: float, radius_km: float, limit: int, viewer: uuid.UUID
) -> list[asyncpg.Record]:
    radius_m = radius_km * 1000
    return await db.fetch(
        "SELECT listing_id, title, room_type, monthly_rent, host_id,"
        " (position <-> (SELECT ll_to_earth($1, $2))) AS chord_m FROM listings"
        " WHERE status = 'active' AND earth_box((SELECT ll_to_earth($1, $2)), $3) @> position"
        " AND (position <-> (SELECT ll_to_earth($1, $2))) <= $4"
        f" AND host_id NOT IN {blocks.others_sql('$6')} ORDER BY chord_m LIMIT $5",
        lat,
        lon,
        radius_m,
        geo.chord_m(radius_m),
        limit,
        viewer,
    )


async def affiliated_mentors(
    db: DB, hospital_id: str, viewer: uuid.UUID, shown: list[str], after: uuid.UUID | None, limit: int
) -> list[asyncpg.Record]:
    """A page of the mentors affiliated with the hospital whose visibility is one of
    ``shown``, in id order after ``after``. The visibility is filtered here, before the
    limit: the page read the first 200 by id and then left out those hidden from the
    viewer (every mentor who never chose, by default), so past 200 hidden ones a visible
    mentor never showed, and nothing paged past 200 either."""
    return await db.fetch(
        f"SELECT p.user_id, p.data, {PROFILE_FIELDS}"
        " FROM profiles p LEFT JOIN member_settings s ON s.user_id = p.user_id"
        # Professionals only: an operator promoted from one keeps the profile it had.
        " WHERE p.data->>'role' = 'professional' AND p.data->'hospital_ids' ? $1"
        " AND coalesce((p.data->>'open_to_mentoring')::boolean, false)"
        f" AND p.user_id <> $2 AND p.user_id NOT IN {blocks.others_sql('$2')}"
        " AND coalesce(s.hospital_visibility, 'nobody') = ANY($3::text[])"
        " AND ($4::uuid IS NULL OR p.user_id > $4) ORDER BY p.user_id LIMIT $5",
        hospital_id,
        viewer,
        shown,
        after,
        limit,
    )


async def rotations_at(db: DB, hospital_id: str, student_id: uuid.UUID, today: date) -> list[asyncpg.Record]:
    """The student's rotations at the hospital not yet over."""
    return await db.fetch(
        "SELECT * FROM rotations WHERE hospital_id = $1 AND student_id = $2 AND end_date >= $3 ORDER BY start_date",
        hospital_id,
        student_id,
        today,
    )


async def peers(
    db: DB,
    hospital_id: str,
    viewer: uuid.UUID,
    weeks: list[tuple[date, date]],
    shown: list[str],
    after: uuid.UUID | None,
    limit: int,
) -> list[asyncpg.Record]:
    """A page of the other students' rotations at the hospital overlapping one of the
    viewer's ``weeks`` (``[start, end)`` each, never the span between them), with their
    profiles; one row per student (their earliest such rotation), whose visibility is one
    of ``shown`` (filtered before the limit, as ``affiliated_mentors``), in student id
    order after ``after``."""
    return await db.fetch(
        f"SELECT DISTINCT ON (r.student_id) r.student_id, r.specialty, r.start_date, r.end_date, p.data,"
        f" {PROFILE_FIELDS}"
        " FROM rotations r LEFT JOIN profiles p ON p.user_id = r.student_id"
        " LEFT JOIN member_settings s ON s.user_id = r.student_id"
        f" WHERE r.hospital_id = $1 AND r.student_id <> $2 AND r.student_id NOT IN {blocks.others_sql('$2')}"
        " AND EXISTS (SELECT 1 FROM unnest($3::date[], $4::date[])"
        "   AS mine(start_date, end_date) WHERE r.start_date < mine.end_date AND r.end_date > mine.start_date)"
        " AND coalesce(s.hospital_visibility, 'nobody') = ANY($5::text[])"
        " AND ($6::uuid IS NULL OR r.student_id > $6)"
        " ORDER BY r.student_id, r.start_date LIMIT $7",
        hospital_id,
        viewer,
        [start for start, _ in weeks],
        [end for _, end in weeks],
        shown,
        after,
        limit,
    )
