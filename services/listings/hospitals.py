"""Listings' copy of the hospital directory in its own table, for name search (trigrams)."""

from __future__ import annotations

import logging

import asyncpg

from services.listings import store
from shared.hospitals import directory

log = logging.getLogger(__name__)


async def ensure_directory(pool: asyncpg.Pool) -> int:
    """Load the shared directory when the table is empty; return the number of hospitals."""
    count = await store.hospital_count(pool)
    if count == 0:
        rows = [tuple(h) for h in directory()]
        async with pool.acquire() as conn, conn.transaction():
            await store.load_hospitals(conn, rows)
        count = len(rows)
        log.info("hospital directory loaded", extra={"fields": {"hospitals": count}})
    return count
