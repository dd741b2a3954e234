"""SQL of the snapshot pages: every user in id order, after a given id.

The rows are ``store.snapshot``'s (``SNAPSHOT_COLUMNS``), what ``views.user_data`` builds
events from. The first page has its own statement: ``$1 IS NULL OR id > $1`` in one would
keep the planner from starting the primary key's index scan at ``$1`` once asyncpg's
prepared statement goes generic, and every later page would read the table from its start.
"""

from __future__ import annotations

import uuid

import asyncpg

from services.accounts.store import SNAPSHOT_COLUMNS, SNAPSHOT_FROM
from shared.db import Connection


async def users_after(db: Connection | asyncpg.Pool, after: uuid.UUID | None, limit: int) -> list[asyncpg.Record]:
    """Users in id order after ``after``; a deleted user has no rows left to show."""
    if after is None:
        return await db.fetch(f"SELECT {SNAPSHOT_COLUMNS} FROM {SNAPSHOT_FROM} ORDER BY u.id LIMIT $1", limit)
    return await db.fetch(
        f"SELECT {SNAPSHOT_COLUMNS} FROM {SNAPSHOT_FROM} WHERE u.id > $1 ORDER BY u.id LIMIT $2", after, limit
    )
