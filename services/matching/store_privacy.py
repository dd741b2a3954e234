"""SQL of matching's export and erasure of one user ($-params only)."""

from __future__ import annotations

import uuid

import asyncpg

from shared.contracts.accounts import UserData
from shared.db import Connection
from shared.privacy import DELETED_NAME

DB = Connection | asyncpg.Pool

LAST_VERSION = 2147483647


async def export(db: DB, user_id: uuid.UUID) -> dict[str, list[asyncpg.Record]]:
    return {
        "rotations": await db.fetch(
            "SELECT id, hospital_id, specialty, start_date, end_date, monthly_budget, room_types, amenities,"
            " created_at, updated_at FROM rotations WHERE student_id = $1 ORDER BY created_at",
            user_id,
        ),
        "mentorships": await db.fetch(
            "SELECT id, student_id, mentor_id, rotation_id, status, message, created_at, decided_at, ended_at"
            " FROM mentorships WHERE student_id = $1 OR mentor_id = $1 ORDER BY created_at",
            user_id,
        ),
        "suggestions": await db.fetch(
            "SELECT s.rotation_id, s.kind, s.subject_id, s.score, s.created_at FROM suggestions s"
            " JOIN rotations r ON r.id = s.rotation_id WHERE r.student_id = $1 ORDER BY s.created_at",
            user_id,
        ),
    }


async def pin_deleted(conn: Connection, user_id: uuid.UUID) -> None:
    """The user's profile becomes an empty "Deleted user" at the newest version, so no
    late snapshot brings it back (a rebuild's replay of their old events included)."""
    role = await conn.fetchval("SELECT data->>'role' FROM profiles WHERE user_id = $1", user_id)
    blank = UserData(user_id=user_id, version=LAST_VERSION, role=role or "student", display_name=DELETED_NAME)
    await conn.execute(
        "INSERT INTO profiles(user_id, version, data) VALUES ($1, $2, $3)"
        " ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, data = excluded.data",
        user_id,
        LAST_VERSION,
        blank.model_dump(mode="json", exclude={"user_id", "version"}),
    )


async def erase(conn: Connection, user_id: uuid.UUID) -> None:
    """Remove the user's rotations (their suggestions go with them), mentorships and
    round assignments, and suggestions of them as a mentor; pin their profile empty."""
    await pin_deleted(conn, user_id)
    await conn.execute("DELETE FROM suggestions WHERE subject_id = $1", user_id)
    await conn.execute("DELETE FROM match_round_assignments WHERE student_id = $1 OR mentor_id = $1", user_id)
    await conn.execute("DELETE FROM mentorships WHERE student_id = $1 OR mentor_id = $1", user_id)
    await conn.execute("DELETE FROM rotations WHERE student_id = $1", user_id)
