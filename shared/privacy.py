"""Helpers every service uses to export and erase a user's data."""

from __future__ import annotations

import json
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


async def purge_outbox(conn: Connection, needles: list[str], *, unsent: list[str] | None = None) -> int:
    """Drop the outbox rows already published that mention any of ``needles`` (a deleted
    user's id, name or address): the stream has them, the table only keeps them as a
    record. Rows not yet published go only when one of ``unsent`` (the user's id or
    address, never a name) is a whole string of theirs, like a mail to them: a name as
    part of any text (a user named "Li" in "Lisa", "Al" in "Albany") dropped other users'
    events the relay had not sent yet, and nothing is lost but what concerned the deleted
    user alone. Callers add their own events after this."""
    patterns = [_like(n) for n in needles if n]
    whole = [_like(json.dumps(n)) for n in unsent or () if n]
    if not patterns and not whole:
        return 0
    result = await conn.execute(
        "DELETE FROM outbox WHERE (sent_at IS NOT NULL AND convert_from(payload, 'UTF8') LIKE ANY($1::text[]))"
        " OR (sent_at IS NULL AND convert_from(payload, 'UTF8') LIKE ANY($2::text[]))",
        patterns,
        whole,
    )
    return int(result.split()[-1])
