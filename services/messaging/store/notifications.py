"""SQL of live pushes (stored for replay) and notifications."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg

from services.messaging.domain import NotificationDraft
from services.messaging.store import DB, Key
from shared.db import Connection
from shared.paging import newest_first_after

# --- live pushes ----------------------------------------------------------------------


async def add_pushes(conn: Connection, frames: Sequence[tuple[uuid.UUID, str, dict[str, Any]]]) -> dict[uuid.UUID, int]:
    """Store frames, ordered by user id, each with its user's next seq, in one round trip;
    each user's last seq now. A user's frames take consecutive numbers in list order,
    ending at that number. The counter rows are taken in user id order and stay locked
    until commit, so each user's frames commit in seq order."""
    rows = await conn.fetch(
        "WITH frame AS (SELECT f.user_id, f.type, d.data, f.ord"
        " FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS f(user_id, type, ord)"
        " JOIN jsonb_array_elements($3::jsonb) WITH ORDINALITY AS d(data, ord) ON d.ord = f.ord),"
        " per_user AS (SELECT user_id, count(*) AS n FROM frame GROUP BY user_id),"
        " bumped AS (INSERT INTO user_seqs AS s (user_id, last_seq) SELECT user_id, n FROM per_user ORDER BY user_id"
        " ON CONFLICT (user_id) DO UPDATE SET last_seq = s.last_seq + excluded.last_seq RETURNING user_id, last_seq),"
        " stored AS (INSERT INTO pushes(user_id, seq, type, data)"
        " SELECT f.user_id, b.last_seq - p.n + row_number() OVER (PARTITION BY f.user_id ORDER BY f.ord),"
        " f.type, f.data"
        " FROM frame f JOIN bumped b ON b.user_id = f.user_id JOIN per_user p ON p.user_id = f.user_id)"
        " SELECT user_id, last_seq FROM bumped",
        [user_id for user_id, _, _ in frames],
        [frame_type for _, frame_type, _ in frames],
        [data for _, _, data in frames],
    )
    return {r["user_id"]: r["last_seq"] for r in rows}


async def last_push_seq(db: DB, user_id: uuid.UUID) -> int:
    return int(await db.fetchval("SELECT coalesce(max(last_seq), 0) FROM user_seqs WHERE user_id = $1", user_id))


async def pushes_after(db: DB, user_id: uuid.UUID, since: int, limit: int) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT seq, type, data FROM pushes WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        user_id,
        since,
        limit,
    )


async def prune_pushes(db: DB, older_than: timedelta) -> int:
    """Forget pushes older than the retention (seq counters stay, so numbers never repeat)."""
    result = await db.execute("DELETE FROM pushes WHERE created_at < now() - $1::interval", older_than)
    return int(result.split()[-1])


# --- notifications --------------------------------------------------------------------


async def insert_notification(
    conn: Connection, draft: NotificationDraft, event_id: uuid.UUID, conversation_id: uuid.UUID | None
) -> asyncpg.Record | None:
    """The stored notification, or None when this event already notified this user."""
    return await conn.fetchrow(
        "INSERT INTO notifications(id, user_id, kind, text, booking_id, listing_id, conversation_id, review_id,"
        " event_id, mentorship_id, letter_id, rotation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (user_id, event_id) DO NOTHING RETURNING *",
        uuid.uuid4(),
        draft.user_id,
        draft.kind,
        draft.text,
        draft.booking_id,
        draft.listing_id,
        conversation_id,
        draft.review_id,
        event_id,
        draft.mentorship_id,
        draft.letter_id,
        draft.rotation_id,
    )


async def notifications(
    db: DB, user_id: uuid.UUID, unread: bool | None, after: Key | None, limit: int
) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM notifications WHERE user_id = $1"
        " AND ($2::bool IS NULL OR (read_at IS NULL) = $2)"
        f" AND {newest_first_after('created_at', 'id', 3)}"
        " ORDER BY created_at DESC, id DESC LIMIT $5",
        user_id,
        unread,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def notification_key(db: DB, user_id: uuid.UUID, notification_id: uuid.UUID) -> Key | None:
    row = await db.fetchrow(
        "SELECT created_at, id FROM notifications WHERE user_id = $1 AND id = $2", user_id, notification_id
    )
    return (row["created_at"], row["id"]) if row else None


async def read_notifications(conn: Connection, user_id: uuid.UUID, up_to: Key | None) -> int:
    """Mark the user's unread notifications read (those up to ``up_to`` when given)."""
    result = await conn.execute(
        "UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL"
        " AND ($2::timestamptz IS NULL OR (created_at, id) <= ($2, $3))",
        user_id,
        up_to[0] if up_to else None,
        up_to[1] if up_to else None,
    )
    return int(result.split()[-1])
