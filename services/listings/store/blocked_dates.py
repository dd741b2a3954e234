"""SQL of the nights hosts block in their rooms (migration 0018)."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from services.listings.store import DB
from shared.db import Connection, translate

BLOCK_COLUMNS = "id, listing_id, lower(nights) AS start, upper(nights) AS end, note, created_at"
# The exclusion constraint backs the check made under the listing's lock (domain.check_block).
BLOCK_CONFLICTS = {"blocked_dates_no_overlap": "some of these nights are already blocked"}


async def insert_block(
    conn: Connection, block_id: uuid.UUID, listing_id: uuid.UUID, start: date, end: date, note: str
) -> asyncpg.Record:
    try:
        row = await conn.fetchrow(
            f"INSERT INTO blocked_dates(id, listing_id, nights, note) VALUES ($1, $2, daterange($3, $4), $5)"
            f" RETURNING {BLOCK_COLUMNS}",
            block_id,
            listing_id,
            start,
            end,
            note,
        )
    except asyncpg.PostgresError as exc:
        raise translate(exc, BLOCK_CONFLICTS) from None
    assert row is not None
    return row


async def overlapping_blocks(db: DB, listing_id: uuid.UUID, start: date, end: date) -> list[asyncpg.Record]:
    """The listing's blocks that hold any of the nights ``start`` .. ``end``."""
    return await db.fetch(
        f"SELECT {BLOCK_COLUMNS} FROM blocked_dates WHERE listing_id = $1 AND nights && daterange($2, $3)"
        " ORDER BY lower(nights)",
        listing_id,
        start,
        end,
    )


async def is_blocked(db: DB, listing_id: uuid.UUID, check_in: date, check_out: date) -> bool:
    """Whether the host blocked any night of this stay."""
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM blocked_dates WHERE listing_id = $1 AND nights && daterange($2, $3))",
            listing_id,
            check_in,
            check_out,
        )
    )


async def listing_blocks(
    db: DB, listing_id: uuid.UUID, today: date, after: tuple[date, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """The listing's blocks not over by ``today`` (at the room), earliest first, after the
    key ``(start, id)``."""
    return await db.fetch(
        f"SELECT {BLOCK_COLUMNS} FROM blocked_dates WHERE listing_id = $1 AND upper(nights) > $2"
        " AND ($3::date IS NULL OR (lower(nights), id) > ($3, $4)) ORDER BY lower(nights), id LIMIT $5",
        listing_id,
        today,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def delete_block(conn: Connection, listing_id: uuid.UUID, block_id: uuid.UUID) -> asyncpg.Record | None:
    """Remove one of the listing's blocks; the block removed, or None."""
    return await conn.fetchrow(
        f"DELETE FROM blocked_dates WHERE id = $1 AND listing_id = $2 RETURNING {BLOCK_COLUMNS}",
        block_id,
        listing_id,
    )


async def touch_listing(conn: Connection, listing_id: uuid.UUID) -> None:
    """Step the listing's version (the trigger does), not its ``updated_at``: its snapshot,
    which carries the blocked nights, changed (``listing.updated``)."""
    await conn.execute("UPDATE listings SET version = version WHERE id = $1", listing_id)
