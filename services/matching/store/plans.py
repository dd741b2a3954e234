"""SQL of mentoring plans: goals, meetings, notes, check-ins, mentoring settings, the
notices sent once, stalled pairs and the calendar's meetings. No rules here."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from services.matching.store import DB
from shared.db import Connection, Lock, xact_lock


async def settings_row(db: DB, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT * FROM member_settings WHERE user_id = $1", user_id)


async def save_settings(conn: Connection, user_id: uuid.UUID, changes: dict[str, Any]) -> None:
    await conn.execute("INSERT INTO member_settings(user_id) VALUES ($1) ON CONFLICT DO NOTHING", user_id)
    for column in ("time_zone", "hospital_visibility"):
        if column in changes:
            await conn.execute(
                f"UPDATE member_settings SET {column} = $2, updated_at = now() WHERE user_id = $1",
                user_id,
                changes[column],
            )


async def home_hospitals(db: DB, user_id: uuid.UUID) -> list[str]:
    """Hospitals a user's time zone can default from: their rotations (the current or
    next one first), then the hospitals a professional is affiliated with."""
    rows = await db.fetch(
        "SELECT hospital_id FROM rotations WHERE student_id = $1"
        " ORDER BY (end_date < current_date), start_date LIMIT 3",
        user_id,
    )
    affiliated = await db.fetchval(
        "SELECT ARRAY(SELECT jsonb_array_elements_text(coalesce(nullif(data->'hospital_ids', 'null'), '[]')))"
        " FROM profiles WHERE user_id = $1",
        user_id,
    )
    return [r["hospital_id"] for r in rows] + list(affiliated or [])


# --- goals ----------------------------------------------------------------------------


async def goals(db: DB, mentorship_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM goals WHERE mentorship_id = $1 ORDER BY created_at, id", mentorship_id)


async def goal(db: DB, goal_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await db.fetchrow(f"SELECT * FROM goals WHERE id = $1{lock}", goal_id)


async def same_open_goal(
    conn: Connection, mentorship_id: uuid.UUID, created_by: uuid.UUID, title: str
) -> asyncpg.Record | None:
    """The mentorship's open goal that ``created_by`` added with this title (in any case,
    whatever spaces surround it or stand between its words), under the mentorship's goals lock (held to commit), so
    that two identical goals sent at once make one. An advisory lock, not the mentorship's
    row FOR UPDATE: the two people's other plan writes need not wait."""
    await xact_lock(conn, Lock.MENTORSHIP_GOALS, mentorship_id)
    return await conn.fetchrow(
        "SELECT * FROM goals WHERE mentorship_id = $1 AND created_by = $2 AND status = 'open'"
        " AND lower(btrim(regexp_replace(title, '\\s+', ' ', 'g')))"
        "   = lower(btrim(regexp_replace($3, '\\s+', ' ', 'g')))"
        " ORDER BY created_at, id LIMIT 1",
        mentorship_id,
        created_by,
        title,
    )


async def insert_goal(
    conn: Connection, mentorship_id: uuid.UUID, user_id: uuid.UUID, title: str, measure: str, target: date | None
) -> None:
    await conn.execute(
        "INSERT INTO goals(id, mentorship_id, created_by, title, measure, target_date) VALUES ($1, $2, $3, $4, $5, $6)",
        uuid.uuid4(),
        mentorship_id,
        user_id,
        title,
        measure,
        target,
    )


async def update_goal(conn: Connection, goal_id: uuid.UUID, changes: dict[str, Any]) -> None:
    for column in ("title", "measure", "target_date", "status"):
        if column in changes:
            await conn.execute(
                f"UPDATE goals SET {column} = $2, updated_at = now() WHERE id = $1", goal_id, changes[column]
            )


# --- meetings -------------------------------------------------------------------------


