"""Opaque keyset cursors (the last row's sort key, base64url-encoded JSON), and snapshot
pages that fit in one NATS message."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel

from shared.errors import AppError

INVALID_CURSOR = AppError("validation", "invalid cursor", [{"field": "cursor", "message": "malformed"}])
OTHER_SEARCH = AppError(
    "validation",
    "this cursor belongs to another search: start again from the first page",
    [{"field": "cursor", "message": "made by a search with other parameters"}],
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A cursor comes back from clients: each value of its key is checked against the type and
# range of the column it is compared with before SQL binds it (a rent past int4, or a time
# past year 9999 once in UTC, failed inside the query as a 500: audit 4, D1).
MAX_OFFSET = 1_000_000
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
# One value of a cursor's key: what the server wrote, read back; raises ValueError (or
# TypeError, OverflowError) for anything the server could not have written.
KeyValue = Callable[[Any], Any]


def encode_cursor(*key: Any) -> str:
    raw = orjson.dumps(list(key), default=str)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int, field: str = "cursor") -> list[Any]:
    """The key a cursor carries; a cursor that was not made by ``encode_cursor`` is a 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, TypeError):
        raise _invalid(field) from None
    if not isinstance(key, list) or len(key) != size:
        raise _invalid(field)
    return key


def _invalid(field: str) -> AppError:
    if field == "cursor":
        return INVALID_CURSOR
    return AppError("validation", f"invalid {field}", [{"field": field, "message": "malformed"}])


def integer(low: int, high: int) -> KeyValue:
    """An integer key within ``low..high`` (the column's type or domain)."""

    def read(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError("an integer out of range")
        return value

    return read


def number(low: float, high: float) -> KeyValue:
    """A finite number key within ``low..high``."""

    def read(value: Any) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError("not a finite number")
        if not low <= value <= high:
            raise ValueError("a number out of range")
        return float(value)

    return read


def row_id(value: Any) -> uuid.UUID:
    """A row's id as ``encode_cursor`` writes it: a lower-case hyphenated UUID."""
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise ValueError("not an id")
    return uuid.UUID(value)


def instant(value: Any) -> datetime:
    """A time with its offset, in UTC (the cursors ``next_page`` writes always carry one:
    a naive time would be read in the server's zone by one query and as UTC by another);
    one that leaves Python's years 1-9999 once in UTC raises OverflowError."""
    if not isinstance(value, str):
        raise TypeError("a time is a string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a cursor's time has its offset")
    return parsed.astimezone(UTC)


def day(value: Any) -> date:
    """A calendar day, ``YYYY-MM-DD``."""
    if not isinstance(value, str):
        raise TypeError("a date is a string")
    return date.fromisoformat(value)


def flag(value: Any) -> bool:
    """A JSON boolean."""
    if not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


def decode_key(cursor: str, *values: KeyValue, bound_to: str | None = None, field: str = "cursor") -> tuple[Any, ...]:
    """The key of a keyset cursor, one reader per value (``integer``, ``number``, ``row_id``,
    ``instant``, ``day``, ``flag``): a cursor the server did not write, or a value out of
    its column's range, is a 400. ``bound_to``: the digest of the query the cursor must
    have been made for (``next_page(..., bound_to=)``); another query's cursor is a 400
    that says so."""
    raw = decode_cursor(cursor, len(values) + (bound_to is not None), field)
    if bound_to is not None:
        if raw[-1] != bound_to:
            raise OTHER_SEARCH if isinstance(raw[-1], str) else _invalid(field)
        raw = raw[:-1]
    try:
        return tuple(read(value) for read, value in zip(values, raw, strict=True))
    except (ValueError, TypeError, OverflowError):
        raise _invalid(field) from None


def decode_offset(cursor: str) -> int:
    """The row offset of an offset cursor, ``0 <= offset <= MAX_OFFSET``."""
    (offset,) = decode_key(cursor, integer(0, MAX_OFFSET))
    return int(offset)


def decode_newest_first(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The ``(time, id)`` key of a newest-first page's cursor; None for the first page."""
    if not cursor:
        return None
    created_at, key_id = decode_key(cursor, instant, row_id)
    return created_at, key_id


def query_digest(query: Any) -> str:
    """A short digest of what a query's pages depend on (its order and filters), which a
    cursor carries so that it is refused with any other query: a price cursor read as a
    distance, or a page of other filters, would be a wrong page, not an error."""
    raw = orjson.dumps(query, default=str, option=orjson.OPT_SORT_KEYS)
    return base64.urlsafe_b64encode(hashlib.blake2b(raw, digest_size=9).digest()).decode()


def next_page(
    rows: Sequence[T], limit: int, key: Callable[[T], tuple[Any, ...]], *, bound_to: str | None = None
) -> tuple[list[T], str | None]:
    """A page from ``limit + 1`` fetched rows: the first ``limit`` of them, and the cursor
    of the next page (``key`` of the last one kept, then ``bound_to`` if given: see
    ``decode_key``), None when this page is the last."""
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return items, None
    values = [_cursor_value(value) for value in key(items[-1])]
    return items, encode_cursor(*values, *([bound_to] if bound_to is not None else []))


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
