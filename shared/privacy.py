"""Helpers every service uses to export and erase a user's data."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.db import Connection

DELETED_NAME = "Deleted user"
# The version a deleted user's row in a service's projection of users takes: the newest
# there is, so no late snapshot of the user brings them back; and how the service tells
# that the user deleted their account.
ERASED_VERSION = 2147483647


def records(rows: list[asyncpg.Record]) -> list[dict[str, Any]]:
    """Rows as plain records for an export (select JSON-friendly columns: no ranges)."""
    return [dict(row) for row in rows]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def purge_outbox(conn: Connection, needles: list[str], *, unsent: bool = False) -> int:
    """Drop the outbox rows already published that mention any of ``needles`` (a deleted
    user's id, name or address): the stream has them, the table only keeps them as a
    record. Unpublished rows stay unless ``unsent`` (what only concerned the deleted user,
    like a mail to them); callers add their own events after this."""
    patterns = [_like(n) for n in needles if n]
    if not patterns:
        return 0
    result = await conn.execute(
        "DELETE FROM outbox WHERE ($2 OR sent_at IS NOT NULL) AND convert_from(payload, 'UTF8') LIKE ANY($1::text[])",
        patterns,
        unsent,
    )
    return int(result.split()[-1])
