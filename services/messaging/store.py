"""SQL of the messaging schema: projections, conversations, messages, read state, live
pushes, notifications, blocks, reports."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.messaging.domain import NotificationDraft
from shared.contracts.accounts import UserData
from shared.db import Connection
from shared.paging import newest_first_after

DB = Connection | asyncpg.Pool
Key = tuple[datetime, uuid.UUID]

# --- projections of accounts and listings ---------------------------------------------


async def project_user(conn: Connection, user: UserData) -> bool:
    """Hold the user's snapshot unless ours is as new or newer; False when it was not."""
    result = await conn.execute(
        "INSERT INTO users(user_id, display_name, role, verified, version) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,"
        " verified = excluded.verified, version = excluded.version WHERE users.version < excluded.version",
        user.user_id,
        user.display_name,
        user.role,
        user.verified,
        user.version,
    )
    return result.endswith(" 1")


async def remember_user(conn: Connection, user_id: uuid.UUID, display_name: str, role: str, verified: bool) -> None:
    """A user accounts vouched for before its event reached us (version 0: any event wins)."""
    await conn.execute(
        "INSERT INTO users(user_id, display_name, role, verified, version) VALUES ($1, $2, $3, $4, 0)"
        " ON CONFLICT (user_id) DO NOTHING",
        user_id,
        display_name,
        role,
        verified,
    )


async def user_known(db: DB, user_id: uuid.UUID) -> bool:
    return bool(await db.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE user_id = $1)", user_id))


