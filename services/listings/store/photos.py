"""SQL of listing photos, and of the count and cover the listing row keeps for search."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from shared.db import Connection

DB = Connection | asyncpg.Pool

PHOTO_COLUMNS = "id, listing_id, position, alt_text, caption, width, height, color, variants, created_at"


async def photos(db: DB, listing_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        f"SELECT {PHOTO_COLUMNS} FROM listing_photos WHERE listing_id = $1 ORDER BY position, created_at", listing_id
    )


async def photo(conn: Connection, listing_id: uuid.UUID, photo_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {PHOTO_COLUMNS} FROM listing_photos WHERE id = $1 AND listing_id = $2", photo_id, listing_id
    )


async def count(db: DB, listing_id: uuid.UUID) -> int:
    return int(await db.fetchval("SELECT count(*) FROM listing_photos WHERE listing_id = $1", listing_id))


async def insert_photo(conn: Connection, listing_id: uuid.UUID, fields: dict[str, Any]) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"""
        INSERT INTO listing_photos (id, listing_id, position, alt_text, caption, width, height, color, variants)
        VALUES ($1, $2, (SELECT count(*) FROM listing_photos WHERE listing_id = $2), $3, $4, $5, $6, $7, $8)
        RETURNING {PHOTO_COLUMNS}
        """,
        uuid.uuid4(),
        listing_id,
        fields["alt_text"],
        fields["caption"],
        fields["width"],
        fields["height"],
        fields["color"],
        fields["variants"],
    )
    assert row is not None
    return row


async def replace_photo(conn: Connection, photo_id: uuid.UUID, fields: dict[str, Any]) -> asyncpg.Record:
    """New pixels (and texts) for a photo, in its place in the order."""
    row = await conn.fetchrow(
        f"""
        UPDATE listing_photos SET alt_text = $2, caption = $3, width = $4, height = $5, color = $6, variants = $7
        WHERE id = $1 RETURNING {PHOTO_COLUMNS}
        """,
        photo_id,
        fields["alt_text"],
        fields["caption"],
        fields["width"],
        fields["height"],
        fields["color"],
        fields["variants"],
    )
    assert row is not None
    return row


async def update_texts(conn: Connection, photo_id: uuid.UUID, changes: dict[str, str]) -> None:
    cols = [c for c in ("alt_text", "caption") if c in changes]
    if cols:
        sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(cols))
        await conn.execute(f"UPDATE listing_photos SET {sets} WHERE id = $1", photo_id, *[changes[c] for c in cols])


async def delete_photo(conn: Connection, photo_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM listing_photos WHERE id = $1", photo_id)


async def set_order(conn: Connection, listing_id: uuid.UUID, photo_ids: list[uuid.UUID]) -> None:
    """Positions 0, 1, ... in the order of ``photo_ids`` (every photo of the listing)."""
    await conn.execute(
        """
        UPDATE listing_photos p SET position = o.n - 1
        FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, n)
        WHERE p.id = o.id AND p.listing_id = $1
        """,
        listing_id,
        photo_ids,
    )


async def renumber(conn: Connection, listing_id: uuid.UUID) -> None:
    """Close the gap a deleted photo left in the order."""
    await conn.execute(
        """
        UPDATE listing_photos p SET position = o.n - 1
        FROM (SELECT id, row_number() OVER (ORDER BY position, created_at) AS n
              FROM listing_photos WHERE listing_id = $1) o
        WHERE p.id = o.id AND p.position <> o.n - 1
        """,
        listing_id,
    )


async def refresh_listing(conn: Connection, listing_id: uuid.UUID, cover: dict[str, Any] | None, count: int) -> None:
    """The listing's photo count and cover (its version moves, so an event follows)."""
    await conn.execute(
        "UPDATE listings SET photo_count = $2, cover = $3, updated_at = now() WHERE id = $1",
        listing_id,
        count,
        cover,
    )


async def files_in_use(db: DB, small_key: str) -> bool:
    """Whether a photo still uses the files whose 320 px variant is ``small_key``: the
    same upload twice gives the same files (encoding is deterministic), kept until unused."""
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM listing_photos WHERE variants -> '320' ->> 'key' = $1)", small_key
        )
    )
