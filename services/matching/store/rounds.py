"""SQL of cohort match rounds: the queue its workers claim from, progress, results."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from services.matching.store import DB, PROFILE_FIELDS
from shared.db import Connection
from shared.paging import newest_first_after

# A worker beats a running round's heartbeat about twice a second; one silent this long
# has lost its replica, and another worker takes the round over.
STALE_AFTER_S = 30


async def insert_round(
    conn: Connection,
    round_id: uuid.UUID,
    created_by: uuid.UUID,
    kind: str,
    scramble_of: uuid.UUID | None,
    proposing: str,
    request: dict[str, Any],
) -> asyncpg.Record:
    row = await conn.fetchrow(
        "INSERT INTO match_rounds(id, created_by, status, kind, scramble_of, proposing, request)"
        " VALUES ($1, $2, 'queued', $3, $4, $5, $6) RETURNING *",
        round_id,
        created_by,
        kind,
        scramble_of,
        proposing,
        request,
    )
    assert row is not None
    return row


async def get_round(db: DB, round_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await db.fetchrow(f"SELECT * FROM match_rounds WHERE id = $1{lock}", round_id)


async def list_rounds(db: DB, after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[asyncpg.Record]:
    return await db.fetch(
        f"SELECT * FROM match_rounds WHERE {newest_first_after('created_at', 'id', 1)}"
        " ORDER BY created_at DESC, id DESC LIMIT $3",
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def claim(db: DB, worker: uuid.UUID) -> asyncpg.Record | None:
    """The oldest queued round, or a running one whose worker went silent; now ``worker``'s."""
    return await db.fetchrow(
        f"""
        UPDATE match_rounds SET status = 'running', claimed_by = $1, heartbeat_at = now()
        WHERE id = (SELECT id FROM match_rounds
                    WHERE status = 'queued'
                       OR (status = 'running' AND heartbeat_at < now() - interval '{STALE_AFTER_S} seconds')
                    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *
        """,
        worker,
    )


async def beat(db: DB, round_id: uuid.UUID, worker: uuid.UUID, progress: dict[str, Any]) -> None:
    await db.execute(
        "UPDATE match_rounds SET heartbeat_at = now(), progress = $3"
        " WHERE id = $1 AND claimed_by = $2 AND status = 'running'",
        round_id,
        worker,
        progress,
    )


async def fail(db: DB, round_id: uuid.UUID, worker: uuid.UUID, error: str) -> None:
    await db.execute(
        "UPDATE match_rounds SET status = 'failed', error = $3, finished_at = now(),"
        " progress = jsonb_set(progress, '{stage}', '\"failed\"')"
        " WHERE id = $1 AND claimed_by = $2 AND status = 'running'",
        round_id,
        worker,
        error,
    )


async def finish(
    conn: Connection,
    round_id: uuid.UUID,
    worker: uuid.UUID,
    members: dict[str, list[str]],
    report: dict[str, Any],
    chart_svg: str,
    assignments: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None, int | None]],
) -> bool:
    """Store the result, if the round is still ``worker``'s (in one transaction)."""
    held = await conn.fetchval(
        "SELECT true FROM match_rounds WHERE id = $1 AND claimed_by = $2 AND status = 'running' FOR UPDATE",
        round_id,
        worker,
    )
    if not held:
        return False
    await conn.execute("DELETE FROM match_round_assignments WHERE round_id = $1", round_id)
    await conn.copy_records_to_table(
        "match_round_assignments",
        records=[(round_id, *a) for a in assignments],
        columns=["round_id", "rotation_id", "student_id", "mentor_id", "rank"],
    )
    done = len(assignments)
    await conn.execute(
        "UPDATE match_rounds SET status = 'done', members = $2, report = $3, chart_svg = $4, finished_at = now(),"
        " progress = $5 WHERE id = $1",
        round_id,
        members,
        report,
        chart_svg,
        {"stage": "finished", "done": done, "total": done},
    )
    return True