async def display_names(db: DB, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    rows = await db.fetch("SELECT user_id, display_name FROM users WHERE user_id = ANY($1::uuid[])", user_ids)
    return {r["user_id"]: r["display_name"] for r in rows}


async def project_listing(conn: Connection, listing_id: uuid.UUID, title: str, version: int) -> bool:
    result = await conn.execute(
        "INSERT INTO listings(listing_id, title, version) VALUES ($1, $2, $3)"
        " ON CONFLICT (listing_id) DO UPDATE SET title = excluded.title, version = excluded.version"
        " WHERE listings.version < excluded.version",
        listing_id,
        title,
        version,
    )
    return result.endswith(" 1")


async def listing_title(db: DB, listing_id: uuid.UUID) -> str | None:
    title: str | None = await db.fetchval("SELECT title FROM listings WHERE listing_id = $1", listing_id)
    return title


# --- conversations --------------------------------------------------------------------


async def _add_participants(conn: Connection, conversation_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO participants(conversation_id, user_id, last_activity_at)"
        " SELECT id, unnest(ARRAY[user_low, user_high]), last_activity_at FROM conversations WHERE id = $1"
        " ON CONFLICT DO NOTHING",
        conversation_id,
    )


async def open_direct(conn: Connection, low: uuid.UUID, high: uuid.UUID) -> uuid.UUID:
    """The pair's direct conversation, created if missing (two starting at once get one)."""
    # ON CONFLICT waits for a concurrent insert of the pair and then does nothing; the
    # SELECT after it sees the winner's committed row.
    created = await conn.fetchval(
        "INSERT INTO conversations(id, kind, user_low, user_high) VALUES ($1, 'direct', $2, $3)"
        " ON CONFLICT (user_low, user_high) WHERE kind = 'direct' DO NOTHING RETURNING id",
        uuid.uuid4(),
        low,
        high,
    )
    if created is not None:
        await _add_participants(conn, created)
        return uuid.UUID(str(created))
    found = await conn.fetchval(
        "SELECT id FROM conversations WHERE kind = 'direct' AND user_low = $1 AND user_high = $2", low, high
    )
    return uuid.UUID(str(found))


async def booking_conversation(
    conn: Connection, low: uuid.UUID, high: uuid.UUID, listing_id: uuid.UUID
) -> uuid.UUID | None:
    """The pair's newest conversation about a booking of this listing, if any."""
    found = await conn.fetchval(
        "SELECT id FROM conversations WHERE kind = 'booking' AND user_low = $1 AND user_high = $2"
        " AND listing_id = $3 ORDER BY created_at DESC LIMIT 1",
        low,
        high,
        listing_id,
    )
    return uuid.UUID(str(found)) if found is not None else None


async def open_about(
    conn: Connection,
    kind: str,
    subject_id: uuid.UUID,
    pair: tuple[uuid.UUID, uuid.UUID],
    status: str,
    version: int,
    listing_id: uuid.UUID | None,
) -> uuid.UUID | None:
    """Open (or update) the conversation about a booking or mentorship with the subject's
    status at ``version``; None when it already holds that version or a newer one."""
    row = await conn.fetchrow(
        "INSERT INTO conversations(id, kind, user_low, user_high, subject_id, subject_status, subject_version,"
        " listing_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (kind, subject_id) WHERE subject_id IS NOT NULL DO UPDATE"
        " SET subject_status = excluded.subject_status, subject_version = excluded.subject_version"
        " WHERE conversations.subject_version < excluded.subject_version"
        " RETURNING id, (xmax = 0) AS inserted",
        uuid.uuid4(),
        kind,
        pair[0],
        pair[1],
        subject_id,
        status,
        version,
        listing_id,
    )
    if row is None:
        return None
    if row["inserted"]:
        await _add_participants(conn, row["id"])
    return uuid.UUID(str(row["id"]))


async def conversation(
    db: DB, conversation_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    """The conversation when ``user_id`` takes part in it (None otherwise), locked for a
    new message when asked: one conversation's messages get their seq one at a time."""
    lock = " FOR UPDATE OF c" if for_update else ""
    return await db.fetchrow(
        "SELECT c.*, p.last_read_seq FROM conversations c"
        " JOIN participants p ON p.conversation_id = c.id AND p.user_id = $2"
        f" WHERE c.id = $1{lock}",
        conversation_id,
        user_id,
    )


_UNREAD = (
    "(SELECT count(*) FROM messages x WHERE x.conversation_id = p.conversation_id"
    " AND x.seq > p.last_read_seq AND x.sender_id IS DISTINCT FROM p.user_id)"
)
CONVERSATION_VIEW = f"""
    SELECT c.id, c.kind, c.subject_id, c.subject_status, c.listing_id, l.title AS listing_title,
           c.created_at, p.last_activity_at, p.user_id AS viewer,
           o.user_id AS other_id, u.display_name AS other_name, u.role AS other_role,
           coalesce(u.verified, false) AS other_verified,
           (SELECT to_jsonb(m) FROM messages m WHERE m.id = c.last_message_id) AS last_message,
           (SELECT r.id FROM messages r WHERE r.conversation_id = c.id AND r.seq = p.last_read_seq)
               AS last_read_message_id,
           {_UNREAD} AS unread_count
    FROM participants p
    JOIN conversations c ON c.id = p.conversation_id
    CROSS JOIN LATERAL (SELECT CASE WHEN c.user_low = p.user_id THEN c.user_high ELSE c.user_low END AS user_id) o
    LEFT JOIN users u ON u.user_id = o.user_id
    LEFT JOIN listings l ON l.listing_id = c.listing_id
    WHERE p.user_id = $1
"""


async def conversation_view(db: DB, conversation_id: uuid.UUID, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(CONVERSATION_VIEW + " AND c.id = $2", user_id, conversation_id)


async def inbox(db: DB, user_id: uuid.UUID, after: Key | None, limit: int) -> list[asyncpg.Record]:
    """The user's conversations, newest activity first (keyset on activity, id)."""
    return await db.fetch(
        CONVERSATION_VIEW + f" AND {newest_first_after('p.last_activity_at', 'p.conversation_id', 2)}"
        " ORDER BY p.last_activity_at DESC, p.conversation_id DESC LIMIT $4",
        user_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


# --- messages -------------------------------------------------------------------------


async def next_seq(conn: Connection, conversation_id: uuid.UUID) -> int:
    """The seq of the conversation's next message, its row locked until commit (the
    number is taken by ``advance`` only once the message is stored)."""
    last: int = await conn.fetchval("SELECT last_seq FROM conversations WHERE id = $1 FOR UPDATE", conversation_id)
    return last + 1


async def insert_message(
    conn: Connection,
    conversation_id: uuid.UUID,
    seq: int,
    sender_id: uuid.UUID | None,
    body: str,
    client_message_id: str | None,
    warning: str | None,
    warning_rules: tuple[str, ...],
) -> asyncpg.Record | None:
    """The stored message, or None when the sender already sent this client id here."""
    return await conn.fetchrow(
        "INSERT INTO messages(id, conversation_id, seq, sender_id, body, client_message_id, warning, warning_rules)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (conversation_id, sender_id, client_message_id) DO NOTHING RETURNING *",
        uuid.uuid4(),
        conversation_id,
        seq,
        sender_id,
        body,
        client_message_id,
        warning,
        list(warning_rules),
    )


async def message_by_client_id(
    db: DB, conversation_id: uuid.UUID, sender_id: uuid.UUID, client_message_id: str
) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT * FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND client_message_id = $3",
        conversation_id,
        sender_id,
        client_message_id,
    )


# The two-key form of advisory locks keeps these apart from the migrations' one-key lock.
SEND_LOCK_CLASS = 7301


async def lock_sender(conn: Connection, sender_id: uuid.UUID) -> None:
    """Serialize one user's sends until commit, so counting their recent messages and
    adding one is exact even when two replicas serve them at once."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, $2)", SEND_LOCK_CLASS, int.from_bytes(sender_id.bytes[:4], "big", signed=True)
    )


async def recent_sends(conn: Connection, sender_id: uuid.UUID, window: timedelta, count: int) -> list[datetime]:
    """When the sender's newest ``count`` messages within ``window`` were sent, newest first."""
    rows = await conn.fetch(
        "SELECT created_at FROM messages WHERE sender_id = $1 AND created_at > now() - $2::interval"
        " ORDER BY created_at DESC LIMIT $3",
        sender_id,
        window,
        count,
    )
    return [r["created_at"] for r in rows]


async def advance(conn: Connection, conversation_id: uuid.UUID, message: asyncpg.Record) -> None:
    """Make ``message`` the conversation's newest, for it and for each participant's inbox."""
    await conn.execute(
        "UPDATE conversations SET last_seq = $2, last_message_id = $3, last_activity_at = $4 WHERE id = $1",
        conversation_id,
        message["seq"],
        message["id"],
        message["created_at"],
    )
    await conn.execute(
        "UPDATE participants SET last_activity_at = $2 WHERE conversation_id = $1",
        conversation_id,
        message["created_at"],
    )


async def history(db: DB, conversation_id: uuid.UUID, before_seq: int | None, limit: int) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM messages WHERE conversation_id = $1 AND ($2::bigint IS NULL OR seq < $2)"
        " ORDER BY seq DESC LIMIT $3",
        conversation_id,
        before_seq,
        limit,
    )


async def message_seq(db: DB, conversation_id: uuid.UUID, message_id: uuid.UUID) -> int | None:
    seq: int | None = await db.fetchval(
        "SELECT seq FROM messages WHERE conversation_id = $1 AND id = $2", conversation_id, message_id
    )
    return seq


async def visible_message(db: DB, message_id: uuid.UUID, user_id: uuid.UUID) -> asyncpg.Record | None:
    """A message of a conversation the user takes part in."""
    return await db.fetchrow(
        "SELECT m.* FROM messages m JOIN participants p ON p.conversation_id = m.conversation_id AND p.user_id = $2"
        " WHERE m.id = $1",
        message_id,
        user_id,
    )


# --- read state -----------------------------------------------------------------------


async def mark_read(conn: Connection, conversation_id: uuid.UUID, user_id: uuid.UUID, seq: int) -> bool:
    """Move the user's read mark forward to ``seq`` (never back); whether it moved."""
    result = await conn.execute(
        "UPDATE participants SET last_read_seq = $3 WHERE conversation_id = $1 AND user_id = $2 AND last_read_seq < $3",
        conversation_id,
        user_id,
        seq,
    )
    return result.endswith(" 1")


async def read_state(db: DB, conversation_id: uuid.UUID, user_id: uuid.UUID) -> asyncpg.Record:
    row = await db.fetchrow(
        "SELECT p.conversation_id,"
        " (SELECT r.id FROM messages r WHERE r.conversation_id = p.conversation_id AND r.seq = p.last_read_seq)"
        f" AS last_read_message_id, {_UNREAD} AS unread_count"
        " FROM participants p WHERE p.conversation_id = $1 AND p.user_id = $2",
        conversation_id,
        user_id,
    )
    assert row is not None
    return row


async def unread_counts(db: DB, user_id: uuid.UUID) -> asyncpg.Record:
    row = await db.fetchrow(
        "SELECT coalesce(sum(n), 0)::int AS messages, count(*) FILTER (WHERE n > 0)::int AS conversations,"
        " (SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL)::int AS notifications"
        f" FROM (SELECT {_UNREAD} AS n FROM participants p WHERE p.user_id = $1) per_conversation",
        user_id,
    )
    assert row is not None
    return row


# --- live pushes ----------------------------------------------------------------------


async def add_push(conn: Connection, user_id: uuid.UUID, frame_type: str, data: dict[str, Any]) -> int:
    """Store a frame for the user with their next seq; the counter row stays locked until
    commit, so the user's frames commit in seq order."""
    seq: int = await conn.fetchval(
        "WITH next AS (INSERT INTO user_seqs(user_id, last_seq) VALUES ($1, 1)"
        " ON CONFLICT (user_id) DO UPDATE SET last_seq = user_seqs.last_seq + 1 RETURNING last_seq)"
        " INSERT INTO pushes(user_id, seq, type, data) SELECT $1::uuid, last_seq, $2::text, $3::jsonb FROM next"
        " RETURNING seq",
        user_id,
        frame_type,
        data,
    )
    return seq


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
        " event_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
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


# --- blocks ---------------------------------------------------------------------------


async def blocks_between(db: DB, me: uuid.UUID, other: uuid.UUID) -> tuple[bool, bool]:
    """(I blocked them, they blocked me)."""
    rows = await db.fetch(
        "SELECT blocker_id FROM blocks WHERE (blocker_id, blocked_id) IN (($1, $2), ($2, $1))", me, other
    )
    blockers = {r["blocker_id"] for r in rows}
    return me in blockers, other in blockers


async def block(conn: Connection, blocker: uuid.UUID, blocked: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO blocks(blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", blocker, blocked
    )


async def blocked_by(
    db: DB, blocker: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """Whom ``blocker`` blocked, newest first, with the names messaging knows."""
    return await db.fetch(
        "SELECT b.blocked_id AS user_id, u.display_name, b.created_at AS blocked_at"
        " FROM blocks b LEFT JOIN users u ON u.user_id = b.blocked_id WHERE b.blocker_id = $1"
        f" AND {newest_first_after('b.created_at', 'b.blocked_id', 2)}"
        " ORDER BY b.created_at DESC, b.blocked_id DESC LIMIT $4",
        blocker,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def unblock(conn: Connection, blocker: uuid.UUID, blocked: uuid.UUID) -> None:
    await conn.execute("DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2", blocker, blocked)


# --- reports and statistics -----------------------------------------------------------


async def insert_report(conn: Connection, values: dict[str, Any]) -> asyncpg.Record:
    columns = list(values)
    row = await conn.fetchrow(
        f"INSERT INTO reports({', '.join(columns)}) VALUES ({', '.join(f'${i + 1}' for i in range(len(columns)))})"
        " RETURNING *",
        *values.values(),
    )
    assert row is not None
    return row


async def reports(db: DB, status: str | None, after: Key | None, limit: int) -> list[asyncpg.Record]:
    """Reports newest first, with both people's names (operators read names, not ids)."""
    return await db.fetch(
        "SELECT r.*, ru.display_name AS reporter_name, uu.display_name AS reported_user_name FROM reports r"
        " LEFT JOIN users ru ON ru.user_id = r.reporter_id LEFT JOIN users uu ON uu.user_id = r.reported_user_id"
        " WHERE ($1::text IS NULL OR r.status = $1)"
        f" AND {newest_first_after('r.created_at', 'r.id', 2)}"
        " ORDER BY r.created_at DESC, r.id DESC LIMIT $4",
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def report(db: DB, report_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await db.fetchrow(f"SELECT * FROM reports WHERE id = $1{lock}", report_id)


async def resolve_report(conn: Connection, report_id: uuid.UUID, admin: uuid.UUID, resolution: str) -> asyncpg.Record:
    row = await conn.fetchrow(
        "UPDATE reports SET status = 'resolved', resolved_at = now(), resolved_by = $2, resolution = $3"
        " WHERE id = $1 RETURNING *",
        report_id,
        admin,
        resolution,
    )
    assert row is not None
    return row


async def stats(db: DB) -> dict[str, Any]:
    row = await db.fetchrow(
        "SELECT (SELECT count(*) FROM messages) AS messages,"
        " (SELECT count(*) FROM messages WHERE warning IS NOT NULL) AS flagged_messages,"
        " (SELECT count(*) FROM messages WHERE warning IS NOT NULL AND created_at > now() - interval '24 hours')"
        " AS flagged_last_24h,"
        " (SELECT count(*) FROM reports WHERE status = 'open') AS reports_open,"
        " (SELECT count(*) FROM reports WHERE status = 'resolved') AS reports_resolved,"
        " (SELECT count(*) FROM blocks) AS blocks"
    )
    assert row is not None
    by_rule = await db.fetch(
        "SELECT rule, count(*) AS n FROM messages, unnest(warning_rules) AS rule"
        " WHERE warning IS NOT NULL GROUP BY rule ORDER BY rule"
    )
    return {**dict(row), "flagged_by_rule": {r["rule"]: r["n"] for r in by_rule}}