async def meetings(db: DB, mentorship_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM meetings WHERE mentorship_id = $1 ORDER BY created_at, id", mentorship_id)


async def meeting(db: DB, meeting_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await db.fetchrow(f"SELECT * FROM meetings WHERE id = $1{lock}", meeting_id)


async def meetings_in(conn: Connection, mentorship_id: uuid.UUID, statuses: tuple[str, ...]) -> list[asyncpg.Record]:
    """A mentorship's meetings in ``statuses``, locked for update (in id order)."""
    return await conn.fetch(
        "SELECT * FROM meetings WHERE mentorship_id = $1 AND status = ANY($2::text[]) ORDER BY id FOR UPDATE",
        mentorship_id,
        list(statuses),
    )


async def same_proposal(
    conn: Connection,
    mentorship_id: uuid.UUID,
    *,
    proposed_by: uuid.UUID,
    options: tuple[datetime, ...],
    duration: int,
    place: str,
    video_url: str,
    statuses: tuple[str, ...],
) -> uuid.UUID | None:
    """The mentorship's meeting in ``statuses`` that ``proposed_by`` proposed with these
    times, length, place and link, under the mentorship's proposals lock (held to commit),
    so that two identical proposals at once make one meeting. An advisory lock, not the
    mentorship's row FOR UPDATE: the two people's other plan writes need not wait."""
    await xact_lock(conn, Lock.MENTORSHIP_PROPOSALS, mentorship_id)
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM meetings WHERE mentorship_id = $1 AND proposed_by = $2 AND options = $3"
        " AND duration_minutes = $4 AND place = $5 AND video_url = $6 AND status = ANY($7::text[])"
        " ORDER BY created_at, id LIMIT 1",
        mentorship_id,
        proposed_by,
        list(options),
        duration,
        place,
        video_url,
        list(statuses),
    )
    return found


def holds_its_time(table: str = "") -> str:
    """SQL: the meeting holds its agreed time: scheduled, or scheduled with new times waiting
    for an answer (proposed, its agreed time kept until they are accepted)."""
    t = f"{table}." if table else ""
    return f"({t}status = 'scheduled' OR ({t}status = 'proposed' AND {t}starts_at IS NOT NULL))"


async def scheduled_meetings(
    conn: Connection, mentorship_id: uuid.UUID, *, other_than: uuid.UUID | None = None
) -> list[asyncpg.Record]:
    """The mentorship's scheduled meetings (but ``other_than``), under the mentorship's
    proposals lock (held to commit). Accepting a time takes it too, and only an accept
    makes a meeting scheduled: two accepts at once of overlapping times are one after
    the other, and the second sees the first's meeting."""
    await xact_lock(conn, Lock.MENTORSHIP_PROPOSALS, mentorship_id)
    return await conn.fetch(
        "SELECT id, starts_at, duration_minutes FROM meetings WHERE mentorship_id = $1"
        f" AND {holds_its_time()}"
        " AND id IS DISTINCT FROM $2 ORDER BY starts_at, id",
        mentorship_id,
        other_than,
    )


async def insert_meeting(
    conn: Connection,
    meeting_id: uuid.UUID,
    mentorship_id: uuid.UUID,
    proposed_by: uuid.UUID,
    options: tuple[datetime, ...],
    duration: int,
    place: str,
    video_url: str,
) -> None:
    await conn.execute(
        "INSERT INTO meetings(id, mentorship_id, proposed_by, status, options, duration_minutes, place, video_url)"
        " VALUES ($1, $2, $3, 'proposed', $4, $5, $6, $7)",
        meeting_id,
        mentorship_id,
        proposed_by,
        list(options),
        duration,
        place,
        video_url,
    )


async def update_meeting(
    conn: Connection,
    meeting_id: uuid.UUID,
    status: str,
    proposed_by: uuid.UUID,
    options: tuple[datetime, ...],
    starts_at: datetime | None,
    held_at: datetime | None,
) -> None:
    # A new start time needs its own reminder: reminded_at goes with the time it was for.
    await conn.execute(
        "UPDATE meetings SET status = $2, proposed_by = $3, options = $4, starts_at = $5,"
        " held_at = coalesce($6, held_at), updated_at = now(),"
        " reminded_at = CASE WHEN starts_at IS DISTINCT FROM $5 THEN NULL ELSE reminded_at END"
        " WHERE id = $1",
        meeting_id,
        status,
        proposed_by,
        list(options),
        starts_at,
        held_at,
    )


async def meetings_to_remind(db: DB, now: datetime, ahead_s: float, limit: int = 100) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT g.*, m.student_id, m.mentor_id FROM meetings g JOIN mentorships m ON m.id = g.mentorship_id"
        f" WHERE {holds_its_time('g')}"
        " AND g.reminded_at IS NULL AND m.status = 'accepted'"
        " AND g.starts_at > $1 AND g.starts_at <= $1 + make_interval(secs => $2)"
        " ORDER BY g.starts_at LIMIT $3",
        now,
        ahead_s,
        limit,
    )


