"""Signed tokens for links in mails: a payload, its purpose and its expiry under an HMAC.

A token is ``base64url(json).base64url(hmac)``; the HMAC key is derived from the server
secret and the purpose, so a token made for one purpose (unsubscribe) never passes as
another (reset a password). What makes a link single-use is the caller's: a nonce in the
payload that it records once used, or a fingerprint of the state the link may change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

import orjson

from shared.errors import AppError

INVALID = AppError("validation", "this link is invalid or has expired; ask for a new one")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, body: str) -> bytes:
    key = hashlib.sha256(f"wardmate-link:{purpose}:{secret}".encode()).digest()
    return hmac.new(key, body.encode(), hashlib.sha256).digest()


def sign(secret: str, purpose: str, payload: dict[str, Any], expires_at: datetime | None) -> str:
    """A token carrying ``payload`` for ``purpose``, valid until ``expires_at`` (None: always)."""
    body = _b64(orjson.dumps({"p": payload, "exp": expires_at.timestamp() if expires_at else None}))
    return f"{body}.{_b64(_mac(secret, purpose, body))}"


def peek(token: str) -> dict[str, Any] | None:
    """The payload a token carries, its signature NOT checked: for words shown before the
    token is used (which kind of mail a link stops), never for a decision. None if unreadable."""
    try:
        data = orjson.loads(_unb64(token.partition(".")[0]))
    except (ValueError, orjson.JSONDecodeError):
        return None
    payload = data.get("p") if isinstance(data, dict) else None
    return payload if isinstance(payload, dict) else None


def unsign(secret: str, purpose: str, token: str, now: datetime) -> dict[str, Any]:
    """The payload of a valid, unexpired token for ``purpose``; else a validation error."""
    body, _, mac = token.partition(".")
    try:
        valid = hmac.compare_digest(_unb64(mac), _mac(secret, purpose, body))
        data = orjson.loads(_unb64(body)) if valid else None
    except (ValueError, orjson.JSONDecodeError):
        raise INVALID from None
    if not isinstance(data, dict) or not isinstance(data.get("p"), dict):
        raise INVALID
    if data.get("exp") is not None and now.timestamp() > float(data["exp"]):
        raise INVALID
    return data["p"]  # type: ignore[no-any-return]
