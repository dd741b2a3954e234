"""SQL of messaging's export and erasure of one user ($-params only)."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Connection
from shared.privacy import DELETED_NAME, ERASED_VERSION

DB = Connection | asyncpg.Pool

DELETED_BODY = "This message was deleted."


async def export(db: DB, user_id: uuid.UUID) -> dict[str, list[asyncpg.Record]]:
    return {
        # With the other person's name as the conversation shows it (an id alone did not say
        # with whom): "Deleted user" once they deleted their account.
        "conversations": await db.fetch(
            "SELECT c.id, c.kind, o.other_user_id, u.display_name AS other_user_name, c.subject_id, c.created_at"
            " FROM conversations c"
            " CROSS JOIN LATERAL (SELECT CASE WHEN c.user_low = $1 THEN c.user_high ELSE c.user_low END"
            " AS other_user_id) o"
            " LEFT JOIN users u ON u.user_id = o.other_user_id"
            " WHERE c.user_low = $1 OR c.user_high = $1 ORDER BY c.created_at",
            user_id,
        ),
        "messages_sent": await db.fetch(
            "SELECT id, conversation_id, body, created_at FROM messages WHERE sender_id = $1 ORDER BY created_at",
            user_id,
        ),
        "messages_received": await db.fetch(
            "SELECT m.id, m.conversation_id, m.sender_id, m.body, m.created_at FROM messages m"
            " JOIN conversations c ON c.id = m.conversation_id"
            " WHERE (c.user_low = $1 OR c.user_high = $1) AND m.sender_id IS DISTINCT FROM $1 ORDER BY m.created_at",
            user_id,
        ),
        "notifications": await db.fetch(
            "SELECT id, kind, text, booking_id, listing_id, conversation_id, created_at, read_at FROM notifications"
            " WHERE user_id = $1 ORDER BY created_at",
            user_id,
        ),
        "blocks": await db.fetch("SELECT blocked_id, created_at FROM blocks WHERE blocker_id = $1", user_id),
        "reports": await db.fetch(
            "SELECT id, reported_user_id, reason, details, status, created_at FROM reports WHERE reporter_id = $1",
            user_id,
        ),
    }


async def conversations_with(conn: Connection, user_id: uuid.UUID) -> list[asyncpg.Record]:
    """Each conversation of the user with its other participant (``id``, ``other``)."""
    return await conn.fetch(
        "SELECT id, CASE WHEN user_low = $1 THEN user_high ELSE user_low END AS other FROM conversations"
        " WHERE user_low = $1 OR user_high = $1 ORDER BY id",
        user_id,
    )


async def erase(conn: Connection, user_id: uuid.UUID) -> str | None:
    """Keep the user's conversations for the other people, with "Deleted user" in their
    place and the bodies of what they wrote removed; drop what was only theirs. Returns the
    name they had (for the caller's outbox purge)."""
    name = await conn.fetchval("SELECT display_name FROM users WHERE user_id = $1", user_id)
    await conn.execute(
        "INSERT INTO users(user_id, display_name, role, verified, version) VALUES ($1, $2, NULL, false, $3)"
        " ON CONFLICT (user_id) DO UPDATE SET display_name = $2, verified = false, version = $3",
        user_id,
        DELETED_NAME,
        ERASED_VERSION,
    )
    await conn.execute(
        "UPDATE messages SET body = $2, client_message_id = NULL, warning = NULL, warning_rules = '{}'"
        " WHERE sender_id = $1",
        user_id,
        DELETED_BODY,
    )
    others = [
        r["other"]
        for r in await conn.fetch(
            "SELECT DISTINCT CASE WHEN user_low = $1 THEN user_high ELSE user_low END AS other FROM conversations"
            " WHERE user_low = $1 OR user_high = $1",
            user_id,
        )
    ]
    # What the others keep: their copies of the user's messages lose the body too.
    await conn.execute(
        "UPDATE pushes SET data = jsonb_set(data, '{body}', to_jsonb($2::text))"
        " WHERE type = 'message' AND data->>'sender_id' = $1::text",
        str(user_id),
        DELETED_BODY,
    )
    if name:
        await conn.execute(
            "UPDATE messages m SET body = replace(m.body, $2, $3) FROM conversations c"
            " WHERE c.id = m.conversation_id AND (c.user_low = $1 OR c.user_high = $1)"
            " AND m.sender_id IS NULL AND position($2 in m.body) > 0",
            user_id,
            name,
            DELETED_NAME,
        )
        await conn.execute(
            "UPDATE notifications SET text = replace(text, $2, $3) WHERE user_id = ANY($1::uuid[])"
            " AND position($2 in text) > 0",
            others,
            name,
            DELETED_NAME,
        )
        await conn.execute(
            "UPDATE pushes SET data = replace(data::text, $2, $3)::jsonb WHERE user_id = ANY($1::uuid[])"
            " AND position($2 in data::text) > 0",
            others,
            name,
            DELETED_NAME,
        )
    await conn.execute("UPDATE reports SET message_body = NULL WHERE reported_user_id = $1", user_id)
    for table, column in (
        ("notifications", "user_id"),
        ("pushes", "user_id"),
        ("user_seqs", "user_id"),
        ("blocks", "blocker_id"),
        ("blocks", "blocked_id"),
        ("block_versions", "blocker_id"),
        ("block_versions", "blocked_id"),
        ("reports", "reporter_id"),
        ("suspensions_told", "user_id"),
    ):
        await conn.execute(f"DELETE FROM {table} WHERE {column} = $1", user_id)
    return str(name) if name else None
