"""SQL of listings' copy of the hospital directory (name search by trigrams)."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.listings.store import DB
from shared.db import Connection

# --- hospitals ------------------------------------------------------------------------


async def search_hospitals(
    db: DB, q: str | None, state: str | None, offset: int, limit: int, besides: list[str]
) -> list[asyncpg.Record]:
    """Prefix matches first, then by trigram word similarity (typos, partial words), but
    the hospitals ``besides`` (shown before these). The directory is ~4k rows, so scoring
    each name costs about a millisecond."""
    return await db.fetch(
        """
        SELECT id, name, city, state, zip, latitude, longitude, beds, teaching
        FROM hospitals
        WHERE ($1::text IS NULL OR name ILIKE $6 || '%' OR word_similarity($1, name) >= 0.4
               OR name ILIKE '%' || $6 || '%'
               OR city ILIKE $6 || '%')
          AND ($2::text IS NULL OR state = upper($2))
          AND NOT (id = ANY($5::text[]))
        ORDER BY CASE WHEN $1::text IS NULL THEN 0 WHEN name ILIKE $6 || '%' THEN 0 ELSE 1 END,
                 CASE WHEN $1::text IS NULL THEN 0 ELSE word_similarity($1, name) END DESC,
                 name, id
        OFFSET $3 LIMIT $4
        """,
        q,
        state,
        offset,
        limit,
        besides,
        _literal(q),
    )


def _literal(q: str | None) -> str | None:
    """``q`` as a LIKE pattern matching itself: "%" or "_" typed listed the whole directory."""
    if q is None:
        return None
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def load_hospitals(conn: Connection, rows: list[tuple[Any, ...]]) -> int:
    """Upsert the directory (id, name, city, state, zip, lat, lon, beds, teaching)."""
    await conn.execute("CREATE TEMP TABLE hosp_in (LIKE hospitals INCLUDING DEFAULTS) ON COMMIT DROP")
    await conn.execute("ALTER TABLE hosp_in ALTER COLUMN position DROP NOT NULL")
    await conn.copy_records_to_table(
        "hosp_in",
        records=rows,
        columns=["id", "name", "city", "state", "zip", "latitude", "longitude", "beds", "teaching"],
    )
    result = await conn.execute(
        """
        INSERT INTO hospitals SELECT id, name, city, state, zip, latitude, longitude, beds, teaching,
               ll_to_earth(latitude, longitude) FROM hosp_in
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, city = excluded.city,
            state = excluded.state, zip = excluded.zip, latitude = excluded.latitude,
            longitude = excluded.longitude, beds = excluded.beds, teaching = excluded.teaching,
            position = excluded.position
        """
    )
    return int(result.split()[-1])


async def hospital_count(db: DB) -> int:
    return int(await db.fetchval("SELECT count(*) FROM hospitals"))
