"""SQL of reviews after a completed stay (or of a host who cancelled one)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.listings.store import DB
from shared.db import Connection, translate
from shared.paging import newest_first_after

# --- reviews --------------------------------------------------------------------------


async def listing_reviews(
    db: DB, listing_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM reviews WHERE listing_id = $1 AND author_role = 'guest'"
        f" AND {newest_first_after('created_at', 'id', 2)}"
        " ORDER BY created_at DESC, id DESC LIMIT $4",
        listing_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def user_reviews(
    db: DB, user_id: uuid.UUID, author_role: str | None, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """The reviews ``user_id`` received (written by ``author_role`` when given), newest
    first, whatever became of the listing."""
    return await db.fetch(
        "SELECT * FROM reviews WHERE subject_id = $1 AND ($2::text IS NULL OR author_role = $2)"
        f" AND {newest_first_after('created_at', 'id', 3)}"
        " ORDER BY created_at DESC, id DESC LIMIT $5",
        user_id,
        author_role,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def user_ratings(db: DB, user_id: uuid.UUID) -> asyncpg.Record:
    """How many reviews ``user_id`` received as a host (their guests wrote them) and as a
    guest (their hosts did), and the sum of their ratings."""
    row = await db.fetchrow(
        "SELECT count(*) FILTER (WHERE author_role = 'guest') AS host_count,"
        " coalesce(sum(rating) FILTER (WHERE author_role = 'guest'), 0) AS host_sum,"
        " count(*) FILTER (WHERE author_role = 'host') AS guest_count,"
        " coalesce(sum(rating) FILTER (WHERE author_role = 'host'), 0) AS guest_sum"
        " FROM reviews WHERE subject_id = $1",
        user_id,
    )
    assert row is not None
    return row


async def insert_review(conn: Connection, values: dict[str, Any]) -> asyncpg.Record:
    try:
        row = await conn.fetchrow(
            "INSERT INTO reviews(id, booking_id, listing_id, author_id, subject_id, author_role,"
            " rating, text, hospital_name, stay_month, stay_cancelled_by_host)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *",
            *[
                values[k]
                for k in (
                    "id",
                    "booking_id",
                    "listing_id",
                    "author_id",
                    "subject_id",
                    "author_role",
                    "rating",
                    "text",
                    "hospital_name",
                    "stay_month",
                    "stay_cancelled_by_host",
                )
            ],
        )
    except asyncpg.PostgresError as exc:
        raise translate(exc, {"reviews_once_per_side": "you have already reviewed this stay"}) from None
    if values["author_role"] == "guest":
        await conn.execute(
            "UPDATE listings SET review_sum = review_sum + $2, review_count = review_count + 1 WHERE id = $1",
            values["listing_id"],
            values["rating"],
        )
    assert row is not None
    return row
