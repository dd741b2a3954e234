"""SQL of letters of recommendation: requests, their changes, the dashboard's lists, the
reminder sweep's candidates, and who may be asked. No rules here."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from services.matching.store import DB, was_accepted
from shared.db import Connection, Lock, translate, xact_lock

LETTER_MESSAGES = {"letters_eras_letter_id": "this ERAS Letter ID is already used by another request (it works once)"}


async def knows(db: DB, student_id: uuid.UUID, writer_id: uuid.UUID) -> asyncpg.Record | None:
    """How a student knows a professional through Wardmate: a mentorship the professional
    accepted (running, or ended since; not a request withdrawn before an answer, which any
    student can make of anyone) or a completed stay, with the hospital the letter is
    counted under (the rotation's, else the mentor's first affiliation); None when nothing
    links them."""
    return await db.fetchrow(
        "SELECT 'mentorship' AS via, m.id AS mentorship_id,"
        " coalesce(r.hospital_id, p.data->'hospital_ids'->>0) AS hospital_id FROM mentorships m"
        " LEFT JOIN rotations r ON r.id = m.rotation_id LEFT JOIN profiles p ON p.user_id = m.mentor_id"
        f" WHERE m.student_id = $1 AND m.mentor_id = $2 AND {was_accepted('m')}"
        " UNION ALL"
        " SELECT 'stay', NULL, r.hospital_id FROM bookings b JOIN listings l ON l.listing_id = b.listing_id"
        " LEFT JOIN rotations r ON r.id = b.rotation_id"
        " WHERE b.guest_id = $1 AND l.host_id = $2 AND b.status = 'completed'"
        " ORDER BY via LIMIT 1",
        student_id,
        writer_id,
    )


async def same_open_request(
    conn: Connection, student_id: uuid.UUID, writer_id: uuid.UUID, specialty: str, deadline: date, application: str
) -> uuid.UUID | None:
    """The student's open request to this writer for the same letter, under the student's
    lock (held to commit), so that two identical requests at once make one."""
    await xact_lock(conn, Lock.STUDENT_LETTERS, student_id)
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM letters WHERE student_id = $1 AND writer_id = $2 AND lower(specialty) = lower($3)"
        " AND deadline = $4 AND application = $5 AND status IN ('requested', 'accepted') LIMIT 1",
        student_id,
        writer_id,
        specialty,
        deadline,
        application,
    )
    return found


async def insert_letter(conn: Connection, letter_id: uuid.UUID, fields: dict[str, Any]) -> asyncpg.Record:
    columns = ", ".join(["id", *fields])
    params = ", ".join(f"${i}" for i in range(1, len(fields) + 2))
    try:
        row = await conn.fetchrow(
            f"INSERT INTO letters({columns}, status) VALUES ({params}, 'requested') RETURNING *",
            letter_id,
            *fields.values(),
        )
    except asyncpg.PostgresError as exc:
        raise translate(exc, LETTER_MESSAGES) from None
    assert row is not None
    return row


async def letter(db: DB, letter_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await db.fetchrow(f"SELECT * FROM letters WHERE id = $1{lock}", letter_id)


async def set_status(
    conn: Connection, letter_id: uuid.UUID, status: str, now: datetime, submitted_on: date | None = None
) -> asyncpg.Record:
    row = await conn.fetchrow(
        "UPDATE letters SET status = $2, updated_at = $3,"
        " answered_at = CASE WHEN $2 IN ('accepted', 'declined') THEN $3 ELSE answered_at END,"
        " submitted_on = coalesce($4, submitted_on),"
        " confirmed_at = CASE WHEN $2 = 'confirmed' THEN $3 ELSE confirmed_at END"
        " WHERE id = $1 RETURNING *",
        letter_id,
        status,
        now,
        submitted_on,
    )
    assert row is not None
    return row


# The dashboard's order: what still waits on someone first (a submitted letter waits on
# the student's confirmation), the nearest deadline first. Pages follow it by keyset, so a
# letter answered between two pages is neither skipped nor shown twice in its group.
_CLOSED = "(status NOT IN ('requested', 'accepted', 'submitted'))"


async def user_letters(
    db: DB, user_id: uuid.UUID, role: str | None, after: tuple[bool, date, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """A page of the user's letters after the ``(closed, deadline, id)`` key ``after``."""
    closed, deadline, letter_id = after or (None, None, None)
    return await db.fetch(
        f"SELECT *, {_CLOSED} AS closed FROM letters"
        " WHERE ((($2::text IS NULL OR $2 = 'student') AND student_id = $1)"
        "     OR (($2::text IS NULL OR $2 = 'writer') AND writer_id = $1))"
        f" AND ($3::boolean IS NULL OR ({_CLOSED}, deadline, id) > ($3, $4, $5))"
        f" ORDER BY {_CLOSED}, deadline, id LIMIT $6",
        user_id,
        role,
        closed,
        deadline,
        letter_id,
        limit,
    )


async def open_letters(db: DB, after: tuple[date, uuid.UUID] | None = None, limit: int = 500) -> list[asyncpg.Record]:
    """A page of the open letter requests, nearest deadline first, after ``after`` (the
    last row's deadline and id): the sweep walks them all. It read the first 500 only, so
    past 500 open requests the later deadlines were never reminded."""
    return await db.fetch(
        "SELECT * FROM letters WHERE status IN ('requested', 'accepted')"
        " AND ($1::date IS NULL OR (deadline, id) > ($1::date, $2::uuid)) ORDER BY deadline, id LIMIT $3",
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def student_rotations_at(db: DB, student_id: uuid.UUID, hospital_ids: list[str]) -> list[asyncpg.Record]:
    """The student's latest rotations at these hospitals (the writer's), and none elsewhere:
    where else a student goes next is theirs alone."""
    return await db.fetch(
        "SELECT * FROM rotations WHERE student_id = $1 AND hospital_id = ANY($2::text[])"
        " ORDER BY start_date DESC LIMIT 3",
        student_id,
        hospital_ids,
    )