async def mark_reminded(conn: Connection, meeting_id: uuid.UUID, starts_at: datetime, now: datetime) -> bool:
    """Claim a meeting's reminder; false when another sweep (or a reschedule, a cancel or
    the mentorship's end, committed since the sweep read it) got there first."""
    result = await conn.execute(
        "UPDATE meetings SET reminded_at = $3"
        f" WHERE id = $1 AND starts_at = $2 AND reminded_at IS NULL AND {holds_its_time()}",
        meeting_id,
        starts_at,
        now,
    )
    return result.endswith(" 1")


async def meetings_to_answer(
    db: DB, user_id: uuid.UUID, now: datetime, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """Proposed meetings of the user's accepted mentorships whose times the other side
    proposed, with the times still ahead (none left: nothing to answer), oldest first."""
    return await db.fetch(
        "SELECT g.id, g.mentorship_id, g.proposed_by, g.duration_minutes, g.updated_at AS proposed_at,"
        " ARRAY(SELECT o FROM unnest(g.options) o WHERE o > $2 ORDER BY o) AS options,"
        " p.data->>'display_name' AS proposed_by_name"
        " FROM meetings g JOIN mentorships m ON m.id = g.mentorship_id"
        " LEFT JOIN profiles p ON p.user_id = g.proposed_by"
        " WHERE (m.student_id = $1 OR m.mentor_id = $1) AND m.status = 'accepted'"
        " AND g.status = 'proposed' AND g.proposed_by <> $1"
        " AND EXISTS (SELECT 1 FROM unnest(g.options) o WHERE o > $2)"
        " AND ($3::timestamptz IS NULL OR (g.updated_at, g.id) > ($3, $4))"
        " ORDER BY g.updated_at, g.id LIMIT $5",
        user_id,
        now,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


# The latest meetings a calendar feed holds (one NATS reply), as its stays and rotations.
FEED_MEETINGS = 500


async def user_meetings(
    db: DB, user_id: uuid.UUID, since: datetime | None, limit: int = FEED_MEETINGS
) -> list[asyncpg.Record]:
    """The user's meetings with a time, the latest ``limit`` of them, in time order. The
    feed read the earliest 500: past 500 meetings, a mentor's new and upcoming meetings
    were the ones left out of their calendar."""
    return await db.fetch(
        "SELECT * FROM (SELECT g.*, m.student_id, m.mentor_id"
        " FROM meetings g JOIN mentorships m ON m.id = g.mentorship_id"
        " WHERE (m.student_id = $1 OR m.mentor_id = $1) AND g.starts_at IS NOT NULL"
        " AND ($2::timestamptz IS NULL OR g.starts_at >= $2) ORDER BY g.starts_at DESC, g.id DESC LIMIT $3) latest"
        " ORDER BY starts_at, id",
        user_id,
        since,
        limit,
    )


# --- notes and check-ins --------------------------------------------------------------


async def visible_notes(db: DB, mentorship_id: uuid.UUID, viewer: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM notes WHERE mentorship_id = $1 AND (NOT private OR author_id = $2) ORDER BY created_at, id",
        mentorship_id,
        viewer,
    )


async def recent_same_note(
    conn: Connection,
    mentorship_id: uuid.UUID,
    meeting_id: uuid.UUID | None,
    author_id: uuid.UUID,
    private: bool,
    body: str,
    window_s: float,
) -> uuid.UUID | None:
    """The author's note with this text, on this meeting (or none) and as shared or private,
    written within the last ``window_s`` seconds, under the mentorship's notes lock (held to
    commit), so that two identical notes sent at once make one."""
    await xact_lock(conn, Lock.MENTORSHIP_NOTES, mentorship_id)
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM notes WHERE mentorship_id = $1 AND meeting_id IS NOT DISTINCT FROM $2 AND author_id = $3"
        " AND private = $4 AND body = $5 AND created_at > now() - make_interval(secs => $6)"
        " ORDER BY created_at, id LIMIT 1",
        mentorship_id,
        meeting_id,
        author_id,
        private,
        body,
        window_s,
    )
    return found


async def insert_note(
    conn: Connection,
    mentorship_id: uuid.UUID,
    meeting_id: uuid.UUID | None,
    author_id: uuid.UUID,
    private: bool,
    body: str,
) -> None:
    await conn.execute(
        "INSERT INTO notes(id, mentorship_id, meeting_id, author_id, private, body) VALUES ($1, $2, $3, $4, $5, $6)",
        uuid.uuid4(),
        mentorship_id,
        meeting_id,
        author_id,
        private,
        body,
    )


async def own_check_ins(db: DB, mentorship_id: uuid.UUID, author_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM check_ins WHERE mentorship_id = $1 AND author_id = $2 ORDER BY created_at",
        mentorship_id,
        author_id,
    )


async def insert_check_in(
    conn: Connection, mentorship_id: uuid.UUID, author_id: uuid.UUID, stage: str, usefulness: int, change: str
) -> bool:
    result = await conn.execute(
        "INSERT INTO check_ins(mentorship_id, author_id, stage, usefulness, change) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT DO NOTHING",
        mentorship_id,
        author_id,
        stage,
        usefulness,
        change,
    )
    return result.endswith(" 1")


async def held_count(db: DB, mentorship_id: uuid.UUID) -> int:
    return int(
        await db.fetchval("SELECT count(*) FROM meetings WHERE mentorship_id = $1 AND status = 'held'", mentorship_id)
    )


_STALLED = (
    "FROM mentorships m WHERE m.status = 'accepted' AND m.decided_at <= $1"
    " AND NOT EXISTS (SELECT 1 FROM meetings g WHERE g.mentorship_id = m.id AND g.status = 'held')"
)


async def stalled_pairs(
    db: DB, accepted_before: datetime, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """Accepted pairs with no meeting held, accepted by ``accepted_before``: stalled longest
    first, after ``after`` (the last row's acceptance and id)."""
    return await db.fetch(
        f"SELECT m.id, m.student_id, m.mentor_id, m.decided_at {_STALLED}"
        " AND ($2::timestamptz IS NULL OR (m.decided_at, m.id) > ($2, $3)) ORDER BY m.decided_at, m.id LIMIT $4",
        accepted_before,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def count_stalled(db: DB, accepted_before: datetime) -> int:
    return int(await db.fetchval(f"SELECT count(*) {_STALLED}", accepted_before))


async def claim_notice(conn: Connection, key: str) -> bool:
    """Record that the notice ``key`` goes out; false when it already went."""
    result = await conn.execute("INSERT INTO notices_sent(key) VALUES ($1) ON CONFLICT DO NOTHING", key)
    return result.endswith(" 1")


async def running_pairs(db: DB, today: date) -> list[asyncpg.Record]:
    """Accepted mentorships whose rotation is under way or just ended: check-in prompts."""
    return await db.fetch(
        "SELECT m.id, m.student_id, m.mentor_id, r.start_date, r.end_date FROM mentorships m"
        " JOIN rotations r ON r.id = m.rotation_id"
        " WHERE m.status = 'accepted' AND r.start_date <= $1 AND r.end_date >= $1 - 7",
        today,
    )


async def answered(db: DB, mentorship_id: uuid.UUID, author_id: uuid.UUID, stage: str) -> bool:
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM check_ins WHERE mentorship_id = $1 AND author_id = $2 AND stage = $3)",
            mentorship_id,
            author_id,
            stage,
        )
    )
