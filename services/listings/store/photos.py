"""SQL of listing photos, and of the count and cover the listing row keeps for search."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from shared.db import Connection, Lock, xact_lock

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


async def same_photo(conn: Connection, listing_id: uuid.UUID, variants: dict[str, Any]) -> asyncpg.Record | None:
    """The listing's photo with these files (the same image: its variants are named by
    their content), if it has one. Asked under the listing's row lock, which every upload
    to it holds to commit, so copies of one upload sent at once find each other."""
    return await conn.fetchrow(
        f"SELECT {PHOTO_COLUMNS} FROM listing_photos WHERE listing_id = $1 AND variants = $2"
        " ORDER BY position, created_at LIMIT 1",
        listing_id,
        variants,
    )


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


async def lock_files(conn: Connection, small_key: str) -> None:
    """Hold the lock of the files named together by ``small_key`` until commit: an upload
    writes them and records its row under it, a deletion checks that no row uses them and
    deletes them under it, so neither sees the other half done."""
    await xact_lock(conn, Lock.PHOTO_FILES, small_key)


async def queue_unused(conn: Connection, variants: list[dict[str, Any]]) -> list[str]:
    """Queue these photos' files for deletion, in the transaction that deletes or replaces
    their rows (a file still used by another photo is kept by the deletion); the 320 px
    keys queued."""
    if not variants:
        return []
    rows = await conn.fetch(
        """
        INSERT INTO unused_photo_files (small_key, keys)
        SELECT v -> '320' ->> 'key', array_agg(DISTINCT e.value ->> 'key' ORDER BY e.value ->> 'key')
        FROM jsonb_array_elements($1::jsonb) v, jsonb_each(v) e
        GROUP BY 1
        ON CONFLICT (small_key) DO UPDATE
            SET keys = ARRAY(SELECT DISTINCT k FROM unnest(unused_photo_files.keys || excluded.keys) k ORDER BY k)
        RETURNING small_key
        """,
        variants,
    )
    return [row["small_key"] for row in rows]


async def erase_photos(conn: Connection, listing_ids: list[uuid.UUID]) -> list[str]:
    """Delete every photo of these listings, queue their files and clear the listings'
    count and cover; the 320 px keys queued."""
    gone = await conn.fetch(
        "DELETE FROM listing_photos WHERE listing_id = ANY($1::uuid[]) RETURNING variants", listing_ids
    )
    await conn.execute(
        "UPDATE listings SET photo_count = 0, cover = NULL, updated_at = now()"
        " WHERE id = ANY($1::uuid[]) AND (photo_count <> 0 OR cover IS NOT NULL)",
        listing_ids,
    )
    return await queue_unused(conn, [row["variants"] for row in gone])


async def queued_files(db: DB) -> list[str]:
    """The 320 px keys of every queued set of files."""
    return [row["small_key"] for row in await db.fetch("SELECT small_key FROM unused_photo_files")]


async def unqueue(conn: Connection, small_key: str) -> list[str] | None:
    """Take ``small_key``'s files off the queue (until commit); their keys, or None when
    another sweep took them already."""
    keys: list[str] | None = await conn.fetchval(
        "DELETE FROM unused_photo_files WHERE small_key = $1 RETURNING keys", small_key
    )
    return keys
