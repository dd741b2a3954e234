"""SQL of matching's export and erasure of one user ($-params only)."""

from __future__ import annotations

import uuid

import asyncpg

from shared.contracts.accounts import UserData
from shared.db import Connection
from shared.privacy import DELETED_NAME, ERASED_VERSION

DB = Connection | asyncpg.Pool


# The rows (as ``g``) of the plans of the mentorships the user is one side of.
_THEIR_PLANS = "JOIN mentorships m ON m.id = g.mentorship_id WHERE (m.student_id = $1 OR m.mentor_id = $1)"


async def export(db: DB, user_id: uuid.UUID) -> dict[str, list[asyncpg.Record]]:
    """Everything matching holds about the user: their own rows, the plans of their
    mentorships as they see them (shared notes and their own private ones, their own
    check-in answers: never the other side's) and the letter requests they are party to."""
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
        "goals": await db.fetch(
            "SELECT g.id, g.mentorship_id, g.created_by, g.title, g.measure, g.target_date, g.status, g.created_at,"
            f" g.updated_at FROM goals g {_THEIR_PLANS} ORDER BY g.created_at, g.id",
            user_id,
        ),
        "meetings": await db.fetch(
            "SELECT g.id, g.mentorship_id, g.proposed_by, g.status, g.options, g.starts_at, g.duration_minutes,"
            f" g.place, g.video_url, g.held_at, g.created_at, g.updated_at FROM meetings g {_THEIR_PLANS}"
            " ORDER BY g.created_at, g.id",
            user_id,
        ),
        "notes": await db.fetch(
            "SELECT g.id, g.mentorship_id, g.meeting_id, g.author_id, g.private, g.body, g.created_at"
            f" FROM notes g {_THEIR_PLANS} AND (NOT g.private OR g.author_id = $1) ORDER BY g.created_at, g.id",
            user_id,
        ),
        "check_ins": await db.fetch(
            "SELECT mentorship_id, stage, usefulness, change, created_at FROM check_ins WHERE author_id = $1"
            " ORDER BY created_at",
            user_id,
        ),
        "letters": await db.fetch(
            "SELECT id, student_id, writer_id, mentorship_id, specialty, programs, deadline, application,"
            " eras_letter_id, waived, message, status, hospital_id, requested_at, answered_at, submitted_on,"
            " confirmed_at FROM letters WHERE student_id = $1 OR writer_id = $1 ORDER BY requested_at, id",
            user_id,
        ),
        "mentoring_settings": await db.fetch(
            "SELECT time_zone, hospital_visibility, updated_at FROM member_settings WHERE user_id = $1", user_id
        ),
    }


async def pin_deleted(conn: Connection, user_id: uuid.UUID) -> None:
    """The user's profile becomes an empty "Deleted user" at the newest version, so no
    late snapshot brings it back (a rebuild's replay of their old events included)."""
    role = await conn.fetchval("SELECT data->>'role' FROM profiles WHERE user_id = $1", user_id)
    blank = UserData(user_id=user_id, version=ERASED_VERSION, role=role or "student", display_name=DELETED_NAME)
    await conn.execute(
        "INSERT INTO profiles(user_id, version, data) VALUES ($1, $2, $3)"
        " ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, data = excluded.data",
        user_id,
        ERASED_VERSION,
        blank.model_dump(mode="json", exclude={"user_id", "version"}),
    )


async def mentorships(conn: Connection, user_id: uuid.UUID) -> list[asyncpg.Record]:
    """The user's mentorships, either side, locked: the deletion ends the open ones."""
    return await conn.fetch(
        "SELECT * FROM mentorships WHERE student_id = $1 OR mentor_id = $1 ORDER BY id FOR UPDATE", user_id
    )


async def letters(conn: Connection, user_id: uuid.UUID) -> list[asyncpg.Record]:
    """The letter requests the user is party to, as student or writer, locked."""
    return await conn.fetch(
        "SELECT * FROM letters WHERE student_id = $1 OR writer_id = $1 ORDER BY id FOR UPDATE", user_id
    )


async def erase(conn: Connection, user_id: uuid.UUID) -> None:
    """Erase what the user wrote and what was theirs alone; the other side of a mentorship
    or a letter keeps their own part (the caller pins their profile empty first:
    ``pin_deleted``). Removes their rotations (their suggestions go with them), round
    assignments, suggestions of them as a mentor, mentoring settings and letter requests
    as a student; in every plan of theirs, their notes, the goals they set, their check-in
    answers' words (the 1-5 score stays, counted in operators' averages of 3 or more) and
    the meetings' places and links; the message of their mentorship requests. Their
    mentorships themselves stay, for the other side."""
    await conn.execute("DELETE FROM suggestions WHERE subject_id = $1", user_id)
    await conn.execute("DELETE FROM match_round_assignments WHERE student_id = $1 OR mentor_id = $1", user_id)
    await conn.execute("DELETE FROM member_settings WHERE user_id = $1", user_id)
    await conn.execute("DELETE FROM letters WHERE student_id = $1", user_id)
    await conn.execute("UPDATE mentorships SET message = '' WHERE student_id = $1 AND message <> ''", user_id)
    await conn.execute("DELETE FROM notes WHERE author_id = $1", user_id)
    await conn.execute("DELETE FROM goals WHERE created_by = $1", user_id)
    await conn.execute("UPDATE check_ins SET change = '' WHERE author_id = $1 AND change <> ''", user_id)
    # Either side may have written a place (a reschedule changes proposed_by, not the
    # place): a meeting with the deleted user keeps its time, not where or how.
    await conn.execute(
        "UPDATE meetings g SET place = '', video_url = '', updated_at = now()"
        " FROM mentorships m WHERE m.id = g.mentorship_id AND (m.student_id = $1 OR m.mentor_id = $1)"
        " AND (g.place <> '' OR g.video_url <> '')",
        user_id,
    )
    await conn.execute("DELETE FROM rotations WHERE student_id = $1", user_id)