async def assignments(
    db: DB, round_id: uuid.UUID, after: uuid.UUID | None = None, limit: int | None = None
) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM match_round_assignments WHERE round_id = $1 AND ($2::uuid IS NULL OR rotation_id > $2)"
        " ORDER BY rotation_id LIMIT $3",
        round_id,
        after,
        limit,
    )


async def mark_accepted(
    conn: Connection, round_id: uuid.UUID, made: int, skipped: dict[str, int] | None = None
) -> asyncpg.Record:
    row = await conn.fetchrow(
        "UPDATE match_rounds SET status = 'accepted', accepted_at = now(), requests_made = $2,"
        " report = coalesce(report, '{}'::jsonb) || jsonb_build_object('accept_skipped', $3::jsonb)"
        " WHERE id = $1 RETURNING *",
        round_id,
        made,
        skipped or {},
    )
    assert row is not None
    return row


# --- who is in a round ----------------------------------------------------------------


async def rotations_by_id(db: DB, rotation_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM rotations WHERE id = ANY($1::uuid[]) ORDER BY id", rotation_ids)


async def rotations_starting(db: DB, hospital_id: str, first: date, stop: date) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM rotations WHERE hospital_id = $1 AND start_date >= $2 AND start_date < $3 ORDER BY id",
        hospital_id,
        first,
        stop,
    )


async def professionals(db: DB, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """These users' profile fields (``store.PROFILE_FIELDS``), professionals only."""
    rows = await db.fetch(
        f"SELECT user_id, {PROFILE_FIELDS} FROM profiles"
        " WHERE user_id = ANY($1::uuid[]) AND data->>'role' = 'professional'",
        user_ids,
    )
    return {r["user_id"]: dict(r) for r in rows}


async def mentors_open(db: DB) -> dict[uuid.UUID, dict[str, Any]]:
    """Every professional open to mentoring (seats left or not), their profile fields."""
    rows = await db.fetch(
        f"SELECT user_id, {PROFILE_FIELDS} FROM profiles WHERE data->>'role' = 'professional'"
        " AND (data->>'open_to_mentoring')::boolean"
    )
    return {r["user_id"]: dict(r) for r in rows}


async def accepted_counts(db: DB, mentor_ids: list[uuid.UUID]) -> dict[str, int]:
    rows = await db.fetch(
        "SELECT mentor_id, count(*) AS n FROM mentorships WHERE status = 'accepted' AND mentor_id = ANY($1::uuid[])"
        " GROUP BY mentor_id",
        mentor_ids,
    )
    return {str(r["mentor_id"]): int(r["n"]) for r in rows}


async def seats_held(db: DB, round_id: uuid.UUID) -> dict[str, int]:
    """Per mentor, the round's matches not (yet) an accepted mentorship."""
    rows = await db.fetch(
        """
        SELECT a.mentor_id, count(*) AS n FROM match_round_assignments a
        WHERE a.round_id = $1 AND a.mentor_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM mentorships m WHERE m.student_id = a.student_id
                          AND m.mentor_id = a.mentor_id AND m.status = 'accepted')
        GROUP BY a.mentor_id
        """,
        round_id,
    )
    return {str(r["mentor_id"]): int(r["n"]) for r in rows}


async def request_mentorship(
    conn: Connection, student_id: uuid.UUID, mentor_id: uuid.UUID, rotation_id: uuid.UUID, message: str
) -> asyncpg.Record | None:
    """A mentorship request, unless the pair already has an open one (then None)."""
    return await conn.fetchrow(
        "INSERT INTO mentorships(id, student_id, mentor_id, rotation_id, status, message)"
        " VALUES ($1, $2, $3, $4, 'requested', $5)"
        " ON CONFLICT (student_id, mentor_id) WHERE status IN ('requested', 'accepted') DO NOTHING RETURNING *",
        uuid.uuid4(),
        student_id,
        mentor_id,
        rotation_id,
        message,
    )
