"""Opaque keyset cursors (the last row's sort key, base64url-encoded JSON), and snapshot
pages that fit in one NATS message."""

from __future__ import annotations

import base64
import json
import math
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel

from shared.errors import AppError

INVALID_CURSOR = AppError("validation", "invalid cursor", [{"field": "cursor", "message": "malformed"}])
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A cursor comes back from clients: its keys are bounded before SQL binds them (an offset
# beyond the directory, or a number past int64, would otherwise fail inside the query).
MAX_OFFSET = 1_000_000
MAX_KEY = 2**63
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def encode_cursor(*key: Any) -> str:
    raw = orjson.dumps(list(key), default=str)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The key a cursor carries; a cursor that was not made by ``encode_cursor`` is a 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, TypeError):
        raise INVALID_CURSOR from None
    if not isinstance(key, list) or len(key) != size:
        raise INVALID_CURSOR
    return key


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def decode_offset(cursor: str) -> int:
    """The row offset of an offset cursor, ``0 <= offset <= MAX_OFFSET``."""
    (offset,) = decode_cursor(cursor, 1)
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        raise INVALID_CURSOR
    return offset


def decode_keyset(cursor: str) -> list[Any]:
    """A keyset cursor ``[sort key, id]``: the key a string or a finite number within int64,
    the id a UUID as ``encode_cursor`` writes it."""
    key, row_id = decode_cursor(cursor, 2)
    if not (isinstance(key, str) or (_finite_number(key) and abs(key) < MAX_KEY)):
        raise INVALID_CURSOR
    if not isinstance(row_id, str) or not _UUID.fullmatch(row_id):
        raise INVALID_CURSOR
    return [key, row_id]


def decode_newest_first(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The ``(time, id)`` key of a newest-first page's cursor; None for the first page.

    The time must carry its offset (the cursors ``next_page`` writes always do): a naive
    one would be read in the server's zone by one query and as UTC by another.
    """
    if not cursor:
        return None
    created_at, row_id = decode_keyset(cursor)
    try:
        parsed = datetime.fromisoformat(created_at)
        if parsed.tzinfo is None:
            raise ValueError("a cursor's time has its offset")
        return parsed.astimezone(UTC), uuid.UUID(row_id)
    except (TypeError, ValueError, OverflowError):
        raise INVALID_CURSOR from None


def next_page(rows: Sequence[T], limit: int, key: Callable[[T], tuple[Any, ...]]) -> tuple[list[T], str | None]:
    """A page from ``limit + 1`` fetched rows: the first ``limit`` of them, and the cursor
    of the next page (``key`` of the last one kept), None when this page is the last."""
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return items, None
    return items, encode_cursor(*(_cursor_value(value) for value in key(items[-1])))


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def newest_first_after(time_column: str, id_column: str, first_param: int) -> str:
    """The SQL condition of a newest-first page: the rows after the cursor's ``(time, id)``
    key bound at ``$n, $n+1`` (both NULL on the first page). It goes with
    ``ORDER BY time DESC, id DESC`` and ``decode_newest_first``'s key."""
    n = first_param
    return f"(${n}::timestamptz IS NULL OR ({time_column}, {id_column}) < (${n}, ${n + 1}))"


# A reply travels as one NATS message (max_payload is 1 MB on our servers): a page stops
# before the reply passes this many bytes, whatever its limit. 500 users with 2,000-character
# bios would come to more than 1 MB, and a reply too large to send never arrives.
MAX_PAGE_BYTES = 512 * 1024


def fit_page(items: Sequence[M], limit: int, key: Callable[[M], uuid.UUID]) -> tuple[list[M], uuid.UUID | None]:
    """The items of one reply, and its ``next_after``.

    ``items`` are at most ``limit`` rows in id order. The page keeps them while they fit in
    ``MAX_PAGE_BYTES`` (always the first); ``next_after`` is the last kept item's id
    (``key``) when the page is full (``limit`` items) or was cut to fit, else None.
    """
    kept: list[M] = []
    size = len('{"items":[],"next_after":""}') + 36  # the reply's bytes around its items
    for item in items:
        size += len(item.model_dump_json().encode()) + 1  # bytes: a character may take four
        if kept and size > MAX_PAGE_BYTES:
            return kept, key(kept[-1])
        kept.append(item)
    return kept, (key(kept[-1]) if kept and len(kept) >= limit else None)
