"""SQL of blocks, reports and the operators' statistics."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.messaging.domain import report_details
from services.messaging.store import DB, Key
from shared.db import Connection
from shared.paging import newest_first_after
from shared.privacy import ERASED_VERSION

# --- blocks ---------------------------------------------------------------------------


async def blocks_between(db: DB, me: uuid.UUID, other: uuid.UUID) -> tuple[bool, bool]:
    """(I blocked them, they blocked me)."""
    rows = await db.fetch(
        "SELECT blocker_id FROM blocks WHERE (blocker_id, blocked_id) IN (($1, $2), ($2, $1))", me, other
    )
    blockers = {r["blocker_id"] for r in rows}
    return me in blockers, other in blockers


async def block(conn: Connection, blocker: uuid.UUID, blocked: uuid.UUID) -> asyncpg.Record | None:
    """Block; the pair's row of ``block_versions`` after the change, None when it already was."""
    added = await conn.fetchval(
        "INSERT INTO blocks(blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
        blocker,
        blocked,
    )
    return await _count_change(conn, blocker, blocked) if added else None


async def _count_change(conn: Connection, blocker: uuid.UUID, blocked: uuid.UUID) -> asyncpg.Record:
    """The pair's next version. Taken after the change to ``blocks``, under this row's lock
    until commit: a block and an unblock of one pair racing each other wait on the same
    ``blocks`` row first, so versions follow the order their changes commit in."""
    row = await conn.fetchrow(
        "INSERT INTO block_versions(blocker_id, blocked_id, id, version) VALUES ($1, $2, $3, 1)"
        " ON CONFLICT (blocker_id, blocked_id) DO UPDATE SET version = block_versions.version + 1"
        " RETURNING id, blocker_id, blocked_id, version",
        blocker,
        blocked,
        uuid.uuid4(),
    )
    assert row is not None
    return row


async def blocked_pair(db: DB, one: uuid.UUID, other: uuid.UUID) -> bool:
    """Whether either of the two blocked the other."""
    return any(await blocks_between(db, one, other))


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


async def unblock(conn: Connection, blocker: uuid.UUID, blocked: uuid.UUID) -> asyncpg.Record | None:
    """Lift a block; the pair's row of ``block_versions`` after the change, None when there was none."""
    lifted = await conn.fetchval(
        "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2 RETURNING true", blocker, blocked
    )
    return await _count_change(conn, blocker, blocked) if lifted else None


async def block_snapshots(db: DB, after: uuid.UUID | None, limit: int) -> list[asyncpg.Record]:
    """Every pair ever blocked (by users not deleted), whether blocked now, in id order
    after ``after``. The first page has its own statement, as listings' snapshots do."""
    columns = (
        "v.id, v.blocker_id, v.blocked_id, v.version, EXISTS (SELECT 1 FROM blocks b"
        " WHERE b.blocker_id = v.blocker_id AND b.blocked_id = v.blocked_id) AS blocked"
    )
    if after is None:
        return await db.fetch(f"SELECT {columns} FROM block_versions v ORDER BY v.id LIMIT $1", limit)
    return await db.fetch(
        f"SELECT {columns} FROM block_versions v WHERE v.id > $1 ORDER BY v.id LIMIT $2", after, limit
    )


# --- reports and statistics -----------------------------------------------------------


# The unique partial indexes of 0003_reports_once.sql: one open report per reporter and
# message, and per reporter and user for a report without a message.
_OPEN_OF_MESSAGE = "(reporter_id, message_id) WHERE status = 'open' AND message_id IS NOT NULL"
_OPEN_OF_USER = "(reporter_id, reported_user_id) WHERE status = 'open' AND message_id IS NULL"


async def insert_report(conn: Connection, values: dict[str, Any]) -> tuple[asyncpg.Record, bool, bool] | None:
    """File a report, or add to the reporter's open report of the same message (or user):
    the report, whether it was already open, and whether anything was added to it. What the
    reporter wrote again is added to the open one's details (it was dropped, and the page
    said "sent"), naming its reason when it is another.

    The index decides, so two racing reports file one: the second's INSERT waits for the
    first's commit and then does nothing, and its read finds the first. The open report is
    read and rewritten under its row lock, in one transaction: two additions at once each
    read the other's (without it, each wrote over the other's). None only when that open
    report was resolved between the two statements (the caller tries again).
    """
    columns = list(values)
    about_message = values.get("message_id") is not None
    async with conn.transaction():
        row = await conn.fetchrow(
            f"INSERT INTO reports({', '.join(columns)}) VALUES ({', '.join(f'${i + 1}' for i in range(len(columns)))})"
            f" ON CONFLICT {_OPEN_OF_MESSAGE if about_message else _OPEN_OF_USER} DO NOTHING RETURNING *",
            *values.values(),
        )
        if row is not None:
            return row, False, False
        if about_message:
            where, key = "message_id = $2", values["message_id"]
        else:
            where, key = "reported_user_id = $2 AND message_id IS NULL", values["reported_user_id"]
        found = await conn.fetchrow(
            f"SELECT * FROM reports WHERE reporter_id = $1 AND {where} AND status = 'open' FOR UPDATE",
            values["reporter_id"],
            key,
        )
        if found is None:
            return None
        details = report_details(found["details"], found["reason"], str(values["details"]), str(values["reason"]))
        if details == found["details"]:
            return found, True, False
        updated = await conn.fetchrow("UPDATE reports SET details = $2 WHERE id = $1 RETURNING *", found["id"], details)
        assert updated is not None  # locked above
        return updated, True, True


# Reports with both people's names and the resolving operator's (people read names, not ids),
# and whether the reported account is deleted (its name is then "Deleted user", and nothing
# can be done to it: suspending it answered "User not found").
NAMED_REPORTS = (
    "SELECT r.*, ru.display_name AS reporter_name, uu.display_name AS reported_user_name,"
    f" coalesce(uu.version = {ERASED_VERSION}, false) AS reported_user_deleted,"
    " ou.display_name AS resolved_by_name FROM reports r"
    " LEFT JOIN users ru ON ru.user_id = r.reporter_id LEFT JOIN users uu ON uu.user_id = r.reported_user_id"
    " LEFT JOIN users ou ON ou.user_id = r.resolved_by"
)


async def reports(db: DB, status: str | None, after: Key | None, limit: int) -> list[asyncpg.Record]:
    """Reports newest first, named."""
    return await db.fetch(
        NAMED_REPORTS + " WHERE ($1::text IS NULL OR r.status = $1)"
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


async def named_report(db: DB, report_id: uuid.UUID) -> asyncpg.Record:
    """One report as the list shows it, named (the reply to filing or resolving it had no names)."""
    row = await db.fetchrow(NAMED_REPORTS + " WHERE r.id = $1", report_id)
    assert row is not None
    return row


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
