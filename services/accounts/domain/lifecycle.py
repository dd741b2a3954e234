"""Pure rules of the account lifecycle: the links we mail, devices, digest timing.

No I/O: the handlers and the mail consumer call these with the clock and the secret.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from shared.contracts.lifecycle import AccountMailRequested, SecurityMailKind
from shared.errors import AppError
from shared.signing import INVALID, sign, unsign

# Purposes of signed links; a token signed for one never passes as another.
VERIFY = "verify-email"
RESET = "reset-password"
EMAIL_CHANGE = "change-email"
UNSUBSCRIBE = "unsubscribe"

# Where each link lands in the web client (hash routes), and the one-click endpoint.
LINK_PATHS = {
    VERIFY: "/#/verify-email?token=",
    RESET: "/#/reset-password?token=",
    EMAIL_CHANGE: "/#/confirm-email?token=",
    UNSUBSCRIBE: "/api/v1/mail/unsubscribe?token=",
}


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash: a reset link names the password it replaces, so
    it stops working once any new password is set (single use, and no stale links)."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def link(public_url: str, purpose: str, token: str) -> str:
    return public_url.rstrip("/") + LINK_PATHS[purpose] + token


def verify_token(secret: str, user_id: uuid.UUID, email: str, nonce: str, expires_at: datetime) -> str:
    return sign(secret, VERIFY, {"u": str(user_id), "e": email, "n": nonce}, expires_at)


def reset_token(
    secret: str, user_id: uuid.UUID, email: str, password_hash: str, nonce: str, expires_at: datetime
) -> str:
    """A reset link names the address it is mailed to and the password it replaces."""
    payload = {"u": str(user_id), "e": email, "h": password_fingerprint(password_hash), "n": nonce}
    return sign(secret, RESET, payload, expires_at)


def email_change_token(secret: str, user_id: uuid.UUID, old: str, new: str, nonce: str, expires_at: datetime) -> str:
    return sign(secret, EMAIL_CHANGE, {"u": str(user_id), "o": old, "e": new, "n": nonce}, expires_at)


def unsubscribe_token(secret: str, user_id: uuid.UUID, kind: str) -> str:
    """Never expires: RFC 8058 links must keep working from an old mail."""
    return sign(secret, UNSUBSCRIBE, {"u": str(user_id), "k": kind}, None)


def read_link(secret: str, purpose: str, token: str, now: datetime) -> dict[str, Any]:
    """The payload of a valid link of ``purpose`` with a user id; else a validation error."""
    payload = unsign(secret, purpose, token, now)
    try:
        payload["u"] = uuid.UUID(str(payload.get("u")))
    except ValueError:
        raise INVALID from None
    return payload


def check_reset_link(payload: dict[str, Any], email: str, password_hash: str) -> None:
    """A reset link works only while the account still has the address it was mailed to
    (whoever reads a mailbox the account has left must not take the account over; a link
    mailed before links named their address is refused) and the password it replaces."""
    if not isinstance(payload.get("e"), str) or payload["e"].lower() != email.lower():
        raise INVALID
    if payload.get("h") != password_fingerprint(password_hash):
        raise AppError("validation", "this link was already used or a newer one replaced it; ask for a new one")


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device(user_agent: str | None) -> str:
    """ "Firefox on Windows" from a User-Agent, enough to tell one's devices apart."""
    if not user_agent:
        return "Unknown device"
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser is None:
        tool = re.match(r"[A-Za-z][\w.-]*", user_agent)
        browser = tool.group(0) if tool else "Unknown browser"
    return f"{browser} on {system}" if system else browser


def digest_day(now: datetime, hour_utc: int) -> date | None:
    """The day whose digest is due at ``now``: today once its hour has come, else None."""
    return now.date() if now.hour >= hour_utc else None


def mail_event(
    kind: SecurityMailKind, user_id: uuid.UUID, to: str, ttl_hours: float | None = None, now: datetime | None = None
) -> AccountMailRequested:
    """The event asking for a security mail; one with a link gets a nonce and an expiry."""
    if ttl_hours is None or now is None:
        return AccountMailRequested(kind=kind, user_id=user_id, to=to)
    return AccountMailRequested(
        kind=kind, user_id=user_id, to=to, nonce=new_nonce(), expires_at=now + timedelta(hours=ttl_hours)
    )
