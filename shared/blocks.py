"""The projection of blocks that listings and matching keep, and the rules it serves: a user
cannot send a request (a stay, a mentorship, a letter) to someone either of them blocked,
and matching never shows or pairs the two (rankings, suggestions, hospital pages, rounds).

Blocks belong to messaging (``POST /users/{id}/block``), which refuses the pair's messages
itself; the services that take requests learn of them from its events
(``events.messaging.user.blocked`` / ``.unblocked``, each a ``BlockData`` snapshot with the
pair's version). Each keeps the same table in its own schema (its migration
``…_blocks.sql``): one row per pair ever blocked, lifted ones too (``blocked`` false), so an
older event never brings a lifted block back. Their consumers and matching's rebuild apply
events through ``apply``; a deleted account's rows go with ``forget``. ``others_sql``,
``others`` and ``pairs_among`` read blocks in force from either side (each service indexes
``blocked_id`` for them: matching's ``0015_blocks_by_blocked.sql``, listings'
``0017_blocks_by_blocked.sql``, where a signed-in search leaves out hosts either side
blocked).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg

from shared.contracts.base import Event
from shared.contracts.messaging import BLOCK_EVENTS, BlockData
from shared.contracts.privacy import UserDeleted
from shared.db import Connection
from shared.errors import AppError

DB = Connection | asyncpg.Pool


async def project(conn: Connection, block: BlockData) -> bool:
    """Hold the pair's snapshot if it is newer than ours; False when it was not."""
    result = await conn.execute(
        "INSERT INTO blocks(blocker_id, blocked_id, blocked, version) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (blocker_id, blocked_id) DO UPDATE SET blocked = excluded.blocked, version = excluded.version"
        " WHERE blocks.version < excluded.version",
        block.blocker_id,
        block.blocked_id,
        block.blocked,
        block.version,
    )
    return str(result).endswith(" 1")


async def apply(conn: Connection, event: Event) -> None:
    """A block event or an account's deletion, as listings' and matching's "blocks"
    consumers take them: a block set or lifted (the newest version wins), or a deleted
    account's blocks gone (its deletion comes after every block event of theirs, in stream
    order)."""
    if isinstance(event, UserDeleted):
        await forget(conn, event.user_id)
        return
    assert isinstance(event, BLOCK_EVENTS)
    await project(conn, event.block)


async def forget(conn: Connection, user_id: uuid.UUID) -> None:
    """A deleted account's blocks, either side (messaging erased its own at the same event)."""
    await conn.execute("DELETE FROM blocks WHERE blocker_id = $1 OR blocked_id = $1", user_id)


async def between(db: DB, me: uuid.UUID, other: uuid.UUID) -> tuple[bool, bool]:
    """(I blocked them, they blocked me), as the projection holds it now."""
    rows = await db.fetch(
        "SELECT blocker_id FROM blocks WHERE (blocker_id, blocked_id) IN (($1, $2), ($2, $1)) AND blocked", me, other
    )
    blockers = {row["blocker_id"] for row in rows}
    return me in blockers, other in blockers


def others_sql(user: str) -> str:
    """A subquery of the users that ``user`` (an SQL expression, e.g. ``$2``) blocked or was
    blocked by, as the projection holds it now."""
    return (
        f"(SELECT blocked_id FROM blocks WHERE blocker_id = {user} AND blocked"
        f" UNION SELECT blocker_id FROM blocks WHERE blocked_id = {user} AND blocked)"
    )


async def others(db: DB, me: uuid.UUID) -> set[uuid.UUID]:
    """The users I blocked or who blocked me."""
    return {row[0] for row in await db.fetch(f"SELECT * FROM {others_sql('$1')} o", me)}


async def pairs_among(db: DB, left: list[uuid.UUID], right: list[uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """The (one of ``left``, one of ``right``) pairs either of whom blocked the other."""
    rows = await db.fetch(
        "SELECT blocker_id, blocked_id FROM blocks WHERE blocked"
        " AND blocker_id IN (SELECT unnest($1::uuid[]) UNION SELECT unnest($2::uuid[]))"
        " AND blocked_id IN (SELECT unnest($1::uuid[]) UNION SELECT unnest($2::uuid[]))",
        left,
        right,
    )
    lefts, rights = set(left), set(right)
    found = set()
    for row in rows:
        one, two = row["blocker_id"], row["blocked_id"]
        if one in lefts and two in rights:
            found.add((one, two))
        if two in lefts and one in rights:
            found.add((two, one))
    return found


def request_refusal(blocked_by_me: bool, blocked_by_them: bool) -> AppError | None:
    """Why a request cannot go to the other user, or None: a block either way stops it,
    in the words messaging uses for a message."""
    if blocked_by_them:
        return AppError("forbidden", "this user does not accept requests from you")
    if blocked_by_me:
        return AppError("forbidden", "you blocked this user; unblock them to send a request")
    return None


async def refuse_if_blocked(
    db: DB,
    requester: uuid.UUID,
    other: uuid.UUID,
    refusal: Callable[[bool, bool], AppError | None] = request_refusal,
) -> None:
    """403 when either of the two blocked the other (as far as this service has heard), in
    the words of ``refusal`` (a request's by default; a mentoring plan has its own)."""
    error = refusal(*await between(db, requester, other))
    if error is not None:
        raise error
