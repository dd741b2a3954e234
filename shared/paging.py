"""Opaque keyset cursors: the last row's sort key, base64url-encoded JSON."""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.errors import AppError


def encode_cursor(*key: Any) -> str:
    raw = json.dumps(list(key), default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The key a cursor carries; a cursor that was not made by ``encode_cursor`` is a 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, TypeError):
        raise AppError("validation", "invalid cursor", [{"field": "cursor", "message": "malformed"}]) from None
    if not isinstance(key, list) or len(key) != size:
        raise AppError("validation", "invalid cursor", [{"field": "cursor", "message": "malformed"}])
    return key
